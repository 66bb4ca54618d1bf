"""The Whoosh schema and the preparation of one report into index fields.

Analysis runs in the worker processes that extract pages and write segments: `prepare()`
turns a report into the keys of the character view, the word counts of the word view,
the facet metadata and the document store's record; the segment writer (writer.py)
sends each to its file.

Fields:
- ``title_c body_c unit_c`` (not Whoosh fields): the whitespace-free keys, from which the
  writer builds the character view — bigrams with positions, for exact substring matching
  (charindex.py); ``secpos`` (a column) holds the body_c position ranges of each section,
  so a section filter restricts matching to their text (execute.SectionRanges).
- ``title_w body_w unit_w`` (not Whoosh fields): word view (jieba search mode, frequencies)
  — BM25F ranking and more-like-this, packed beside the character view (charindex.py).
  (Queries run in execute.py, with numpy over both views.)
- ``meta``: a compact column of facet values read once per index generation.
- ``store`` (not a Whoosh field): the result row, the report and its text for the
  document store (docstore.py): what hits, snippets and the reading view show.
- ``report_id``, ``page``: Whoosh terms, for deleting a report or a page's reports.
"""
from __future__ import annotations

import json
import re

import numpy as np
from whoosh import columns, fields
from whoosh.codec.whoosh3 import W3Codec

from . import analysis, docstore

# Version of the index layout, kept in each generation's meta: 2 moved the character
# view out of Whoosh (charindex.py); 3 packed the postings, moved the word view out of
# Whoosh and stored reports in the document store (docstore.py). Indexes of another
# version must be rebuilt.
FORMAT = 3

SECTION_KINDS = ("前言", "总体情况", "工作做法", "存在问题", "下步打算", "结语")
HIT_FIELDS = ("source", "part", "title", "unit_name", "unit_type", "year", "genre", "site", "script",
              "publish_date")
_DROPPED = re.compile(r"\s")  # what `analysis.key_of_form` leaves out of the index form


class FastCodec(W3Codec):
    """Whoosh's codec without per-block field-length statistics (no Whoosh field is
    scored here: execute.py ranks). Light zlib."""

    length_stats = False

    def __init__(self):
        super().__init__(compression=1)


def codec() -> FastCodec:
    return FastCodec()


def make_schema() -> fields.Schema:
    return fields.Schema(
        report_id=fields.ID(unique=True),
        page=fields.ID(),  # the page's source: unit of incremental update
        meta=fields.COLUMN(columns.VarBytesColumn()),
        secpos=fields.COLUMN(columns.VarBytesColumn()),
    )


def date_key(report: dict) -> int:
    """yyyymmdd from publish_date, else the report's year; 0 when unknown."""
    date = report.get("publish_date") or ""
    if len(date) >= 10 and date[:4].isdigit():
        try:
            return int(date[:4]) * 10000 + int(date[5:7]) * 100 + int(date[8:10])
        except ValueError:
            pass
    year = report.get("year")
    return int(year) * 10000 if isinstance(year, int) else 0


def section_spans(body: str, offsets: list[int], sections: list[dict]) -> list[list]:
    """[kind, start, end) spans of section texts in index-form coordinates of `body`."""
    import bisect

    spans, cursor = [], 0
    for sec in sections:
        text = (sec.get("text") or "").strip()
        if not text:
            continue
        at = body.find(text, cursor)
        if at < 0:
            at = body.find(text)
            if at < 0:
                continue
        cursor = at + len(text)
        # offsets is non-decreasing: the first index-form position at or after `at`.
        a = bisect.bisect_left(offsets, at)
        b = bisect.bisect_left(offsets, at + len(text))
        spans.append([sec.get("kind") or "", a, b])
    return spans


def prepare(report: dict, page_hash: str, page: str, user_dict: str | None = None) -> dict:
    """Field values for one report (a `Report.to_json()` dict)."""
    body = report.get("body") or ""
    title = report.get("title") or ""
    unit = report.get("unit_name") or ""
    form, offsets = analysis.index_form_with_offsets(body)
    body_key = analysis.key_of_form(form)
    title_key, unit_key = analysis.key(title), analysis.key(unit)
    drops = [m.start() for m in _DROPPED.finditer(form)]

    sections = report.get("sections") or []
    spans = section_spans(body, offsets, sections)
    # Key position of each index-form position: the body_c positions sections map onto.
    kept = np.ones(len(form) + 1, dtype=np.int64)
    kept[drops] = 0
    key_pos = np.concatenate(([0], np.cumsum(kept[:-1])))
    secpos = [[kind, int(key_pos[a]), int(key_pos[b])] for kind, a, b in spans]
    kinds = sorted({sec.get("kind") for sec in sections if sec.get("kind")})

    chars = {"title_c": title_key, "body_c": body_key, "unit_c": unit_key}
    words = {"title_w": analysis.word_counts(title_key, user_dict),
             "body_w": analysis.word_counts(body_key, user_dict),
             "unit_w": analysis.word_counts(unit_key, user_dict)}
    lengths = {name: len(k) for name, k in chars.items()}
    lengths.update((name, sum(counts.values())) for name, counts in words.items())
    row = {"id": report["report_id"], **{k: report.get(k) for k in HIT_FIELDS},
           "page_hash": page_hash, "spans": spans}
    doc = {
        "report_id": report["report_id"],
        "page": page,
        **chars,  # keys: the writer turns them into the character view (charindex.py)
        # {word: count}: the embedded build sends them encoded (charindex.encode_words),
        # other backends index the words themselves (backends.base)
        **words,
        "meta": json.dumps({
            "id": report["report_id"], "unit_type": report.get("unit_type"),
            "year": report.get("year"), "genre": report.get("genre"), "site": report.get("site"),
            "script": report.get("script"), "section": kinds, "date": date_key(report),
            "hash": report.get("content_hash"), "page_hash": page_hash, "page": page,
            "len": lengths,
        }, ensure_ascii=False).encode("utf-8"),
        "secpos": json.dumps(secpos, ensure_ascii=False).encode("utf-8"),
        "store": docstore.prepare(report, row, form, drops, offsets),
    }
    doc["_key"] = body_key  # for the MinHash signature; not a field
    return doc
