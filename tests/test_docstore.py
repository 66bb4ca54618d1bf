"""The document store and snippet rendering from it: a report comes back as it was
indexed, text slices and offset maps agree with the normalization they were built from,
and snippets rendered from the executor's key positions equal snippets found by
searching the whole index form (what every hit did before the store)."""
from __future__ import annotations

import random
import re

import numpy as np

from indexer.search import analysis, docstore, schema, snippets
from test_search_support import make_report

ALPHABET = "意识形态工作责任制清华大學學習 \n\t㈠㈡\u200b\u00adＡＢＣabc。，𠀀<>&"


def random_report(rng: random.Random, rid: str) -> dict:
    sections = [(kind, "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 400))))
                for kind in rng.sample(["前言", "总体情况", "工作做法", "存在问题", "下步打算"], 3)]
    return make_report(rid, "报告" + rid, sections, script="mixed")


def store_of(tmp_path, reports: list[dict], block: int) -> docstore.DocStore:
    builder = docstore.DocStoreBuilder(block_chars=block)
    for d, rep in enumerate(reports):
        builder.add(d, schema.prepare(rep, "hash", rep["source"])["store"])
    builder.write(tmp_path / "MAIN_t.docs", len(reports) + 1)  # and one document never added
    return docstore.DocStore(tmp_path, [("MAIN_t", 0)])


def test_reports_text_and_offset_maps_round_trip(tmp_path):
    rng = random.Random(4)
    reports = [random_report(rng, f"r{i}") for i in range(40)]
    reports.append(make_report("empty", "空", []))
    store = store_of(tmp_path, reports, block=7)
    for d, rep in enumerate(reports):
        assert store.report(d) == rep
        body = rep["body"]
        doc = store.hit(d)
        assert doc.row["id"] == rep["report_id"] and doc.body_length == len(body)
        for _ in range(20):
            a = rng.randint(-3, len(body) + 3)
            b = rng.randint(a, len(body) + 10)
            assert doc.text(a, b) == body[max(0, a):b]
        form, offsets = analysis.index_form_with_offsets(body)
        assert doc.form_length == len(form)
        assert [doc.to_original(f) for f in range(len(form) + 1)] == offsets
        kept = [f for f, c in enumerate(form) if not c.isspace()]
        assert doc.to_form(list(range(len(kept)))) == kept
    assert store.report(len(reports)) == {}


def test_snippets_from_key_positions_equal_snippets_from_the_whole_text(tmp_path):
    rng = random.Random(9)
    reports = [random_report(rng, f"r{i}") for i in range(60)]
    store = store_of(tmp_path, reports, block=16)
    checked = 0
    for d, rep in enumerate(reports):
        body = rep["body"]
        form, offsets = analysis.index_form_with_offsets(body)
        key = analysis.key_of_form(form)
        if len(key) < 4:
            continue
        keys = []
        for _ in range(rng.randint(1, 3)):  # substrings of the key, and repeats
            a = rng.randrange(len(key) - 1)
            keys.append(key[a:a + rng.randint(1, 4)])
        keys.append(keys[0])
        positions = [np.array([m.start() for m in re.finditer(f"(?={re.escape(k)})", key)], dtype=np.int64)
                     for k in keys]
        doc = store.hit(d)
        spans = schema.section_spans(body, offsets, rep["sections"])
        for allowed in (None, [(a, b) for kind, a, b in spans[:2]]):
            want = snippets.render(snippets.TextSource(body, form, offsets), snippets.find_spans(form, keys), allowed)
            got = snippets.render(doc, snippets.key_spans(doc, positions, [len(k) for k in keys]), allowed)
            assert got == want, (rep["report_id"], keys)
            checked += 1
    assert checked > 50


def _windows_by_definition(spans, length):
    """The passage rule of `snippets._best_windows`, written out directly: for each of
    the first 16 spans of each term, the window from a quarter of WINDOW before it; the
    first window covering the most distinct terms, then the most spans (a span counts
    when it lies wholly inside); again without the spans it touched, PASSAGES times."""
    from indexer.search.snippets import PASSAGES, WINDOW

    candidates = [s for n, s in enumerate(spans) if [t[2] for t in spans[:n]].count(s[2]) < 16]
    chosen = []
    while candidates and len(chosen) < PASSAGES:
        windows = [(max(0, a - WINDOW // 4), min(length, max(0, a - WINDOW // 4) + WINDOW))
                   for a, _b, _i in candidates]

        def score(window):
            covered = [s for s in candidates if window[0] <= s[0] and s[1] <= window[1]]
            return len({s[2] for s in covered}), len(covered)

        scores = [score(w) for w in windows]
        best = windows[scores.index(max(scores))]  # the first of the best
        chosen.append(best)
        candidates = [s for s in candidates if s[1] <= best[0] or s[0] >= best[1]]
    return sorted(chosen)


def test_passages_follow_their_rule_on_random_spans():
    import random

    from indexer.search.snippets import _best_windows

    rnd = random.Random(11)
    for _ in range(3000):
        length = rnd.randint(1, 900)
        terms = rnd.randint(1, 4)
        raw = sorted({(a, a + rnd.randint(1, 60 if rnd.random() < 0.2 else 8), rnd.randrange(terms))
                      for a in (rnd.randrange(length) for _ in range(rnd.randint(1, 80)))})
        # as key_spans and find_spans give them: a term's spans never overlap (the
        # left-to-right scan passes over one overlapping the last kept); other terms' may
        spans, end = [], {}
        for a, b, i in raw:
            if a >= end.get(i, -1):
                spans.append((a, b, i))
                end[i] = b
        assert _best_windows(spans, length) == _windows_by_definition(spans, length), (spans, length)
