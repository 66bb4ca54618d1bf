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


# ---------------------------------------------------------------- execution helpers


def test_sorted_unique_and_intersection_match_numpy():
    import numpy as np

    from indexer.search import execute

    rng = np.random.default_rng(7)
    for size_a, size_b in [(0, 5), (5, 0), (50, 60), (20, 5000), (3000, 2500)]:
        a = np.unique(rng.integers(0, 4000, size_a)).astype(np.int64)
        b = np.unique(rng.integers(0, 4000, size_b)).astype(np.int64)
        assert np.array_equal(execute._intersect_sorted(a, b), np.intersect1d(a, b))
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
    for _ in range(200):
        rows = []
        for doc in range(6):  # non-overlapping ranges per document, as sections are
            at = 0
            for _ in range(int(rng.integers(0, 5))):
                start = at + int(rng.integers(0, 10))
                end = start + int(rng.integers(0, 25))
                rows.append((doc, start, end, int(rng.integers(0, 6))))
                at = end
        if not rows:
            continue
        sr = SectionRanges.__new__(SectionRanges)
        arr = np.array(rows, dtype=np.int64)
        sr.keys = (arr[:, 0] << 32) | arr[:, 1]
        sr.doc, sr.start, sr.end, sr.kind = arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3]
        size = int(rng.choice([3, 300]))  # fewer occurrences than ranges, and more
        occ = np.unique((rng.integers(0, 7, size) << 32) | rng.integers(0, 100, size))
        klen = int(rng.integers(1, 6))
        want = [sum(1 for o in occ.tolist() if o >> 32 == d and a <= (o & 0xFFFFFFFF) and (o & 0xFFFFFFFF) + klen <= b)
                for d, a, b, _k in rows]
        assert sr.counts(occ, klen).tolist() == want


@pytest.mark.parametrize("jobs", [0, 1])  # segments written in this process, or by a worker
def test_character_view_matches_brute_force(tmp_path, monkeypatch, jobs):
    """Token postings (whole and partial reads), single characters and phrases read from
    the memory-mapped character view are exactly the occurrences in the stored keys,
    over several segments."""
    import numpy as np

    from indexer.search import build as build_mod
    from indexer.search import execute, open_index
    from indexer.search.schema import unpack_blob

    monkeypatch.setattr(build_mod, "SEGMENT_CHARS", 3000)  # several segments per writer
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
        assert len(post.chars) > 2
        bodies = [analysis.key_of_form(unpack_blob(st.searcher.stored_fields(d)["blob"])["norm"])
                  for d in range(st.cols.n)]

        def brute(k: str) -> np.ndarray:
            want = []
            for doc, body in enumerate(bodies):
                at = body.find(k)
                while at >= 0:
                    want.append((doc << 32) | at)
                    at = body.find(k, at + 1)
            return np.array(sorted(want), dtype=np.int64)

        for token in ("意识", "形态", "工作", "责任"):
            keys = post.keys("body_c", token)
            assert np.array_equal(keys, brute(token))
            assert post.frequency("body_c", token) == len(keys)
            docs = np.array([3, 5, 290], dtype=np.int64)
            post.cache.clear()
            post.cached_bytes = 0
            part = post.keys_within("body_c", token, docs)
            assert not post.cached("body_c", token)  # a partial read, not cached
            assert np.array_equal(part, keys[np.isin(keys >> 32, docs)])
        for ch in ("意", "制", "会"):
            assert np.array_equal(post.prefix_keys("body_c", ch), brute(ch))
        # the word view's copy holds what Whoosh holds
        reader = st.searcher.reader()
        for word in ("意识形态", "工作", "会议", "责任制"):
            docs, tf = post.term("body_w", word)
            want = sorted((d, int(w)) for d, w in reader.postings("body_w", word).items_as("weight"))
            assert list(zip(docs.tolist(), tf.tolist())) == want and want, word
        assert len(post.term("body_w", "没有这个词")[0]) == 0
        post.cache.clear()
        post.cached_bytes = 0
        for k in ("意识形态工作", "形态工作责任", "意识形态责任制", "态工作", "意识意识", "责任制"):
            assert np.array_equal(execute.occurrence_keys(post, "body_c", k), brute(k)), k


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
    builder.write(path)
    seg = charindex.SegmentChars(path)
    tokens = {k[i:i + 2] for k in keys.values() for i in range(len(k))} | {"识a", "zz"}
    for token in tokens:
        want = sorted(((d + 7) << 32) | i for d, k in keys.items() for i in range(len(k))
                      if k[i:i + 2] == token)
        a, b = seg.term_postings("body_c", charindex.token_code(token))
        assert seg.keys("body_c", a, b, 7).tolist() == want, token
        assert seg.occurrences("body_c", a, b) == len(want)
        wanted = np.array([1, 2, 30, 59])
        assert seg.keys_within("body_c", a, b, 7, wanted).tolist() == [
            w for w in want if (w >> 32) - 7 in wanted.tolist()]
    assert seg.term_postings("title_c", charindex.token_code("意识")) == (0, 0)
