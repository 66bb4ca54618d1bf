"""Near-duplicate detection: MinHash over normalized character shingles (datasketch).

Signatures are computed in the worker processes (`signature`), stored per index
generation (`minhash.npz`), and grouped after every build or update (`groups`):
LSH finds candidate pairs above the Jaccard threshold, union-find turns pairs into
groups. Only groups of two or more reports are kept.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .charindex import code_points

NUM_PERM = 64
SHINGLE = 5
THRESHOLD = 0.8
SCHEME = "affine32"


_MIX = np.uint64(0x100000001B3)  # FNV-1a's 64-bit prime


def shingle_hashes(k: str) -> np.ndarray:
    """32-bit hashes of the distinct 5-character shingles of a key, computed with numpy
    over the code points (a per-shingle Python hash call was a tenth of a build's
    time); the key itself when it is shorter than a shingle."""
    chars = code_points(k)
    if not len(chars):
        return np.zeros(0, dtype=np.uint64)
    width = min(SHINGLE, len(chars))
    count = len(chars) - width + 1
    h = chars[:count].copy()
    with np.errstate(over="ignore"):  # wrapping multiplication is the point
        for j in range(1, width):
            h = (h * _MIX) ^ chars[j:j + count]
    return np.unique((h ^ (h >> np.uint64(32))) & np.uint64(0xFFFFFFFF))


def signature(k: str) -> np.ndarray:
    """MinHash hash values of a key's 5-character shingles (datasketch applies its
    permutations to the precomputed shingle hashes)."""
    from datasketch import MinHash

    mh = MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME, hashfunc=int)
    hashes = shingle_hashes(k)
    if len(hashes):
        mh.update_batch(hashes.tolist())
    return mh.hashvalues.astype(np.uint64)


def groups(signatures: dict[str, np.ndarray]) -> dict[str, list[str]]:
    """report_id -> sorted members of its near-duplicate group (size >= 2 only)."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    parent = {rid: rid for rid in signatures}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    sketches = {}
    for rid, values in signatures.items():
        mh = MinHash(num_perm=NUM_PERM, seed=1, hashvalues=values, scheme=SCHEME)
        sketches[rid] = mh
        for other in lsh.query(mh):
            # LSH gives candidates; confirm with the estimated Jaccard similarity.
            if mh.jaccard(sketches[other]) >= THRESHOLD:
                parent[find(other)] = find(rid)
        lsh.insert(rid, mh)
    members: dict[str, list[str]] = {}
    for rid in signatures:
        members.setdefault(find(rid), []).append(rid)
    out: dict[str, list[str]] = {}
    for group in members.values():
        if len(group) > 1:
            group.sort()
            for rid in group:
                out[rid] = group
    return out


def save_signatures(path: Path, signatures: dict[str, np.ndarray]) -> None:
    ids = sorted(signatures)
    matrix = np.stack([signatures[i] for i in ids]) if ids else np.zeros((0, NUM_PERM), np.uint64)
    with open(path, "wb") as fh:
        np.savez(fh, ids=np.array(ids, dtype=str), values=matrix)


def load_signatures(path: Path) -> dict[str, np.ndarray]:
    if not path.exists():
        return {}
    with np.load(path) as data:
        return {str(i): v for i, v in zip(data["ids"], data["values"])}
