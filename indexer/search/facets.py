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
# Year facets derived from the date columns: the publish date's year, and the timeline's
# year (the report's year, else its publish year).
DERIVED = ("publish_year", "timeline")
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
    page: np.ndarray  # int32 source page per doc (-1: none): a page's parts share it
    parts: np.ndarray  # int32 number of live reports from the doc's page

    def publish_date(self) -> np.ndarray:
        """yyyymmdd of the publish date, 0 where the page had none (`date` falls back
        to the report's year as yyyy0000, which is no publish date)."""
        return np.where(self.date % 10000 != 0, self.date, 0)


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
    page = np.full(n, -1, dtype=np.int32)
    page_index: dict[str, int] = {}
    for docnum in np.flatnonzero(live):
        meta = json.loads(col[int(docnum)])
        report_ids[docnum] = meta["id"]
        if meta.get("page") is not None:
            page[docnum] = page_index.setdefault(str(meta["page"]), len(page_index))
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
    publish_year = np.where(date % 10000 != 0, date // 10000, 0)
    for f, years in (("publish_year", publish_year),
                     ("timeline", np.where(year_num > 0, year_num, publish_year))):
        raw_codes[f], values[f] = _year_codes(years)
    parts = np.ones(n, dtype=np.int32)
    paged = page >= 0
    if paged.any():
        parts[paged] = np.bincount(page[paged])[page[paged]]
    return Columns(n, live, report_ids, doc_of, raw_codes, values, sections, kinds, date,
                   group, groups, year_num, lengths, page, parts)


def _year_codes(years: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Codes and values of a year column (0: unknown, code -1)."""
    known = years > 0
    distinct = np.unique(years[known])
    codes = np.full(len(years), -1, dtype=np.int32)
    codes[known] = np.searchsorted(distinct, years[known])
    return codes, [str(int(y)) for y in distinct]


def date_bound(value: str, upper: bool) -> int:
    """yyyymmdd of a YYYY, YYYY-MM or YYYY-MM-DD bound (the period's last day when
    `upper`); ValueError for anything else."""
    parts = value.strip().split("-")
    if not (1 <= len(parts) <= 3 and len(parts[0]) == 4
            and all(p.isdigit() and p.isascii() for p in parts) and all(len(p) == 2 for p in parts[1:])):
        raise ValueError(f"not a date (YYYY, YYYY-MM or YYYY-MM-DD): {value!r}")
    year, month, day = int(parts[0]), *(int(p) for p in parts[1:]), *([None] * (3 - len(parts)))
    if month is not None and not 1 <= month <= 12 or day is not None and not 1 <= day <= 31:
        raise ValueError(f"not a date: {value!r}")
    month = month or (12 if upper else 1)
    day = day or (31 if upper else 1)
    return year * 10000 + month * 100 + day


def date_mask(cols: Columns, date_from: str, date_to: str) -> np.ndarray | None:
    """Docs published within [date_from, date_to] (either may be ""); None: no range."""
    if not date_from and not date_to:
        return None
    published = cols.publish_date()
    mask = published > 0
    if date_from:
        mask &= published >= date_bound(date_from, upper=False)
    if date_to:
        mask &= published <= date_bound(date_to, upper=True)
    return mask


def collapsed_total(cols: Columns, mask: np.ndarray) -> int:
    """Reports under `mask` (a boolean mask, or document numbers) with each
    near-duplicate group counted once: the total a collapsed search shows."""
    groups = cols.group[mask]
    if not cols.groups:
        return len(groups)
    grouped = groups[groups >= 0]
    # groups present: a count per group, not a sort (hundreds of thousands of reports)
    return len(groups) - len(grouped) + int(np.count_nonzero(np.bincount(grouped, minlength=len(cols.groups))))


# (code, group) pairs are counted in a table of this many cells at most; beyond, sorted
PAIR_TABLE_CELLS = 1 << 22


def _collapsed_bincount(cols: Columns, codes: np.ndarray, docs: np.ndarray, size: int) -> np.ndarray:
    """Per code: the docs having it, each near-duplicate group counted once."""
    if not cols.groups:
        return np.bincount(codes, minlength=size)
    groups = cols.group[docs]
    alone = groups < 0
    counts = np.bincount(codes[alone], minlength=size)
    width = len(cols.groups)
    pairs = codes[~alone].astype(np.int64) * width + groups[~alone]
    if size * width <= PAIR_TABLE_CELLS:
        present = np.flatnonzero(np.bincount(pairs, minlength=size * width))
    else:
        present = np.unique(pairs)
    return counts + np.bincount(present // width, minlength=size)


def filter_mask(cols: Columns, facet: str, selected: list[str],
                collections: Mapping[str, set[str]] | None) -> np.ndarray | None:
    """Docs passing one facet's selection (OR of its values); None = no restriction."""
    if not selected:
        return None
    if facet in CODED or facet in DERIVED:
        wanted = [cols.values[facet].index(v) for v in selected if v in cols.values[facet]]
        if not wanted:
            return np.zeros(cols.n, dtype=bool)
        # a table of the codes wanted, looked up by code (+1: code -1, no value, at 0)
        table = np.zeros(len(cols.values[facet]) + 1, dtype=bool)
        table[np.asarray(wanted) + 1] = True
        return table[cols.codes[facet] + 1]
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
          collections: Mapping[str, set[str]] | None, collapse: bool = False) -> list[tuple[str, int]]:
    """(value, count) of reports under `mask` (a boolean mask over document numbers, or
    the ascending document numbers themselves: a query's matches are often few next to
    the index), most frequent first, zero counts left out.

    With `collapse`, a near-duplicate group counts once per value, as the collapsed
    total does: a value's count is the total that selecting it gives."""
    docs = np.flatnonzero(mask) if mask.dtype == bool else mask

    def total(d: np.ndarray) -> int:
        return collapsed_total(cols, d) if collapse else len(d)

    pairs: list[tuple[str, int]] = []
    if facet in CODED or facet in DERIVED:
        codes, size = cols.codes[facet][docs], len(cols.values[facet])
        valued = codes >= 0
        docs, codes = docs[valued], codes[valued]
        counts = _collapsed_bincount(cols, codes, docs, size) if collapse \
            else np.bincount(codes, minlength=size)
        pairs = [(cols.values[facet][i], int(c)) for i, c in enumerate(counts) if c]
    elif facet == "section":
        bits = cols.sections[docs]
        pairs = [(kind, total(docs[(bits & (1 << i)) != 0])) for i, kind in enumerate(cols.kinds)]
        pairs = [p for p in pairs if p[1]]
    elif facet == "collection":
        for cid, members in (collections or {}).items():
            member = np.zeros(cols.n, dtype=bool)
            member[[cols.doc_of[r] for r in members if r in cols.doc_of]] = True
            pairs.append((cid, total(docs[member[docs]])))
        return sorted(pairs, key=lambda p: (-p[1], p[0]))
    if facet in ("year", "publish_year", "timeline"):
        return sorted(pairs, key=lambda p: p[0], reverse=True)
    return sorted(pairs, key=lambda p: (-p[1], p[0]))
