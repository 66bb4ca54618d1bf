"""Query execution with numpy over both views of the text.

Whoosh's matchers walk postings one document at a time in Python, and its phrase matcher
builds a Python object per position: a common phrase over 50,000 reports takes seconds.
Here both views are decoded from memory-mapped packed lists (charindex.py) and
everything after that is vectorized:

- a bigram's postings become one sorted int64 array of positions in the generation's
  position space (each document's key at ``gstart[doc]``, one unused position after
  it), kept in a byte-bounded LRU (`TERM_CACHE_BYTES`); a bigram whose candidate
  documents are few decodes only the blocks of its list that can hold them;
- a phrase is the intersection of its bigrams' positions minus their offsets: a merge
  of two sorted arrays when their sizes are close, a binary search otherwise; its
  occurrences (and their counts per section) are cached too, as matching, the section
  facet, snippets and a relaxed retry all ask for them;
- a section filter keeps occurrences that lie inside a section range of a selected kind;
- AND / OR / NOT / year ranges are boolean masks over document numbers;
- ranking is BM25F: phrase frequency in body and (boosted) title, plus the word view.

Nothing here holds a lock while it computes: the caches are shared by the threads of a
server and only their bookkeeping is guarded.
"""
from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict

import numpy as np

from . import analysis, charindex
from .charindex import EMPTY
from ..settings import SETTINGS
from .query import TITLE_BOOST, WORD_TITLE_BOOST, ParsedQuery, Term

K1, B, TITLE_B = 1.2, 0.75, 0.3
# Decoded posting arrays kept per generation: a common bigram's occurrences take tens of
# MB at 50,000 pages, and decoding them again costs far more than the memory.
TERM_CACHE_BYTES = SETTINGS.index.term_cache_mb * 2**20
# Decode only the candidate documents' blocks of a token's list when the list holds more
# than PARTIAL_READ_RATIO positions per candidate document; otherwise decode (and cache) it all.
PARTIAL_READ_RATIO = 64
SPAN_CACHE_TOKENS = 200_000  # tokens whose per-segment list numbers are remembered
CACHED_COST = 0.05  # relative cost of a posting list already decoded (phrase cover choice)


def _nbytes(entry) -> int:
    return sum(a.nbytes for a in entry if a is not None)


class Postings:
    """Per-generation access to whole posting lists as arrays, with an LRU cache bounded
    by bytes (`TERM_CACHE_BYTES`; the environment's DANGAN_TERM_CACHE_MB overrides it).

    Both views come from the segments' memory-mapped ``.chars`` files (charindex.py).
    Positions of segment s are shifted by ``base[field][s]`` into one position space for
    the generation; ``gstart[field]`` holds where each document's key starts in it."""

    def __init__(self, reader, n: int, folder):
        leaves = list(reader.leaf_readers())
        self.segs = [(charindex.SegmentPostings(charindex.path_for(folder, leaf.segment().segment_id())), offset)
                     for leaf, offset in leaves]
        self.ends = [offset + leaf.doc_count_all() for leaf, offset in leaves]
        self.n = n
        self.base: dict[str, list[int]] = {}
        self.gstart: dict[str, np.ndarray] = {}
        for field in charindex.FIELDS:
            parts, bases, base = [], [], 0
            for seg, _offset in self.segs:
                dstart = seg.dstart[field].astype(np.int64)
                parts.append(dstart[:-1] + base)
                bases.append(base)
                base += int(dstart[-1])
            parts.append(np.array([base], dtype=np.int64))
            self.base[field] = bases
            self.gstart[field] = np.concatenate(parts)
        self.cache: OrderedDict = OrderedDict()
        self.cached_bytes = 0
        self.lock = threading.Lock()  # guards the cache's bookkeeping only
        self.slots: dict[tuple[str, str], list[int]] = {}

    def _get(self, key):
        with self.lock:
            hit = self.cache.get(key)
            if hit is not None:
                self.cache.move_to_end(key)
            return hit

    def _put(self, key, out):
        for a in out:
            if a is not None:
                a.flags.writeable = False  # shared by every query that hits the cache
        with self.lock:
            if key in self.cache:
                return self.cache[key]  # another thread got there first
            self.cache[key] = out
            self.cached_bytes += _nbytes(out)
            while self.cached_bytes > TERM_CACHE_BYTES and len(self.cache) > 1:
                _, old = self.cache.popitem(last=False)
                self.cached_bytes -= _nbytes(old)
        return out

    def clear_cache(self) -> None:
        with self.lock:
            self.cache.clear()
            self.cached_bytes = 0

    # ------------------------------------------------------------ character view

    def _slots(self, field: str, text: str) -> list[int]:
        """List number of a token in each segment (-1: absent). A phrase asks for them
        twice (its cover is chosen by frequency, then read), with a binary search per
        segment each time: remembered, a few dozen bytes a token (forgotten wholesale
        when full)."""
        key = (field, text)
        hit = self.slots.get(key)
        if hit is None:
            if len(self.slots) >= SPAN_CACHE_TOKENS:
                self.slots = {}
            code = charindex.token_code(text)
            hit = self.slots[key] = [seg.slot(field, code) for seg, _ in self.segs]
        return hit

    def keys(self, field: str, text: str) -> np.ndarray:
        """Every occurrence of a character-view token as one sorted int64 array of
        positions: what phrase intersection works on."""
        key = (field, text, "keys")
        hit = self._get(key)
        if hit is not None:
            return hit[0]
        parts = [seg.positions(field, t, base)
                 for (seg, _), t, base in zip(self.segs, self._slots(field, text), self.base[field]) if t >= 0]
        out = (parts[0] if len(parts) == 1 else np.concatenate(parts)) if parts else EMPTY
        return self._put(key, (out,))[0]

    def cached(self, field: str, text: str) -> bool:
        return (field, text, "keys") in self.cache

    def keys_within(self, field: str, text: str, docs: np.ndarray) -> np.ndarray:
        """Like `keys`, but only sure to hold the occurrences in `docs` (sorted document
        numbers): when those are few next to the token's occurrences, only the blocks of
        its lists that can hold them are decoded, and nothing is cached."""
        hit = self._get((field, text, "keys"))
        if hit is not None:
            return hit[0]
        slots = self._slots(field, text)
        if len(docs) * PARTIAL_READ_RATIO >= self.frequency(field, text):
            return self.keys(field, text)  # most blocks would be decoded anyway: all, cached
        parts = []
        for (seg, offset), t, end, base in zip(self.segs, slots, self.ends, self.base[field]):
            lo, hi = np.searchsorted(docs, [offset, end])
            if hi > lo and t >= 0:
                parts.append(seg.positions_within(field, t, docs[lo:hi] - offset) + base)
        return np.concatenate(parts) if parts else EMPTY

    def frequency(self, field: str, text: str) -> int:
        """Total occurrences of a character-view token."""
        return sum(seg.count(field, t) for (seg, _), t in zip(self.segs, self._slots(field, text)))

    def prefix_keys(self, field: str, char: str) -> np.ndarray:
        """Sorted positions of every token starting with `char`: the occurrences of
        `char` (every position starts exactly one token)."""
        lo, hi = charindex.code_range(char)
        parts = [seg.positions(field, t, base)
                 for (seg, _), base in zip(self.segs, self.base[field]) for t in seg.slots(field, lo, hi)]
        return np.sort(np.concatenate(parts)) if parts else EMPTY

    def docs_of(self, field: str, occ: np.ndarray) -> np.ndarray:
        """Sorted distinct documents of sorted positions."""
        return sorted_unique(np.searchsorted(self.gstart[field], occ, side="right") - 1)

    def doc_counts(self, field: str, occ: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(documents, occurrences in each) of sorted positions `occ`."""
        gstart = self.gstart[field]
        if len(occ) * 4 < len(gstart):  # few: find each one's document
            return sorted_unique(np.searchsorted(gstart, occ, side="right") - 1, counts=True)
        counts = np.diff(np.searchsorted(occ, gstart))  # many: find each document's run
        docs = np.flatnonzero(counts)
        return docs, counts[docs]

    def within_doc(self, field: str, occ: np.ndarray, doc: int) -> np.ndarray:
        """Key positions inside document `doc` of the sorted positions `occ`."""
        gstart = self.gstart[field]
        a, b = np.searchsorted(occ, gstart[doc:doc + 2])
        return occ[a:b] - gstart[doc]

    # ------------------------------------------------------------ word view

    def term(self, field: str, text: str):
        """(docs int64 ascending, freqs int64) of a word-view term."""
        key = (field, text, "words")
        hit = self._get(key)
        if hit is not None:
            return hit
        parts = [(d + offset, tf) for (seg, offset) in self.segs for d, tf in [seg.word_postings(field, text)]
                 if len(d)]
        if not parts:
            return EMPTY, EMPTY
        return self._put(key, (np.concatenate([d for d, _ in parts]), np.concatenate([t for _, t in parts])))

    def word_frequency(self, field: str, text: str) -> int:
        """Documents holding a word-view term (deleted ones included, like Whoosh's)."""
        return sum(seg.word_frequency(field, text) for seg, _ in self.segs)


def _intersect_sorted(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Values of `a` also in `b` (both sorted, without repeats)."""
    if not len(a) or not len(b):
        return EMPTY
    if len(b) < 2 * len(a):
        # similar sizes: merge the two sorted runs (a stable sort of two runs is a
        # linear merge) and keep the values that appear twice
        c = np.concatenate((a, b))
        c.sort(kind="stable")
        return c[:-1][c[1:] == c[:-1]]
    # a much smaller: binary search of each of its values in b
    idx = np.searchsorted(b, a)
    idx[idx == len(b)] = 0
    return a[b[idx] == a]


def cover(tokens: list[str], costs: list[float]) -> list[int]:
    """Offsets of the cheapest set of a key's bigrams that covers every character.

    Bigram i covers characters i and i+1, so if the chosen bigrams all occur at their
    offsets from one start position, the whole key occurs there: no need to read the
    posting lists of the others (the common ones, preferably). Chosen offsets start at 0,
    end at the last bigram, and are at most 2 apart: a two-term recurrence."""
    n = len(tokens)
    best = [0.0] * n
    back = [-1] * n
    for i in range(n):
        if i == 0:
            best[i] = costs[0]
            continue
        j = i - 1 if i < 2 or best[i - 1] <= best[i - 2] else i - 2
        best[i], back[i] = costs[i] + best[j], j
    chosen, i = [], n - 1
    while i >= 0:
        chosen.append(i)
        i = back[i]
    return sorted(chosen)


def sorted_unique(a: np.ndarray, counts: bool = False):
    """np.unique of an already sorted array (one pass, no sort or hash table)."""
    if not len(a):
        return (a, EMPTY) if counts else a
    first = np.empty(len(a), dtype=bool)
    first[0] = True
    np.not_equal(a[1:], a[:-1], out=first[1:])
    idx = np.flatnonzero(first)
    if not counts:
        return a[idx]
    return a[idx], np.diff(np.append(idx, len(a)))


def occurrence_keys(post: Postings, field: str, k: str) -> np.ndarray:
    """Sorted start positions of every occurrence of key `k` in a
    character-view field (kept in the posting cache: a query needs them for matching,
    section counts and again for its relaxed or paged variants)."""
    if len(k) == 2:  # one bigram: its postings are the occurrences
        return post.keys(field, k)
    ckey = (field, k, "occ")
    hit = post._get(ckey)
    if hit is not None:
        return hit[0]
    return post._put(ckey, (_occurrence_keys(post, field, k),))[0]


def _occurrence_keys(post: Postings, field: str, k: str) -> np.ndarray:
    if len(k) == 1:
        return post.prefix_keys(field, k)
    if len(k) == 2:  # one bigram: its postings are the occurrences
        return post.keys(field, k)
    tokens = analysis.phrase_tokens(k)
    sizes = [post.frequency(field, t) for t in tokens]
    if not all(sizes):
        return EMPTY
    # Any cover gives the same occurrences; prefer bigrams already decoded (reading a
    # posting list costs far more than intersecting one that is in memory).
    costs = [n * (CACHED_COST if post.cached(field, t) else 1.0) for n, t in zip(sizes, tokens)]
    chosen = cover(tokens, costs)
    chosen.sort(key=lambda i: sizes[i])  # rarest bigram first
    i = chosen[0]
    raw = post.keys(field, tokens[i])
    # start = position - i (a start before a document, from a bigram near its beginning,
    # finds no bigram of the cover at its offset: no chain of bigrams crosses the unused
    # position between two documents)
    keys = raw - i
    keys = keys[keys >= 0]
    for i in chosen[1:]:
        if not len(keys):
            return EMPTY
        # keep the starts whose bigram i occurs at start + i; only the candidate
        # documents' postings are needed
        raw = post.keys_within(field, tokens[i], post.docs_of(field, keys + i))
        keys = _intersect_sorted(keys + i, raw) - i
    return keys


class SectionRanges:
    """Ranges of all sections in the body's position space (`Postings.gstart`): sorted
    ``start`` and ``end`` arrays, with the document and kind of each range (sections of
    a report never overlap)."""

    def __init__(self, reader, live: np.ndarray, gstart: np.ndarray):
        rows: list[tuple[int, int, int, int]] = []
        self.kinds: list[str] = []
        code: dict[str, int] = {}
        for leaf, offset in reader.leaf_readers():
            if not leaf.has_column("secpos"):
                continue
            col = leaf.column_reader("secpos")
            for local in range(leaf.doc_count_all()):
                doc = offset + local
                if not live[doc]:
                    continue
                raw = col[local]
                if raw:
                    for kind, a, b in json.loads(raw):
                        if kind not in code:
                            code[kind] = len(self.kinds)
                            self.kinds.append(kind)
                        rows.append((doc, a, b, code[kind]))
        arr = np.array(rows, dtype=np.int64).reshape(-1, 4)
        self.set(arr[:, 0], gstart[arr[:, 0]] + arr[:, 1], gstart[arr[:, 0]] + arr[:, 2], arr[:, 3])

    def set(self, doc: np.ndarray, start: np.ndarray, end: np.ndarray, kind: np.ndarray) -> None:
        order = np.argsort(start, kind="stable")
        self.doc, self.start, self.end, self.kind = doc[order], start[order], end[order], kind[order]

    def counts(self, occ: np.ndarray, klen: int) -> np.ndarray:
        """Occurrences (sorted start positions) of a `klen`-character key lying entirely
        inside each range. The occurrences of range r are one slice of `occ`, from r's
        start to its last possible start: two binary searches per range, so the cost
        follows the number of sections, not the number of occurrences (a common bigram
        occurs millions of times at 50,000 pages) — unless occurrences are fewer."""
        if not len(self.start) or not len(occ):
            return np.zeros(len(self.start), dtype=np.int64)
        if len(occ) * 4 < len(self.start):
            # Few occurrences: find each one's range instead (the last range starting
            # at or before it, which must hold the whole key).
            idx = np.searchsorted(self.start, occ, side="right") - 1
            ok = idx >= 0
            idx = np.where(ok, idx, 0)
            ok &= occ + klen <= self.end[idx]
            return np.bincount(idx[ok], minlength=len(self.start))
        lo = np.searchsorted(occ, self.start, side="left")
        hi = np.searchsorted(occ, np.maximum(self.end - klen + 1, self.start), side="left")
        return hi - lo

    def codes(self, kinds) -> list[int]:
        return [self.kinds.index(k) for k in kinds if k in self.kinds]


def _bm25(tf: np.ndarray, dl: np.ndarray, avgdl: float, df: int, n: int, b: float) -> np.ndarray:
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
    norm = K1 * (1 - b + b * dl / max(avgdl, 1e-9))
    return idf * tf * (K1 + 1) / (tf + norm)


class Executor:
    def __init__(self, reader, cols, folder):
        self.cols = cols
        self.post = Postings(reader, cols.n, folder)
        self.sections = SectionRanges(reader, cols.live, self.post.gstart["body_c"])
        self.live_n = max(1, int(cols.live.sum()))
        self.avg = {f: float(cols.lengths[f][cols.live].mean()) if cols.live.any() else 1.0
                    for f in cols.lengths}

    def _section_counts(self, k: str, occ: np.ndarray) -> np.ndarray:
        """Occurrences of body_c key `k` inside each section range (cached with its
        postings: the section filter and the section facet both ask)."""
        ckey = ("body_c", k, "sections")
        hit = self.post._get(ckey)
        if hit is not None:
            return hit[0]
        return self.post._put(ckey, (self.sections.counts(occ, len(k)),))[0]

    def _phrase(self, field: str, k: str, kinds: list[str] | None, boost: float, b: float):
        n = self.cols.n
        mask = np.zeros(n, dtype=bool)
        score = np.zeros(n)
        occ = occurrence_keys(self.post, field, k)
        if kinds is None:
            udocs, tf = self.post.doc_counts(field, occ)
        else:
            counts = self._section_counts(k, occ)
            sel = np.isin(self.sections.kind, self.sections.codes(kinds)) & (counts > 0)
            per_doc = np.bincount(self.sections.doc[sel], weights=counts[sel], minlength=n)
            udocs = np.flatnonzero(per_doc)
            tf = per_doc[udocs]
        if len(udocs):
            mask[udocs] = True
            score[udocs] = boost * _bm25(tf, self.cols.lengths[field][udocs], self.avg[field],
                                         len(udocs), self.live_n, b)
        return mask, score

    def match_term(self, term: Term, sections: list[str] | None):
        if term.field == "title":
            return self._phrase("title_c", term.key, None, TITLE_BOOST, TITLE_B)
        if term.field == "unit":
            return self._phrase("unit_c", term.key, None, 1.0, B)
        if sections:
            # Section filter: only text inside sections of those kinds matches (not the title).
            return self._phrase("body_c", term.key, sections, 1.0, B)
        m1, s1 = self._phrase("body_c", term.key, None, 1.0, B)
        m2, s2 = self._phrase("title_c", term.key, None, TITLE_BOOST, TITLE_B)
        return m1 | m2, s1 + s2

    def words_score(self, terms: list[Term], user_dict: str | None) -> np.ndarray:
        score = np.zeros(self.cols.n)
        for term in terms:
            fields = {"any": [("title_w", WORD_TITLE_BOOST, TITLE_B), ("body_w", 1.0, B)],
                      "title": [("title_w", WORD_TITLE_BOOST, TITLE_B)],
                      "unit": [("unit_w", 1.0, B)]}[term.field]
            for w in dict.fromkeys(analysis.words(term.key, user_dict)):
                for field, boost, b in fields:
                    docs, tf = self.post.term(field, w)
                    if len(docs):
                        score[docs] += boost * _bm25(tf, self.cols.lengths[field][docs], self.avg[field],
                                                     len(docs), self.live_n, b)
        return score

    def section_masks(self, parsed: ParsedQuery, kinds: list[str]) -> dict[str, np.ndarray]:
        """For each section kind, the documents the query matches when restricted to
        sections of that kind (what selecting the kind in the facet would give)."""
        cols = self.cols
        base = cols.live.copy()
        for lo, hi in parsed.years:
            base &= (cols.year_num >= lo) & (cols.year_num <= hi)
        for term in parsed.must_not:
            base &= ~self.match_term(term, None)[0]
        occ = {}
        sections = self.sections
        for t in parsed.positive_terms():
            if t.field == "any" and t.key not in occ:
                counts = self._section_counts(t.key, occurrence_keys(self.post, "body_c", t.key))
                # one row per kind code, a doc mask each
                rows = np.zeros((len(sections.kinds), cols.n), dtype=bool)
                hit = counts > 0
                rows[sections.kind[hit], sections.doc[hit]] = True
                occ[t.key] = rows
        fixed = {(t.field, t.key): self.match_term(t, None)[0]
                 for t in parsed.positive_terms() if t.field != "any"}
        out = {}
        for kind in kinds:
            mask = base.copy()
            for group in parsed.must:
                gmask = np.zeros(cols.n, dtype=bool)
                for term in group:
                    if term.field != "any":
                        gmask |= fixed[(term.field, term.key)]
                        continue
                    for code in self.sections.codes([kind]):
                        gmask |= occ[term.key][code]
                mask &= gmask
            out[kind] = mask
        return out

    def run(self, parsed: ParsedQuery, sections: list[str] | None,
            user_dict: str | None) -> tuple[np.ndarray, np.ndarray]:
        """(match mask, score) over all document numbers; deleted documents excluded."""
        cols = self.cols
        if parsed.empty:
            return cols.live.copy(), np.zeros(cols.n)
        mask = cols.live.copy()
        score = np.zeros(cols.n)
        for group in parsed.must:
            gmask = np.zeros(cols.n, dtype=bool)
            for term in group:
                m, s = self.match_term(term, sections or None)
                gmask |= m
                score += s
            mask &= gmask
        for lo, hi in parsed.years:
            mask &= (cols.year_num >= lo) & (cols.year_num <= hi)
        for term in parsed.must_not:
            m, _ = self.match_term(term, None)
            mask &= ~m
        if mask.any():
            score += self.words_score(parsed.positive_terms(), user_dict)
        score[~mask] = 0.0
        return mask, score
