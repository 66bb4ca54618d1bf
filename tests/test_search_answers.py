"""Answers unchanged: the fixed query mix gives the stored answers (same ids in the same
order, totals, facet counts, snippets and their marks, hit sections), and reports and
more-like-this lists are the stored ones. After an intended change of answers,
regenerate with `scripts/search_expectation` (see tests/search_answers.py)."""
from __future__ import annotations

import json

import pytest

import search_answers as sa
from indexer.search import open_index


@pytest.mark.parametrize("name", ["builtin", pytest.param("dev", marks=pytest.mark.corpus)])
def test_answers_unchanged(name, tmp_path):
    if name == "dev" and not sa.DEV_GOLD.exists():
        pytest.skip("../shared is not present: dev corpus answers skipped")
    expected = json.loads(sa.expectation_path(name).read_text(encoding="utf-8"))
    with open_index(sa.build(tmp_path, name)) as index:
        problems = sa.compare(expected, index)
    assert not problems, f"{len(problems)} differences:\n" + "\n".join(problems[:15])
