"""The dev corpus' search judgments against an index of its gold reports (a subset of the
pages, to keep the run short). Relevance is defined by substring, so on a subset the
relevant sets are the judged sets restricted to it. Skips when ../shared is absent."""
from __future__ import annotations

import json

import pytest

import search_answers
from indexer.search import SearchRequest, open_index, search
from test_search_support import build_index

PAGES = 90


def gold_reports(shared_dir, pages: int | None = PAGES) -> list[dict]:
    """The gold reports of the first `pages` dev pages (all with None) as index input."""
    return search_answers.gold_reports(shared_dir / "corpus" / "dev" / "gold.jsonl", pages)


@pytest.mark.corpus
def test_dev_judgments_on_gold_subset(shared_dir, tmp_path):
    reports = gold_reports(shared_dir)
    present = {r["report_id"] for r in reports}
    failures = []
    with open_index(build_index(tmp_path, reports)) as index:
        with open(shared_dir / "corpus" / "dev" / "qrels.jsonl", encoding="utf-8") as fh:
            qrels = [json.loads(line) for line in fh]
        for q in qrels:
            wanted = set(q["relevant"]) & present
            filters = {k: [str(v)] for k, v in q.get("filters", {}).items()}
            req = SearchRequest(q=q["query"], per_page=100, collapse=False, **filters)
            got = search(index, req)
            ranked = [] if got.relaxed else [h.report_id for h in got.results]
            total = 0 if got.relaxed else got.total  # relaxed: the exact phrase found nothing
            if q["kind"] in ("unique_fact", "title"):
                if wanted and ranked[:1] != sorted(wanted)[:1]:
                    failures.append((q["qid"], q["kind"], q["query"], ranked[:3]))
            elif total != len(wanted) or (q["kind"] == "phrase_set" and set(ranked) != wanted):
                failures.append((q["qid"], q["kind"], q["query"], total, len(wanted)))
    assert failures == []
