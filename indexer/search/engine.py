"""The one search function (and report lookup, more-like-this) over an open index.

`open_index(DIR)` returns an `Index` that follows the directory's current generation:
after a build swaps in a new generation, or an update commits, the next call sees it
(checked at most once a second), while calls already running finish on the old one.

Searches run in parallel: a generation's state is read-only once loaded (facet columns,
memory-mapped postings and document store); only the caches' bookkeeping takes a lock.
Matching (execute.py: document numbers, scores, match positions) and rendering
(docstore.py + snippets.py: hits) are separate steps.
"""
from __future__ import annotations

import bisect
import json
import math
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

import numpy as np
from whoosh import index as whoosh_index

from ..normalize import normalization_version
from ..settings import SETTINGS
from . import analysis, charindex, docstore, expand, facets, kernels, ladder, snippets, store, suggest
from .model import FACETS, MAX_PER_PAGE, MAX_QUERY_CHARS, SORTS, FacetValue, Hit, SearchRequest, SearchResponse
from .execute import B, K1, Executor, length_norm, occurrence_keys
from .query import ParsedQuery, parse
from .schema import FORMAT

REFRESH_SECONDS = 1.0
CACHE_SIZE = 32
MAX_HIGHLIGHTS = 24  # query terms and words a snippet marks
MLT_TERMS = 25  # most distinctive words of a report that more-like-this looks for


@dataclass
class _State:
    gen: Path
    toc: int
    ix: object
    segments: int
    cols: facets.Columns
    executor: Executor
    store: docstore.DocStore
    meta: dict
    user_dict: str | None
    tables: list  # expansion tables: regional wording, the generation's synonyms
    cache: OrderedDict = field(default_factory=OrderedDict)  # results of recent matchings
    cache_lock: threading.Lock = field(default_factory=threading.Lock)
    vocab: object = None  # suggest.Vocabulary, read on the first did-you-mean (or by `Index.warm`)
    vocab_lock: threading.Lock = field(default_factory=threading.Lock)

    def prepare(self) -> None:
        """What `Index.warm` does for one generation."""
        expand.warm(self.user_dict)  # the dictionary's words, for expansion's word check
        kernels.load()  # compiled merges (no query pays their loading)
        self.vocabulary()
        self.executor.post.warm("body_c", SETTINGS.index.warm_postings_mb * 2**20)
        for field in charindex.WORD_FIELDS:  # the word view's tables of every segment's words
            self.executor.post.word_table(field)

    def vocabulary(self) -> suggest.Vocabulary:
        if self.vocab is None:
            with self.vocab_lock:  # read once, also when a query asks while a warm-up reads it
                if self.vocab is None:
                    self.vocab = suggest.Vocabulary.from_index(self.executor.post, self.user_dict)
        return self.vocab


class Index:
    """An open index directory (a generation root, or a bare Whoosh index dir)."""

    def __init__(self, path: str | Path):
        self.root = Path(path)
        self._lock = threading.Lock()
        self._state: _State | None = None
        self._checked = 0.0
        self._failed: Path | None = None
        self._warm = False
        self._state = self._load()

    def warm(self) -> None:
        """Prepare now what the first queries of a generation would otherwise pay for:
        the did-you-mean vocabulary (pinyin tables, the dictionary's words looked up in
        the word view; seconds at thousands of pages) and the positions of the body's
        most frequent tokens (`warm_postings_mb`), which most long phrases contain. A
        server calls it at start; the generations it swaps in later are then prepared
        before they serve."""
        self._warm = True
        self._state.prepare()

    def _load(self) -> _State:
        gen = store.current_generation(self.root)
        if gen is None:
            raise store.NoIndex(f"no index at {self.root} (build one with `dangan index build`)")
        meta = store.read_meta(gen)
        if meta.get("schema") != FORMAT:
            raise store.IndexUnusable(f"the index at {self.root} has layout {meta.get('schema')}, this version "
                                      f"reads {FORMAT}: rebuild it with `dangan index build`")
        if meta.get("normalization") != normalization_version():
            raise store.IndexUnusable(f"the index at {self.root} was built with text normalization "
                                      f"{meta.get('normalization')}, this version uses {normalization_version()}: "
                                      "rebuild it with `dangan index build`")
        try:
            ix = whoosh_index.open_dir(str(gen))
        except Exception as exc:  # noqa: BLE001 - any damage: a clear error, never a 500
            raise store.IndexUnusable(f"the index at {self.root} cannot be opened "
                                      f"({type(exc).__name__}: {exc}): rebuild it") from exc
        try:
            dups = json.loads((gen / "dups.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            dups = {}
        user_dict = str(gen / meta["user_dict"]) if meta.get("user_dict") else None
        # Whoosh is read once, here: the facet columns, the section ranges and which
        # segments (and deletions) make up the generation. Queries never touch it.
        try:
            tables = [expand.regional_table()]
            if meta.get("synonyms"):
                tables.append(expand.read_synonyms(gen / meta["synonyms"]))
            with ix.reader() as reader:
                if reader.doc_count_all() == 0:
                    raise store.EmptyIndex(f"the index at {self.root} holds no reports")
                cols = facets.load(reader, dups)
                executor = Executor(reader, cols, gen)
                leaves = [(leaf.segment().segment_id(), offset) for leaf, offset in reader.leaf_readers()]
                toc = reader.generation()
            docs = docstore.DocStore(gen, leaves)
            # Load the normalization tables and the tokenizer now, not in the first request
            # (a server's warm-up also loads what expansion and did-you-mean read: prepare).
            analysis.words(analysis.key("預熱"), user_dict)
            expand.regional_table()
        except store.EmptyIndex:
            raise
        except Exception as exc:  # noqa: BLE001 - any damage (a segment file of another layout …)
            raise store.IndexUnusable(f"the index at {self.root} cannot be opened "
                                      f"({type(exc).__name__}: {exc}): rebuild it") from exc
        state = _State(gen, toc, ix, len(leaves), cols, executor, docs, meta, user_dict, tables)
        if getattr(self, "_warm", False):
            state.prepare()
        return state

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
            if gen is not None and gen != self._failed and (
                    gen != current.gen or current.ix.latest_generation() != current.toc):
                # Readers of the old state keep it until they finish; it closes on collection.
                # A generation that does not load (it cannot have been published by a build,
                # which validates first) leaves the one being served in place.
                try:
                    self._state = self._load()
                except store.NoIndex as exc:
                    self._failed = gen
                    import logging

                    logging.getLogger(__name__).error("keeping generation %s: %s", current.gen.name, exc)
            return self._state

    @property
    def generation(self) -> str:
        return self.state().gen.name

    def close(self) -> None:
        """Nothing to release eagerly: the memory mappings close with their state."""

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_index(path: str | Path | None = None) -> Index:
    return Index(path if path is not None else store.default_index_dir())


# ---------------------------------------------------------------- matching


def _cached(st: _State, key, compute):
    """`compute()`, remembered per generation under `key` (the last CACHE_SIZE)."""
    with st.cache_lock:
        hit = st.cache.get(key)
        if hit is not None:
            st.cache.move_to_end(key)
            return hit
    result = compute()
    with st.cache_lock:
        st.cache[key] = result
        if len(st.cache) > CACHE_SIZE:
            st.cache.popitem(last=False)
    return result


def _run(st: _State, parsed: ParsedQuery, sections: list[str] | None) -> tuple[np.ndarray, np.ndarray]:
    """(match mask, score per doc) over all document numbers, cached per generation."""
    if parsed.empty:
        return st.cols.live.copy(), np.zeros(st.cols.n)
    return _cached(st, (parsed.signature(), tuple(sorted(sections or ()))),
                   lambda: st.executor.run(parsed, sections, st.user_dict))


def _count(st: _State, parsed: ParsedQuery) -> int:
    """Reports a query matches (no filters, no scores: what a did-you-mean check needs),
    cached with the matchings."""
    if parsed.empty:
        return int(np.count_nonzero(st.cols.live))
    return _cached(st, ("count", parsed.signature()),
                   lambda: int(np.count_nonzero(st.executor.run(parsed, None, st.user_dict, scored=False)[0])))


def clamp_request(request: SearchRequest) -> SearchRequest:
    if request.sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}")
    request.q = (request.q or "")[:MAX_QUERY_CHARS]
    request.page = max(1, int(request.page))
    request.per_page = min(max(1, int(request.per_page)), MAX_PER_PAGE)
    return request


def search(index: Index, request: SearchRequest,
           collections: Mapping[str, set[str]] | None = None) -> SearchResponse:
    request = clamp_request(request)
    return _search(index.state(), request, collections)


def _search(st: _State, request: SearchRequest,
            collections: Mapping[str, set[str]] | None) -> SearchResponse:
    cols = st.cols
    sections = list(request.section)
    reading, parsed, match, scores, step = _answer(st, request, sections)
    suggestions = suggestions_for(st, request, int(np.count_nonzero(match)) if step == "exact" else 0)

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

    matched = np.flatnonzero(match)  # counted as document numbers: often few next to the index

    def among(skip: str | None) -> np.ndarray:
        out = matched
        for f, m in masks.items():
            if f != skip and m is not None:
                out = out[m[out]]
        return out

    facet_counts: dict[str, list[FacetValue]] = {}
    for f in masks:
        if f == "section" and parsed.positive_terms():
            # A section selection restricts where the query matches, so each kind's count
            # is the number of reports the query matches inside sections of that kind.
            others = combined("section", cols.live)
            if dates is not None:
                others &= dates
            # only the reports counted below need their sections looked at: those among
            # the other selections, and (without a section selection) matched at all
            counted = others if sections else others & match
            per_kind = st.executor.section_masks(parsed, cols.kinds, counted)
            count = facets.collapsed_total if request.collapse else \
                (lambda _cols, m: int(np.count_nonzero(m)))
            pairs = sorted(((k, count(cols, m & others)) for k, m in per_kind.items()),
                           key=lambda p: (-p[1], p[0]))
            facet_counts[f] = [FacetValue(v, c) for v, c in pairs if c]
            continue
        pairs = facets.count(cols, f, among(f), collections, request.collapse)
        facet_counts[f] = [FacetValue(v, c) for v, c in pairs]

    docs = among(None)
    if request.sort == "date" or parsed.empty:
        primary, secondary = cols.date, scores
    else:
        primary, secondary = scores, cols.date
    start = (request.page - 1) * request.per_page
    if request.collapse and cols.groups:
        total, page_docs, duplicates = _collapsed_page(cols, docs, primary, secondary, start, request.per_page)
    else:
        total, duplicates = len(docs), {}
        page_docs = ranking(docs, primary, secondary, start + request.per_page)[start:]
    keys = highlight_keys(parsed)
    hits = [render_hit(st, int(d), float(scores[d]), keys, sections,
                 [cols.report_ids[x] for x in duplicates.get(int(d), [])]) for d in page_docs]
    return SearchResponse(
        query=request.q, understood=reading.understood(), total=int(total),
        page=request.page, per_page=request.per_page, results=hits, facets=facet_counts,
        relaxed=None if step == "exact" else step, expansions=parsed.expansions(), suggestions=suggestions,
    )


def ranking(docs: np.ndarray, primary: np.ndarray, secondary: np.ndarray, need: int) -> np.ndarray:
    """The first `need` of `docs` (ascending document numbers) ordered by `primary`
    descending, then `secondary` descending, then document number: the start of a full
    sort, without sorting every match (hundreds of thousands for a common phrase). Only
    the documents whose primary value reaches the need-th largest one are sorted."""
    if need < len(docs) and len(docs) > 4 * need + 1024:
        p = primary[docs]
        cut = len(p) - need
        docs = docs[p >= np.partition(p, cut)[cut]]  # ties at the cut included
    order = np.lexsort((docs, -secondary[docs], -primary[docs]))
    return docs[order[:need]]


def _collapsed_page(cols: facets.Columns, docs: np.ndarray, primary: np.ndarray, secondary: np.ndarray,
                    start: int, per_page: int) -> tuple[int, np.ndarray, dict[int, list[int]]]:
    """(total, page, duplicates) of a ranking in which each near-duplicate group shows
    once, by its best-ranked member; `duplicates` maps a page member to the rest of its
    group among `docs`, in ranking order. The ranking is read in growing prefixes until
    the page is full: a group's best member is the first of its group in any prefix."""
    total = facets.collapsed_total(cols, docs)
    need = start + per_page
    size = need
    while True:
        ranked = ranking(docs, primary, secondary, size)
        g = cols.group[ranked]
        keep = g < 0
        _, first = np.unique(g, return_index=True)
        first = first[g[first] >= 0]
        keep[first] = True
        shown = ranked[keep]
        if len(shown) >= need or len(ranked) >= len(docs):
            break
        size *= 4
    page = shown[start:need]
    duplicates: dict[int, list[int]] = {}
    groups = cols.group[docs] if len(page) else None
    for doc in page.tolist():
        gid = int(cols.group[doc])
        if gid >= 0:
            members = docs[groups == gid]
            order = np.lexsort((members, -secondary[members], -primary[members]))
            duplicates[doc] = [int(x) for x in members[order] if x != doc]
    return total, page, duplicates


def _answer(st: _State, request: SearchRequest, sections: list[str]):
    """(reading, query searched, match, scores, ladder step) for a request: the first
    reading, else the literal one (field prefixes as text); each step of the ladder only
    when every reading found nothing at the steps before it. The reading is what
    "查询理解为" shows; the query searched is that reading at the step."""
    options = ladder.reading_options(request.q, st.tables if request.expand else [], st.user_dict)
    first = options[0]
    match, scores = _run(st, first, sections)
    if match.any() or first.empty:
        return first, first, match, scores, "exact"
    for step, reading, q in ladder.attempts(options, st.user_dict):
        m, s = _run(st, q, sections)
        if m.any():
            return reading, q, m, s, step
    return first, first, match, scores, "exact"


def suggestions_for(st: _State, request: SearchRequest, found: int) -> list[suggest.Suggestion]:
    """Did-you-mean for a query whose typed reading found fewer than
    SETTINGS.index.suggest_below reports: candidates from the index vocabulary, each
    checked against the index (exact reading, no filters); kept when it finds something
    and at least three times what was typed."""
    if found >= SETTINGS.index.suggest_below or not request.q.strip():
        return []
    limit = SETTINGS.index.suggest_candidates
    typed = parse(request.q)
    vocab = st.vocabulary()
    candidates: list[tuple[str, str]] = [(q, "pinyin") for q in suggest.pinyin_candidates(vocab, request.q, limit)]
    for gi, group in enumerate(typed.must):
        for ti, term in enumerate(group):
            for fixed, kind in suggest.corrections(vocab, term.key, limit):
                must = [list(g) for g in typed.must]
                must[gi][ti] = replace(term, key=fixed)
                candidates.append((ParsedQuery(must=must, must_not=typed.must_not, years=typed.years).as_query(), kind))
    tables = st.tables if request.expand else []
    out: list[suggest.Suggestion] = []
    for q, kind in candidates[: 2 * limit]:
        if q == request.q or any(s.q == q for s in out):
            continue
        total = _count(st, expand.expand(parse(q), tables, st.user_dict))
        if total >= max(1, 3 * found):  # clearly more than what was typed finds
            out.append(suggest.Suggestion(q, kind, total))
            if len(out) >= 3:
                break
    return out


def highlight_keys(parsed: ParsedQuery) -> list:
    """What snippets mark for each any-field term, by how it matched: its key, its words,
    or (punctuation step) a pattern allowing punctuation between its characters. At most
    MAX_HIGHLIGHTS of them, the longest (a snippet's cost grows with their square)."""
    keys: dict = {}
    for t in parsed.positive_terms():
        if t.field != "any":
            continue
        if t.kind == "loose":
            keys[snippets.loose_pattern(t.key, SETTINGS.index.loose_max_gap)] = len(t.key)
        elif t.kind in ("near", "words"):
            keys.update((w, len(w)) for w in t.words)
        else:
            keys[t.key] = len(t.key)
    if len(keys) > MAX_HIGHLIGHTS:
        keys = dict(sorted(keys.items(), key=lambda kv: -kv[1])[:MAX_HIGHLIGHTS])
    return list(keys)


def render_hit(st: _State, docnum: int, score: float, keys: list, sections: list[str],
               dups: list[str]) -> Hit:
    doc = st.store.hit(docnum)
    info = doc.row
    spans = info.get("spans") or []
    source = doc
    if keys and any(isinstance(k, re.Pattern) for k in keys):
        # the ladder's punctuation step (rare): its matches are found in the whole text
        body = doc.text(0, doc.body_length)
        form, offsets = analysis.index_form_with_offsets(body)
        source = snippets.TextSource(body, form, offsets)
        found = snippets.find_spans(form, keys)
    elif keys:
        # the executor's occurrences of each key in this report: only their windows are read
        post = st.executor.post
        positions = [post.within_doc("body_c", occurrence_keys(post, "body_c", k), docnum) for k in keys]
        found = snippets.key_spans(doc, positions, [len(k) for k in keys])
    else:
        found = []
    allowed = [(a, b) for kind, a, b in spans if kind in sections] if sections and keys else None
    snippet, matched = snippets.render(source, found, allowed)
    if keys:
        kinds = []
        starts = [s for s, _e in matched]  # ascending
        for kind, a, b in spans:
            i = bisect.bisect_left(starts, a)
            if kind not in kinds and i < len(starts) and starts[i] < b:
                kinds.append(kind)
    else:
        kinds = list(dict.fromkeys(kind for kind, _a, _b in spans))
    return Hit(
        report_id=info["id"], source=info.get("source") or "", part=int(info.get("part") or 1),
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
    doc = st.cols.doc_of.get(report_id)
    if doc is None or not st.cols.live[doc]:
        return None
    group = st.cols.groups[st.cols.group[doc]] if st.cols.group[doc] >= 0 else [report_id]
    parts = int(st.cols.parts[doc])
    report = st.store.report(doc)
    report.pop("type", None)
    report["provenance"] = {k: report.get(k) for k in
                            ("source", "part", "url", "site", "page_title", "encoding", "publish_date")}
    report["provenance"]["page_hash"] = st.store.row(doc).get("page_hash")
    report["duplicate_group"] = list(group)
    report["duplicates"] = [r for r in group if r != report_id]
    report["parts"] = parts  # reports extracted from the same page
    return report


def more_like_this(index: Index, report_id: str, limit: int = 10) -> list[Hit]:
    """Reports sharing the most distinctive words of this one: its `MLT_TERMS` words of
    highest tf-idf, weighted by it, scored with BM25 over the word view. The report's
    own family is left out: the other parts of its page and its near-duplicates (shown
    as versions, not as further reading)."""
    st = index.state()
    limit = min(max(1, int(limit)), MAX_PER_PAGE)
    cols = st.cols
    doc = cols.doc_of.get(report_id)
    if doc is None or not cols.live[doc]:
        return []
    k = analysis.key(st.store.report(doc).get("body") or "")
    counts: dict[str, int] = {}
    for w in analysis.words(k, st.user_dict):
        if len(w) > 1:
            counts[w] = counts.get(w, 0) + 1
    post = st.executor.post
    n = max(1, int(cols.live.sum()))
    weighted = []
    for w, tf in counts.items():
        df = post.word_frequency("body_w", w)
        if 0 < df < n:
            weighted.append((tf * math.log(n / df), w))
    weighted.sort(reverse=True)
    if not weighted:
        return []
    lengths = cols.lengths["body_w"]
    avg = float(lengths.sum()) / max(1, cols.n) or 1.0
    score = np.zeros(cols.n)
    for weight, w in weighted[:MLT_TERMS]:
        docs, tf = post.term("body_w", w)
        idf = math.log(cols.n / (post.word_frequency("body_w", w) + 1)) + 1
        score[docs] += round(weight, 3) * idf * tf * (K1 + 1) / (tf + length_norm(lengths[docs], avg, B))
    family = (cols.page == cols.page[doc]) if cols.page[doc] >= 0 else np.zeros(cols.n, dtype=bool)
    if cols.group[doc] >= 0:
        family |= cols.group == cols.group[doc]
    family[doc] = True
    score[~cols.live | family] = 0.0
    found = np.flatnonzero(score > 0)
    picked = found[np.lexsort((found, -score[found]))][:limit]
    return [render_hit(st, int(d), float(score[d]), [], [], []) for d in picked]
