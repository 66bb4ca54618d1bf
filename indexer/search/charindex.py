"""Postings as memory-mapped numpy arrays: the character view (bigram positions) and a
query-side copy of the word view (word frequencies).

Every character of a key starts one token: the bigram of it and the next character,
or the last character alone (`key_codes`). A token is coded as one integer,
``first << 21 | second`` (0 for "no second character": NUL never occurs in a key), so
the tokens of a whole key are computed with three numpy operations, and all tokens
that start with one character form one contiguous range of codes.

Why not Whoosh postings for this view: it holds one posting per distinct bigram per
document and one position per character of the archive, and Whoosh writes and reads
postings one at a time in Python (sorting pool, block writer, pickled blocks). That
was most of a build's time and most of a common phrase query's time at 50,000 pages.
Here a segment's character postings are sorted once with numpy when the segment is
written, and a query slices the arrays of a memory-mapped file without decoding.

One file per Whoosh segment, ``<segment id>.chars`` beside the segment's own files
(Whoosh's clean-up removes it with its segment), document numbers local to the segment
like Whoosh's. Per field (``title_c``, ``body_c``, ``unit_c``):

- ``terms``  uint64[T]   token codes, ascending
- ``tpost``  int64[T+1]  term t's postings are ``tpost[t]:tpost[t+1]``
- ``docs``   uint32[P]   a posting's document, ascending within a term
- ``pstart`` int64[P+1]  posting p's positions are ``pos[pstart[p]:pstart[p+1]]``
- ``pos``    uint32[O]   positions in the key, ascending within a posting

The word view (``title_w``, ``body_w``, ``unit_w``) stays in Whoosh, which serves
more-like-this and any Whoosh tool; its postings are also written here, for query
execution, since decoding a common word's Whoosh blocks (pickled tuples) took ~20 ms
at 50,000 pages. A word is coded by a 64-bit BLAKE2b hash of its UTF-8 (two of a
million distinct words collide with odds of about 3e-8). Per word field:

- ``terms`` uint64[T], ``tpost`` int64[T+1], ``docs`` uint32[P] as above
- ``tf``    uint32[P]    the word's frequency in the document
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path

import numpy as np

FIELDS = ("title_c", "body_c", "unit_c")
WORD_FIELDS = ("title_w", "body_w", "unit_w")
SHIFT = 21  # bits per code point (U+10FFFF needs 21)
MAGIC = b"DGCHARS1"
ALIGN = 64
EMPTY = np.zeros(0, dtype=np.int64)


def code_points(k: str) -> np.ndarray:
    """The characters of `k` as uint64 code points."""
    return np.frombuffer(k.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)


def key_codes(k: str) -> np.ndarray:
    """Token code of every position of key `k` (uint64): the bigram starting there, or
    the last character alone."""
    chars = code_points(k)
    codes = chars << np.uint64(SHIFT)
    codes[:-1] |= chars[1:]
    return codes


def token_code(token: str) -> int:
    """Code of one token: a bigram, or a key's last character alone."""
    code = ord(token[0]) << SHIFT
    return code | ord(token[1]) if len(token) > 1 else code


def code_range(char: str) -> tuple[int, int]:
    """[lo, hi) of the codes of every token starting with `char`."""
    lo = ord(char) << SHIFT
    return lo, lo + (1 << SHIFT)


def _word_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


word_code = functools.lru_cache(maxsize=1 << 20)(_word_hash)


def word_codes(words) -> np.ndarray:
    """`word_code` of many words (uint64), without filling its cache."""
    return np.fromiter((_word_hash(w) for w in words), dtype=np.uint64)


def path_for(folder: str | Path, segment_id: str) -> Path:
    return Path(folder) / f"{segment_id}.chars"


class SegmentBuilder:
    """Collects a segment's character view and word-view copy; `write` sorts and saves.

    Keys are kept as strings until then (2 bytes a character, against 8 for codes)."""

    def __init__(self):
        self.parts: dict[str, list[tuple[int, str]]] = {f: [] for f in FIELDS}
        self.words: dict[str, list[tuple[int, np.ndarray, np.ndarray]]] = {f: [] for f in WORD_FIELDS}
        self.occurrences = 0

    def add_words(self, docnum: int, field: str, postings: list) -> None:
        """Word-view postings of a document: (word, frequency, …) tuples."""
        if postings:
            codes = np.fromiter((word_code(p[0]) for p in postings), dtype=np.uint64, count=len(postings))
            tf = np.fromiter((p[1] for p in postings), dtype=np.uint32, count=len(postings))
            self.words[field].append((docnum, codes, tf))

    def add(self, docnum: int, field: str, key: str) -> None:
        if key:
            self.parts[field].append((docnum, key))
            self.occurrences += len(key)

    def write(self, path: Path) -> None:
        arrays: dict[str, np.ndarray] = {}
        for field in FIELDS:
            keys, self.parts[field] = self.parts[field], []
            for name, arr in _field_arrays(keys).items():
                arrays[f"{field}.{name}"] = arr
        for field in WORD_FIELDS:
            docs, self.words[field] = self.words[field], []
            for name, arr in _word_arrays(docs).items():
                arrays[f"{field}.{name}"] = arr
        _write_arrays(path, arrays)


def _field_arrays(keys: list[tuple[int, str]]) -> dict[str, np.ndarray]:
    if not keys:
        return {"terms": np.zeros(0, np.uint64), "tpost": np.zeros(1, np.int64),
                "docs": np.zeros(0, np.uint32), "pstart": np.zeros(1, np.int64),
                "pos": np.zeros(0, np.uint32)}
    codes = key_codes("".join(k for _d, k in keys))
    lens = np.array([len(k) for _d, k in keys], dtype=np.int64)
    first = np.cumsum(lens) - lens  # where each document's codes begin
    # The joined keys' bigram at each document's last character spans into the next
    # document: that position holds the last character alone.
    codes[first[1:] - 1] &= np.uint64(~((1 << SHIFT) - 1) & 0xFFFFFFFFFFFFFFFF)
    # Documents were added in ascending order and positions ascend within one: a stable
    # sort by code leaves every term's occurrences ordered by (document, position).
    order = np.argsort(codes, kind="stable")
    codes = codes[order]
    n = len(codes)
    new_term = np.empty(n, dtype=bool)
    new_term[0] = True
    np.not_equal(codes[1:], codes[:-1], out=new_term[1:])
    term_first = np.flatnonzero(new_term)
    terms = codes[term_first]
    del codes
    docs = np.repeat(np.array([d for d, _k in keys], dtype=np.uint32), lens)[order]
    pos = np.arange(n, dtype=np.uint32)
    pos -= np.repeat(first.astype(np.uint32), lens)
    pos = pos[order]
    del order
    new_term[1:] |= docs[1:] != docs[:-1]  # now: a new posting starts here
    post_first = np.flatnonzero(new_term)
    del new_term
    return {
        "terms": terms,
        "tpost": np.append(np.searchsorted(post_first, term_first), len(post_first)).astype(np.int64),
        "docs": docs[post_first],
        "pstart": np.append(post_first, n).astype(np.int64),
        "pos": pos,
    }


def _word_arrays(docs: list[tuple[int, np.ndarray, np.ndarray]]) -> dict[str, np.ndarray]:
    if not docs:
        return {"terms": np.zeros(0, np.uint64), "tpost": np.zeros(1, np.int64),
                "docs": np.zeros(0, np.uint32), "tf": np.zeros(0, np.uint32)}
    codes = np.concatenate([c for _d, c, _t in docs])
    tf = np.concatenate([t for _d, _c, t in docs])
    docnums = np.repeat(np.array([d for d, _c, _t in docs], dtype=np.uint32), [len(c) for _d, c, _t in docs])
    order = np.argsort(codes, kind="stable")  # documents stay ascending within a word
    codes, tf, docnums = codes[order], tf[order], docnums[order]
    first = np.flatnonzero(np.concatenate(([True], codes[1:] != codes[:-1])))
    return {"terms": codes[first], "tpost": np.append(first, len(codes)).astype(np.int64),
            "docs": docnums, "tf": tf}


def _write_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """A small JSON header (name -> dtype, offset, length), then each array aligned."""
    layout, offset = {}, 0
    for name, arr in arrays.items():
        layout[name] = [arr.dtype.str, offset, int(arr.size)]
        offset += -(-arr.nbytes // ALIGN) * ALIGN
    header = json.dumps(layout).encode("ascii")
    data_start = -(-(len(MAGIC) + 8 + len(header)) // ALIGN) * ALIGN
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(MAGIC + len(header).to_bytes(8, "little") + header)
        for name, arr in arrays.items():
            fh.seek(data_start + layout[name][1])
            fh.write(np.ascontiguousarray(arr).tobytes())
        fh.truncate(data_start + offset)
    os.replace(tmp, path)


class SegmentChars:
    """Read side of one segment's file (memory-mapped: the page cache holds what queries
    touch; nothing is decoded)."""

    def __init__(self, path: Path):
        with open(path, "rb") as fh:
            head = fh.read(len(MAGIC) + 8)
            if head[:len(MAGIC)] != MAGIC:
                raise ValueError(f"{path}: not a character postings file")
            hlen = int.from_bytes(head[len(MAGIC):], "little")
            layout = json.loads(fh.read(hlen))
        data_start = -(-(len(MAGIC) + 8 + hlen) // ALIGN) * ALIGN
        size = os.path.getsize(path)
        # Plain ndarrays over the mapping (np.memmap's per-slice bookkeeping costs more
        # than the slicing itself: queries slice these arrays thousands of times).
        mm = np.memmap(path, dtype=np.uint8, mode="r").view(np.ndarray) if size else np.zeros(0, np.uint8)
        self.arrays: dict[str, np.ndarray] = {}
        for name, (dtype, offset, count) in layout.items():
            dt = np.dtype(dtype)
            start = data_start + offset
            self.arrays[name] = mm[start:start + count * dt.itemsize].view(dt)

    def _slot(self, field: str, code: int) -> int:
        terms = self.arrays[f"{field}.terms"]
        i = int(np.searchsorted(terms, np.uint64(code)))
        return i if i < len(terms) and int(terms[i]) == code else -1

    def _range(self, field: str, lo: int, hi: int) -> tuple[int, int]:
        terms = self.arrays[f"{field}.terms"]
        return (int(np.searchsorted(terms, np.uint64(lo))), int(np.searchsorted(terms, np.uint64(hi))))

    def term_postings(self, field: str, code: int) -> tuple[int, int]:
        """[a, b) postings of a token (empty when absent)."""
        i = self._slot(field, code)
        if i < 0:
            return 0, 0
        tpost = self.arrays[f"{field}.tpost"]
        return int(tpost[i]), int(tpost[i + 1])

    def range_postings(self, field: str, lo: int, hi: int) -> tuple[int, int]:
        """[a, b) postings of every token with a code in [lo, hi): contiguous."""
        i, j = self._range(field, lo, hi)
        tpost = self.arrays[f"{field}.tpost"]
        return int(tpost[i]), int(tpost[j])

    def terms_in(self, field: str, lo: int, hi: int) -> np.ndarray:
        """Codes of the tokens with a code in [lo, hi), ascending."""
        i, j = self._range(field, lo, hi)
        return self.arrays[f"{field}.terms"][i:j]

    def posting_docs(self, field: str, a: int, b: int, offset: int) -> np.ndarray:
        """Global document numbers of postings [a, b) (ascending within one token)."""
        return self.arrays[f"{field}.docs"][a:b].astype(np.int64) + offset

    def occurrences(self, field: str, a: int, b: int) -> int:
        pstart = self.arrays[f"{field}.pstart"]
        return int(pstart[b] - pstart[a]) if b > a else 0

    def keys(self, field: str, a: int, b: int, offset: int) -> np.ndarray:
        """(global doc << 32 | position) of postings [a, b), in posting order."""
        if b <= a:
            return EMPTY
        docs = self.arrays[f"{field}.docs"][a:b].astype(np.int64)
        pstart = self.arrays[f"{field}.pstart"][a:b + 1]
        pos = self.arrays[f"{field}.pos"][pstart[0]:pstart[-1]]
        return ((np.repeat(docs, np.diff(pstart)) + offset) << 32) | pos.astype(np.int64)

    def word_postings(self, field: str, word: str, offset: int) -> tuple[np.ndarray, np.ndarray]:
        """(global docs int64, frequencies int64) of a word-view term."""
        a, b = self.term_postings(field, word_code(word))
        if b <= a:
            return EMPTY, EMPTY
        return (self.arrays[f"{field}.docs"][a:b].astype(np.int64) + offset,
                self.arrays[f"{field}.tf"][a:b].astype(np.int64))

    def word_frequencies(self, field: str, codes: np.ndarray) -> np.ndarray:
        """Number of documents of each word code (uint64 array) in this segment."""
        terms, tpost = self.arrays[f"{field}.terms"], self.arrays[f"{field}.tpost"]
        if not len(terms):
            return np.zeros(len(codes), dtype=np.int64)
        idx = np.minimum(np.searchsorted(terms, codes), len(terms) - 1)
        found = terms[idx] == codes
        return np.where(found, tpost[idx + 1] - tpost[idx], 0).astype(np.int64)

    def keys_within(self, field: str, a: int, b: int, offset: int, wanted: np.ndarray) -> np.ndarray:
        """Like `keys`, only for postings of documents in `wanted` (sorted local numbers)."""
        if b <= a or not len(wanted):
            return EMPTY
        docs = self.arrays[f"{field}.docs"][a:b]
        idx = np.searchsorted(docs, wanted)
        found = idx < len(docs)
        found[found] = docs[idx[found]] == wanted[found]
        idx = idx[found]
        if not len(idx):
            return EMPTY
        pstart = self.arrays[f"{field}.pstart"]
        starts = pstart[a + idx]
        lens = pstart[a + idx + 1] - starts
        total = int(lens.sum())
        # positions of the chosen postings: for each, a run starting at its pstart
        run_first = np.cumsum(lens) - lens
        gather = np.arange(total, dtype=np.int64) + np.repeat(starts - run_first, lens)
        pos = self.arrays[f"{field}.pos"][gather].astype(np.int64)
        gdocs = docs[idx].astype(np.int64) + offset
        return (np.repeat(gdocs, lens) << 32) | pos
