"""The search contract between the engine and a backend: a DRAFT.

To be finalized once the performance rework of ``indexer/search/`` lands (compact
postings, a memory-mapped document store that any backend can use, matching separated
from rendering). What is fixed already:

- Documents reach a backend pre-analyzed (`AnalyzedDoc`): the keys of the character view,
  the word view's counts, section ranges, facet values, lengths and the tie-break order.
  Normalization (`indexer.normalize`) and segmentation (`analysis`) run above the seam, so
  every backend indexes the same tokens and answers the same queries.
- Display comes from a document store keyed by ``report_id``: a backend returns ids,
  scores and duplicate groups, never HTML; snippets are built by our own code from the
  stored normalized text and offset map, whatever the backend.
- A backend that cannot answer *correctly* (a shard down, too many matches to rank
  exactly) raises `BackendUnavailable` / `BackendError` with a message naming the cause:
  it never returns partial results as if they were complete.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Protocol

from ..model import SearchRequest


class BackendError(Exception):
    """A query or write the backend refused (bad input, over a limit)."""


class BackendUnavailable(BackendError):
    """A node or shard cannot be reached: the web layer answers 503 with this message."""


@dataclass
class AnalyzedDoc:
    """One report in index form, as every backend receives it.

    ``keys``: the whitespace-free keys (``title_c``, ``body_c``, ``unit_c``) on which phrase
    (substring) semantics are defined. ``words``: per word field (``title_w``, ``body_w``,
    ``unit_w``) the jieba search-mode word counts. ``sections``: ``(kind, start, end)``
    ranges of body_c key positions. ``lengths``: BM25 field lengths (characters of a key,
    word occurrences of a word field). ``order``: the tie-break position among equal
    scores and dates (the document order of the generation). ``group``: the near-duplicate
    group's members (report ids), empty when the report has no near-duplicate.
    """

    report_id: str
    order: int
    keys: dict[str, str]
    words: dict[str, dict[str, int]]
    sections: list[tuple[str, int, int]]
    facets: dict[str, object]  # unit_type, year, genre, site, script (None when unknown)
    section_kinds: list[str]
    date: int  # yyyymmdd, 0 when unknown
    lengths: dict[str, int]
    group: tuple[str, ...] = ()


def from_prepared(doc: dict, order: int) -> AnalyzedDoc:
    """The `AnalyzedDoc` of one `schema.prepare()` result: the same analysis the embedded
    index is built from (one analysis path for every backend)."""
    import json

    meta = json.loads(doc["meta"])
    secpos = json.loads(doc["secpos"])
    return AnalyzedDoc(
        report_id=doc["report_id"], order=order,
        keys={f: doc[f] for f in ("title_c", "body_c", "unit_c")},
        words={f: {t: n for t, n, _w, _e in doc[f]} for f in ("title_w", "body_w", "unit_w")},
        sections=[(kind, a, b) for kind, a, b in secpos],
        facets={f: meta.get(f) for f in ("unit_type", "year", "genre", "site", "script")},
        section_kinds=list(meta.get("section") or ()), date=int(meta.get("date") or 0),
        lengths=dict(meta.get("len") or {}),
    )


def stable_id(text: str) -> int:
    """A positive 63-bit integer of a string (document ids, hashed facet values): BLAKE2b,
    the same on every machine and run."""
    value = int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")
    return (value & 0x7FFF_FFFF_FFFF_FFFF) or 1


@dataclass
class BackendHit:
    report_id: str
    score: float
    duplicates: list[str] = field(default_factory=list)  # collapsed copies, in rank order


@dataclass
class BackendResult:
    """What `Backend.search` returns: ids and numbers only (display is our own code's)."""

    total: int  # matching reports, after collapsing when asked
    hits: list[BackendHit]
    facets: dict[str, list[tuple[str, int]]]  # facet -> (value, count), display order
    understood: str
    relaxed: bool = False


class Generation(Protocol):
    """A generation being written; invisible to readers until `publish`."""

    def add(self, docs: Iterable[AnalyzedDoc]) -> int:
        """Index pre-analyzed documents (routed to shards by the backend); returns how many."""

    def delete(self, report_ids: Iterable[str]) -> int:
        """Remove reports by id; returns how many were asked for."""

    def set_groups(self, groups: Mapping[str, list[str]]) -> None:
        """Near-duplicate groups (report id -> the group's members), known after all adds."""

    def commit(self) -> None:
        """Make the writes durable and check them (counts per shard); raises on mismatch."""

    def publish(self) -> None:
        """Atomically make this generation the one every reader uses."""

    def drop(self) -> None:
        """Abandon the generation (its storage is emptied, readers never saw it)."""


class Backend(Protocol):
    """What the engine needs from a backend (embedded or a cluster).

    Stored reports (hits' display fields, snippets, `get_report`, more-like-this input)
    are fetched by report id from the document store that the performance rework builds,
    the same for every backend; whether the store sits beside the engine or is served by
    it is to be settled with that rework."""

    def begin(self) -> Generation:
        """Start a fresh generation beside the current one."""

    def search(self, request: SearchRequest, collections: Mapping[str, set[str]] | None = None,
               user_dict: str | None = None) -> BackendResult:
        """The one search: parsed query (`query.parse`, relaxed when a phrase finds nothing),
        facet filters (OR within a facet, AND across), facet counts with multi-select
        semantics (each facet counted under every selection but its own), section filter
        and section counts, sort (relevance: BM25F score, then date, then order; date:
        date, then score, then order), collapse of near-duplicates, one page."""

    def report_ids(self) -> list[str]:
        """Every live report id of the current generation (stats, `collections check`)."""

    def stats(self) -> dict:
        """Generation, document count, per-shard counts and sizes."""
