"""The page of a ranking (engine.ranking, engine._collapsed_page) is the start of a full
sort of every match, with near-duplicate groups collapsed as a full pass over the
ranking does it: checked against that full sort on random scores with many ties."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.search import engine


class _Cols:  # the two columns a ranking reads
    def __init__(self, group: np.ndarray):
        self.group = group
        self.groups = [None] * (int(group.max()) + 1 if len(group) and group.max() >= 0 else 0)


def full_sort(docs, primary, secondary):
    return docs[np.lexsort((docs, -secondary[docs], -primary[docs]))]


def full_collapse(cols, docs, primary, secondary, start, per_page):
    """The reference: sort everything, keep each group's first member."""
    ranked = full_sort(docs, primary, secondary)
    shown, leader, duplicates = [], {}, {}
    for doc in ranked.tolist():
        g = int(cols.group[doc])
        if g < 0:
            shown.append(doc)
        elif g not in leader:
            leader[g] = doc
            duplicates[doc] = []
            shown.append(doc)
        else:
            duplicates[leader[g]].append(doc)
    page = shown[start:start + per_page]
    return len(shown), page, {d: duplicates[d] for d in page if d in duplicates}


def arrays(seed: int, n: int, distinct: int, groups: int):
    rnd = np.random.default_rng(seed)
    primary = rnd.integers(0, distinct, n).astype(np.float64) / 7  # many ties
    secondary = rnd.integers(20100101, 20100101 + distinct, n)
    group = np.where(rnd.random(n) < 0.3, rnd.integers(0, max(1, groups), n), -1).astype(np.int32)
    docs = np.flatnonzero(rnd.random(n) < 0.7)
    return docs, primary, secondary, group


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 6000), distinct=st.integers(1, 50),
       need=st.integers(1, 300))
def test_ranking_is_the_start_of_the_full_sort(seed, n, distinct, need):
    docs, primary, secondary, _ = arrays(seed, n, distinct, 0)
    for p, s in ((primary, secondary), (secondary, primary)):
        assert engine.ranking(docs, p, s, need).tolist() == full_sort(docs, p, s)[:need].tolist()


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 6000), distinct=st.integers(1, 50),
       groups=st.integers(1, 400), page=st.integers(1, 30), per_page=st.sampled_from([1, 10, 20, 100]))
def test_collapsed_page_is_the_full_collapse(seed, n, distinct, groups, page, per_page):
    docs, primary, secondary, group = arrays(seed, n, distinct, groups)
    cols = _Cols(group)
    start = (page - 1) * per_page
    total, shown, duplicates = engine._collapsed_page(cols, docs, primary, secondary, start, per_page)
    want_total, want_page, want_dups = full_collapse(cols, docs, primary, secondary, start, per_page)
    assert total == want_total
    assert shown.tolist() == want_page
    assert duplicates == want_dups
