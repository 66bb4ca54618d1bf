"""Near-duplicate detection: MinHash over normalized character shingles (datasketch).

Signatures are computed in the worker processes (`signature`) and kept per index
generation on disk (`SignatureStore`: the main process holds a row number per report,
not the signatures), then grouped after every build or update (`groups`): LSH bands
(datasketch's choice of bands and rows for the threshold) give candidate pairs, one band
at a time, by sorting the band keys of every report; candidates are confirmed by their
estimated Jaccard similarity, and union-find turns pairs into groups. Only groups of two
or more reports are kept. Memory follows the number of reports by a few bytes each, not
by their signatures or an LSH table.
"""
from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import numpy as np

from . import kernels
from .charindex import code_points

NUM_PERM = 64
SHINGLE = 5
THRESHOLD = 0.8
SCHEME = "affine32"


_MIX = np.uint64(0x100000001B3)  # FNV-1a's 64-bit prime


def shingle_hashes(k: str) -> np.ndarray:
    """32-bit hashes of the 5-character shingles of a key (repeats included: they do not
    change a minimum), computed with numpy over the code points (a per-shingle Python
    hash call was a tenth of a build's time); the key itself when it is shorter than a
    shingle."""
    chars = code_points(k)
    if not len(chars):
        return np.zeros(0, dtype=np.uint64)
    width = min(SHINGLE, len(chars))
    count = len(chars) - width + 1
    h = chars[:count].copy()
    with np.errstate(over="ignore"):  # wrapping multiplication is the point
        for j in range(1, width):
            h = (h * _MIX) ^ chars[j:j + count]
    return (h ^ (h >> np.uint64(32))) & np.uint64(0xFFFFFFFF)


@functools.lru_cache(maxsize=1)
def _empty_minhash():
    """A MinHash with our parameters (its permutations are drawn once per process)."""
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME, hashfunc=int)


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer (uint32, wrapping): the pre-mix of datasketch's
    "affine32" scheme."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def signature(k: str) -> np.ndarray:
    """MinHash hash values of a key's 5-character shingles: datasketch's MinHash with its
    permutations ("affine32": pre-mixed hash times a plus b, modulo 2**32, minimum per
    permutation), applied to the shingle hashes in one compiled loop (`kernels.minhash_into`;
    datasketch's `update_batch` calls a Python function per shingle; tests/test_dedup.py
    checks the values are its own)."""
    base = _empty_minhash()
    out = base.hashvalues.copy()
    hashes = shingle_hashes(k)
    if len(hashes):
        a, b = base.permutations
        kernels.minhash_into(_fmix32(hashes.astype(np.uint32)), a, b, out)
    return out.astype(np.uint64)


@functools.lru_cache(maxsize=1)
def bands() -> list[tuple[int, int]]:
    """Datasketch's LSH bands (start, end) for THRESHOLD and NUM_PERM."""
    from datasketch import MinHashLSH

    return list(MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM).hashranges)


SIG_FILE = "minhash.sig"  # uint32 rows of NUM_PERM values, appended
IDS_FILE = "minhash.json"  # report id -> row


class SignatureStore:
    """The signatures of a generation's reports, by report id (a dict's interface:
    ``store[rid] = sig``, ``rid in store``, ``store.pop(rid, None)``, `items`). Rows are
    appended to ``minhash.sig`` in the generation; the process keeps only the row of
    each report. `save` writes the id map; an update's copy of the generation appends
    to its own copy of the file, and rows of replaced reports are left unused."""

    def __init__(self, gen: Path):
        self.gen = Path(gen)
        self.path = self.gen / SIG_FILE
        try:
            self.rows: dict[str, int] = json.loads((self.gen / IDS_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.rows = {}
        size = self.path.stat().st_size if self.path.exists() else 0
        self.count = size // (NUM_PERM * 4)
        self._fh = open(self.path, "ab")
        self._fh.truncate(self.count * NUM_PERM * 4)  # drop a partial row of an interrupted run

    def __setitem__(self, rid: str, sig: np.ndarray) -> None:
        self._fh.write(np.asarray(sig, dtype=np.uint32).tobytes())
        self.rows[rid] = self.count
        self.count += 1

    def __contains__(self, rid: str) -> bool:
        return rid in self.rows

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def pop(self, rid: str, default=None):
        return self.rows.pop(rid, default)

    def matrix(self) -> np.ndarray:
        """Every row written (memory-mapped)."""
        self._fh.flush()
        if not self.count:
            return np.zeros((0, NUM_PERM), dtype=np.uint32)
        return np.memmap(self.path, dtype=np.uint32, mode="r", shape=(self.count, NUM_PERM))

    def items(self):
        m = self.matrix()
        for rid, row in self.rows.items():
            yield rid, np.asarray(m[row], dtype=np.uint64)

    def save(self) -> None:
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        tmp = self.gen / (IDS_FILE + ".tmp")
        tmp.write_text(json.dumps(self.rows), encoding="utf-8")
        os.replace(tmp, self.gen / IDS_FILE)


def _band_keys(m: np.ndarray, rows: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """64-bit key of each row's band [lo, hi) (equal bands, equal keys; a rare collision
    only adds a candidate, which similarity then rejects)."""
    key = np.zeros(len(rows), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(lo, hi):
            key = (key * _MIX) ^ np.asarray(m[rows, j], dtype=np.uint64)
    return key


def groups(signatures) -> dict[str, list[str]]:
    """report_id -> sorted members of its near-duplicate group (size >= 2 only), from a
    `SignatureStore` (or a dict of report id -> signature)."""
    if isinstance(signatures, SignatureStore):
        ids = list(signatures.rows)
        rows = np.fromiter(signatures.rows.values(), dtype=np.int64, count=len(ids))
        m = signatures.matrix()
    else:
        ids = list(signatures)
        rows = np.arange(len(ids))
        m = np.stack([signatures[i] for i in ids]).astype(np.uint32) if ids else np.zeros((0, NUM_PERM), np.uint32)
    n = len(ids)
    parent = np.arange(n)

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def union(x: int, y: int) -> None:
        rx, ry = find(x), find(y)
        if rx != ry:
            parent[rx] = ry

    need = int(np.ceil(THRESHOLD * NUM_PERM))  # equal values for an estimated Jaccard >= THRESHOLD
    for lo, hi in bands():
        keys = _band_keys(m, rows, lo, hi)
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        same = np.flatnonzero(keys[1:] == keys[:-1])
        if not len(same):
            continue
        # runs of equal keys: candidates among themselves
        starts = same[np.concatenate(([True], np.diff(same) > 1))]
        for a in starts.tolist():
            b = a + 1
            while b < n and keys[b] == keys[a]:
                b += 1
            members = order[a:b]
            # identical signatures are one group at once; the distinct ones pairwise
            sigs, first, inverse = np.unique(np.asarray(m[rows[members]]), axis=0, return_index=True,
                                             return_inverse=True)
            for k, u in zip(members.tolist(), inverse.ravel().tolist()):
                union(k, int(members[first[u]]))
            for i in range(1, len(sigs)):
                equal = np.count_nonzero(sigs[:i] == sigs[i], axis=1)
                for j in np.flatnonzero(equal >= need).tolist():
                    union(int(members[first[i]]), int(members[first[j]]))
    members_of: dict[int, list[str]] = {}
    for i in range(n):
        members_of.setdefault(find(i), []).append(ids[i])
    out: dict[str, list[str]] = {}
    for group in members_of.values():
        if len(group) > 1:
            group.sort()
            for rid in group:
                out[rid] = group
    return out
