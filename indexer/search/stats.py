"""`dangan index stats`: what an index holds."""
from __future__ import annotations

import json

import numpy as np

from . import facets
from .engine import Index


def index_stats(index: Index) -> dict:
    st = index.state()
    cols = st.cols
    size = sum(p.stat().st_size for p in st.gen.iterdir() if p.is_file())
    with st.lock:
        segments = len(st.searcher.reader().leaf_readers())
    return {
        "index": str(index.root),
        "generation": st.gen.name,
        "reports": int(cols.live.sum()),
        "size_bytes": size,
        "segments": segments,
        "dictionary_version": st.meta.get("dictionary_version"),
        "user_dictionary": bool(st.meta.get("user_dict")),
        "built_at": st.meta.get("built_at"),
        "duplicate_groups": len(cols.groups),
        "reports_in_duplicate_groups": int(np.count_nonzero(cols.live & (cols.group >= 0))),
        "facets": {f: dict(facets.count(cols, f, cols.live, None))
                   for f in ("unit_type", "section", "year", "genre", "site", "script")},
    }


SKIPS_FILE = "skipped.jsonl"


def skipped_inputs(index: Index) -> list[dict]:
    """Every input the current generation's build skipped, with its reason
    ({"source", "reason"}): from the generation's ``skipped.jsonl`` when the build wrote
    one, else the ``skipped`` list of its meta.json; [] when the build recorded none."""
    st = index.state()
    path = st.gen / SKIPS_FILE
    rows = []
    if path.is_file():
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    rows.append(json.loads(line))
                except ValueError:
                    continue
    else:
        rows = st.meta.get("skipped") or []
    return [{"source": str(r.get("source", "")), "reason": str(r.get("reason", ""))}
            for r in rows if isinstance(r, dict)]
