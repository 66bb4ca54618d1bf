"""Helpers shared by the search tests (reports built by hand, indexes in tmp dirs),
plus tests of the analysis layer those helpers rely on."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from indexer.search import analysis, build

KIND_HEADINGS = {"总体情况": "一、总体情况", "工作做法": "二、主要做法", "存在问题": "三、存在问题",
                 "下步打算": "四、下步打算", "结语": ""}


def make_report(rid: str, title: str, sections: list[tuple[str, str]], *, part: int = 1,
                source: str | None = None, unit_name: str | None = None,
                unit_type: str | None = "乡镇街道", year: int | None = 2021,
                genre: str | None = "工作总结", site: str | None = "a.example",
                script: str = "hans", publish_date: str | None = None) -> dict:
    """A `Report.to_json()`-shaped dict; body = preamble + headed sections, like extraction."""
    secs, lines = [], []
    for kind, text in sections:
        heading = "" if kind == "前言" else KIND_HEADINGS.get(kind, kind)
        if heading:
            lines.append(heading)
        lines.append(text)
        secs.append({"heading": heading, "level": 0 if kind == "前言" else 1, "kind": kind, "text": text})
    body = "\n".join(lines)
    return {
        "type": "report", "report_id": rid, "source": source or f"pages/{rid}.html", "part": part,
        "url": None, "site": site, "page_title": title, "title": title, "unit_name": unit_name,
        "unit_type": unit_type, "year": year, "genre": genre, "publish_date": publish_date,
        "script": script, "encoding": "utf-8", "sections": secs, "body": body,
        "content_hash": hashlib.sha1(body.encode()).hexdigest(), "warnings": [],
    }


def write_jsonl(path: Path, reports: list[dict]) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for rep in reports:
            fh.write(json.dumps(rep, ensure_ascii=False) + "\n")
    return path


def build_index(tmp_path: Path, reports: list[dict], name: str = "ix") -> Path:
    root = tmp_path / name
    src = write_jsonl(tmp_path / f"{name}-src.jsonl", reports)
    build.build([str(src)], root, jobs=0)
    return root


# ---------------------------------------------------------------- analysis


def test_key_folds_script_width_and_space():
    assert analysis.key("意識形態 工作") == analysis.key("意识形态工作") == "意识形态工作"
    assert analysis.key("ＡＢＣ　公司") == "abc公司"


def test_domain_dictionary_words_are_kept_whole():
    words = analysis.words(analysis.key("认真开展两学一做学习教育，落实三会一课制度，加强网络舆情管理"))
    for term in ("两学一做", "三会一课", "网络舆情"):
        assert term in words


def test_user_dictionary_changes_segmentation_and_version(tmp_path):
    user = tmp_path / "user.txt"
    user.write_text("屯明镇宣讲队 50000 n\n", encoding="utf-8")
    assert "屯明镇宣讲队" not in analysis.words("屯明镇宣讲队")
    assert "屯明镇宣讲队" in analysis.words("屯明镇宣讲队", str(user))
    assert analysis.dictionary_version(str(user)) != analysis.dictionary_version(None)


def test_character_view_has_one_token_per_position():
    from indexer.search import charindex

    want = [charindex.token_code(t) for t in ("清华", "华大", "大学", "学")]
    assert charindex.key_codes("清华大学").tolist() == want
    assert analysis.phrase_tokens("华大学") == ["华大", "大学"]


@pytest.mark.parametrize("alphabet", ["common", "supplementary", "over_65535"])
def test_segment_postings_are_every_token_at_its_positions(alphabet):
    """The writer's grouping (dense ranks and one sort) gives exactly what grouping the
    key's token codes (`key_codes`) by a stable sort gives, key ends included, also for
    characters beyond the BMP and for a segment of more distinct characters than the
    dense ranks take (the argsort path)."""
    import numpy as np

    from indexer.search import charindex

    rng = np.random.default_rng(3)
    pools = {"common": [ord(c) for c in "工作报告总结意识形态清华大学的一是"],
             "supplementary": [0x20000 + i for i in range(5)] + [ord(c) for c in "工作"],
             "over_65535": list(range(0x4E00, 0x9FFF)) + list(range(0x20000, 0x2A6DF)) + list(range(0x30000, 0x3134A))}
    pool = np.array(pools[alphabet])
    if alphabet == "over_65535":  # two keys, every character once
        shuffled = "".join(map(chr, rng.permutation(pool)))
        keys = [(0, shuffled[:40000]), (1, shuffled[40000:])]
    else:
        keys = [(d, "".join(map(chr, rng.choice(pool, int(rng.integers(1, 200)))))) for d in range(40)]
    got = charindex._field_arrays(keys, len(keys))
    dstart = got["dstart"].astype(np.int64)
    want: dict[int, list[int]] = {}
    for d, k in keys:
        for at, code in enumerate(charindex.key_codes(k).tolist()):
            want.setdefault(code, []).append(int(dstart[d]) + at)
    assert got["terms"].tolist() == sorted(want)
    lists = charindex.PackedLists(got, "")
    for t, code in enumerate(got["terms"].tolist()):
        assert lists.decode(t).tolist() == want[code]


# ---------------------------------------------------------------- execution helpers


def test_sorted_unique_and_intersection_match_numpy():
    import numpy as np

    from indexer.search import execute, kernels

    rng = np.random.default_rng(7)
    for size_a, size_b in [(0, 5), (5, 0), (50, 60), (20, 5000), (3000, 2500)]:
        a = np.unique(rng.integers(0, 4000, size_a)).astype(np.int64)
        b = np.unique(rng.integers(0, 4000, size_b)).astype(np.int64)
        assert np.array_equal(kernels.intersect_at(a, b), np.intersect1d(a, b))
        rep = np.sort(rng.integers(0, 50, size_a)).astype(np.int64)
        values, counts = execute.sorted_unique(rep, counts=True)
        want_v, want_c = np.unique(rep, return_counts=True)
        assert np.array_equal(values, want_v) and np.array_equal(counts, want_c)
        assert np.array_equal(execute.sorted_unique(rep), want_v)


def test_section_counts_agree_with_brute_force():
    """Occurrences inside each section range, counted by binary search on the range
    bounds, equal a per-occurrence check (short sections and keys longer than them too)."""
    import numpy as np

    from indexer.search.execute import SectionRanges

    rng = np.random.default_rng(3)
    gstart = np.arange(8) * 101  # documents of 100 positions and the unused one after each
    for _ in range(200):
        rows = []
        for doc in range(6):  # non-overlapping ranges per document, as sections are
            at = 0
            for _ in range(int(rng.integers(0, 5))):
                start = at + int(rng.integers(0, 10))
                end = start + int(rng.integers(0, 25))
                rows.append((doc, gstart[doc] + start, gstart[doc] + end, int(rng.integers(0, 6))))
                at = end
        if not rows:
            continue
        sr = SectionRanges.__new__(SectionRanges)
        arr = np.array(rows, dtype=np.int64)
        sr.set(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3])
        size = int(rng.choice([3, 300]))  # fewer occurrences than ranges, and more
        occ = np.unique(rng.integers(0, 7 * 101, size))
        klen = int(rng.integers(1, 6))
        want = [sum(1 for o in occ.tolist() if a <= o and o + klen <= b) for _d, a, b, _k in rows]
        assert sr.counts(occ, klen).tolist() == want


@pytest.mark.parametrize("jobs", [0, 1])  # segments written in this process, or by a worker
def test_character_view_matches_brute_force(tmp_path, monkeypatch, jobs):
    """Token postings (whole and partial reads), single characters and phrases read from
    the packed character view are exactly the occurrences in the stored keys, and the
    word view holds each report's word counts, over several segments."""
    import numpy as np

    from indexer.search import build as build_mod
    from indexer.search import charindex, execute, open_index

    monkeypatch.setattr(build_mod, "SEGMENT_CHARS", 3000)  # several segments per writer
    monkeypatch.setattr(charindex, "BLOCK", 4)  # several skip blocks per list
    phrases = ["意识形态工作", "形态工作责任", "意识形态责任制"]
    reports = [make_report(f"r{i:03d}", f"报告{i}", [("总体情况", f"第{i}次{phrases[i % 3]}会议，工作"
                                                     + "意识" * (i % 4)),
                                                  ("存在问题", f"问题{i} {phrases[(i + 1) % 3]}")])
               for i in range(300)]
    root = tmp_path / "ix"
    build_mod.build([str(write_jsonl(tmp_path / "src.jsonl", reports))], root, jobs=jobs)
    with open_index(root) as index:
        st = index.state()
        post = st.executor.post
        assert len(post.segs) > 2
        bodies = [analysis.key(st.store.report(d)["body"]) for d in range(st.cols.n)]
        gstart = post.gstart["body_c"]
        assert np.array_equal(np.diff(gstart), [len(b) + 1 for b in bodies])

        def brute(k: str) -> np.ndarray:
            want = []
            for doc, body in enumerate(bodies):
                at = body.find(k)
                while at >= 0:
                    want.append(gstart[doc] + at)
                    at = body.find(k, at + 1)
            return np.array(sorted(want), dtype=np.int64)

        docs = np.array([3, 5, 6, 150, 290], dtype=np.int64)
        for token in ("意识", "形态", "工作", "责任", "会议"):
            keys = post.keys("body_c", token)
            assert np.array_equal(keys, brute(token))
            assert post.frequency("body_c", token) == len(keys)
            in_docs = keys[np.isin(np.searchsorted(gstart, keys, "right") - 1, docs)]
            assert np.array_equal(post.docs_of("body_c", keys), np.unique(np.searchsorted(gstart, keys, "right") - 1))
            post.clear_cache()
            monkeypatch.setattr(execute, "PARTIAL_READ_RATIO", 0)
            part = post.keys_within("body_c", token, docs)
            assert not post.cached("body_c", token)  # a partial read, not cached
            assert np.array_equal(part, in_docs), token
            monkeypatch.setattr(execute, "PARTIAL_READ_RATIO", 64)
        for ch in ("意", "制", "会"):
            assert np.array_equal(post.prefix_keys("body_c", ch), brute(ch))
        for word in ("意识形态", "工作", "会议", "责任制"):
            docs_w, tf = post.term("body_w", word)
            want = [(d, n) for d, b in enumerate(bodies) if (n := analysis.word_counts(b).get(word))]
            assert list(zip(docs_w.tolist(), tf.tolist())) == want and want, word
            assert post.word_frequency("body_w", word) == len(want)
        assert len(post.term("body_w", "没有这个词")[0]) == 0
        words = ["意识形态", "工作", "没有这个词", "会议", "责任制"]
        assert post.word_frequencies("body_w", charindex.word_codes(words)).tolist() == [
            sum(1 for b in bodies if analysis.word_counts(b).get(w)) for w in words]
        # word scores restricted to some documents are the full scores there, bit for bit
        from indexer.search.query import parse

        terms = parse("意识形态责任制 会议").positive_terms()  # 责任制: in two reports of three
        full = st.executor.words_score(terms, None)
        for chosen in ([3, 4, 6, 9], list(range(0, 300, 2)), []):
            mask = np.zeros(st.cols.n, dtype=bool)
            mask[chosen] = True
            got = st.executor.words_score(terms, None, mask)
            assert np.array_equal(got[mask], full[mask])
        # the section facet's masks, looked at in chosen documents only, are right there
        within = np.zeros(st.cols.n, dtype=bool)
        within[[3, 4, 7, 150, 299]] = True
        for q in ("意识形态工作", "意识 会议", "责任制"):
            post.clear_cache()  # the restricted walk first (a whole one is cached)
            part = st.executor.section_masks(parse(q), st.cols.kinds, within)
            full = st.executor.section_masks(parse(q), st.cols.kinds)
            assert any(full[kind][within].any() for kind in st.cols.kinds), q
            for kind in st.cols.kinds:
                assert np.array_equal(part[kind] & within, full[kind] & within), (q, kind)
        post.clear_cache()
        for k in ("意识形态工作", "形态工作责任", "意识形态责任制", "态工作", "意识意识", "责任制", "议第"):
            assert np.array_equal(execute.occurrence_keys(post, "body_c", k), brute(k)), k
        # per-document counts of occurrences, however many they are
        occ = brute("意识")
        want_docs, want_tf = np.unique(np.searchsorted(gstart, occ, "right") - 1, return_counts=True)
        for part in (occ, occ[:3]):
            d, tf = post.doc_counts("body_c", part)
            wd, wt = np.unique(np.searchsorted(gstart, part, "right") - 1, return_counts=True)
            assert np.array_equal(d, wd) and np.array_equal(tf, wt)
        assert len(want_docs) and want_tf.max() > 1


@pytest.mark.parametrize("chunk", [50, 1 << 20])  # lists packed a few at a time, or all at once
def test_packed_lists_round_trip(monkeypatch, chunk):
    """Packed lists decode to what was packed: whole, or only inside given ranges, at
    every bit width (0 to 32), with one-value and empty lists among them."""
    import numpy as np

    from indexer.search import charindex

    monkeypatch.setattr(charindex, "PACK_CHUNK", chunk)
    rng = np.random.default_rng(11)
    lists = [np.zeros(0, np.int64), np.array([7]), np.array([0]), np.array([2**32 - 1]),
             np.arange(300) * 3, np.cumsum(rng.integers(0, 2**20, 1000)), np.array([5, 5 + 2**31])]
    lists += [np.cumsum(rng.integers(1, 2 << int(rng.integers(0, 16)), int(rng.integers(1, 700))))
              for _ in range(40)]  # strictly ascending, like positions and documents
    counts = np.array([len(x) for x in lists])
    for block in (4, 128):
        packed = charindex.pack(np.concatenate(lists), counts, delta=True, block=block)
        plain = charindex.pack(np.concatenate(lists), counts, delta=False)
        dl = charindex.PackedLists(packed, "", block)
        pl = charindex.PackedLists(plain, "", block)
        for t, want in enumerate(lists):
            assert dl.count(t) == len(want)
            assert dl.decode(t).tolist() == want.tolist()
            assert pl.values(t).tolist() == want.tolist()
            if not len(want):
                continue
            edges = np.unique(rng.integers(int(want[0]) - 5, int(want[-1]) + 5, 8))
            lo, hi = edges[:-1:2], edges[1::2]
            n = min(len(lo), len(hi))
            lo, hi = lo[:n], hi[:n]
            inside = want[np.array([any(a <= v < b for a, b in zip(lo, hi)) for v in want.tolist()], dtype=bool)]
            assert dl.decode_within(t, lo, hi).tolist() == inside.tolist()


def test_charindex_segment_round_trip(tmp_path):
    """A segment file holds every token of every key at its position, astral and
    repeated characters included; absent tokens and empty fields read as empty."""
    import random

    import numpy as np

    from indexer.search import charindex

    rng = random.Random(5)
    alphabet = "意识形态工作责任制𠀀a1"
    builder = charindex.SegmentBuilder()
    keys = {}
    for doc in range(60):
        k = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        keys[doc] = k
        builder.add(doc, "body_c", k)
    path = tmp_path / "MAIN_x.chars"
    builder.write(path, 61)
    seg = charindex.SegmentPostings(path)
    dstart = seg.dstart["body_c"].astype(np.int64)
    assert np.array_equal(np.diff(dstart), [len(keys.get(d, "")) + 1 for d in range(61)])
    tokens = {k[i:i + 2] for k in keys.values() for i in range(len(k))} | {"识a", "zz"}
    for token in tokens:
        want = sorted(int(dstart[d]) + i for d, k in keys.items() for i in range(len(k)) if k[i:i + 2] == token)
        t = seg.slot("body_c", charindex.token_code(token))
        assert seg.positions("body_c", t).tolist() == want, token
        assert seg.count("body_c", t) == len(want)
        wanted = np.array([1, 2, 30, 59])
        assert seg.positions_within("body_c", t, wanted).tolist() == [
            w for w in want if any(dstart[d] <= w < dstart[d + 1] for d in wanted)]
    assert seg.slot("title_c", charindex.token_code("意识")) == -1
    assert seg.positions("title_c", -1).tolist() == []
