"""Merge kernels over sorted position arrays, and the build's two inner loops: compiled
with numba, numpy otherwise.

The executor's costliest steps at 50,000 pages and more are walks over two sorted
arrays of millions of positions: a phrase's bigrams intersected at their offsets, the
occurrences counted per document and per section range. numpy does them with
temporaries as large as both inputs (a stable sort of the concatenation, a binary
search per element), which page-faults through hundreds of MB: 57-75 ms for 2.9 and
4.0 million positions at 50,000 pages, against 9-20 ms for one compiled merge (measured
on this machine's 2 cores, with the bigrams of `scripts/bench_search`'s phrases).

Each function here gives the same answer on either path; `tests/test_kernels.py` checks
that on random and edge-case arrays. The compiled path is used once it is loaded:

- a server loads it in its warm-up (`Index.warm`), so no query pays the compilation;
- otherwise the first walk over more than `SETTINGS.index.kernel_min_elements` positions
  loads it (numba keeps the machine code in its cache beside this file: a process pays
  0.4-0.5 s to import numba and load it, a few seconds the first time, when it compiles);
  smaller walks, such as every walk of a shell query at a few thousand pages, stay in
  numpy and never import numba.
- `SETTINGS.index.compiled_kernels` off, or numba missing: numpy always.

The build's loops (`minhash_into`: a report's MinHash signature; `pack_lists`: the
character index's bit-packed posting and position lists) cost 0.46 and 1.35 CPU-s per
1,200 pages in numpy and 0.14 and 0.93 compiled (`scripts/bench_build_stages`): a build
loads the compiled module before it forks its workers (`build._write`), so each worker
inherits it instead of importing numba itself.

Merge inputs are int64 arrays, ascending; intersections need distinct values (positions).
The compiled functions release the GIL, so a server's threads walk in parallel.
"""
from __future__ import annotations

import contextlib
import functools
import logging
import threading

import numpy as np

from ..settings import SETTINGS

log = logging.getLogger(__name__)
_EMPTY = np.zeros(0, dtype=np.int64)
_MINHASH_BATCH = 1 << 16  # hashes permuted at once by numpy (x 64 permutations x 4 bytes = 16 MB)
_lock = threading.Lock()
_compiled = None  # the module of compiled functions, once loaded
_tried = False
_forced = None  # tests: one side for every call (`forced`)


def load() -> bool:
    """Load the compiled kernels now (True when they are in use)."""
    global _compiled, _tried
    if _compiled is not None or _tried:
        return _compiled is not None
    with _lock:
        if not _tried:
            if SETTINGS.index.compiled_kernels:
                try:
                    from . import _compiled_kernels as mod  # compiles, or loads the cache
                    _compiled = mod
                except Exception as exc:  # noqa: BLE001 - numba missing or unusable: numpy it is
                    log.warning("compiled kernels unavailable (%s: %s); numpy merges instead",
                                type(exc).__name__, exc)
                    _compiled = None
            _tried = True
    return _compiled is not None


@functools.lru_cache(maxsize=64)
def _shifts(width: int) -> tuple[np.ndarray, np.uint64]:
    k = 64 // width
    return np.arange(k, dtype=np.uint64) * np.uint64(width), np.uint64((1 << width) - 1)


def sorted_unique(a: np.ndarray, counts: bool = False):
    """np.unique of an already sorted array (one pass, no sort or hash table); with
    `counts`, also how many times each value occurs."""
    if not len(a):
        return (a, _EMPTY) if counts else a
    first = np.empty(len(a), dtype=bool)
    first[0] = True
    np.not_equal(a[1:], a[:-1], out=first[1:])
    idx = np.flatnonzero(first)
    if not counts:
        return a[idx]
    return a[idx], np.diff(np.append(idx, len(a)))


def concat_ranges(start: np.ndarray, n: np.ndarray) -> np.ndarray:
    """start[i], start[i] + 1, ..., start[i] + n[i] - 1 for each i, one after another."""
    return np.repeat(start - (np.cumsum(n) - n), n) + np.arange(int(n.sum()))


class NumpyKernels:
    """The numpy side, with the compiled side's interface: contiguous int64 inputs,
    outputs allocated by the caller (kernels.py's functions check the empty cases,
    convert and allocate)."""

    @staticmethod
    def unpack_into(words: np.ndarray, width: int, start: int, delta: bool, out: np.ndarray) -> None:
        if not width:
            out[:] = start if delta else 0
            return
        shifts, mask = _shifts(width)
        raw = ((words[:, None] >> shifts) & mask).ravel()[:len(out)].view(np.int64)  # values < 2**32
        if delta:
            np.cumsum(raw, out=out)
            out += start
        else:
            out[:] = raw

    @staticmethod
    def intersect_at(a: np.ndarray, b: np.ndarray, off: int, out: np.ndarray) -> int:
        x = a + off if off else a
        if len(b) < 2 * len(x):
            # similar sizes: merge the two sorted runs (a stable sort of two runs is a
            # linear merge) and keep the values that appear twice
            c = np.concatenate((x, b))
            c.sort(kind="stable")
            both = c[:-1][c[1:] == c[:-1]]
            found = both - off if off else both
        else:
            # a much smaller: binary search of each of its values in b
            idx = np.searchsorted(b, x)
            idx[idx == len(b)] = 0
            found = a[b[idx] == x]
        out[:len(found)] = found
        return len(found)

    @staticmethod
    def any_between(lo: np.ndarray, hi: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
        idx = np.searchsorted(b, lo)
        ok = idx < len(b)
        ok[ok] = b[idx[ok]] <= hi[ok]
        out[:] = ok

    @staticmethod
    def counts_in_ranges(occ: np.ndarray, start: np.ndarray, end: np.ndarray, shrink: int,
                         out: np.ndarray) -> None:
        end = np.maximum(end - shrink, start)
        # Measured at 50,000 pages (478,756 section ranges): 191,641 values take 6.5 ms
        # one by one against 19.3 ms range by range; 2.1 million take 57 against 32.
        if len(occ) < 2 * len(start):
            # few values: find each one's range (the last starting at or before it)
            idx = np.searchsorted(start, occ, side="right") - 1
            ok = idx >= 0
            idx = np.where(ok, idx, 0)
            ok &= occ < end[idx]
            out += np.bincount(idx[ok], minlength=len(start))
        else:  # many: two binary searches per range
            out += np.searchsorted(occ, end, side="left") - np.searchsorted(occ, start, side="left")

    @staticmethod
    def runs_per_bucket(occ: np.ndarray, edges: np.ndarray, buckets: np.ndarray, counts: np.ndarray) -> int:
        if len(occ) * 4 < len(edges):  # few: find each one's bucket
            found, n = sorted_unique(np.searchsorted(edges, occ, side="right") - 1, counts=True)
        else:
            per = np.diff(np.searchsorted(occ, edges))  # many: find each bucket's run
            found = np.flatnonzero(per)
            n = per[found]
        buckets[:len(found)] = found
        counts[:len(found)] = n
        return len(found)

    @staticmethod
    def range_bits(occ: np.ndarray, start: np.ndarray, end: np.ndarray, shrink: int, group: np.ndarray,
                   bit: np.ndarray, out: np.ndarray) -> None:
        counts = np.zeros(len(start), dtype=np.int64)
        NumpyKernels.counts_in_ranges(occ, start, end, shrink, counts)
        hit = np.flatnonzero((counts > 0) & (bit < 63))
        np.bitwise_or.at(out, group[hit], np.left_shift(1, bit[hit]))

    @staticmethod
    def decode_within(words: np.ndarray, width: int, sk: np.ndarray, count: int, block: int,
                      lo: np.ndarray, hi: np.ndarray, out: np.ndarray) -> int:
        # blocks from the one holding each range's start to the one holding its end
        b0 = np.maximum(np.searchsorted(sk, lo, side="right") - 1, 0)
        b1 = np.maximum(np.searchsorted(sk, hi, side="left") - 1, 0)
        blocks = sorted_unique(np.sort(concat_ranges(b0, b1 - b0 + 1)))
        starts = blocks * block
        lens = np.minimum(starts + block, count) - starts
        out_first = np.cumsum(lens) - lens
        j = np.repeat(starts - out_first, lens) + np.arange(int(lens.sum()))
        if width:
            k = 64 // width
            shifts = ((j % k) * width).astype(np.uint64)
            raw = ((words[j // k] >> shifts) & np.uint64((1 << width) - 1)).astype(np.int64)
        else:
            raw = np.zeros(len(j), dtype=np.int64)
        raw[out_first] = 0  # each block restarts from its skip value
        np.cumsum(raw, out=raw)
        raw += np.repeat(sk[blocks] - raw[out_first], lens)
        # keep the values inside a range
        r = np.searchsorted(lo, raw, side="right") - 1
        found = raw[(r >= 0) & (raw < hi[np.maximum(r, 0)])]
        out[:len(found)] = found
        return len(found)

    @staticmethod
    def minhash_into(hv: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
        # one row of len(a) values per hash (4 bytes a cell): minima combine, so long
        # inputs go in bounded batches
        for at in range(0, len(hv), _MINHASH_BATCH):
            rows = hv[at:at + _MINHASH_BATCH].reshape(-1, 1) * a
            rows += b
            np.minimum(out, rows.min(axis=0), out=out)

    @staticmethod
    def pack_lists(values: np.ndarray, counts: np.ndarray, delta: bool, block: int, width: np.ndarray,
                   nwords: np.ndarray, words: np.ndarray, skips: np.ndarray) -> int:
        total = len(values)
        first = np.cumsum(counts) - counts
        nonempty = counts > 0
        listid = np.repeat(np.arange(len(counts), dtype=np.int32), counts)
        local = np.arange(total, dtype=np.int64)
        local -= first[listid]
        vals = values.astype(np.uint64)
        if delta:
            skips[:] = vals[local % block == 0]
            vals[1:] -= vals[:-1].copy()
            vals[first[nonempty]] = 0
        width[:] = 0
        width[nonempty] = bit_width(np.maximum.reduceat(vals, first[nonempty]))
        per_word = 64 // np.maximum(width, 1).astype(np.int64)
        nwords[:] = np.where(width > 0, -(-counts // per_word), 0)
        word = np.cumsum(nwords) - nwords
        used = width[listid] > 0
        if used.any():
            lid = listid[used]
            loc = local[used]
            k = per_word[lid]
            widx = word[lid] + loc // k
            shifted = vals[used] << ((loc % k) * width[lid]).astype(np.uint64)
            bounds = np.flatnonzero(np.concatenate(([True], widx[1:] != widx[:-1])))
            # the values of one word occupy distinct bits: their sum is their bitwise or
            words[widx[bounds]] = np.add.reduceat(shifted, bounds)
        return int(nwords.sum())


def compiled():
    """The compiled module if it is (or can now be) loaded, else None."""
    return _compiled if load() else None


@contextlib.contextmanager
def forced(side):
    """Every call inside uses `side` (NumpyKernels or the compiled module): for tests."""
    global _forced
    _forced = side
    try:
        yield side
    finally:
        _forced = None


def _impl(size: int):
    """The compiled module when a walk over `size` positions should use it, else numpy."""
    if _forced is not None:
        return _forced
    if _compiled is not None:
        return _compiled
    if size >= SETTINGS.index.kernel_min_elements and not _tried and load():
        return _compiled
    return NumpyKernels


def _i64(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.int64)


def _used(out: np.ndarray, k: int) -> np.ndarray:
    """The first k values of an output buffer: a view when they fill most of it (copying
    millions of positions into fresh memory costs about as much as finding them), else a
    copy (a cached view keeps its whole buffer; the executor's cache counts that,
    `execute._nbytes`)."""
    return out[:k] if 2 * k >= len(out) else out[:k].copy()


def unpack_into(words: np.ndarray, width: int, start: int, delta: bool, out: np.ndarray) -> None:
    """Unpack `len(out)` integers of `width` bits (charindex.pack's layout: 64 // width
    to a uint64 word, lowest bits first) into `out` (int64, contiguous); `delta`: they
    are differences, and `out` gets `start` plus their running sum."""
    if len(out):
        _impl(len(out)).unpack_into(words, int(width), int(start), bool(delta), out)


def intersect_at(a: np.ndarray, b: np.ndarray, off: int = 0) -> np.ndarray:
    """Values v of `a` with v + off in `b` (both ascending, distinct values)."""
    if not len(a) or not len(b):
        return _EMPTY
    out = np.empty(min(len(a), len(b)), dtype=np.int64)
    return _used(out, _impl(len(a) + len(b)).intersect_at(_i64(a), _i64(b), int(off), out))


def member(keys: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """Mask of the values of `keys` (ascending, repeats allowed) found in `sorted_keys`
    (ascending)."""
    return any_between(keys, keys, sorted_keys)


def any_between(lo: np.ndarray, hi: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mask of the windows [lo[i], hi[i]] (lo ascending) holding a value of `b`
    (ascending)."""
    out = np.zeros(len(lo), dtype=bool)
    if len(lo) and len(b):
        _impl(len(lo) + len(b)).any_between(_i64(lo), _i64(hi), _i64(b), out)
    return out


def counts_in_ranges(occ: np.ndarray, start: np.ndarray, end: np.ndarray, shrink: int = 0) -> np.ndarray:
    """Number of values of `occ` in each range [start[r], end[r] - shrink) (ranges
    ascending and disjoint; an empty or inverted range counts 0)."""
    out = np.zeros(len(start), dtype=np.int64)
    if len(start) and len(occ):
        _impl(len(occ) + len(start)).counts_in_ranges(_i64(occ), _i64(start), _i64(end), int(shrink), out)
    return out


def runs_per_bucket(occ: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(buckets, values in each) of the values of `occ` (ascending, every one at or
    after edges[0] and before edges[-1]) grouped by the bucket [edges[i], edges[i+1])
    they fall in; only buckets holding one or more."""
    if not len(occ):
        return _EMPTY, _EMPTY
    size = min(len(occ), max(len(edges) - 1, 0))
    buckets = np.empty(size, dtype=np.int64)
    counts = np.empty(size, dtype=np.int64)
    k = _impl(len(occ) + len(edges)).runs_per_bucket(_i64(occ), _i64(edges), buckets, counts)
    return buckets[:k], counts[:k]


def range_bits(occ: np.ndarray, start: np.ndarray, end: np.ndarray, shrink: int, group: np.ndarray,
               bit: np.ndarray, groups: int) -> np.ndarray:
    """Per group g (0 <= g < `groups`), the OR of 1 << bit[r] over the ranges r of group g
    holding a value of `occ` in [start[r], end[r] - shrink) (ranges as
    `counts_in_ranges` takes them; bits of 63 and more are left out)."""
    out = np.zeros(groups, dtype=np.int64)
    if len(start) and len(occ):
        _impl(len(occ) + len(start)).range_bits(_i64(occ), _i64(start), _i64(end), int(shrink), _i64(group),
                                                _i64(bit), out)
    return out


def decode_within(words: np.ndarray, width: int, sk: np.ndarray, count: int, block: int,
                  lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The values inside any of the ranges [lo[i], hi[i]) (sorted, disjoint) of a
    delta-packed list of `count` ascending values (charindex.pack: `width` bits a
    difference, and `sk` the value at each block of `block` values, where
    decoding can start); only the blocks that can hold them are decoded."""
    if not count or not len(lo):
        return _EMPTY
    out = np.empty(count, dtype=np.int64)  # pages that are never written are never touched
    k = _impl(len(lo) + len(sk)).decode_within(words, int(width), _i64(sk), int(count), int(block),
                                                _i64(lo), _i64(hi), out)
    return _used(out, k)


def minhash_into(hv: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """out[j] = the least of out[j] and (hv[i] * a[j] + b[j]) modulo 2**32 over every i
    (uint32 arrays; `out` as long as `a` and `b`): the MinHash permutations' minima
    (dedup.signature)."""
    if len(hv):
        _impl(len(hv) * len(a)).minhash_into(np.ascontiguousarray(hv, dtype=np.uint32), a, b, out)


def bit_width(values: np.ndarray) -> np.ndarray:
    """Bits needed by each value (0 for 0); values below 2**52."""
    return np.frexp(values.astype(np.float64))[1].astype(np.uint8)


def pack_lists(values: np.ndarray, counts: np.ndarray, delta: bool, block: int):
    """Consecutive lists of integers below 2**32 (`counts[t]` values each, concatenated
    in `values`; each list ascending when `delta`) packed as charindex.pack lays them
    out: (width of each list's values (of its differences, the first counted as 0, when
    `delta`), uint64 words of each list, the words (each list's values `width` bits
    apiece, 64 // width to a word, lowest bits first), the value at every `block`-th
    position of each list (`delta` only))."""
    values = np.ascontiguousarray(values, dtype=np.uint32)
    counts = _i64(counts)
    width = np.zeros(len(counts), dtype=np.uint8)
    nwords = np.zeros(len(counts), dtype=np.int64)
    words = np.zeros((len(values) + len(counts)) // 2 + 1, dtype=np.uint64)  # 2 values a word at least
    skips = np.zeros(int((-(-counts // block)).sum()) if delta else 0, dtype=np.uint64)
    k = _impl(len(values)).pack_lists(values, counts, bool(delta), int(block), width, nwords, words, skips) \
        if len(counts) else 0
    return width, nwords, words[:k], skips
