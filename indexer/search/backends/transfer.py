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


def embedded_docs(index) -> Iterator[AnalyzedDoc]:
    """AnalyzedDoc of every live report of an open embedded `Index`, in document order
    (each report as its document store holds it, analysed again by `schema.prepare`)."""
    from ..schema import prepare

    st = index.state()
    for doc in range(st.cols.n):
        if not st.cols.live[doc]:
            continue
        report = st.store.report(doc)
        prepared = prepare(report, st.store.row(doc).get("page_hash") or "", "", st.user_dict)
        yield from_prepared(prepared, doc)


def copy_index(index, backend, note: dict | None = None) -> dict:
    """Build, check and publish a generation of `backend` holding the embedded index's
    reports; returns counts and timings (analysis and writes apart)."""
    st = index.state()
    path = st.gen / "dups.json"
    groups = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    start = time.perf_counter()
    docs = list(embedded_docs(index))
    analysed = time.perf_counter()
    gen = backend.begin()
    try:
        n = gen.add(docs)
        gen.set_groups(groups)
        gen.commit()
        gen.publish(note or {})
    except BaseException:
        gen.drop()
        raise
    done = time.perf_counter()
    return {"documents": n, "analysis_seconds": round(analysed - start, 2),
            "write_seconds": round(done - analysed, 2), "docs_per_s_written": round(n / max(done - analysed, 1e-9), 1)}
