"""The search contract between everything above `indexer/search/` and a backend.

Two levels:

- `Backend`: what the CLI, the web app, exports and collections use (through
  `indexer.search.open_engine(url)` and `indexer.search.search(...)`): one search
  returning the `SearchResponse` of model.py, stored reports by id, more-like-this,
  builds and updates, stats. Implemented by `embedded.EmbeddedBackend` (Whoosh +
  character index + document store in one directory, no server) and
  `sphinx.adapter.ClusterBackend` (a Sphinx/Manticore cluster for matching, ranking
  counts and facets; our document store for display).
- `Generation`: how a cluster backend is written: documents arrive pre-analyzed
  (`AnalyzedDoc`: normalization and segmentation run above the seam, so every backend
  indexes the same tokens), routed to shards, committed, checked and published
  atomically, or dropped.

What holds for every backend:

- Display comes from our compact document store (docstore.py) keyed by report id: a
  backend decides which reports match, their order, scores, duplicate groups and facet
  counts; hits, snippets and reports are rendered by our own code from the stored
  normalized text and offset map.
- A backend that cannot answer *correctly* (a shard down, too many matches to rank
  exactly) raises `BackendUnavailable` / `BackendError` with a message naming the cause:
  it never returns partial results as if they were complete. The web layer answers
  503 (`BackendUnavailable`) with that message; the CLI exits with EXIT_UNAVAILABLE.
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
        words={f: dict(doc[f]) for f in ("title_w", "body_w", "unit_w")},
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
    relaxed: str | None = None  # the ladder step that answered (ladder.py), None: as read
    parsed: object = None  # the ParsedQuery searched (what snippets mark)
    matched: int = 0  # reports the reading matches, filters aside (0 when relaxed): did-you-mean
    note: dict = field(default_factory=dict)  # what the answering generation was published with


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
    """What everything above `indexer/search/` needs from a backend (embedded or a
    cluster). Same request, same `SearchResponse`, whichever backend answers."""

    url: str  # the engine URL it was opened from (embedded:DIR, sphinx://…)

    def search(self, request: SearchRequest,
               collections: Mapping[str, set[str]] | None = None):
        """The one search (model.SearchResponse): parsed query with its readings,
        expansion and relaxation ladder; facet filters (OR within a facet, AND across);
        facet counts with multi-select semantics (each facet counted under every
        selection but its own); section filter and section counts; publish-date range;
        sort (relevance: BM25F, then date, then document order; date: date, then score,
        then order); collapse of near-duplicates; one page of rendered hits."""

    def get_report(self, report_id: str) -> dict | None:
        """The stored report with provenance and its near-duplicate group."""

    def more_like_this(self, report_id: str, limit: int = 10) -> list:
        """Reports sharing the most distinctive words of this one (model.Hit)."""

    def report_ids(self) -> list[str]:
        """Every live report id of the current generation (stats, `collections check`)."""

    def stats(self) -> dict:
        """Generation, document count, sizes; per shard for a cluster."""

    def warm(self) -> None:
        """Prepare now what the first queries would otherwise pay for (the did-you-mean
        vocabulary of the generation served and of every later one); a server calls it
        before taking requests."""

    def build(self, sources: list[str], **options):
        """A full build of `sources` published as the new current generation
        (build.Summary); `update` adds, changes and deletes against the current one."""

    def update(self, sources: list[str], **options):
        """Incremental update (build.Summary)."""

    def close(self) -> None:
        """Release connections and files."""
