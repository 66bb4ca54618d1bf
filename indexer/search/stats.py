"""`dangan index stats`: what an index holds, and what its generation's bytes are made of."""
from __future__ import annotations

import json

import numpy as np

from . import facets
from .engine import Index


def component_sizes(st) -> dict[str, int]:
    """Bytes of the generation per component: the character and word views (terms and
    packed lists), the document store's parts, Whoosh's own files, near-duplicate data
    and the rest."""
    out: dict[str, int] = {}

    def add(name: str, n: int) -> None:
        out[name] = out.get(name, 0) + int(n)

    for seg, _offset in st.executor.post.segs:
        for name, n in seg.component_bytes().items():
            add(name, n)
    for name, n in st.store.nbytes().items():
        add(f"store.{name}", n)
    accounted = sum(out.values())
    files = {"chars": 0, "docs": 0}
    for p in st.gen.iterdir():
        if not p.is_file():
            continue
        size = p.stat().st_size
        ext = p.suffix.lstrip(".")
        if ext in files:
            files[ext] += size
        elif p.name in ("minhash.sig", "minhash.json", "dups.json"):
            add("near_duplicates", size)
        elif p.name.startswith("MAIN_") or p.name.startswith("_MAIN_"):
            add("whoosh", size)
        else:
            add("other", size)
    # headers and alignment of the array files
    add("file_overhead", files["chars"] + files["docs"] - accounted)
    return out


def index_stats(index: Index) -> dict:
    st = index.state()
    cols = st.cols
    size = sum(p.stat().st_size for p in st.gen.iterdir() if p.is_file())
    return {
        "index": str(index.root),
        "generation": st.gen.name,
        "reports": int(cols.live.sum()),
        "size_bytes": size,
        "segments": st.segments,
        "dictionary_version": st.meta.get("dictionary_version"),
        "user_dictionary": bool(st.meta.get("user_dict")),
        "normalization": st.meta.get("normalization"),
        "synonyms_version": st.meta.get("synonyms_version"),
        "built_at": st.meta.get("built_at"),
        "duplicate_groups": len(cols.groups),
        "reports_in_duplicate_groups": int(np.count_nonzero(cols.live & (cols.group >= 0))),
        "size_by_component": dict(sorted(component_sizes(st).items())),
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
