"""The one search function (and report lookup, more-like-this) over an open index.

`open_index(DIR)` returns an `Index` that follows the directory's current generation:
after a build swaps in a new generation, or an update commits, the next call sees it
(checked at most once a second), while calls already running finish on the old one.
"""
from __future__ import annotations

import json
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np
from whoosh import scoring
from whoosh import index as whoosh_index
from whoosh import query as wq

from . import analysis, facets, snippets, store
from .model import FACETS, MAX_PER_PAGE, MAX_QUERY_CHARS, SORTS, FacetValue, Hit, SearchRequest, SearchResponse
from .execute import Executor
from .query import ParsedQuery, parse, relax
from .schema import FORMAT, unpack_blob

REFRESH_SECONDS = 1.0
CACHE_SIZE = 32
# BM25F: titles are short; normalizing their length as hard as bodies' over-rewards them.
WEIGHTING = scoring.BM25F(B=0.75, K1=1.2, title_w_B=0.3)


@dataclass
class _State:
    gen: Path
    toc: int
    ix: object
    searcher: object
    cols: facets.Columns
    executor: Executor
    meta: dict
    user_dict: str | None
    lock: threading.Lock = field(default_factory=threading.Lock)
    cache: OrderedDict = field(default_factory=OrderedDict)


class Index:
    """An open index directory (a generation root, or a bare Whoosh index dir)."""

    def __init__(self, path: str | Path):
        self.root = Path(path)
        self._lock = threading.Lock()
        self._state: _State | None = None
        self._checked = 0.0
        self._state = self._load()

    def _load(self) -> _State:
        gen = store.current_generation(self.root)
        if gen is None:
            raise store.NoIndex(f"no index at {self.root} (build one with `dangan index build`)")
        ix = whoosh_index.open_dir(str(gen))
        searcher = ix.searcher(weighting=WEIGHTING)
        try:
            dups = json.loads((gen / "dups.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            dups = {}
        meta = store.read_meta(gen)
        if meta.get("schema") != FORMAT:
            raise store.NoIndex(f"the index at {self.root} has layout {meta.get('schema')}, this version reads "
                                f"{FORMAT}: rebuild it with `dangan index build`")
        user_dict = str(gen / meta["user_dict"]) if meta.get("user_dict") else None
        cols = facets.load(searcher.reader(), dups)
        # Load the normalization tables and dictionaries now, not in the first request.
        analysis.words(analysis.key("預熱"), user_dict)
        executor = Executor(searcher.reader(), cols, gen)
        return _State(gen, searcher.reader().generation(), ix, searcher, cols, executor, meta, user_dict)

    def state(self) -> _State:
        now = time.monotonic()
        if now - self._checked < REFRESH_SECONDS:
            return self._state
        with self._lock:
            if now - self._checked < REFRESH_SECONDS:
                return self._state
            self._checked = now
            gen = store.current_generation(self.root)
            current = self._state
            if gen is not None and (gen != current.gen or current.ix.latest_generation() != current.toc):
                # Readers of the old state keep it until they finish; it closes on collection.
                self._state = self._load()
            return self._state

    @property
    def generation(self) -> str:
        return self.state().gen.name

    def close(self) -> None:
        if self._state is not None:
            self._state.searcher.close()

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_index(path: str | Path | None = None) -> Index:
    return Index(path if path is not None else store.default_index_dir())


# ---------------------------------------------------------------- matching


def _run(st: _State, parsed: ParsedQuery, sections: list[str] | None) -> tuple[np.ndarray, np.ndarray]:
    """(match mask, score per doc) over all document numbers, cached per generation."""
    if parsed.empty:
        return st.cols.live.copy(), np.zeros(st.cols.n)
    key = (parsed.understood(), tuple(sorted(sections or ())))
    hit = st.cache.get(key)
    if hit is not None:
        st.cache.move_to_end(key)
        return hit
    result = st.executor.run(parsed, sections, st.user_dict)
    st.cache[key] = result
    if len(st.cache) > CACHE_SIZE:
        st.cache.popitem(last=False)
    return result


def _clamp(request: SearchRequest) -> SearchRequest:
    if request.sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}")
    request.q = (request.q or "")[:MAX_QUERY_CHARS]
    request.page = max(1, int(request.page))
    request.per_page = min(max(1, int(request.per_page)), MAX_PER_PAGE)
    return request


def search(index: Index, request: SearchRequest,
           collections: Mapping[str, set[str]] | None = None) -> SearchResponse:
    request = _clamp(request)
    st = index.state()
    with st.lock:  # a Whoosh searcher is not meant for concurrent use
        return _search(st, request, collections)


def _search(st: _State, request: SearchRequest,
            collections: Mapping[str, set[str]] | None) -> SearchResponse:
    cols = st.cols
    parsed = parse(request.q)
    sections = list(request.section)
    relaxed = False
    match, scores = _run(st, parsed, sections)
    if not match.any() and not parsed.empty:
        loose = relax(parsed, st.user_dict)
        if loose is not None:
            m2, s2 = _run(st, loose, sections)
            if m2.any():
                parsed, match, scores, relaxed = loose, m2, s2, True

    masks = {f: facets.filter_mask(cols, f, list(getattr(request, f)), collections)
             for f in FACETS if f != "collection" or collections is not None}
    # The publish-date range restricts every count like a facet selection, but is no facet.
    dates = facets.date_mask(cols, request.date_from, request.date_to)
    if dates is not None:
        match = match & dates

    def combined(skip: str | None, base: np.ndarray) -> np.ndarray:
        out = base.copy()
        for f, m in masks.items():
            if f != skip and m is not None:
                out &= m
        return out

    selected = combined(None, match)
    facet_counts: dict[str, list[FacetValue]] = {}
    for f in masks:
        if f == "section" and parsed.positive_terms():
            # A section selection restricts where the query matches, so each kind's count
            # is the number of reports the query matches inside sections of that kind.
            others = combined("section", cols.live)
            per_kind = st.executor.section_masks(parsed, cols.kinds)
            if dates is not None:
                others &= dates
            count = facets.collapsed_total if request.collapse else \
                (lambda _cols, m: int(np.count_nonzero(m)))
            pairs = sorted(((k, count(cols, m & others)) for k, m in per_kind.items()),
                           key=lambda p: (-p[1], p[0]))
            facet_counts[f] = [FacetValue(v, c) for v, c in pairs if c]
            continue
        pairs = facets.count(cols, f, combined(f, match), collections, request.collapse)
        facet_counts[f] = [FacetValue(v, c) for v, c in pairs]

    docs = np.flatnonzero(selected)
    if request.sort == "date" or parsed.empty:
        order = np.lexsort((docs, -scores[docs], -cols.date[docs]))
    else:
        order = np.lexsort((docs, -cols.date[docs], -scores[docs]))
    ranked = docs[order]

    duplicates: dict[int, list[int]] = {}
    if request.collapse and len(ranked):
        groups = cols.group[ranked]
        keep = np.ones(len(ranked), dtype=bool)
        grouped = np.flatnonzero(groups >= 0)
        _, first = np.unique(groups[grouped], return_index=True)
        keep[grouped] = False
        keep[grouped[first]] = True
        leader = {}
        for pos in grouped:
            g = int(groups[pos])
            doc = int(ranked[pos])
            if keep[pos]:
                leader[g] = doc
                duplicates[doc] = []
        for pos in grouped:
            if not keep[pos]:
                duplicates[leader[int(groups[pos])]].append(int(ranked[pos]))
        ranked = ranked[keep]

    start = (request.page - 1) * request.per_page
    page_docs = ranked[start:start + request.per_page]
    keys = [t.key for t in parsed.positive_terms() if t.field == "any"]
    hits = [_hit(st, int(d), float(scores[d]), keys, sections,
                 [cols.report_ids[x] for x in duplicates.get(int(d), [])]) for d in page_docs]
    return SearchResponse(
        query=request.q, understood=parsed.understood(), total=int(len(ranked)),
        page=request.page, per_page=request.per_page, results=hits, facets=facet_counts,
        relaxed=relaxed,
    )


def _hit(st: _State, docnum: int, score: float, keys: list[str], sections: list[str],
         dups: list[str]) -> Hit:
    stored = st.searcher.stored_fields(docnum)
    info = stored["hit"]
    blob = unpack_blob(stored["blob"])
    body = blob["report"].get("body") or ""
    spans = blob.get("spans") or []
    allowed = [(a, b) for kind, a, b in spans if kind in sections] if sections and keys else None
    snippet, matched = snippets.render(body, blob["norm"], blob.get("offsets"), keys, allowed)
    if keys:
        kinds = []
        for kind, a, b in spans:
            if kind not in kinds and any(a <= s < b for s, _e in matched):
                kinds.append(kind)
    else:
        kinds = list(dict.fromkeys(kind for kind, _a, _b in spans))
    return Hit(
        report_id=stored["report_id"], source=info.get("source") or "", part=int(info.get("part") or 1),
        title=info.get("title"), unit_name=info.get("unit_name"), unit_type=info.get("unit_type"),
        year=info.get("year"), genre=info.get("genre"), site=info.get("site"),
        script=info.get("script") or "", sections=kinds, snippet=snippet,
        score=round(score, 4), duplicates=dups, publish_date=info.get("publish_date"),
        parts=int(st.cols.parts[docnum]),
    )


# ---------------------------------------------------------------- reports


def get_report(index: Index, report_id: str) -> dict | None:
    """The full report as extracted, plus provenance and its near-duplicate group."""
    st = index.state()
    with st.lock:
        doc = st.cols.doc_of.get(report_id)
        if doc is None or not st.cols.live[doc]:
            return None
        stored = st.searcher.stored_fields(doc)
        meta = json.loads(st.searcher.reader().column_reader("meta")[doc])
        group = st.cols.groups[st.cols.group[doc]] if st.cols.group[doc] >= 0 else [report_id]
        parts = int(st.cols.parts[doc])
    report = dict(unpack_blob(stored["blob"])["report"])
    report.pop("type", None)
    report["provenance"] = {k: report.get(k) for k in
                            ("source", "part", "url", "site", "page_title", "encoding", "publish_date")}
    report["provenance"]["page_hash"] = meta.get("page_hash")
    report["duplicate_group"] = list(group)
    report["duplicates"] = [r for r in group if r != report_id]
    report["parts"] = parts  # reports extracted from the same page
    return report


def more_like_this(index: Index, report_id: str, limit: int = 10) -> list[Hit]:
    """Reports sharing the most distinctive words of this one (tf-idf of the word view).
    The report's own family is left out: the other parts of its page and its
    near-duplicates (shown as versions, not as further reading)."""
    st = index.state()
    limit = min(max(1, int(limit)), MAX_PER_PAGE)
    with st.lock:
        doc = st.cols.doc_of.get(report_id)
        if doc is None or not st.cols.live[doc]:
            return []
        blob = unpack_blob(st.searcher.stored_fields(doc)["blob"])
        k = analysis.key_of_form(blob["norm"])
        counts: dict[str, int] = {}
        for w in analysis.words(k, st.user_dict):
            if len(w) > 1:
                counts[w] = counts.get(w, 0) + 1
        reader = st.searcher.reader()
        n = max(1, reader.doc_count())
        weighted = []
        for w, tf in counts.items():
            df = reader.doc_frequency("body_w", w)
            if 0 < df < n:
                weighted.append((tf * math.log(n / df), w))
        weighted.sort(reverse=True)
        terms = [wq.Term("body_w", w, boost=round(s, 3)) for s, w in weighted[:25]]
        if not terms:
            return []
        cols = st.cols
        family = (cols.page == cols.page[doc]) if cols.page[doc] >= 0 else np.zeros(cols.n, dtype=bool)
        if cols.group[doc] >= 0:
            family |= cols.group == cols.group[doc]
        family[doc] = True
        results = st.searcher.search(wq.Or(terms), limit=limit + int(np.count_nonzero(family)))
        picked = [(r.docnum, r.score) for r in results if not family[r.docnum]][:limit]
        return [_hit(st, d, s, [], [], []) for d, s in picked]
