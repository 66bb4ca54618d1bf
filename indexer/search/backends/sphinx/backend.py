"""The Sphinx/Manticore backend: generations in slots, and the one search over SphinxQL.

A search is three round trips to node 0 (which serves the distributed indexes), each a
batch of statements ending with a read of the current record:

1. counts: the matches (and whether the query matches at all, facet filters aside: the
   relaxed retry's test), every facet count with multi-select semantics (each facet under
   every selection but its own; the section facet as one count per kind with the query
   restricted to that kind's text), each phrase's and word's document frequency, and the
   generation's statistics (live documents, length sums) when not cached;
2. rows, each statement sized by what the counts announced: the matching documents with
   the attributes ranking needs (date, order, duplicate group, field lengths), per
   phrase and per word its hits in each document, and the group rows of the facet counts
   that take each near-duplicate group once (collapsed searches);
3. the report ids of the page's documents and their collapsed duplicates.

Ranking, tie-breaks and collapsing are our own code's (rank.py). If the current record
read at the end of a batch is not the generation the batch queried (a publish happened
meanwhile), the search runs again on the new one: a reader never mixes two generations
nor reads a slot being rebuilt. An agent warning fails the search with
`BackendUnavailable` naming the shard (client.py).
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ....settings import SETTINGS
from ... import ladder
from ...engine import clamp_request
from ...model import FACETS, SearchRequest
from ...query import ParsedQuery
from ...facets import date_bound
from ...schema import SECTION_KINDS
from ..base import BackendError, BackendHit, BackendResult, stable_id
from . import forms, layout, rank
from .client import Cluster, quote
from .writer import SphinxGeneration

REFRESH_SECONDS = 1.0
ATTEMPTS = 3
IMPOSSIBLE = object()  # a filter no document can pass
# Year facets and their attributes: the report's year, the publish date's year, and the
# timeline's (the report's year, else its publish year).
YEAR_ATTRS = {"year": "year", "publish_year": "pyear", "timeline": "tyear"}


class StaleGeneration(Exception):
    pass


class StepUnsupported(BackendError):
    """The relaxation ladder reached a step the engine cannot express (punctuation-
    insensitive phrases, proximity of words): the caller answers it another way."""


@dataclass
class FacetCount:
    """One facet count to ask for. Kinds: "count" (one number), "by" (a count per value
    of ``attr``); when the search collapses near-duplicates, counts take each group once
    (as the collapsed total does): "groups" (one number: the groups) and "by_groups"
    (per value of ``attr``: its groups). ``match``/``conds`` None: nothing can match."""

    facet: str
    value: str
    kind: str
    match: str | None
    conds: list[str] | None
    attr: str = ""


@dataclass(frozen=True)
class Current:
    slot: str
    number: int



def _where(match: str | None, conds: list[str]) -> str:
    parts = ([f"MATCH({quote(match)})"] if match else []) + conds
    return (" WHERE " + " AND ".join(parts)) if parts else ""


class SphinxBackend:
    """A cluster named by a ``sphinx://`` engine URL."""

    def __init__(self, url: str):
        self.cluster = Cluster(url)
        self.head = self.cluster.nodes[0]
        self._lock = threading.Lock()
        self._current: Current | None = None
        self._checked = 0.0
        self._stats: dict[Current, dict] = {}
        self._notes: dict[Current, dict] = {}  # the note published with each generation seen

    # ------------------------------------------------------------ generations

    def read_current(self) -> tuple[Current | None, dict]:
        rows = self.cluster.run(self.head, [f"SELECT slot, gen, info FROM {layout.META} WHERE id=1"])[0]
        if not rows:
            return None, {}
        slot, gen, info = rows[0]
        return Current(layout.SLOTS[int(slot)], int(gen)), json.loads(info or "{}")

    def current(self, refresh: bool = False) -> Current | None:
        now = time.monotonic()
        with self._lock:
            if refresh or self._current is None or now - self._checked >= REFRESH_SECONDS:
                self._current, info = self.read_current()
                self._checked = now
                if self._current is not None:
                    if len(self._notes) > 8:
                        self._notes.clear()
                    self._notes[self._current] = info
            return self._current

    def note(self, cur: Current | None) -> dict:
        """The note published with generation `cur` (as read when it became current)."""
        return self._notes.get(cur, {}) if cur is not None else {}

    def begin(self) -> SphinxGeneration:
        cur, info = self.read_current()
        slot = layout.SLOTS[0] if cur is None else layout.SLOTS[1 - layout.SLOTS.index(cur.slot)]
        writer = Cluster(self.cluster.url, timeout_s=SETTINGS.index.engine_write_timeout_s)
        return SphinxGeneration(writer, slot, 1 if cur is None else cur.number + 1, info)

    # ------------------------------------------------------------ reading

    def _batch(self, cur: Current, statements: list[str]) -> list[list[tuple]]:
        """Run statements on the head node with the current record read last; raises
        StaleGeneration when another generation became current meanwhile."""
        out = self.cluster.run(self.head, statements + [f"SELECT slot, gen FROM {layout.META} WHERE id=1"],
                               check_agents=True)
        rows = out.pop()
        now = Current(layout.SLOTS[int(rows[0][0])], int(rows[0][1])) if rows else None
        if now != cur:
            raise StaleGeneration
        return out

    def _stats_statement(self, cur: Current) -> str:
        sums = ", ".join(f"SUM({f})" for f in layout.LENGTHS)
        return f"SELECT COUNT(*), {sums} FROM {layout.dist_index(cur.slot)}"

    def search(self, request: SearchRequest, collections: Mapping[str, set[str]] | None = None,
               user_dict: str | None = None, tables: list | None = None) -> BackendResult:
        """Ids, scores, duplicate groups and facet counts of one search (`tables`: the
        expansion tables, expand.py; `user_dict`: the generation's jieba dictionary)."""
        request = clamp_request(request)
        for _attempt in range(ATTEMPTS):
            cur = self.current(refresh=_attempt > 0)
            if cur is None:
                raise BackendError(f"no generation published on {self.cluster.url} (build one first)")
            try:
                return Search(self, cur, request, collections, user_dict, tables or []).run()
            except StaleGeneration:
                continue
        raise BackendError("the current generation changed during every attempt of this search")

    def report_ids(self) -> list[str]:
        """Every report id of the current generation (read in pages of ids: no cap)."""
        for _attempt in range(ATTEMPTS):
            cur = self.current(refresh=True)
            if cur is None:
                return []
            out: list[str] = []
            last, page = 0, 10_000
            try:
                while True:
                    rows = self._batch(cur, [f"SELECT id, rid FROM {layout.dist_index(cur.slot)} WHERE id>{last} "
                                             f"ORDER BY id ASC LIMIT 0,{page} OPTION max_matches={page}"])[0]
                    out += [r[1] for r in rows]
                    if len(rows) < page:
                        return out
                    last = int(rows[-1][0])
            except StaleGeneration:
                continue
        raise BackendError("the current generation changed during every attempt to list it")

    def stats(self) -> dict:
        cur, info = self.read_current()
        out = {"engine": self.cluster.url, "generation": None if cur is None else cur.number,
               "slot": None if cur is None else cur.slot, "note": info, "shards": []}
        if cur is None:
            return out
        for node in self.cluster.nodes:
            index = layout.shard_index(cur.slot, node.shard)
            count = self.cluster.run(node, [f"SELECT COUNT(*) FROM {index}"])[0]
            # (SHOW INDEX … STATUS hangs inside a multi-statement batch on 2.2.11: alone)
            status = dict(self.cluster.run(node, [f"SHOW INDEX {index} STATUS"])[0])
            out["shards"].append({"node": str(node), "index": index, "documents": int(count[0][0]),
                                  "disk_bytes": int(status.get("disk_bytes", 0)),
                                  "ram_bytes": int(status.get("ram_bytes", 0))})
        out["documents"] = sum(s["documents"] for s, node in zip(out["shards"], self.cluster.nodes)
                               if node.mirror == 0)  # a mirror holds the same documents
        return out

    def close(self) -> None:
        self.cluster.close()


class Search:
    """One search request against one generation (see the module docstring)."""

    def __init__(self, backend: SphinxBackend, cur: Current, request: SearchRequest,
                 collections: Mapping[str, set[str]] | None, user_dict: str | None, tables: list):
        self.b = backend
        self.tables = tables
        self.cur = cur
        self.dist = layout.dist_index(cur.slot)
        self.request = request
        self.collections = collections
        self.user_dict = user_dict
        self.sections = list(request.section)
        self.m = SETTINGS.index.engine_max_matches
        self.facets = [f for f in FACETS if f != "collection" or collections is not None]
        self.filters = {f: self._filter(f, list(getattr(request, f))) for f in self.facets}
        self.dates = self._dates()

    # ------------------------------------------------------------ conditions

    def _filter(self, facet: str, selected: list[str]):
        """The WHERE condition of one facet's selection (OR of its values), None when
        nothing is selected, IMPOSSIBLE when no document can pass."""
        if not selected:
            return None
        if facet in layout.CODED:
            return f"h_{facet} IN ({','.join(str(stable_id(v)) for v in selected)})"
        if facet in YEAR_ATTRS:
            years = [v for v in selected if v.isdigit() and str(int(v)) == v and int(v) > 0]
            return f"{YEAR_ATTRS[facet]} IN ({','.join(years)})" if years else IMPOSSIBLE
        if facet == "section":
            codes = [str(SECTION_KINDS.index(v)) for v in selected if v in SECTION_KINDS]
            return f"secs IN ({','.join(codes)})" if codes else IMPOSSIBLE
        if facet == "collection":
            ids = sorted({stable_id(r) for cid in selected for r in (self.collections or {}).get(cid, ())})
            return f"id IN ({','.join(map(str, ids))})" if ids else IMPOSSIBLE
        raise ValueError(f"unknown facet {facet!r}")

    def _dates(self) -> list[str]:
        """The publish-date range: restricts every count like a selection, but is no facet
        (reports without a publish date are outside every range)."""
        r = self.request
        if not r.date_from and not r.date_to:
            return []
        conds = ["pdate>0"]
        if r.date_from:
            conds.append(f"pdate>={date_bound(r.date_from, upper=False)}")
        if r.date_to:
            conds.append(f"pdate<={date_bound(r.date_to, upper=True)}")
        return conds

    def _conds(self, parsed: ParsedQuery, skip: str | None) -> list[str] | None:
        conds = [f"year>={lo} AND year<={hi}" for lo, hi in parsed.years] + self.dates
        for f, c in self.filters.items():
            if f == skip or c is None:
                continue
            if c is IMPOSSIBLE:
                return None
            conds.append(c)
        return conds

    # ------------------------------------------------------------ statements

    def _select(self, what: str, match: str | None, conds: list[str] | None, tail: str = "") -> str | None:
        if match is None or conds is None:
            return None
        return f"SELECT {what} FROM {self.dist}{_where(match, conds)}{tail}"

    def _facet_counts(self, parsed: ParsedQuery, match: str | None) -> list[FacetCount]:
        """Every facet count to ask for (see FacetCount)."""
        out = []
        collapse = self.request.collapse

        def scalar(f: str, value: str, m: str | None, conds: list[str] | None) -> None:
            out.append(FacetCount(f, value, "groups" if collapse else "count", m, conds))

        for f in self.facets:
            conds = self._conds(parsed, f)
            if f == "section" and parsed.positive_terms():
                for kind in SECTION_KINDS:
                    scalar(f, kind, forms.match_expression(parsed, [kind]), conds)
            elif f == "collection":
                for cid, members in (self.collections or {}).items():
                    ids = sorted({stable_id(r) for r in members})
                    scalar(f, cid, match, None if conds is None or not ids else
                           conds + [f"id IN ({','.join(map(str, ids))})"])
            elif f == "section" and collapse:
                for i, kind in enumerate(SECTION_KINDS):
                    scalar(f, kind, match, None if conds is None else conds + [f"secs IN ({i})"])
            else:
                out.append(FacetCount(f, "", "by_groups" if collapse else "by", match, conds,
                                      {"section": "secs"}.get(f, YEAR_ATTRS.get(f, f))))
        return out

    def _first(self, c: FacetCount) -> str | None:
        """The first round trip's statement of a facet count: the count itself, or (for
        counts taking each near-duplicate group once) how many documents it covers, which
        sizes the second round trip's statement."""
        if c.kind == "by":
            limit = SETTINGS.index.engine_max_facet_values
            what = "GROUPBY()" if c.attr == "secs" else c.attr
            return self._select(f"{what}, COUNT(*)", c.match, c.conds,
                                f" GROUP BY {c.attr} LIMIT 0,{limit} OPTION max_matches={limit}")
        return self._select("COUNT(*)", c.match, c.conds)

    def _second(self, c: FacetCount, bound: int) -> str | None:
        """One row per group (per value and group): counted by us, as COUNT(DISTINCT)
        through a distributed index adds up the shards' counts (a group spread over two
        shards counts twice: measured)."""
        if c.kind not in ("groups", "by_groups") or not bound:
            return None
        if bound > self.m:
            raise BackendError(f"facet {c.facet}: {bound} reports to count, more than {self.m} "
                               "(DANGAN_ENGINE_MAX_MATCHES)")
        what, by = ("grp", "grp") if c.kind == "groups" else (f"{c.attr}, grp", f"{c.attr}, grp")
        return self._select(what, c.match, c.conds, f" GROUP BY {by} LIMIT 0,{bound} OPTION max_matches={bound}")

    # ------------------------------------------------------------ running

    def _counts(self, parsed: ParsedQuery) -> dict:
        """First round trip: every count (matches, facets, document frequencies)."""
        match = forms.match_expression(parsed, self.sections or None)
        conds = self._conds(parsed, None)
        batch = Batch()
        stats = self.b._stats.get(self.cur)
        if stats is None:
            batch.add("stats", self.b._stats_statement(self.cur))
        if not parsed.empty:
            # Does the query match at all, facet filters aside (the relaxed retry's test)?
            batch.add("any", self._select("COUNT(*)", match, [f"year>={lo} AND year<={hi}" for lo, hi in parsed.years]))
        batch.add("total", self._select("COUNT(*)", match, conds))
        facet_counts = self._facet_counts(parsed, match)
        for i, c in enumerate(facet_counts):
            batch.add(("facet", i), self._first(c))
        needed = rank.counts_needed(parsed, self.sections or None, self.user_dict)
        for c in needed:
            batch.add(("df", c), f"SELECT COUNT(*) FROM {self.dist}{_where(c.match(), [])}")
        batch.run(self.b, self.cur)
        if stats is None:
            row = batch.rows("stats")[0]
            stats = self.b._stats[self.cur] = {"n": int(row[0]), "sums": [int(x or 0) for x in row[1:]]}
        limit = SETTINGS.index.engine_max_facet_values
        for i, c in enumerate(facet_counts):
            if c.kind == "by" and len(batch.rows(("facet", i))) >= limit:
                raise BackendError(f"facet {c.facet} has more than {limit} values (DANGAN_ENGINE_MAX_FACET_VALUES)")
        return {"parsed": parsed, "match": match, "conds": conds, "stats": stats,
                "any": batch.count("any"), "total": batch.count("total"),
                "facet_counts": facet_counts,
                "facet_first": [batch.rows(("facet", i)) for i in range(len(facet_counts))],
                "df": {c: batch.count(("df", c)) for c in needed}}

    def _rows(self, got: dict) -> tuple[list[tuple], dict, dict]:
        """Second round trip: the matching documents' attributes, per phrase and word its
        hits in them, and the group rows of facet counts that take each near-duplicate
        group once (each statement sized to what the counts announced)."""
        parsed, match, conds, total = got["parsed"], got["match"], got["conds"], got["total"]
        if total > self.m:
            raise BackendError(f"the query matches {total} reports, more than the {self.m} one search "
                               "may rank (DANGAN_ENGINE_MAX_MATCHES)")
        batch = Batch()
        for i, (c, first) in enumerate(zip(got["facet_counts"], got["facet_first"])):
            bound = int(first[0][0]) if first and c.kind in ("groups", "by_groups") else 0
            batch.add(("facet", i), self._second(c, bound))
        if total:
            attrs = "id, date, ord, grp, " + ", ".join(layout.LENGTHS)
            batch.add("main", self._select(attrs, match, conds,
                                           f" LIMIT 0,{total} OPTION max_matches={total}, ranker=none"))
        if total and parsed.positive_terms():
            for c, df in got["df"].items():
                if c.word:
                    # The word's hits in the documents the query matches that hold it (the
                    # query AND the word; 2.2.11's MAYBE loses the word's hits in some
                    # documents: measured at 12k pages).
                    batch.add(c, self._select(
                        "id, weight() AS w", f"({match}) ({c.match()})" if match else c.match(), conds + ["w>0"],
                        f" LIMIT 0,{total} OPTION max_matches={total}, "
                        f"ranker=expr('sum(if(user_weight==7,hit_count,0))'), field_weights=({c.fields[0]}=7)"))
                elif df:
                    if df > self.m:
                        raise BackendError(f"a query term occurs in {df} reports, more than the {self.m} one "
                                           "search may rank (DANGAN_ENGINE_MAX_MATCHES)")
                    batch.add(c, self._select("id, weight()", c.match(), conds,
                                              f" LIMIT 0,{df} OPTION max_matches={df}, ranker=expr('sum(hit_count)')"))
        batch.run(self.b, self.cur)
        facet_values = self._facet_values(got["facet_counts"], [
            batch.rows(("facet", i)) if c.kind in ("groups", "by_groups") else got["facet_first"][i]
            for i, c in enumerate(got["facet_counts"])])
        return batch.rows("main"), {c: batch.rows(c) for c in got["df"]}, facet_values

    def _facet_values(self, counts: list[FacetCount], results) -> dict[str, list[tuple[str, int]]]:
        out: dict[str, list[tuple[str, int]]] = {f: [] for f in self.facets}
        for c, rows in zip(counts, results):
            if c.kind in ("count", "groups"):
                count = (int(rows[0][0]) if rows else 0) if c.kind == "count" else len(rows)
                if count or c.facet == "collection":
                    out[c.facet].append((c.value, count))
                continue
            values: dict[str, int] = {}
            for key, n in (rows if c.kind == "by" else [(key, 1) for key, _grp in rows]):
                if c.facet == "section":
                    key = SECTION_KINDS[int(key)] if 0 <= int(key) < len(SECTION_KINDS) else None
                elif c.facet in YEAR_ATTRS:
                    key = str(key) if int(key) else None
                if key not in (None, ""):
                    values[str(key)] = values.get(str(key), 0) + int(n)
            out[c.facet].extend(values.items())
        for f, pairs in out.items():
            if f in YEAR_ATTRS:
                pairs.sort(key=lambda p: p[0], reverse=True)
            else:
                pairs.sort(key=lambda p: (-p[1], p[0]))
        return out

    def _answer(self) -> tuple[ParsedQuery, dict, str]:
        """(reading, counts of the query searched, ladder step): the engine's order
        (engine._answer): the first reading, else each ladder step over every reading,
        each only when everything before it found nothing. Steps whose terms the cluster
        cannot match (`forms.supported`: punctuation-insensitive and proximity phrases)
        raise StepUnsupported: skipping one would answer differently."""
        options = ladder.reading_options(self.request.q, self.tables if self.request.expand else [],
                                         self.user_dict)
        first = options[0]
        got = self._counts(first)
        if got["any"] or first.empty:
            return first, got, "exact"
        for step, reading, q in ladder.attempts(options, self.user_dict):
            if not forms.supported(q):
                raise StepUnsupported(f"ladder step {step!r} has no form on the cluster")
            retry = self._counts(q)
            if retry["any"]:
                return reading, retry, step
        return first, got, "exact"

    def run(self) -> BackendResult:
        reading, got, step = self._answer()
        parsed = got["parsed"]
        main, hits_rows, facet_values = self._rows(got)
        ranked, scores, dups, ids = self._rank(parsed, main, hits_rows, got["df"], got["stats"])
        start = (self.request.page - 1) * self.request.per_page
        page = ranked[start:start + self.request.per_page]
        wanted = [int(ids[p]) for p in page] + [int(ids[d]) for p in page for d in dups.get(int(p), [])]
        rid = self._report_ids(wanted)
        hits = [BackendHit(rid[int(ids[p])], round(float(scores[p]), 4),
                           [rid[int(ids[d])] for d in dups.get(int(p), [])]) for p in page]
        return BackendResult(total=int(len(ranked)), hits=hits, facets=facet_values,
                             understood=reading.understood(), relaxed=None if step == "exact" else step,
                             parsed=parsed, matched=got["any"] if step == "exact" else 0,
                             note=self.b.note(self.cur))

    def _rank(self, parsed: ParsedQuery, main: list[tuple], hits_rows: dict, df: dict, stats: dict):
        arr = np.array(main, dtype=np.int64).reshape(-1, 4 + len(layout.LENGTHS))
        arr = arr[np.argsort(arr[:, 0], kind="stable")]
        ids, date, seq, groups = arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3]
        lengths = {f[4:]: arr[:, 4 + i].astype(np.float64) for i, f in enumerate(layout.LENGTHS)}
        if parsed.positive_terms() and len(ids):
            n = stats["n"]
            avg = {f[4:]: (s / n if n else 1.0) for f, s in zip(layout.LENGTHS, stats["sums"])}
            hits = {c: rank.spread(ids, hits_rows.get(c, [])) for c in df}
            scores = rank.scores(parsed, self.sections or None, self.user_dict, lengths, hits, df, max(1, n), avg)
        else:
            scores = np.zeros(len(ids))
        ranked = rank.order(scores, date, seq, self.request.sort == "date" or parsed.empty)
        dups: dict[int, list[int]] = {}
        if self.request.collapse and len(ranked):
            ranked, dups = rank.collapse(ranked, groups)
        return ranked, scores, dups, ids

    def _report_ids(self, ids: list[int]) -> dict[int, str]:
        """Third round trip: the report ids of the page (and its collapsed copies)."""
        if not ids:
            return {}
        n = len(ids)
        batch = Batch()
        batch.add("rid", f"SELECT id, rid FROM {self.dist} WHERE id IN ({','.join(map(str, ids))}) "
                         f"LIMIT 0,{n} OPTION max_matches={n}")
        batch.run(self.b, self.cur)
        return {int(i): r for i, r in batch.rows("rid")}


class Batch:
    """Named statements run in one round trip (a name without a statement has no rows)."""

    def __init__(self):
        self.names: dict = {}
        self.statements: list[str] = []
        self.results: list[list[tuple]] = []

    def add(self, name, sql: str | None) -> None:
        self.names[name] = None if sql is None else len(self.statements)
        if sql is not None:
            self.statements.append(sql)

    def run(self, backend: SphinxBackend, cur: Current) -> None:
        self.results = backend._batch(cur, self.statements) if self.statements else []

    def rows(self, name) -> list[tuple]:
        i = self.names.get(name)
        return [] if i is None else self.results[i]

    def count(self, name) -> int:
        rows = self.rows(name)
        return int(rows[0][0]) if rows else 0
