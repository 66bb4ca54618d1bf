"""Query execution with numpy over both views of the text.

Whoosh's matchers walk postings one document at a time in Python, and its phrase matcher
builds a Python object per position: a common phrase over 50,000 reports takes seconds.
Here both views are decoded from memory-mapped packed lists (charindex.py) and
everything after that is vectorized:

- a bigram's postings become one sorted int64 array of positions in the generation's
  position space (each document's key at ``gstart[doc]``, one unused position after
  it), kept in a byte-bounded LRU (`TERM_CACHE_BYTES`); a bigram whose candidate
  documents are few decodes only the blocks of its list that can hold them;
- a phrase is the intersection of its bigrams' positions minus their offsets (a merge
  of two sorted arrays, kernels.py, as are the counts per document and section); its
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

from . import analysis, charindex, kernels
from .charindex import EMPTY
from .kernels import sorted_unique
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
ALTERNATIVE_WEIGHT = SETTINGS.index.alternative_weight  # score of an expansion alternative
FEW_CANDIDATES = 64  # loose phrases: stop narrowing candidate documents below this many
LOOSE_ANCHOR_RATIO = 4  # loose phrases: a pair this much rarer than the first bounds the walk
SECTION_CANDIDATE_RATIO = SETTINGS.index.section_candidate_ratio  # section facet: its reports only
WANTED_RATIO = SETTINGS.index.word_score_lookup_ratio  # word scores: the matched reports only


def _nbytes(entry) -> int:
    """Bytes an entry holds: a view holds its whole buffer (the merge kernels return
    the used part of theirs)."""
    return sum(a.base.nbytes if isinstance(a.base, np.ndarray) and a.base.nbytes > a.nbytes else a.nbytes
               for a in entry if a is not None)


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
        self.extra: dict = {}  # punctuation and follower sets (ladder's punctuation step)
        self._word_tables: dict[str, tuple[np.ndarray, ...]] = {}  # `word_table`
        self._word_tables_lock = threading.Lock()

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

    def hot_tokens(self, field: str, per_segment: int = 4096) -> list[tuple[str, int]]:
        """The field's most frequent tokens, commonest first, with their occurrences:
        each segment's `per_segment` longest lists, ranked by their lengths summed over
        the segments where they are among those (a lower bound of the token's count)."""
        codes, counts = [], []
        for seg, _ in self.segs:
            n = np.diff(seg.lists[field].n.astype(np.int64))
            top = np.argpartition(n, -per_segment)[-per_segment:] if len(n) > per_segment else np.arange(len(n))
            codes.append(seg.terms[field][top])
            counts.append(n[top])
        if not codes:
            return []
        uniq, inv = np.unique(np.concatenate(codes), return_inverse=True)
        total = np.bincount(inv, weights=np.concatenate(counts)).astype(np.int64)
        order = np.lexsort((uniq, -total))
        return [(charindex.code_token(code), n) for code, n in zip(uniq[order].tolist(), total[order].tolist())]

    def warm(self, field: str, budget_bytes: int) -> int:
        """Decode (into the cache) the positions of the field's most frequent tokens, the
        commonest first, while they fit in `budget_bytes`; returns the bytes decoded."""
        budget = min(budget_bytes, TERM_CACHE_BYTES // 2)
        used = 0
        for token, at_least in self.hot_tokens(field):
            if used + 8 * at_least > budget:
                continue  # a smaller one may still fit
            size = 8 * self.frequency(field, token)
            if used + size > budget:
                continue
            self.keys(field, token)
            used += size
        return used

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
        found = [(seg.lists[field], t, base, seg.count(field, t))
                 for (seg, _), t, base in zip(self.segs, self._slots(field, text), self.base[field]) if t >= 0]
        out = np.empty(sum(n for *_, n in found), dtype=np.int64)
        at = 0
        for lists, t, base, n in found:  # each segment's list decoded in place, in segment order
            lists.decode_into(t, base, out[at:at + n])
            at += n
        return self._put(key, (out if len(out) else EMPTY,))[0]

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
        if self.reads_whole(field, text, len(docs)):
            return self.keys(field, text)  # most blocks would be decoded anyway: all, cached
        parts = []
        for (seg, offset), t, end, base in zip(self.segs, slots, self.ends, self.base[field]):
            lo, hi = np.searchsorted(docs, [offset, end])
            if hi > lo and t >= 0:
                parts.append(seg.positions_within(field, t, docs[lo:hi] - offset) + base)
        return np.concatenate(parts) if parts else EMPTY

    def reads_whole(self, field: str, text: str, ndocs: int) -> bool:
        """Whether `keys_within` over `ndocs` documents reads the token's whole list
        (already decoded, or most of its blocks would be): callers holding positions
        can ask with their count, an upper bound of their documents, before paying for
        the documents of every position."""
        return self.cached(field, text) or ndocs * PARTIAL_READ_RATIO >= self.frequency(field, text)

    def frequency(self, field: str, text: str) -> int:
        """Total occurrences of a character-view token."""
        return sum(seg.count(field, t) for (seg, _), t in zip(self.segs, self._slots(field, text)))

    def doc_count(self, field: str, text: str) -> int:
        """How common a character-view token is, for ordering tokens by rarity: its
        occurrences (an upper bound of its documents, known without decoding)."""
        return self.frequency(field, text)

    def token_docs(self, field: str, text: str) -> np.ndarray:
        """Sorted documents holding a character-view token."""
        return self.docs_of(field, self.keys(field, text))

    def punctuation(self, field: str) -> frozenset[str]:
        """Characters of the field's keys that are neither letters, digits nor CJK (read
        once per generation from the token tables)."""
        key = (field, "punctuation")
        if key not in self.extra:
            chars: set[int] = set()
            for seg, _ in self.segs:
                chars.update(int(c) for c in sorted_unique(seg.terms_in(field, 0, 1 << 42) >> np.uint64(charindex.SHIFT)))
            self.extra[key] = frozenset(chr(c) for c in chars if c and not analysis.wordy(chr(c)))
        return self.extra[key]

    def followers(self, field: str, char: str, among: frozenset[str]) -> list[str]:
        """Bigrams `char` + x present in the field, for x in `among`."""
        key = (field, "followers", char)
        hit = self.extra.get(key)
        if hit is None:
            lo, hi = charindex.code_range(char)
            seconds: set[int] = set()
            for seg, _ in self.segs:
                seconds.update(int(c) for c in seg.terms_in(field, lo, hi) & np.uint64((1 << charindex.SHIFT) - 1))
            hit = [char + chr(c) for c in sorted(seconds) if c and chr(c) in among]
            if len(self.extra) >= SPAN_CACHE_TOKENS:
                self.extra.clear()
            self.extra[key] = hit
        return hit

    def prefix_keys(self, field: str, char: str) -> np.ndarray:
        """Sorted positions of every token starting with `char`: the occurrences of
        `char` (every position starts exactly one token)."""
        lo, hi = charindex.code_range(char)
        parts = [seg.positions(field, t, base)
                 for (seg, _), base in zip(self.segs, self.base[field]) for t in seg.slots(field, lo, hi)]
        return np.sort(np.concatenate(parts)) if parts else EMPTY

    def docs_of(self, field: str, occ: np.ndarray) -> np.ndarray:
        """Sorted distinct documents of sorted positions."""
        return kernels.runs_per_bucket(occ, self.gstart[field])[0]

    def doc_counts(self, field: str, occ: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(documents, occurrences in each) of sorted positions `occ`."""
        return kernels.runs_per_bucket(occ, self.gstart[field])

    def within_doc(self, field: str, occ: np.ndarray, doc: int) -> np.ndarray:
        """Key positions inside document `doc` of the sorted positions `occ`."""
        gstart = self.gstart[field]
        a, b = np.searchsorted(occ, gstart[doc:doc + 2])
        return occ[a:b] - gstart[doc]

    # ------------------------------------------------------------ word view

    def word_table(self, field: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(codes, segment numbers, list numbers, running document counts) of every word
        of a word-view field in every segment, sorted by code (segments in order): one
        binary search finds the segments holding a word, instead of one per segment
        (most words are in few), and documents of entries [lo, hi) are
        ``docs[hi] - docs[lo]``. Built once per generation (a server's warm-up)."""
        hit = self._word_tables.get(field)
        if hit is None:
            with self._word_tables_lock:
                hit = self._word_tables.get(field)
                if hit is None:
                    terms = [seg.terms[field] for seg, _ in self.segs]
                    counts = [np.diff(seg.doc_lists[field].n.astype(np.int64)) for seg, _ in self.segs]
                    codes = np.concatenate(terms) if terms else np.zeros(0, np.uint64)
                    segs = np.repeat(np.arange(len(terms)), [len(t) for t in terms])
                    slots = np.concatenate([np.arange(len(t)) for t in terms]) if terms else EMPTY
                    order = np.argsort(codes, kind="stable")
                    docs = np.concatenate(([0], np.cumsum(np.concatenate(counts)[order] if counts else EMPTY)))
                    hit = self._word_tables[field] = (codes[order], segs[order], slots[order], docs)
        return hit

    def word_frequencies(self, field: str, codes: np.ndarray) -> np.ndarray:
        """Document frequency of each word code (`charindex.word_codes`) in a word-view
        field (0: absent), all at once."""
        table, _segs, _slots, docs = self.word_table(field)
        codes = np.asarray(codes, dtype=np.uint64)
        return docs[np.searchsorted(table, codes, side="right")] - docs[np.searchsorted(table, codes)]

    def term(self, field: str, text: str):
        """(docs int64 ascending, freqs int64) of a word-view term."""
        key = (field, text, "words")
        hit = self._get(key)
        if hit is not None:
            return hit
        codes, segs, slots, _docs = self.word_table(field)
        code = np.uint64(charindex.word_code(text))
        lo, hi = int(np.searchsorted(codes, code)), int(np.searchsorted(codes, code, side="right"))
        parts = []
        for s, t in zip(segs[lo:hi].tolist(), slots[lo:hi].tolist()):
            seg, offset = self.segs[s]
            docs, tf = seg.word_list(field, t)
            parts.append((docs + offset, tf))
        if not parts:
            return EMPTY, EMPTY
        return self._put(key, (np.concatenate([d for d, _ in parts]), np.concatenate([t for _, t in parts])))

    def word_frequency(self, field: str, text: str) -> int:
        """Documents holding a word-view term (deleted ones included, like Whoosh's)."""
        return int(self.word_frequencies(field, np.array([charindex.word_code(text)], np.uint64))[0])


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


def union_sorted(arrays: list[np.ndarray]) -> np.ndarray:
    """Sorted distinct values of several sorted arrays: a stable sort of sorted runs is a
    merge (np.unique would hash or sort millions of positions from scratch)."""
    arrays = [a for a in arrays if len(a)]
    if not arrays:
        return EMPTY
    if len(arrays) == 1:
        return sorted_unique(arrays[0])
    c = np.concatenate(arrays)
    c.sort(kind="stable")
    return sorted_unique(c)


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
    first = chosen[0]
    # The walk keeps positions of the first bigram (start + first): no copy of its whole
    # list, often millions of positions; start = position - first at the end. (A start
    # before a document, from a bigram near its beginning, finds no bigram of the cover
    # at its offset: no chain of bigrams crosses the unused position between documents.)
    keys = post.keys(field, tokens[first])
    keys = keys[np.searchsorted(keys, first):]  # starts from 0
    for i in chosen[1:]:
        if not len(keys):
            return EMPTY
        # keep the starts whose bigram i occurs at start + i; only the candidate
        # documents' postings are needed (finding those documents costs a binary search
        # per candidate: skipped when the whole list is read anyway)
        if post.reads_whole(field, tokens[i], len(keys)):
            raw = post.keys(field, tokens[i])
        else:
            raw = post.keys_within(field, tokens[i], post.docs_of(field, keys + (i - first)))
        keys = kernels.intersect_at(keys, raw, i - first)
    if first and len(keys):
        # the last intersection's own array (fresh memory costs page faults); an empty
        # answer may be the shared empty array, which the cache made read-only
        keys -= first
    return keys


def loose_occurrence_keys(post: Postings, field: str, k: str, max_gap: int) -> np.ndarray:
    """Sorted start positions of every occurrence of the characters of `k` (letters,
    digits and CJK only) in a field with at most `max_gap` punctuation characters between
    two consecutive ones (the ladder's punctuation step; cached like phrases)."""
    ckey = (field, k, "loose", max_gap)
    hit = post._get(ckey)
    if hit is not None:
        return hit[0]
    return post._put(ckey, (_loose_keys(post, field, k, max_gap),))[0]


def _loose_keys(post: Postings, field: str, k: str, max_gap: int) -> np.ndarray:
    punct = post.punctuation(field)
    # Candidate documents: every character but the last is followed by the next one or
    # by punctuation somewhere in them (document lists only). The rarest pairs first;
    # once few documents remain, the walk below checks the rest in those only.
    pairs = []
    for a, b in zip(k, k[1:]):
        tokens = [a + b] + post.followers(field, a, punct)
        pairs.append((sum(post.doc_count(field, t) for t in tokens), tokens))
    cand = None
    for _df, tokens in sorted(pairs, key=lambda p: p[0]):
        docs = union_sorted([post.token_docs(field, t) for t in tokens])
        cand = docs if cand is None else kernels.intersect_at(cand, docs)
        if len(cand) <= FEW_CANDIDATES:
            break
    if cand is None or not len(cand):
        return EMPTY
    # Walk the characters: `end` holds where the match so far ends (the position of the
    # current character), `start` where it began; punctuation runs are crossed one
    # character at a time, each step a bigram lookup in the candidate documents only.
    first = [k[:2]] + post.followers(field, k[0], punct)
    end = union_sorted([post.keys_within(field, t, cand) for t in first])
    docs, counts = post.doc_counts(field, end)
    end = end[np.repeat(np.isin(docs, cand, assume_unique=True), counts)]
    # A pair much rarer (in positions) than the first one: its own loose occurrences
    # bound where a match can start, so the walk does not carry every occurrence of a
    # common first pair through each step (工作队伍: 作队 against 工作).
    freq = [sum(post.frequency(field, t) for t in tokens) for _df, tokens in pairs]
    j = int(np.argmin(freq))
    if j > 0 and freq[j] * LOOSE_ANCHOR_RATIO < freq[0] and len(end):
        anchor = loose_occurrence_keys(post, field, k[j:j + 2], max_gap)
        # a match starting at e has character j between e + j and e + j * (1 + max_gap)
        end = end[kernels.any_between(end + j, end + j * (1 + max_gap), anchor)]
    start = end.copy()
    for a, b in zip(k, k[1:]):
        ends, starts = [], []

        def step(char_ends: np.ndarray, char_starts: np.ndarray, token: str):
            if post.reads_whole(field, token, len(char_ends)):  # no need for their documents
                keys = post.keys(field, token)
            else:
                keys = post.keys_within(field, token, post.docs_of(field, char_ends))
            hit = kernels.member(char_ends, keys)
            return char_ends[hit] + 1, char_starts[hit]

        e, s = step(end, start, a + b)
        ends.append(e)
        starts.append(s)
        frontier = {a: (end, start)}  # the character at these positions -> (ends, starts)
        for _gap in range(max_gap):
            reached: dict[str, tuple[list, list]] = {}
            for char, (fe, fs) in frontier.items():
                for token in post.followers(field, char, punct):
                    e, s = step(fe, fs, token)
                    if len(e):
                        acc = reached.setdefault(token[1], ([], []))
                        acc[0].append(e)
                        acc[1].append(s)
            frontier = {}
            for char, (es, ss) in reached.items():
                fe, fs = np.concatenate(es), np.concatenate(ss)
                order = np.argsort(fe, kind="stable")
                frontier[char] = (fe[order], fs[order])
                e, s = step(frontier[char][0], frontier[char][1], char + b)
                ends.append(e)
                starts.append(s)
            if not frontier:
                break
        end, start = np.concatenate(ends), np.concatenate(starts)
        if not len(end):
            return EMPTY
        order = np.argsort(end, kind="stable")
        end, start = end[order], start[order]
    return sorted_unique(np.sort(start))


def near_documents(post: Postings, field: str, occurrences: list[np.ndarray], window: int) -> np.ndarray:
    """Sorted documents where an occurrence of every list lies within `window` positions
    of one occurrence of the rarest (sorted positions of `field`), in the same document."""
    if not occurrences or any(not len(o) for o in occurrences):
        return EMPTY
    occurrences = sorted(occurrences, key=len)
    anchor = occurrences[0]
    gstart = post.gstart[field]
    doc = np.searchsorted(gstart, anchor, side="right") - 1
    lo = np.maximum(anchor - window, gstart[doc])  # not before the document's start
    hi = np.minimum(anchor + window, gstart[doc + 1] - 1)
    keep = np.ones(len(anchor), dtype=bool)
    for other in occurrences[1:]:
        keep &= kernels.any_between(lo, hi, other)  # (lo ascending, as anchor is)
    return sorted_unique(doc[keep])


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
        inside each range: those from the range's start to its last possible start."""
        return kernels.counts_in_ranges(occ, self.start, self.end, klen - 1)

    def codes(self, kinds) -> list[int]:
        return [self.kinds.index(k) for k in kinds if k in self.kinds]


def length_norm(dl: np.ndarray, avgdl: float, b: float) -> np.ndarray:
    """BM25's length norm of documents of lengths `dl`: K1 * (1 - b + b * dl / avgdl)."""
    return K1 * (1 - b + b * dl / max(avgdl, 1e-9))


def _bm25(tf: np.ndarray, norm: np.ndarray, df: int, n: int) -> np.ndarray:
    """BM25 of term frequencies `tf`, with `norm` the documents' `length_norm`s."""
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
    return idf * tf * (K1 + 1) / (tf + norm)


class Executor:
    def __init__(self, reader, cols, folder):
        self.cols = cols
        self.post = Postings(reader, cols.n, folder)
        self.sections = SectionRanges(reader, cols.live, self.post.gstart["body_c"])
        self.live_n = max(1, int(cols.live.sum()))
        self.kind_masks: dict[tuple, np.ndarray] = {}
        self.avg = {f: float(cols.lengths[f][cols.live].mean()) if cols.live.any() else 1.0
                    for f in cols.lengths}
        self._norms: dict[tuple[str, float], np.ndarray] = {}

    def norms(self, field: str, b: float) -> np.ndarray:
        """Every document's BM25 `length_norm` in `field` (computed once: a common
        term's scores would recompute it for most documents)."""
        key = (field, b)
        if key not in self._norms:
            self._norms[key] = length_norm(self.cols.lengths[field], self.avg[field], b)
        return self._norms[key]

    def occurrences(self, field: str, k: str, loose: bool = False) -> np.ndarray:
        """Sorted start keys of a phrase (`loose`: punctuation allowed between its characters)."""
        if loose:
            return loose_occurrence_keys(self.post, field, k, SETTINGS.index.loose_max_gap)
        return occurrence_keys(self.post, field, k)

    def _section_counts(self, k: str, occ: np.ndarray, loose: bool = False) -> np.ndarray:
        """Occurrences of body_c key `k` inside each section range (cached with its
        postings: the section filter and the section facet both ask)."""
        ckey = ("body_c", k, "sections", loose)
        hit = self.post._get(ckey)
        if hit is not None:
            return hit[0]
        return self.post._put(ckey, (self.sections.counts(occ, len(k)),))[0]

    def _section_bits(self, k: str, loose: bool, docs: np.ndarray | None = None) -> np.ndarray:
        """Per document, a bit for each section kind (code in `sections.kinds`) whose
        ranges hold an occurrence of body_c key `k` (cached like the counts); with `docs`
        (sorted document numbers), for those documents only (not cached)."""
        ckey = ("body_c", k, "section bits", loose)
        hit = self.post._get(ckey)
        if hit is not None:
            return hit[0]
        sec = self.sections
        occ = self.occurrences("body_c", k, loose)
        if docs is not None:
            # the documents' ranges: one run each (ranges ascend with their documents)
            lo, hi = np.searchsorted(sec.doc, docs), np.searchsorted(sec.doc, docs, side="right")
            at = kernels.concat_ranges(lo, hi - lo)
            return kernels.range_bits(occ, sec.start[at], sec.end[at], len(k) - 1, sec.doc[at], sec.kind[at],
                                      self.cols.n)
        bits = kernels.range_bits(occ, sec.start, sec.end, len(k) - 1, sec.doc, sec.kind, self.cols.n)
        return self.post._put(ckey, (bits,))[0]

    def _phrase(self, field: str, k: str, kinds: list[str] | None, boost: float, b: float,
                loose: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(documents, their scores) of a phrase in one field: ascending document
        numbers, as few as the phrase's matches (no array over every document)."""
        n = self.cols.n
        occ = self.occurrences(field, k, loose)
        if kinds is None:
            udocs, tf = self.post.doc_counts(field, occ)
        else:
            counts = self._section_counts(k, occ, loose)
            sel = self._kind_mask(kinds) & (counts > 0)
            per_doc = np.bincount(self.sections.doc[sel], weights=counts[sel], minlength=n)
            udocs = np.flatnonzero(per_doc)
            tf = per_doc[udocs]
        if not len(udocs):
            return EMPTY, np.zeros(0)
        return udocs, boost * _bm25(tf, self.norms(field, b)[udocs], len(udocs), self.live_n)

    def _kind_mask(self, kinds: list[str]) -> np.ndarray:
        """Which section ranges are of one of `kinds` (remembered per selection)."""
        key = tuple(kinds)
        if key not in self.kind_masks:
            if len(self.kind_masks) > 64:
                self.kind_masks.clear()
            self.kind_masks[key] = np.isin(self.sections.kind, self.sections.codes(kinds))
        return self.kind_masks[key]

    def _fields(self, term: Term, sections: list[str] | None) -> list[tuple[str, list[str] | None, float, float]]:
        """(character-view field, section kinds, boost, b) a term is matched in."""
        if term.field == "title":
            return [("title_c", None, TITLE_BOOST, TITLE_B)]
        if term.field == "unit":
            return [("unit_c", None, 1.0, B)]
        if sections:
            # Section filter: only text inside sections of those kinds matches (not the title).
            return [("body_c", sections, 1.0, B)]
        return [("body_c", None, 1.0, B), ("title_c", None, TITLE_BOOST, TITLE_B)]

    def match_term(self, term: Term, sections: list[str] | None):
        """(mask, score) of one term, by its kind (query.py, ladder.py)."""
        mask = np.zeros(self.cols.n, dtype=bool)
        score = np.zeros(self.cols.n)
        for field, kinds, boost, b in self._fields(term, sections):
            if term.kind in ("phrase", "loose"):
                # a phrase's few documents: set where it matches, not over every document
                udocs, sc = self._phrase(field, term.key, kinds, boost, b, loose=term.kind == "loose")
                mask[udocs] = True
                score[udocs] += sc
                continue
            # near / words: every word, (near: close together) in this field
            m = self.cols.live.copy()
            sc = np.zeros(self.cols.n)
            for w in term.words:
                udocs, ws = self._phrase(field, w, kinds, boost, b)
                wm = np.zeros(self.cols.n, dtype=bool)
                wm[udocs] = True
                m &= wm
                sc[udocs] += ws
            if term.kind == "near" and m.any():
                window = len(term.key) + SETTINGS.index.near_slack
                close = near_documents(self.post, field, [occurrence_keys(self.post, field, w) for w in term.words],
                                       window)
                near = np.zeros(self.cols.n, dtype=bool)
                near[close] = True
                m &= near
            mask |= m
            score += np.where(m, sc, 0.0)
        if term.origin:
            score *= ALTERNATIVE_WEIGHT
        return mask, score

    def words_score(self, terms: list[Term], user_dict: str | None, mask: np.ndarray | None = None) -> np.ndarray:
        """BM25 of the terms' words over the word view, per document; with `mask`, only
        the documents it selects are sure to be scored (others may be left at 0): a rare
        phrase's few documents do not pay for every document holding 的."""
        score = np.zeros(self.cols.n)
        wanted = np.flatnonzero(mask) if mask is not None else None
        for term in terms:
            fields = {"any": [("title_w", WORD_TITLE_BOOST, TITLE_B), ("body_w", 1.0, B)],
                      "title": [("title_w", WORD_TITLE_BOOST, TITLE_B)],
                      "unit": [("unit_w", 1.0, B)]}[term.field]
            weight = ALTERNATIVE_WEIGHT if term.origin else 1.0
            for w in dict.fromkeys(analysis.words(term.key, user_dict)):
                for field, boost, b in fields:
                    docs, tf = self.post.term(field, w)
                    df = len(docs)
                    if df and wanted is not None and len(wanted) * WANTED_RATIO < df:
                        at = np.minimum(np.searchsorted(docs, wanted), df - 1)
                        at = at[docs[at] == wanted]  # the wanted documents holding the word
                        docs, tf = docs[at], tf[at]
                    if len(docs):
                        score[docs] += weight * boost * _bm25(tf, self.norms(field, b)[docs], df, self.live_n)
        return score

    def section_masks(self, parsed: ParsedQuery, kinds: list[str],
                      within: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """For each section kind, the documents the query matches when restricted to
        sections of that kind (what selecting the kind in the facet would give). With
        `within` (a document mask), only the documents it selects are sure to be right
        (the others may be left out): when they are few, a common phrase's sections are
        looked at in their documents only (現將我 形態工: those holding 现将我)."""
        cols = self.cols
        candidates = None
        if within is not None:
            candidates = np.flatnonzero(within)
            if len(candidates) * SECTION_CANDIDATE_RATIO >= cols.n:
                candidates = None  # most documents: the whole walk, cached for the next query
        base = cols.live.copy()
        for lo, hi in parsed.years:
            base &= (cols.year_num >= lo) & (cols.year_num <= hi)
        for term in parsed.must_not:
            base &= ~self.match_term(term, None)[0]
        rows_of: dict[str, dict[str, np.ndarray]] = {}  # term -> section kind -> doc mask
        sections = self.sections
        for t in parsed.positive_terms():
            sig = t.signature()
            if t.field != "any" or sig in rows_of:
                continue
            if t.kind in ("phrase", "loose"):
                loose = t.kind == "loose"
                bits = self._section_bits(t.key, loose, candidates)
                rows_of[sig] = {}
                for kind in kinds:
                    code = sections.kinds.index(kind) if kind in sections.kinds else -1
                    if code < 0:
                        rows_of[sig][kind] = np.zeros(cols.n, dtype=bool)
                    elif code < 63:
                        rows_of[sig][kind] = (bits & (1 << code)) != 0
                    else:  # beyond the bits: the general way
                        rows_of[sig][kind] = self.match_term(t, [kind])[0]
            else:
                rows_of[sig] = {kind: self.match_term(t, [kind])[0] for kind in kinds}
        fixed = {t.signature(): self.match_term(t, None)[0]
                 for t in parsed.positive_terms() if t.field != "any"}
        out = {}
        for kind in kinds:
            mask = base.copy()
            for group in parsed.must:
                gmask = np.zeros(cols.n, dtype=bool)
                for term in group:
                    sig = term.signature()
                    gmask |= fixed[sig] if term.field != "any" else rows_of[sig][kind]
                mask &= gmask
            out[kind] = mask
        return out

    def run(self, parsed: ParsedQuery, sections: list[str] | None,
            user_dict: str | None, scored: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
        """(match mask, score) over all document numbers; deleted documents excluded.
        Without `scored`, the mask only (score None): the word view is not read."""
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
        if not scored:
            return mask, None
        if mask.any():
            score += self.words_score(parsed.positive_terms(), user_dict, mask)
        score[~mask] = 0.0
        return mask, score
