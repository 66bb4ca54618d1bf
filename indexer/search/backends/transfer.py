"""Copy the reports of an embedded index into another backend, as one new generation.

The documents are analysed again with `schema.prepare` (the one analysis path), in the
embedded index's document order (the tie-break order), with its near-duplicate groups:
both backends then hold the same documents, which is what the comparison of their
answers (scripts/bench_sphinx, tests/test_sphinx_backend.py) needs.
"""
from __future__ import annotations

import json
import time
from typing import Iterator

from .base import AnalyzedDoc, from_prepared


def _analysed(root: str, doc: int) -> AnalyzedDoc:
    from ..engine import Index
    from ..schema import prepare

    global _INDEX
    if _INDEX is None or str(_INDEX.root) != root:
        _INDEX = Index(root)
    st = _INDEX.state()
    report = st.store.report(doc)
    return from_prepared(prepare(report, st.store.row(doc).get("page_hash") or "", "", st.user_dict), doc)


_INDEX = None  # the generation a worker process analyses (opened once per process)


def embedded_docs(index, jobs: int = 1) -> Iterator[AnalyzedDoc]:
    """AnalyzedDoc of every live report of an open embedded `Index`, in document order
    (each report as its document store holds it, analysed again by `schema.prepare`);
    `jobs` > 1: analysed in that many worker processes, streamed in order."""
    st = index.state()
    docs = [d for d in range(st.cols.n) if st.cols.live[d]]
    if jobs <= 1:
        from ..schema import prepare

        for doc in docs:
            report = st.store.report(doc)
            yield from_prepared(prepare(report, st.store.row(doc).get("page_hash") or "", "", st.user_dict), doc)
        return
    import functools
    import multiprocessing

    work = functools.partial(_analysed, str(index.root))
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        yield from pool.imap(work, docs, chunksize=8)


def copy_index(index, backend, note: dict | None = None, jobs: int = 1) -> dict:
    """Build, check and publish a generation of `backend` holding the embedded index's
    reports (analysed in `jobs` processes while the writes run); counts and timings."""
    st = index.state()
    path = st.gen / "dups.json"
    groups = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    start = time.perf_counter()
    gen = backend.begin()
    try:
        n = gen.add(embedded_docs(index, jobs))
        written = time.perf_counter()
        gen.set_groups(groups)
        gen.commit()
        gen.publish(note or {})
    except BaseException:
        gen.drop()
        raise
    done = time.perf_counter()
    return {"documents": n, "seconds": round(done - start, 2), "analysis_and_writes_seconds": round(written - start, 2),
            "groups_commit_publish_seconds": round(done - written, 2),
            "docs_per_s": round(n / max(done - start, 1e-9), 1)}
