"""Compact per-document facet columns, loaded once per index generation.

Facet counts and filters work on numpy arrays indexed by Whoosh document number,
so counting over every matched report costs a few vector operations instead of
Whoosh's `groupedby` (which scores and sorts every match).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from .schema import SECTION_KINDS

CODED = ("unit_type", "year", "genre", "site", "script")
LENGTH_FIELDS = ("title_c", "body_c", "unit_c", "title_w", "body_w", "unit_w")


@dataclass
class Columns:
    n: int
    live: np.ndarray  # bool: not deleted
    report_ids: list[str | None]
    doc_of: dict[str, int]
    codes: dict[str, np.ndarray]  # facet -> int32 code per doc (-1: none)
    values: dict[str, list[str]]  # facet -> value of each code
    sections: np.ndarray  # int64 bitmask of section kinds per doc
    kinds: list[str]  # bit i <-> kinds[i]
    date: np.ndarray  # int64 yyyymmdd (0 unknown)
    group: np.ndarray  # int32 near-duplicate group per doc (-1: none)
    groups: list[list[str]]
    year_num: np.ndarray  # int64 year (0 unknown)
    lengths: dict[str, np.ndarray]  # field -> float64 field length per doc (BM25)


def load(reader, dups: Mapping[str, list[str]]) -> Columns:
    n = reader.doc_count_all()
    live = np.zeros(n, dtype=bool)
    live[list(reader.all_doc_ids())] = True
    col = reader.column_reader("meta")
    report_ids: list[str | None] = [None] * n
    raw_codes = {f: np.full(n, -1, dtype=np.int32) for f in CODED}
    value_index: dict[str, dict[str, int]] = {f: {} for f in CODED}
    kinds = list(SECTION_KINDS)
    kind_bit = {k: i for i, k in enumerate(kinds)}
    sections = np.zeros(n, dtype=np.int64)
    date = np.zeros(n, dtype=np.int64)
    year_num = np.zeros(n, dtype=np.int64)
    lengths = {f: np.zeros(n) for f in LENGTH_FIELDS}
    for docnum in np.flatnonzero(live):
        meta = json.loads(col[int(docnum)])
        report_ids[docnum] = meta["id"]
        for f in CODED:
            value = meta.get(f)
            if value is None or value == "":
                continue
            value = str(value)
            idx = value_index[f].setdefault(value, len(value_index[f]))
            raw_codes[f][docnum] = idx
        mask = 0
        for kind in meta.get("section") or ():
            if kind not in kind_bit and len(kinds) < 63:
                kind_bit[kind] = len(kinds)
                kinds.append(kind)
            if kind in kind_bit:
                mask |= 1 << kind_bit[kind]
        sections[docnum] = mask
        date[docnum] = meta.get("date") or 0
        if isinstance(meta.get("year"), int):
            year_num[docnum] = meta["year"]
        for f, value in (meta.get("len") or {}).items():
            if f in lengths:
                lengths[f][docnum] = value
    doc_of = {rid: i for i, rid in enumerate(report_ids) if rid is not None}
    group = np.full(n, -1, dtype=np.int32)
    groups: list[list[str]] = []
    seen: dict[tuple, int] = {}
    for rid, members in dups.items():
        if rid in doc_of:
            gid = seen.setdefault(tuple(members), len(seen))
            if gid == len(groups):
                groups.append(list(members))
            group[doc_of[rid]] = gid
    values = {f: [v for v, _ in sorted(value_index[f].items(), key=lambda kv: kv[1])] for f in CODED}
    return Columns(n, live, report_ids, doc_of, raw_codes, values, sections, kinds, date,
                   group, groups, year_num, lengths)


def filter_mask(cols: Columns, facet: str, selected: list[str],
                collections: Mapping[str, set[str]] | None) -> np.ndarray | None:
    """Docs passing one facet's selection (OR of its values); None = no restriction."""
    if not selected:
        return None
    if facet in CODED:
        wanted = [cols.values[facet].index(v) for v in selected if v in cols.values[facet]]
        return np.isin(cols.codes[facet], wanted) if wanted else np.zeros(cols.n, dtype=bool)
    if facet == "section":
        bits = 0
        for v in selected:
            if v in cols.kinds:
                bits |= 1 << cols.kinds.index(v)
        return (cols.sections & bits) != 0
    if facet == "collection":
        mask = np.zeros(cols.n, dtype=bool)
        for cid in selected:
            for rid in (collections or {}).get(cid, ()):
                doc = cols.doc_of.get(rid)
                if doc is not None:
                    mask[doc] = True
        return mask
    raise ValueError(f"unknown facet {facet!r}")


def count(cols: Columns, facet: str, mask: np.ndarray,
          collections: Mapping[str, set[str]] | None) -> list[tuple[str, int]]:
    """(value, count) of reports under `mask`, most frequent first, zero counts left out."""
    pairs: list[tuple[str, int]] = []
    if facet in CODED:
        codes = cols.codes[facet][mask]
        counts = np.bincount(codes[codes >= 0], minlength=len(cols.values[facet]))
        pairs = [(cols.values[facet][i], int(c)) for i, c in enumerate(counts) if c]
    elif facet == "section":
        bits = cols.sections[mask]
        pairs = [(kind, int(np.count_nonzero(bits & (1 << i)))) for i, kind in enumerate(cols.kinds)]
        pairs = [p for p in pairs if p[1]]
    elif facet == "collection":
        for cid, members in (collections or {}).items():
            docs = [cols.doc_of[r] for r in members if r in cols.doc_of]
            pairs.append((cid, int(np.count_nonzero(mask[docs])) if docs else 0))
        return sorted(pairs, key=lambda p: (-p[1], p[0]))
    if facet == "year":
        return sorted(pairs, key=lambda p: p[0], reverse=True)
    return sorted(pairs, key=lambda p: (-p[1], p[0]))
