"""Postings of a segment, compact and memory-mapped: the character view (bigram
positions, for exact phrases) and the word view (word frequencies, for ranking and
more-like-this). One file per Whoosh segment, ``<segment id>.chars`` beside the
segment's own files (Whoosh's clean-up removes it with its segment; updates hard-link
it), document numbers local to the segment like Whoosh's.

Character view (fields ``title_c``, ``body_c``, ``unit_c``). Every character of a key
starts one token: the bigram of it and the next character, or the last character alone
(`key_codes`). A token is coded as one integer, ``first << 21 | second`` (0 for "no
second character": NUL never occurs in a key), so the tokens of a whole key are
computed with three numpy operations, and all tokens starting with one character form
one contiguous range of codes.

The keys of a segment's documents are laid end to end with one unused position after
each: document d's characters are positions ``dstart[d] … dstart[d+1] - 2``. A token's
postings are then just its sorted positions in that space (the document of a position
is found by binary search on ``dstart``), and a phrase is the intersection of its
bigrams' positions shifted by their offsets. No bigram spans a document end (the last
character is a token alone) and no bigram starts at the unused position, so a chain of
bigrams at most two apart never crosses from one document into the next.

Lists are packed (`pack`): positions as differences from the previous one, each list at
the bit width of its largest value, ``64 // width`` values to a uint64 word, decoded
with one shift-and-mask over the words (`PackedLists`). Every `BLOCK`-th position is
also kept whole (a skip list), so the positions inside a few documents are decoded
without decoding the whole list (`PackedLists.decode_within`). Per field:

- ``terms``  uint64[T]    token codes, ascending
- ``n``      uint32[T+1]  list t holds values ``n[t]:n[t+1]`` (positions)
- ``width``  uint8[T]     bits per packed value of list t
- ``word``   uint32[T+1]  list t's words are ``words[word[t]:word[t+1]]``
- ``skip``   uint32[T+1]  list t's skip entries are ``skips[skip[t]:skip[t+1]]``
- ``skips``  uint32[S]    values at list indices 0, BLOCK, 2·BLOCK, …
- ``words``  uint64[W]    the packed differences (the first of a list is 0)
- ``dstart`` uint32[D+1]  where each document's key starts (+1 per document)

Word view (``title_w``, ``body_w``, ``unit_w``): a word is coded by a 64-bit BLAKE2b hash
of its UTF-8 (two of a million distinct words collide with odds of about 3e-8); its
documents are a packed list of ascending local document numbers (``docs.*``, as above)
and its frequencies a packed list without differences (``tf.*``), beside ``terms``.
"""
from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import numpy as np

from . import arrayfile, kernels

FIELDS = ("title_c", "body_c", "unit_c")
WORD_FIELDS = ("title_w", "body_w", "unit_w")
SHIFT = 21  # bits per code point (U+10FFFF needs 21)
MAGIC = b"DGPOST03"
BLOCK = 128  # list values per skip entry
EMPTY = np.zeros(0, dtype=np.int64)
_U64 = np.uint64


def code_points(k: str) -> np.ndarray:
    """The characters of `k` as uint64 code points."""
    return np.frombuffer(k.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)


def key_codes(k: str) -> np.ndarray:
    """Token code of every position of key `k` (uint64): the bigram starting there, or
    the last character alone."""
    chars = code_points(k)
    codes = chars << _U64(SHIFT)
    codes[:-1] |= chars[1:]
    return codes


def token_code(token: str) -> int:
    """Code of one token: a bigram, or a key's last character alone."""
    code = ord(token[0]) << SHIFT
    return code | ord(token[1]) if len(token) > 1 else code


def code_token(code: int) -> str:
    """The token of a code (`token_code` reversed)."""
    first, second = code >> SHIFT, code & ((1 << SHIFT) - 1)
    return chr(first) + chr(second) if second else chr(first)


def code_range(char: str) -> tuple[int, int]:
    """[lo, hi) of the codes of every token starting with `char`."""
    lo = ord(char) << SHIFT
    return lo, lo + (1 << SHIFT)


def _word_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


word_code = functools.lru_cache(maxsize=1 << 20)(_word_hash)
# the segment writers' own: common words repeat in every report (bounded: a writer runs
# in an indexing worker, under a memory budget)
_indexing_word_code = functools.lru_cache(maxsize=1 << 16)(_word_hash)


def word_codes(words) -> np.ndarray:
    """`word_code` of many words (uint64), without filling its cache."""
    return np.fromiter((_word_hash(w) for w in words), dtype=np.uint64)


def path_for(folder: str | Path, segment_id: str) -> Path:
    return Path(folder) / f"{segment_id}.chars"


# ---------------------------------------------------------------- packed integer lists


def _starts(counts: np.ndarray) -> np.ndarray:
    return np.cumsum(counts, dtype=np.int64) - counts


PACK_CHUNK = 1 << 20  # values packed at a time (bounds the temporary arrays of `pack`)


def pack(values: np.ndarray, counts: np.ndarray, delta: bool, block: int | None = None) -> dict[str, np.ndarray]:
    """Pack consecutive lists (`counts[t]` values each, concatenated in `values`, each
    list ascending when `delta`) of integers below 2**32. Returns the arrays described in
    the module docstring (``n``, ``width``, ``word``, ``words`` and, for `delta`, the
    skip list). Works through the lists about `PACK_CHUNK` values at a time."""
    block = block or BLOCK
    counts = np.asarray(counts, dtype=np.int64)
    first = _starts(counts)
    total = int(counts.sum())
    width = np.zeros(len(counts), dtype=np.uint8)
    nwords = np.zeros(len(counts), dtype=np.int64)
    words, skips = [], []
    t0 = 0
    while t0 < len(counts):
        # lists [t0, t1): at least one, about PACK_CHUNK values
        t1 = max(t0 + 1, int(np.searchsorted(first, first[t0] + PACK_CHUNK, side="right")))
        t1 = min(t1, len(counts))
        w, nw, wd, sk = kernels.pack_lists(values[first[t0]:first[t0] + counts[t0:t1].sum()], counts[t0:t1],
                                           delta, block)
        width[t0:t1], nwords[t0:t1] = w, nw
        words.append(wd)
        skips.append(sk)
        t0 = t1
    out = {"n": np.append(first, total).astype(np.uint32), "width": width,
           "word": np.append(0, np.cumsum(nwords)).astype(np.uint32),
           "words": np.concatenate(words) if words else np.zeros(0, np.uint64)}
    if delta:
        out["skip"] = np.append(0, np.cumsum(-(-counts // block))).astype(np.uint32)
        out["skips"] = np.concatenate(skips).astype(np.uint32) if skips else np.zeros(0, np.uint32)
    return out


def empty_lists(delta: bool) -> dict[str, np.ndarray]:
    return pack(np.zeros(0, np.uint64), np.zeros(0, np.int64), delta)


class PackedLists:
    """Read side of `pack`'s arrays (memory-mapped views)."""

    def __init__(self, arrays: dict[str, np.ndarray], prefix: str, block: int | None = None):
        get = arrays.get
        self.block = block or BLOCK
        self.n = arrays[f"{prefix}n"]
        self.width = arrays[f"{prefix}width"]
        self.word = arrays[f"{prefix}word"]
        self.words = arrays[f"{prefix}words"]
        self.skip = get(f"{prefix}skip")
        self.skips = get(f"{prefix}skips")

    def count(self, t: int) -> int:
        return int(self.n[t + 1]) - int(self.n[t])

    def _words(self, t: int) -> np.ndarray:
        return self.words[int(self.word[t]):int(self.word[t + 1])]

    def values(self, t: int) -> np.ndarray:
        """List t as int64 (not differences)."""
        out = np.empty(self.count(t), dtype=np.int64)
        kernels.unpack_into(self._words(t), int(self.width[t]), 0, False, out)
        return out

    def decode(self, t: int, base: int = 0) -> np.ndarray:
        """Delta list t, decoded (plus `base`): ascending int64 values."""
        out = np.empty(self.count(t), dtype=np.int64)
        self.decode_into(t, base, out)
        return out

    def decode_into(self, t: int, base: int, out: np.ndarray) -> None:
        """`decode(t, base)` written into `out` (int64, the list's length): lists of
        several segments decode into one array."""
        if len(out):
            start = int(self.skips[int(self.skip[t])]) + base
            kernels.unpack_into(self._words(t), int(self.width[t]), start, True, out)

    def decode_within(self, t: int, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Values of delta list t (strictly ascending, as positions and documents are)
        inside any of the ranges [lo[i], hi[i]) (sorted, disjoint), decoding only the
        blocks of `BLOCK` values that can hold them."""
        return kernels.decode_within(self._words(t), int(self.width[t]),
                                     self.skips[int(self.skip[t]):int(self.skip[t + 1])], self.count(t),
                                     self.block, lo, hi)

    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.n, self.width, self.word, self.words, self.skip, self.skips)
                   if a is not None)


# ---------------------------------------------------------------- writing


def encode_words(counts: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """(word codes uint64, frequencies uint32) of a {word: frequency} map: what the word
    view stores."""
    n = len(counts)
    return (np.fromiter(map(_indexing_word_code, counts.keys()), dtype=np.uint64, count=n),
            np.fromiter(counts.values(), dtype=np.uint32, count=n))


def encode_word_fields(doc: dict) -> None:
    """A prepared document's word fields (schema.prepare: {word: count}) in the form the
    segment writer takes (`encode_words`): an indexing worker encodes them before sending
    the document, as two arrays travel (pickle) far cheaper than the words."""
    for field in WORD_FIELDS:
        doc[field] = encode_words(doc[field])


class SegmentBuilder:
    """Collects a segment's character and word views; `write` sorts, packs and saves.

    Keys are kept as strings until then (2 bytes a character, against 8 for codes)."""

    def __init__(self):
        self.parts: dict[str, list[tuple[int, str]]] = {f: [] for f in FIELDS}
        self.words: dict[str, list[tuple[int, np.ndarray, np.ndarray]]] = {f: [] for f in WORD_FIELDS}
        self.occurrences = 0

    def add_words(self, docnum: int, field: str, encoded: tuple[np.ndarray, np.ndarray]) -> None:
        """Word-view postings of a document: (word codes, frequencies), `encode_words`."""
        codes, tf = encoded
        if len(codes):
            self.words[field].append((docnum, codes, tf))

    def add(self, docnum: int, field: str, key: str) -> None:
        if key:
            self.parts[field].append((docnum, key))
            self.occurrences += len(key)

    def write(self, path: Path, ndocs: int) -> None:
        arrays: dict[str, np.ndarray] = {}
        for field in FIELDS:
            keys, self.parts[field] = self.parts[field], []
            for name, arr in _field_arrays(keys, ndocs).items():
                arrays[f"{field}.{name}"] = arr
        for field in WORD_FIELDS:
            docs, self.words[field] = self.words[field], []
            for name, arr in _word_arrays(docs).items():
                arrays[f"{field}.{name}"] = arr
        arrayfile.write(path, MAGIC, arrays, {"docs": ndocs, "block": BLOCK})


def _field_arrays(keys: list[tuple[int, str]], ndocs: int) -> dict[str, np.ndarray]:
    lens = np.zeros(ndocs, dtype=np.int64)
    for d, k in keys:
        lens[d] = len(k)
    dstart = np.append(0, np.cumsum(lens + 1))
    if dstart[-1] >= 2**32:
        raise ValueError("segment too large for 32-bit positions: lower DANGAN_SEGMENT_CHARS")
    if not keys:
        return {"terms": np.zeros(0, np.uint64), **empty_lists(True), "dstart": dstart.astype(np.uint32)}
    chars = np.frombuffer("".join(k for _d, k in keys).encode("utf-32-le"), dtype=np.uint32)
    klens = np.array([len(k) for _d, k in keys], dtype=np.int64)
    first = np.cumsum(klens) - klens  # where each document's characters begin
    # position of each character in the segment's space (documents given in order)
    pos = np.arange(len(chars), dtype=np.uint32)
    pos += np.repeat((dstart[[d for d, _k in keys]] - first).astype(np.uint32), klens)
    terms, pos, counts = _postings_by_token(chars, first[1:] - 1, pos)
    return {"terms": terms, **pack(pos, counts, delta=True), "dstart": dstart.astype(np.uint32)}


def _postings_by_token(chars: np.ndarray, ends: np.ndarray, pos: np.ndarray):
    """The token codes of the joined keys `chars` (code points; `ends`: the last character
    of every key but the final one, where the bigram would span into the next key: that
    position holds the last character alone), grouped: (sorted distinct codes, the
    positions of each code ascending, their counts).

    The segment's characters are ranked densely (a segment holds far fewer than 2**16
    distinct characters), so a token and its position fit in one 64-bit integer and a
    plain sort of those does what a stable argsort of the codes would, in a fraction of
    the time; a segment with more distinct characters takes the argsort."""
    present = np.zeros(0x110000, dtype=np.bool_)
    present[chars] = True
    points = np.flatnonzero(present).astype(np.uint64)
    base = len(points) + 1  # second character's rank 1..n; 0: the character alone
    if base * base >= 1 << 32:
        codes = chars.astype(np.uint64) << _U64(SHIFT)
        codes[:-1] |= chars[1:]
        codes[ends] &= _U64(~((1 << SHIFT) - 1) & 0xFFFFFFFFFFFFFFFF)
        order = np.argsort(codes, kind="stable")
        codes, pos = codes[order], pos[order]
        first = np.flatnonzero(np.concatenate(([True], codes[1:] != codes[:-1])))
        return codes[first], pos, np.diff(np.append(first, len(pos)))
    rank = np.cumsum(present, dtype=np.uint64)
    del present
    r = rank[chars]
    del rank
    tokens = r * _U64(base)
    tokens[:-1] += r[1:]
    tokens[ends] -= r[ends + 1]
    del r
    tokens <<= _U64(32)
    tokens |= pos
    tokens.sort()
    pos = (tokens & _U64(0xFFFFFFFF)).astype(np.uint32)
    tokens >>= _U64(32)
    new_term = np.empty(len(tokens), dtype=bool)
    new_term[0] = True
    np.not_equal(tokens[1:], tokens[:-1], out=new_term[1:])
    term_first = np.flatnonzero(new_term)
    del new_term
    dense = tokens[term_first]
    del tokens
    second = (dense % _U64(base)).astype(np.int64)
    terms = points[(dense // _U64(base)).astype(np.int64) - 1] << _U64(SHIFT)
    terms |= np.where(second > 0, points[np.maximum(second - 1, 0)], _U64(0))
    return terms, pos, np.diff(np.append(term_first, len(pos)))


def _word_arrays(docs: list[tuple[int, np.ndarray, np.ndarray]]) -> dict[str, np.ndarray]:
    if not docs:
        return {"terms": np.zeros(0, np.uint64),
                **{f"docs.{k}": v for k, v in empty_lists(True).items()},
                **{f"tf.{k}": v for k, v in empty_lists(False).items()}}
    codes = np.concatenate([c for _d, c, _t in docs])
    tf = np.concatenate([t for _d, _c, t in docs])
    docnums = np.repeat(np.array([d for d, _c, _t in docs], dtype=np.uint32), [len(c) for _d, c, _t in docs])
    order = np.argsort(codes, kind="stable")  # documents stay ascending within a word
    codes, tf, docnums = codes[order], tf[order], docnums[order]
    first = np.flatnonzero(np.concatenate(([True], codes[1:] != codes[:-1])))
    counts = np.diff(np.append(first, len(codes)))
    return {"terms": codes[first],
            **{f"docs.{k}": v for k, v in pack(docnums, counts, delta=True).items()},
            **{f"tf.{k}": v for k, v in pack(tf, counts, delta=False).items()}}


# ---------------------------------------------------------------- reading


class SegmentPostings:
    """Read side of one segment's file (memory-mapped: the page cache holds what queries
    touch; only the lists a query asks for are decoded)."""

    def __init__(self, path: Path):
        self.arrays, attrs = arrayfile.read(path, MAGIC)
        self.ndocs = int(attrs["docs"])
        self.terms = {f: self.arrays[f"{f}.terms"] for f in FIELDS + WORD_FIELDS}
        self.lists = {f: PackedLists(self.arrays, f"{f}.", int(attrs["block"])) for f in FIELDS}
        self.doc_lists = {f: PackedLists(self.arrays, f"{f}.docs.") for f in WORD_FIELDS}
        self.tf_lists = {f: PackedLists(self.arrays, f"{f}.tf.") for f in WORD_FIELDS}
        self.dstart = {f: self.arrays[f"{f}.dstart"] for f in FIELDS}

    def slot(self, field: str, code: int) -> int:
        """List number of a token or word code, -1 when absent."""
        terms = self.terms[field]
        i = int(np.searchsorted(terms, _U64(code)))
        return i if i < len(terms) and int(terms[i]) == code else -1

    def slots(self, field: str, lo: int, hi: int) -> range:
        """List numbers of every token with a code in [lo, hi)."""
        terms = self.terms[field]
        return range(int(np.searchsorted(terms, _U64(lo))), int(np.searchsorted(terms, _U64(hi))))

    def count(self, field: str, t: int) -> int:
        return self.lists[field].count(t) if t >= 0 else 0

    def positions(self, field: str, t: int, base: int = 0) -> np.ndarray:
        """Ascending positions (int64, the segment's space, plus `base`) of list t."""
        return self.lists[field].decode(t, base) if t >= 0 else EMPTY

    def positions_within(self, field: str, t: int, docs: np.ndarray) -> np.ndarray:
        """Positions of list t inside the documents `docs` (sorted local numbers)."""
        if t < 0 or not len(docs):
            return EMPTY
        dstart = self.dstart[field]
        return self.lists[field].decode_within(t, dstart[docs].astype(np.int64), dstart[docs + 1].astype(np.int64))

    def word_list(self, field: str, t: int) -> tuple[np.ndarray, np.ndarray]:
        """(local docs int64 ascending, frequencies int64) of word-view list t (-1: absent)."""
        if t < 0:
            return EMPTY, EMPTY
        return self.doc_lists[field].decode(t), self.tf_lists[field].values(t)

    def terms_in(self, field: str, lo: int, hi: int) -> np.ndarray:
        """Codes of the tokens with a code in [lo, hi), ascending."""
        r = self.slots(field, lo, hi)
        return self.terms[field][r.start:r.stop]

    def component_bytes(self) -> dict[str, int]:
        """Bytes of each view in this file (for `index stats`)."""
        out: dict[str, int] = {}
        for name, arr in self.arrays.items():
            field, _, part = name.partition(".")
            view = "words" if field in WORD_FIELDS else "chars"
            key = f"{view}.{'terms' if part == 'terms' else 'lists'}"
            out[key] = out.get(key, 0) + arr.nbytes
        return out
