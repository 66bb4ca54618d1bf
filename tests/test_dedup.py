"""Near-duplicate groups from the on-disk signature store equal datasketch's own LSH
(insert, query, confirm by Jaccard, union) over the same live reports; the store keeps
rows across save and reopen (an update's copy), and replaced or deleted reports drop out."""
from __future__ import annotations

import random

import pytest

from indexer.search import dedup, kernels


@pytest.fixture(params=["numpy", "compiled"])
def kernel_side(request):
    """Each test once with numpy's MinHash loop, once with the compiled one."""
    side = kernels.NumpyKernels if request.param == "numpy" else kernels.compiled()
    assert side is not None, "numba is a dependency: the compiled kernels must load"
    with kernels.forced(side):
        yield request.param


def _reference(signatures: dict) -> dict[str, list[str]]:
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=dedup.THRESHOLD, num_perm=dedup.NUM_PERM)
    parent = {rid: rid for rid in signatures}

    def find(x):
        while parent[x] != x:
            x = parent[x]
        return x

    sketches = {}
    for rid, values in signatures.items():
        mh = MinHash(num_perm=dedup.NUM_PERM, seed=1, hashvalues=values, scheme=dedup.SCHEME)
        sketches[rid] = mh
        for other in lsh.query(mh):
            if mh.jaccard(sketches[other]) >= dedup.THRESHOLD:
                parent[find(other)] = find(rid)
        lsh.insert(rid, mh)
    members: dict = {}
    for rid in signatures:
        members.setdefault(find(rid), []).append(rid)
    return {rid: sorted(g) for g in members.values() if len(g) > 1 for rid in g}


def _texts(rng: random.Random) -> dict[str, str]:
    alphabet = "意识形态工作责任制清华大学学习教育党建宣传阵地管理落实主体"
    out = {}
    for i in range(60):
        base = "".join(rng.choice(alphabet) for _ in range(rng.randint(20, 600)))
        out[f"d{i:03d}"] = base
        for j in range(rng.choice([0, 0, 1, 2, 3])):  # near copies: a few characters changed
            chars = list(base)
            for _ in range(rng.randint(0, max(1, len(chars) // 60))):
                chars[rng.randrange(len(chars))] = rng.choice(alphabet)
            out[f"d{i:03d}-{j}"] = "".join(chars)
        if rng.random() < 0.2:
            out[f"d{i:03d}-same"] = base
    return out


def test_groups_equal_datasketch_lsh_and_survive_reopen(tmp_path):
    rng = random.Random(2)
    texts = _texts(rng)
    sigs = {rid: dedup.signature(t) for rid, t in texts.items()}
    store = dedup.SignatureStore(tmp_path)
    for rid, sig in sigs.items():
        store[rid] = sig
    # a replaced report (new row) and a deleted one
    replaced = next(iter(sigs))
    sigs[replaced] = dedup.signature(texts[replaced][::-1])
    store[replaced] = sigs[replaced]
    deleted = sorted(sigs)[5]
    store.pop(deleted)
    del sigs[deleted]
    want = _reference(sigs)
    assert len({tuple(g) for g in want.values()}) >= 5
    assert dedup.groups(store) == want
    store.save()
    again = dedup.SignatureStore(tmp_path)  # as an update opens its copy
    assert dedup.groups(again) == want
    extra = dedup.signature(texts[sorted(texts)[10]])
    again["late"] = extra
    sigs["late"] = extra
    assert dedup.groups(again) == _reference(sigs)


def test_signature_is_datasketch_minhash_of_the_distinct_shingles(kernel_side):
    import numpy as np
    from datasketch import MinHash

    rng = random.Random(8)
    for text in list(_texts(rng).values())[:40] + ["", "意", "意识形态"]:
        mh = MinHash(num_perm=dedup.NUM_PERM, seed=1, scheme=dedup.SCHEME, hashfunc=int)
        distinct = np.unique(dedup.shingle_hashes(text))
        if len(distinct):
            mh.update_batch(distinct.tolist())
        assert np.array_equal(dedup.signature(text), mh.hashvalues.astype(np.uint64)), text


def test_signature_of_a_long_report_is_the_one_batch_minhash(kernel_side):
    """numpy permutes shingles in bounded chunks (one batch of a 1.7M-character report
    took 870 MB); the signature is the same as one batch over all of them."""
    import numpy as np
    from datasketch import MinHash

    rng = random.Random(9)
    text = "".join(rng.choice("意识形态工作责任制落实情况报告党委政府学习教育") for _ in range(3 * (1 << 16) + 77))
    mh = MinHash(num_perm=dedup.NUM_PERM, seed=1, scheme=dedup.SCHEME, hashfunc=int)
    mh.update_batch(dedup.shingle_hashes(text))
    assert len(dedup.shingle_hashes(text)) > 3 * (1 << 16)
    assert np.array_equal(dedup.signature(text), mh.hashvalues.astype(np.uint64))
