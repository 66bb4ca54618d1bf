"""Per-page budgets in both commands: a parser bomb becomes a `timeout` skip (its worker
is killed: the parser cannot be interrupted otherwise), a page that needs more memory
than the budget becomes `too_large`, and every other page is still there."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from faultkit import attribute_bomb, big_page, dangan, fact, jsonl, search_ids, write_pages
from indexer.search import build
from indexer.settings import BudgetSettings


@pytest.fixture(scope="module")
def bombed(tmp_path_factory) -> Path:
    root = write_pages(tmp_path_factory.mktemp("bomb") / "pages", range(6))
    (root / "p002-bomb.html").write_bytes(attribute_bomb())
    return root


def test_extract_kills_the_parser_bomb_and_keeps_the_rest(bombed):
    proc = dangan("extract", str(bombed), "--jobs", "2", env={"DANGAN_PAGE_TIMEOUT_S": "10"})
    assert proc.returncode == 0, proc.stderr
    records = jsonl(proc.stdout)
    assert [r["source"] for r in records] == sorted(str(p) for p in bombed.iterdir())  # input order
    (skip,) = [r for r in records if r["type"] == "skipped"]
    assert skip["source"].endswith("p002-bomb.html") and skip["reason"].startswith("timeout: page took over 10 s")
    assert sorted(fact(n) in r["body"] for r in records if r["type"] == "report" for n in range(6)).count(True) == 6
    assert "timeout: 1" in proc.stderr


def test_index_build_kills_the_parser_bomb_and_keeps_the_rest(bombed, tmp_path):
    index = tmp_path / "ix"
    summary = build.build([str(bombed)], index, jobs=2, budgets=BudgetSettings(page_timeout_s=10))
    assert [s["reason"].split(":")[0] for s in summary.skipped] == ["timeout"]
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
