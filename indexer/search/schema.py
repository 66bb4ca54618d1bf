"""The Whoosh schema and the preparation of one report into index fields.

Analysis runs in the worker processes that extract pages and write segments: `prepare()`
turns a report into *pre-tokenized* postings (term, frequency, weight, encoded value)
that the `Pretokenized` field type hands to Whoosh unchanged, plus the keys of the
character view.

Fields:
- ``title_c body_c unit_c`` (not Whoosh fields): the whitespace-free keys, from which the
  writer builds the character view — bigrams with positions, for exact substring matching
  (charindex.py); ``secpos`` (a column) holds the body_c position ranges of each section,
  so a section filter restricts matching to their text (execute.SectionRanges).
- ``title_w body_w unit_w``: word view (jieba search mode, frequencies) — BM25F ranking.
  (Queries run in execute.py, with numpy over both views.)
- ``meta``: a compact column of facet values read once per index generation.
- ``hit`` / ``blob``: stored display fields / compressed full report with its normalized
  body, offset map and section spans (for snippets without re-tokenizing).
"""
from __future__ import annotations

import itertools
import json
import zlib

from whoosh import columns, fields, formats
from whoosh.codec.whoosh3 import W3Codec
from whoosh.system import pack_uint

from . import analysis

# Version of the index layout, kept in each generation's meta: 2 moved the character
# view out of Whoosh (charindex.py). Indexes of another version must be rebuilt.
FORMAT = 2

SECTION_KINDS = ("前言", "总体情况", "工作做法", "存在问题", "下步打算", "结语")


class Pretokenized(fields.FieldType):
    """A field whose value is already a list of (term, freq, weight, encoded value)."""

    scorable = True
    stored = False
    unique = False
    multitoken_query = "phrase"
    vector = None
    analyzer = None

    def __init__(self):
        self.format = formats.Frequency()

    def index(self, value, **kwargs):
        for term, freq, weight, encoded in value:
            yield term.encode("utf-8"), freq, weight, encoded

    def self_parsing(self):
        return False

    def process_text(self, qstring, mode="", **kwargs):
        return iter([qstring])


class FastCodec(W3Codec):
    """Whoosh's codec without per-block field-length statistics: gathering them costs a
    column lookup per posting when a segment is written, and they only serve Whoosh's
    block-skipping scorer, which searches here do not use (execute.py). Light zlib."""

    length_stats = False

    def __init__(self):
        super().__init__(compression=1)


def codec() -> FastCodec:
    return FastCodec()


def make_schema() -> fields.Schema:
    word_fields = {name: Pretokenized() for name in ("title_w", "body_w", "unit_w")}
    return fields.Schema(
        report_id=fields.ID(stored=True, unique=True),
        page=fields.ID(stored=True),  # the page's source: unit of incremental update
        meta=fields.COLUMN(columns.VarBytesColumn()),
        secpos=fields.COLUMN(columns.VarBytesColumn()),
        hit=fields.STORED(),
        blob=fields.STORED(),
        **word_fields,
    )


def word_postings(k: str, user_dict: str | None) -> list[tuple]:
    counts = analysis.word_counts(k, user_dict)
    return [(t, n, float(n), pack_uint(n)) for t, n in counts.items()]


def _length(postings: list[tuple]) -> int:
    return sum(p[1] for p in postings)


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
    """Whoosh field values for one report (a `Report.to_json()` dict)."""
    body = report.get("body") or ""
    title = report.get("title") or ""
    unit = report.get("unit_name") or ""
    form, offsets = analysis.index_form_with_offsets(body)
    body_key = analysis.key_of_form(form)
    title_key, unit_key = analysis.key(title), analysis.key(unit)
    identity = offsets[:-1] == list(range(len(form))) and offsets[-1] == len(body)

    sections = report.get("sections") or []
    spans = section_spans(body, offsets, sections)
    # Key position of each index-form position: the body_c positions sections map onto.
    key_pos = list(itertools.accumulate((c != " " for c in form), initial=0))
    secpos = [[kind, key_pos[a], key_pos[b]] for kind, a, b in spans]
    kinds = sorted({sec.get("kind") for sec in sections if sec.get("kind")})

    chars = {"title_c": title_key, "body_c": body_key, "unit_c": unit_key}
    words = {"title_w": word_postings(title_key, user_dict), "body_w": word_postings(body_key, user_dict),
             "unit_w": word_postings(unit_key, user_dict)}
    lengths = {name: len(k) for name, k in chars.items()}
    lengths.update((name, _length(postings)) for name, postings in words.items())
    doc = {
        "report_id": report["report_id"],
        "page": page,
        **chars,  # keys: the writer turns them into the character view (charindex.py)
        **words,
        "meta": json.dumps({
            "id": report["report_id"], "unit_type": report.get("unit_type"),
            "year": report.get("year"), "genre": report.get("genre"), "site": report.get("site"),
            "script": report.get("script"), "section": kinds, "date": date_key(report),
            "hash": report.get("content_hash"), "page_hash": page_hash, "page": page,
            "len": lengths,
        }, ensure_ascii=False).encode("utf-8"),
        "secpos": json.dumps(secpos, ensure_ascii=False).encode("utf-8"),
        "hit": {k: report.get(k) for k in ("source", "part", "title", "unit_name", "unit_type",
                                           "year", "genre", "site", "script", "publish_date")},
        "blob": zlib.compress(json.dumps({
            "report": report, "norm": form, "offsets": None if identity else offsets,
            "spans": spans,
        }, ensure_ascii=False).encode("utf-8"), 6),
    }
    doc["_key"] = body_key  # for the MinHash signature; not a field
    return doc


def unpack_blob(blob: bytes) -> dict:
    return json.loads(zlib.decompress(blob))
