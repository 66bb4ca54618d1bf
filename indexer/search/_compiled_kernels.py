"""The compiled side of kernels.py (numba; imported only by `kernels.load`).

Merges that gallop: each step skips ahead in the other array by doubling strides, then a
binary search (so two arrays of similar sizes are walked in one linear pass, and a small
one against a large one costs a binary search per value of the small one). Each
function has one explicit signature, so importing this module compiles them, or loads
them from numba's cache beside this file (`cache=True`), and no call compiles later:
inputs are contiguous int64 arrays (kernels.py converts), read-only (the executor's
cached arrays are) or not. They write into arrays the caller allocates with numpy (which
asks the kernel for huge pages for large ones: the first touch of a fresh buffer of
millions of positions costs as much as the merge itself with 4 KiB pages). `nogil` lets
threads run them at once."""
from __future__ import annotations

import numpy as np
from numba import njit, types

_OPTS = dict(cache=True, nogil=True, boundscheck=False)
_IN = types.Array(types.int64, 1, "C", readonly=True)  # a writable array converts to it
_OUT = types.Array(types.int64, 1, "C")
_MASK = types.Array(types.boolean, 1, "C")


@njit(types.int64(_IN, types.int64, types.int64), **_OPTS)
def _lower(arr, lo, v):
    """First index at or after `lo` whose value is >= v (`arr` ascending)."""
    n = arr.shape[0]
    if lo >= n or arr[lo] >= v:
        return lo
    below = lo  # arr[below] < v
    step = 1
    while below + step < n and arr[below + step] < v:
        below += step
        step *= 2
    hi = min(below + step, n)  # arr[hi] >= v, or the end
    lo = below + 1
    while lo < hi:
        mid = (lo + hi) >> 1
        if arr[mid] < v:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(types.none(types.Array(types.uint64, 1, "C", readonly=True), types.int64, types.int64, types.boolean,
                 _OUT), **_OPTS)
def unpack_into(words, width, start, delta, out):
    n = out.shape[0]
    if width == 0:
        for i in range(n):
            out[i] = start if delta else 0
        return
    per_word = 64 // width
    mask = np.uint64((1 << width) - 1)
    acc = start
    i = 0
    for wi in range(words.shape[0]):
        w = words[wi]
        for j in range(per_word):
            if i == n:
                return
            v = np.int64((w >> np.uint64(j * width)) & mask)
            if delta:
                acc += v
                out[i] = acc
            else:
                out[i] = v
            i += 1


@njit(types.int64(_IN, _IN, types.int64, _OUT), **_OPTS)
def intersect_at(a, b, off, out):
    na, nb = a.shape[0], b.shape[0]
    k = 0
    if na <= nb:  # walk a, gallop in b
        j = 0
        for i in range(na):
            x = a[i] + off
            j = _lower(b, j, x)
            if j == nb:
                break
            if b[j] == x:
                out[k] = a[i]
                k += 1
    else:  # walk b, gallop in a
        i = 0
        for j in range(nb):
            i = _lower(a, i, b[j] - off)
            if i == na:
                break
            if a[i] + off == b[j]:
                out[k] = a[i]
                k += 1
    return k


@njit(types.none(_IN, _IN, _IN, _MASK), **_OPTS)
def any_between(lo, hi, b, out):
    n, m = lo.shape[0], b.shape[0]
    j = 0
    for i in range(n):
        j = _lower(b, j, lo[i])
        if j == m:
            break
        out[i] = b[j] <= hi[i]


@njit(types.none(_IN, _IN, _IN, types.int64, _OUT), **_OPTS)
def counts_in_ranges(occ, start, end, shrink, out):
    n, m = occ.shape[0], start.shape[0]
    if n < m:  # fewer values: each one's range, the last starting at or before it
        r = 0
        for i in range(n):
            v = occ[i]
            r = _lower(start, r, v + 1)  # first range starting after v
            if r > 0 and v < end[r - 1] - shrink:
                out[r - 1] += 1
            r = max(r - 1, 0)
        return
    j = 0
    for r in range(m):  # fewer ranges: each one's run of values
        j = _lower(occ, j, start[r])
        if j == n:
            break
        e = end[r] - shrink
        k = _lower(occ, j, e) if e > start[r] else j
        out[r] = k - j
        j = k


@njit(types.int64(_IN, _IN, _OUT, _OUT), **_OPTS)
def runs_per_bucket(occ, edges, buckets, counts):
    n, last = occ.shape[0], edges.shape[0] - 1
    size = buckets.shape[0]
    k = 0
    d = 0
    i = 0
    while i < n and k < size:
        v = occ[i]
        d = _lower(edges, d, v + 1) - 1  # the last edge at or before v
        if d < 0 or d >= last:  # outside every bucket (the caller's promise broken): stop
            break
        j = _lower(occ, i, edges[d + 1])
        buckets[k] = d
        counts[k] = j - i
        k += 1
        i = j
    return k


@njit(types.none(_IN, _IN, _IN, types.int64, _IN, _IN, _OUT), **_OPTS)
def range_bits(occ, start, end, shrink, group, bit, out):
    n, m = occ.shape[0], start.shape[0]
    if n < m:  # fewer values: each one's range, the last starting at or before it
        r = 0
        for i in range(n):
            v = occ[i]
            r = _lower(start, r, v + 1)
            if r > 0 and v < end[r - 1] - shrink and bit[r - 1] < 63:
                out[group[r - 1]] |= np.int64(1) << bit[r - 1]
            r = max(r - 1, 0)
        return
    j = 0
    for r in range(m):  # fewer ranges: does each one hold a value
        j = _lower(occ, j, start[r])
        if j == n:
            break
        if occ[j] < end[r] - shrink and bit[r] < 63:
            out[group[r]] |= np.int64(1) << bit[r]


@njit(types.int64(types.Array(types.uint64, 1, "C", readonly=True), types.int64, _IN, types.int64,
                  types.int64, _IN, _IN, _OUT), **_OPTS)
def decode_within(words, width, sk, count, block, lo, hi, out):
    per_word = 64 // width if width else 1
    mask = np.uint64((1 << width) - 1) if width else np.uint64(0)
    k = 0
    i = 0  # the next index to decode; v is the value at index i - 1 (once `have`)
    v = np.int64(0)
    have = False
    b = 0
    for r in range(lo.shape[0]):
        a, z = lo[r], hi[r]
        b = max(_lower(sk, b, a + 1) - 1, b)  # the last block starting at or before a
        if not have or b * block > i - 1:  # jump to that block: values before it are below a
            i = b * block
            v = sk[b]
            i += 1
            have = True
        while v < z:
            if v >= a:
                out[k] = v
                k += 1
            if i >= count:
                break
            if i % block == 0:
                v = sk[i // block]
            elif width:
                v += np.int64((words[i // per_word] >> np.uint64((i % per_word) * width)) & mask)
            i += 1
        if i >= count and v < z:
            break
    return k


# ---------------------------------------------------------------- the build's inner loops

_U32IN = types.Array(types.uint32, 1, "C", readonly=True)
_U32OUT = types.Array(types.uint32, 1, "C")


@njit(types.none(_U32IN, _U32IN, _U32IN, _U32OUT), **_OPTS)
def minhash_into(hv, a, b, out):
    m = a.shape[0]
    for i in range(hv.shape[0]):
        h = hv[i]
        for j in range(m):
            out[j] = min(out[j], np.uint32(h * a[j] + b[j]))  # modulo 2**32


@njit(types.int64(_U32IN, _IN, types.boolean, types.int64, types.Array(types.uint8, 1, "C"), _OUT,
                  types.Array(types.uint64, 1, "C"), types.Array(types.uint64, 1, "C")), **_OPTS)
def pack_lists(values, counts, delta, block, width, nwords, words, skips):
    at = 0  # the list's first value
    w_at = 0  # its first word
    s = 0  # the next skip value
    for t in range(counts.shape[0]):
        n = counts[t]
        top = np.uint64(0)  # the largest value (difference) to store
        for i in range(n):
            if delta:
                if i % block == 0:
                    skips[s] = values[at + i]
                    s += 1
                d = np.uint64(values[at + i] - values[at + i - 1]) if i else np.uint64(0)
            else:
                d = np.uint64(values[at + i])
            top = max(top, d)
        w = 0
        while top:
            w += 1
            top >>= np.uint64(1)
        width[t] = w
        if w:
            per = 64 // w
            nwords[t] = (n + per - 1) // per
            for i in range(n):
                if delta:
                    d = np.uint64(values[at + i] - values[at + i - 1]) if i else np.uint64(0)
                else:
                    d = np.uint64(values[at + i])
                words[w_at + i // per] |= d << np.uint64((i % per) * w)
            w_at += nwords[t]
        else:
            nwords[t] = 0
        at += n
    return w_at
