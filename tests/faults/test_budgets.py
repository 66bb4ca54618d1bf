"""Per-page budgets in both commands: a page over its time becomes a `timeout` skip (its
worker is killed: a parser cannot be interrupted otherwise), a page that needs more memory
than the budget becomes `too_large`, a parser bomb ends as a skip, and every other page is
still there."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from faultkit import attribute_bomb, big_page, dangan, fact, jsonl, search_ids, write_pages
from indexer.search import build
from indexer.settings import BudgetSettings


@pytest.fixture(scope="module")
def bombed(tmp_path_factory) -> Path:
    """Six normal pages, a parser bomb and a page that takes many seconds to extract."""
    root = write_pages(tmp_path_factory.mktemp("bomb") / "pages", range(6))
    (root / "p002-bomb.html").write_bytes(attribute_bomb())
    (root / "p003-slow.html").write_bytes(big_page(8, n=9))
    return root


def _outcomes(records) -> dict[str, str]:
    return {Path(r["source"]).name: r["reason"] for r in records}


def test_extract_kills_the_page_over_its_time_and_keeps_the_rest(bombed):
    proc = dangan("extract", str(bombed), "--jobs", "2", env={"DANGAN_PAGE_TIMEOUT_S": "5"})
    assert proc.returncode == 0, proc.stderr
    records = jsonl(proc.stdout)
    assert [r["source"] for r in records] == sorted(str(p) for p in bombed.iterdir())  # input order
    skips = _outcomes(r for r in records if r["type"] == "skipped")
    assert skips.keys() == {"p002-bomb.html", "p003-slow.html"}  # the bomb: a skip, whichever
    assert skips["p003-slow.html"].startswith("timeout: page took over 5 s (worker killed)")
    assert all(any(fact(n) in r["body"] for r in records if r["type"] == "report") for n in range(6))


def test_index_build_kills_the_page_over_its_time_and_keeps_the_rest(bombed, tmp_path):
    index = tmp_path / "ix"
    summary = build.build([str(bombed)], index, jobs=2, budgets=BudgetSettings(page_timeout_s=5))
    skips = _outcomes(summary.skipped)
    assert skips.keys() == {"p002-bomb.html", "p003-slow.html"}
    assert skips["p003-slow.html"].startswith("timeout")
    assert summary.reports == 6 and all(search_ids(index, fact(n)) for n in range(6))


def test_a_page_over_the_memory_budget_is_too_large(tmp_path):
    """A 1.5 MB report needs a few hundred MB to prepare for the index; with a 60 MB
    budget it is refused as too_large, while normal pages fit."""
    root = write_pages(tmp_path / "pages", range(3))
    (root / "p001-huge.html").write_bytes(big_page(1.5, n=7))
    assert (root / "p001-huge.html").stat().st_size > 1_400_000
    index = tmp_path / "ix"
    proc = dangan("index", "build", str(root), "--index", str(index), "--jobs", "2", "--json",
                  env={"DANGAN_PAGE_MEMORY_MB": "60"})
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert [(Path(s["source"]).name, s["reason"].split(":")[0]) for s in summary["skipped"]] == \
        [("p001-huge.html", "too_large")]
    assert summary["reports"] == 3 and search_ids(index, fact(7)) == []


def test_a_long_report_fits_a_budget_its_size_allows(tmp_path):
    """The index's cost of a report stays proportional to its text: a 2.5 MB page (840k
    characters) is indexed under a 450 MB budget. (Near-duplicate signatures once permuted
    all shingles in one NUM_PERM-row array, 64 x 8 bytes a character: over 500 MB here,
    and a 5 MB page of the hostile corpus ended as too_large under the default budget.)"""
    root = write_pages(tmp_path / "pages", range(2))
    (root / "p001-long.html").write_bytes(big_page(2.5, n=7))
    index = tmp_path / "ix"
    proc = dangan("index", "build", str(root), "--index", str(index), "--jobs", "2", "--json",
                  env={"DANGAN_PAGE_MEMORY_MB": "450"})
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["skipped"] == [] and summary["reports"] == 3
    assert search_ids(index, fact(7))
