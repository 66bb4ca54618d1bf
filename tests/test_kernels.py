"""The merge kernels (indexer/search/kernels.py): the compiled and the numpy side give
the answer a brute-force scan gives, on random arrays of every shape the executor
passes (similar sizes, one much smaller, empty ranges, values outside every range)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.search import kernels

SIDES = [pytest.param(kernels.NumpyKernels, id="numpy"), pytest.param("compiled", id="compiled")]


def side(which):
    if which == "compiled":
        mod = kernels.compiled()
        assert mod is not None, "numba is a dependency: the compiled kernels must load"
        return mod
    return which


def sorted_distinct(max_value=3000, max_size=400):
    return st.lists(st.integers(0, max_value), max_size=max_size).map(
        lambda xs: np.unique(np.array(xs, dtype=np.int64)))


def ranges(max_value=3000):
    """Ascending, disjoint [start, end) ranges, some empty."""
    def build(cuts_and_keep):
        cuts, keep = cuts_and_keep
        cuts = np.unique(np.array(cuts, dtype=np.int64))
        if len(cuts) < 2:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        start, nxt = cuts[:-1], cuts[1:]
        frac = np.array((keep * len(start))[:len(start)], dtype=float)
        end = start + np.floor(frac * (nxt - start)).astype(np.int64)
        return start, end
    return st.tuples(st.lists(st.integers(0, max_value), max_size=120),
                     st.lists(st.floats(0, 1), min_size=1, max_size=8)).map(build)


@pytest.mark.parametrize("which", SIDES)
@settings(max_examples=150, deadline=None)
@given(a=sorted_distinct(), b=sorted_distinct(max_size=2000), off=st.integers(-5, 5))
def test_intersect_at_keeps_the_values_whose_offset_is_in_the_other(which, a, b, off):
    want = a[np.isin(a + off, b)]
    want_b = b[np.isin(b + off, a)]  # the larger one first: the other walking direction
    with kernels.forced(side(which)):
        assert np.array_equal(kernels.intersect_at(a, b, off), want)
        assert np.array_equal(kernels.intersect_at(b, a, off), want_b)


@pytest.mark.parametrize("which", SIDES)
@settings(max_examples=150, deadline=None)
@given(keys=st.lists(st.integers(0, 3000), max_size=600).map(lambda xs: np.sort(np.array(xs, dtype=np.int64))),
       b=sorted_distinct(max_size=2000))
def test_member_marks_every_value_found_repeats_included(which, keys, b):
    with kernels.forced(side(which)):
        assert np.array_equal(kernels.member(keys, b), np.isin(keys, b))
        assert np.array_equal(kernels.member(b, keys), np.isin(b, keys))  # fewer to look for, and more


@pytest.mark.parametrize("which", SIDES)
@settings(max_examples=150, deadline=None)
@given(lo=st.lists(st.integers(0, 3000), max_size=400).map(lambda xs: np.sort(np.array(xs, dtype=np.int64))),
       width=st.lists(st.integers(-2, 30), min_size=1, max_size=10), b=sorted_distinct(max_size=1500))
def test_any_between_finds_a_value_in_each_window(which, lo, width, b):
    hi = lo + np.resize(np.array(width, dtype=np.int64), len(lo))
    want = np.array([bool(np.count_nonzero((b >= x) & (b <= y))) for x, y in zip(lo, hi)], dtype=bool)
    with kernels.forced(side(which)):
        assert np.array_equal(kernels.any_between(lo, hi, b), want)


@pytest.mark.parametrize("which", SIDES)
@settings(max_examples=150, deadline=None)
@given(occ=sorted_distinct(max_size=1500), rs=ranges(), shrink=st.integers(0, 3))
def test_counts_in_ranges_counts_each_range_values(which, occ, rs, shrink):
    start, end = rs
    want = np.array([np.count_nonzero((occ >= s) & (occ < e - shrink)) for s, e in zip(start, end)],
                    dtype=np.int64)
    with kernels.forced(side(which)):
        assert np.array_equal(kernels.counts_in_ranges(occ, start, end, shrink), want)


@pytest.mark.parametrize("which", SIDES)
@settings(max_examples=150, deadline=None)
@given(occ=sorted_distinct(max_size=1500), cuts=sorted_distinct(max_size=60))
def test_runs_per_bucket_groups_values_by_their_bucket(which, occ, cuts):
    edges = np.unique(np.concatenate(([0], cuts, [3001]))).astype(np.int64)
    bucket = np.searchsorted(edges, occ, side="right") - 1
    want_b, want_n = np.unique(bucket, return_counts=True)
    with kernels.forced(side(which)):
        got_b, got_n = kernels.runs_per_bucket(occ, edges)
    assert np.array_equal(got_b, want_b) and np.array_equal(got_n, want_n)


def test_compiled_kernels_take_read_only_arrays_without_compiling_again():
    """The executor's cached arrays are read-only: one explicit signature takes both, so
    no query compiles (a second specialisation would cost a query hundreds of ms)."""
    mod = side("compiled")
    a = np.arange(0, 100, 3, dtype=np.int64)
    b = np.arange(0, 100, 2, dtype=np.int64)
    b.flags.writeable = False
    with kernels.forced(mod):
        assert np.array_equal(kernels.intersect_at(a, b, 1), a[np.isin(a + 1, b)])
        assert np.array_equal(kernels.counts_in_ranges(a, b[:-1], b[1:], 0),
                              [np.count_nonzero((a >= s) & (a < e)) for s, e in zip(b[:-1], b[1:])])
        assert np.array_equal(kernels.member(a, b), np.isin(a, b))
        edges = np.append(b, 1000)
        edges.flags.writeable = False
        assert np.array_equal(kernels.runs_per_bucket(a, edges)[0], np.unique(np.searchsorted(edges, a, "right") - 1))
        from indexer.search import charindex
        packed = charindex.pack(a.astype(np.uint64), np.array([len(a)]), delta=True, block=4)
        for arr in packed.values():
            arr.flags.writeable = False
        lo, hi = np.array([10, 50], dtype=np.int64), np.array([20, 60], dtype=np.int64)
        lo.flags.writeable = hi.flags.writeable = False
        assert charindex.PackedLists(packed, "", 4).decode_within(0, lo, hi).tolist() == [12, 15, 18, 51, 54, 57]
        ro = np.array([0, 2, 6], dtype=np.int64)  # ranges [0, 1), [2, 3), [6, 7): a holds 0 and 6
        ro.flags.writeable = False
        assert kernels.range_bits(a, ro, ro + 1, 0, np.arange(3), ro, 3).tolist() == [1, 0, 64]
    for fn in (mod.unpack_into, mod.intersect_at, mod.any_between, mod.counts_in_ranges, mod.runs_per_bucket,
               mod.decode_within, mod.range_bits):
        assert len(fn.overloads) == 1


def test_large_walks_take_the_compiled_side_and_agree_with_numpy():
    """Arrays over `kernel_min_elements`: the path every large query takes."""
    rng = np.random.default_rng(7)
    n = kernels.SETTINGS.index.kernel_min_elements
    a = np.unique(rng.integers(0, 8 * n, n))
    b = np.unique(rng.integers(0, 8 * n, n // 2))
    got = kernels.intersect_at(a, b, 3)
    assert kernels._compiled is not None
    with kernels.forced(kernels.NumpyKernels):
        assert np.array_equal(got, kernels.intersect_at(a, b, 3))


@pytest.mark.parametrize("which", SIDES)
def test_counts_in_ranges_at_every_boundary(which):
    """Values on each range's first and last place and just outside, with fewer values
    than ranges and more (each side walks those two cases differently)."""
    start = np.arange(0, 400, 10, dtype=np.int64)
    end = start + np.tile(np.array([0, 1, 5, 9, 10], dtype=np.int64), 8)
    for occ in (np.arange(400, dtype=np.int64), np.array([0, 9, 10, 19, 21, 395, 399], dtype=np.int64)):
        for shrink in (0, 1, 2):
            want = [np.count_nonzero((occ >= s) & (occ < e - shrink)) for s, e in zip(start, end)]
            with kernels.forced(side(which)):
                assert kernels.counts_in_ranges(occ, start, end, shrink).tolist() == want


@pytest.mark.parametrize("which", SIDES)
@settings(max_examples=60, deadline=None)
@given(lists=st.lists(st.integers(1, 32).flatmap(  # one bit width range per list
    lambda bits: st.lists(st.integers(0, 2**bits - 1), max_size=300)), min_size=1, max_size=6),
       delta=st.booleans(), base=st.integers(0, 2**40))
def test_unpack_into_reads_what_pack_wrote(which, lists, delta, base):
    """charindex.pack's lists (every bit width, delta-coded or not) decode to their
    values on either side; `decode_into` writes a segment's list into a slice."""
    from indexer.search import charindex

    impl = side(which)
    lists = [np.unique(np.array(xs, dtype=np.int64)) if delta else np.array(xs, dtype=np.int64) for xs in lists]
    packed = charindex.pack(np.concatenate(lists).astype(np.uint64), np.array([len(x) for x in lists]), delta)
    read = charindex.PackedLists(packed, "")
    for t, want in enumerate(lists):
        words = packed["words"][int(packed["word"][t]):int(packed["word"][t + 1])]
        start = int(packed["skips"][int(packed["skip"][t])]) + base if delta and len(want) else 0
        got = np.full(len(want), -1, dtype=np.int64)
        with kernels.forced(impl):
            kernels.unpack_into(words, int(packed["width"][t]), start, delta, got)
        assert np.array_equal(got, want + base if delta else want)
        if delta:
            into = np.full(len(want) + 2, -1, dtype=np.int64)
            with kernels.forced(impl):
                read.decode_into(t, base, into[1:-1])
            assert np.array_equal(into[1:-1], want + base) and into[0] == into[-1] == -1
        else:
            with kernels.forced(impl):
                assert np.array_equal(read.values(t), want)


@pytest.mark.parametrize("which", SIDES)
@settings(max_examples=120, deadline=None)
@given(gaps=st.lists(st.integers(1, 2**12), max_size=400), first=st.integers(0, 2**20),
       block=st.sampled_from([1, 2, 4, 128]), rs=ranges(max_value=2**14))
def test_decode_within_keeps_the_values_inside_the_ranges(which, gaps, first, block, rs):
    """A packed ascending list read only inside some ranges (the partial reads of
    `Postings.keys_within`): exactly the values a scan of the whole list keeps, for
    ranges before, between, across and after the values, empty ones included, and
    every block size."""
    from indexer.search import charindex

    values = first + np.cumsum(np.array([0] + gaps, dtype=np.int64)) if gaps or first else np.zeros(0, np.int64)
    start, end = rs
    start, end = start + first, end + first  # ranges around the values
    packed = charindex.pack(values.astype(np.uint64), np.array([len(values)]), delta=True, block=block)
    read = charindex.PackedLists(packed, "", block)
    want = values[np.array([any(a <= v < b for a, b in zip(start.tolist(), end.tolist())) for v in values.tolist()],
                           dtype=bool)] if len(values) else values
    with kernels.forced(side(which)):
        assert read.decode_within(0, start, end).tolist() == want.tolist()


@pytest.mark.parametrize("which", SIDES)
@settings(max_examples=150, deadline=None)
@given(occ=sorted_distinct(max_size=600), rs=ranges(), shrink=st.integers(0, 3),
       labels=st.lists(st.tuples(st.integers(0, 9), st.integers(0, 70)), min_size=1, max_size=50))
def test_range_bits_sets_each_group_the_bits_of_its_ranges_holding_a_value(which, occ, rs, shrink, labels):
    """The section facet's per-document kinds: a range's bit is set in its group when a
    value lies in [start, end - shrink); bits of 63 and more are left out."""
    start, end = rs
    group = np.array([labels[r % len(labels)][0] for r in range(len(start))], dtype=np.int64)
    bit = np.array([labels[r % len(labels)][1] for r in range(len(start))], dtype=np.int64)
    want = [0] * 10
    for s, e, g, b in zip(start.tolist(), end.tolist(), group.tolist(), bit.tolist()):
        if b < 63 and np.any((occ >= s) & (occ < e - shrink)):
            want[g] |= 1 << b
    with kernels.forced(side(which)):
        assert kernels.range_bits(occ, start, end, shrink, group, bit, 10).tolist() == want


@pytest.mark.parametrize("which", SIDES)
@settings(max_examples=80, deadline=None)
@given(hv=st.lists(st.integers(0, 2**32 - 1), max_size=300), perms=st.integers(1, 70), seed=st.integers(0, 9),
       start=st.integers(0, 2**32 - 1))
def test_minhash_into_keeps_each_permutation_minimum(which, hv, perms, seed, start):
    """Each permutation's least (h * a + b) modulo 2**32, wrapping included, and never
    above what `out` held."""
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 2**32, perms, dtype=np.uint64).astype(np.uint32)
    b = rng.integers(0, 2**32, perms, dtype=np.uint64).astype(np.uint32)
    out = np.full(perms, start, dtype=np.uint32)
    want = [min([start] + [(h * int(x) + int(y)) % 2**32 for h in hv]) for x, y in zip(a.tolist(), b.tolist())]
    with kernels.forced(side(which)):
        kernels.minhash_into(np.array(hv, dtype=np.uint32), a, b, out)
    assert out.tolist() == want


@settings(max_examples=120, deadline=None)
@given(lists=st.lists(st.integers(0, 32).flatmap(  # one bit width range per list, empty lists too
    lambda bits: st.lists(st.integers(0, 2**bits - 1), max_size=200)), max_size=8),
       delta=st.booleans(), block=st.sampled_from([1, 3, 128]))
def test_pack_lists_is_the_same_on_both_sides_and_decodes(lists, delta, block):
    """The compiled packing writes exactly the numpy side's arrays (an index built with
    either reads the same), and each list unpacks to its values."""
    lists = [np.unique(np.array(xs, dtype=np.int64)) if delta else np.array(xs, dtype=np.int64) for xs in lists]
    values = np.concatenate(lists) if lists else np.zeros(0, np.int64)
    counts = np.array([len(x) for x in lists], dtype=np.int64)
    got = {}
    for which in ("numpy", "compiled"):
        with kernels.forced(side(kernels.NumpyKernels if which == "numpy" else which)):
            got[which] = kernels.pack_lists(values.astype(np.uint32), counts, delta, block)
    for x, y in zip(got["numpy"], got["compiled"]):
        assert x.dtype == y.dtype and x.tolist() == y.tolist()
    width, nwords, words, skips = got["compiled"]
    at, s = 0, 0
    for t, want in enumerate(lists):
        out = np.full(len(want), -1, dtype=np.int64)
        start = int(skips[s]) if delta and len(want) else 0
        kernels.unpack_into(words[at:at + int(nwords[t])], int(width[t]), start, delta, out)
        assert out.tolist() == want.tolist()
        if delta:
            assert skips[s:s + -(-len(want) // block)].tolist() == want[::block].tolist()
            s += -(-len(want) // block)
        at += int(nwords[t])
    assert at == len(words)
