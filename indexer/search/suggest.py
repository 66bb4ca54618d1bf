"""Did you mean: corrections from the index's own vocabulary, offered, never substituted.

- *Homophones* (意识形太 → 意识形态): a span of the query read aloud (pypinyin's readings,
  tones dropped, every reading of a character with several) equals the reading of an
  index word that is more frequent than the span itself.
- *Near characters* (意识形杰 → 意识形态): a span of three or more characters differs from
  a frequent index word of the same length in one character.
- *Pinyin input* (yishixingtai, yi shi xing tai, ysxt): Latin letters split into syllables
  (or read as the syllables' initials) and mapped to the most frequent index words with
  those readings.

The vocabulary (`Vocabulary`) is the dictionary words (jieba's, ours, the user
dictionary) that occur in the index, with their document frequencies in the word view,
read once per index generation with their readings; a query then costs dictionary lookups
bounded by its length. Candidates are ranked, and the best SETTINGS.index.suggest_candidates are checked
against the index by the engine: a suggestion is shown only if it finds reports.
"""
from __future__ import annotations

import functools
import itertools
import math
import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from . import analysis, charindex

MAX_WORD = 8  # characters (and syllables) of a vocabulary word
MAX_SPAN = 6  # longest query span replaced at once
MAX_QUERY_CHARS = 24  # longer runs are not corrected (nor pinyin longer than 4x that)
READING_COMBOS = 16  # readings tried per span when its characters have several
_CJK = re.compile(r"^[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]+$")
_LATIN = re.compile(r"^[a-z' ]+$")


@dataclass
class Suggestion:
    q: str  # the corrected query, to link to
    kind: str  # homophone | near | pinyin
    total: int = 0  # reports it finds (set by the engine's check)


@functools.lru_cache(maxsize=1)
def _tables():
    from pypinyin.phrases_dict import phrases_dict
    from pypinyin.pinyin_dict import pinyin_dict

    return pinyin_dict, phrases_dict


@functools.lru_cache(maxsize=4096)
def _plain(syllable: str) -> str:
    """A toned pinyin syllable without its tone (ü as v)."""
    out = unicodedata.normalize("NFD", syllable).replace("u\u0308", "v")
    return "".join(c for c in out if not unicodedata.combining(c))


@functools.lru_cache(maxsize=65536)
def char_readings(ch: str) -> tuple[str, ...]:
    """Every toneless reading of a character, the most common first."""
    pinyin_dict, _ = _tables()
    raw = pinyin_dict.get(ord(ch))
    if not raw:
        return ()
    return tuple(dict.fromkeys(_plain(r) for r in raw.split(",")))


def word_reading(word: str) -> tuple[str, ...] | None:
    """The toneless reading of a word in context (pypinyin's phrase readings, else each
    character's most common reading); None when a character has no reading."""
    _, phrases_dict = _tables()
    phrase = phrases_dict.get(word)
    if phrase and len(phrase) == len(word):
        return tuple(_plain(r[0]) for r in phrase)
    out = []
    for ch in word:
        r = char_readings(ch)
        if not r:
            return None
        out.append(r[0])
    return tuple(out)


@functools.lru_cache(maxsize=1)
def syllables() -> frozenset[str]:
    pinyin_dict, _ = _tables()
    return frozenset(_plain(r) for raw in pinyin_dict.values() for r in raw.split(","))


def split_pinyin(text: str, limit: int = 8) -> list[tuple[str, ...]]:
    """Ways to read Latin letters as pinyin syllables (fewest syllables first); an
    apostrophe or space forces a break."""
    valid = syllables()
    out: list[tuple[str, ...]] = []
    for chunk_splits in itertools.product(*[_split_chunk(c, valid) for c in re.split(r"[' ]+", text) if c]):
        out.append(tuple(s for part in chunk_splits for s in part))
        if len(out) >= limit * 4:
            break
    return sorted(set(out), key=len)[:limit]


def _split_chunk(chunk: str, valid: frozenset[str], limit: int = 8) -> list[tuple[str, ...]]:
    @functools.lru_cache(maxsize=None)
    def rest(i: int) -> list[tuple[str, ...]]:
        if i == len(chunk):
            return [()]
        found = []
        for j in range(min(len(chunk), i + 6), i, -1):
            if chunk[i:j] in valid:
                found += [(chunk[i:j],) + tail for tail in rest(j)]
                if len(found) >= limit:
                    break
        return found[:limit]

    return rest(0)


class Vocabulary:
    """Index words (CJK, 2..MAX_WORD characters) with document frequency and readings."""

    def __init__(self, words: dict[str, int]):
        self.df = words
        self.by_reading: dict[tuple[str, ...], list[str]] = {}
        self.by_initials: dict[str, list[str]] = {}
        self.by_pattern: dict[str, list[str]] = {}
        for word, _df in sorted(words.items(), key=lambda kv: -kv[1]):
            reading = word_reading(word)
            if reading is None:
                continue
            self.by_reading.setdefault(reading, []).append(word)
            self.by_initials.setdefault("".join(s[0] for s in reading), []).append(word)
            if len(word) >= 3:
                for i in range(len(word)):
                    self.by_pattern.setdefault(word[:i] + "?" + word[i + 1:], []).append(word)

    @classmethod
    def from_index(cls, post, user_dict: str | None = None) -> "Vocabulary":
        """The dictionary words (jieba's, ours, the index's user dictionary; in index form)
        that the index's word view holds, with their document frequencies (a vectorized
        lookup of every word in each segment's word table: no scan of the lexicon)."""
        words, codes = _candidate_words(user_dict)
        df = np.maximum(post.word_frequencies("body_w", codes), post.word_frequencies("title_w", codes))
        return cls({words[i]: int(df[i]) for i in np.flatnonzero(df)})

    def weight(self, word: str) -> float:
        return math.log1p(self.df.get(word, 0))


@functools.lru_cache(maxsize=2)
def _candidate_words(user_dict: str | None) -> tuple[list[str], np.ndarray]:
    """Dictionary words a suggestion may be made of, and their word-view codes (once per
    process and dictionary set)."""
    words = [w for w in analysis.dictionary_words(user_dict) if 2 <= len(w) <= MAX_WORD and _CJK.match(w)]
    return words, charindex.word_codes(words)


def _span_readings(span: str) -> list[tuple[str, ...]]:
    options = [char_readings(c) for c in span]
    if not all(options):
        return []
    return list(itertools.islice(itertools.product(*options), READING_COMBOS))


def corrections(vocab: Vocabulary, k: str, limit: int) -> list[tuple[str, str]]:
    """(corrected key, kind) for a run of CJK characters, best first."""
    if not _CJK.match(k) or len(k) > MAX_QUERY_CHARS or len(k) < 2:
        return []
    scored: dict[str, tuple[float, str]] = {}

    def offer(i: int, j: int, word: str, kind: str, bonus: float) -> None:
        changed = sum(a != b for a, b in zip(k[i:j], word))
        if not changed:
            return
        gain = vocab.weight(word) - vocab.weight(k[i:j]) - 0.7 * (changed - 1) + bonus
        if gain <= 0.5:
            return  # not clearly more common than what was typed
        cand = k[:i] + word + k[j:]
        if cand not in scored or scored[cand][0] < gain:
            scored[cand] = (gain, kind)

    for i in range(len(k)):
        for j in range(i + 2, min(len(k), i + MAX_SPAN) + 1):
            span = k[i:j]
            for reading in _span_readings(span):
                for word in vocab.by_reading.get(reading, ())[:4]:
                    offer(i, j, word, "homophone", 1.0)
            if j - i >= 3:
                for p in range(j - i):
                    for word in vocab.by_pattern.get(span[:p] + "?" + span[p + 1:], ())[:4]:
                        offer(i, j, word, "near", 0.0)
    ranked = sorted(scored.items(), key=lambda kv: -kv[1][0])
    return [(cand, kind) for cand, (_g, kind) in ranked[:limit]]


def _segment(units: list, lookup, max_len: int, limit: int) -> list[str]:
    """Best ways to cover `units` (syllables or initials) with vocabulary words: each
    piece of up to `max_len` units maps through `lookup` to words (most frequent first);
    fewer words first (one word for the whole input, as an input method would), then
    more frequent ones."""
    n = len(units)
    best: list[list[tuple[int, float, str]]] = [[] for _ in range(n + 1)]
    best[0] = [(0, 0.0, "")]
    for i in range(n):
        if not best[i]:
            continue
        for j in range(i + 1, min(n, i + max_len) + 1):
            words = lookup(units[i:j])[:4]
            if not words:
                continue
            best[j] += [(count + 1, score + weight, text + word)
                        for count, score, text in best[i] for word, weight in words]
            best[j] = sorted(best[j], key=lambda e: (e[0], -e[1]))[:limit]
    return [text for _c, _s, text in best[n]]


def pinyin_candidates(vocab: Vocabulary, text: str, limit: int) -> list[str]:
    """Chinese readings of Latin input, best first (full pinyin, then initials)."""
    s = text.strip().lower()
    if not _LATIN.match(s) or len(s.replace(" ", "").replace("'", "")) < 2 \
            or len(s) > 4 * MAX_QUERY_CHARS:
        return []

    def by_reading(units):
        return [(w, vocab.weight(w)) for w in vocab.by_reading.get(tuple(units), ())]

    def by_initials(units):
        return [(w, vocab.weight(w)) for w in vocab.by_initials.get("".join(units), ()) if len(w) == len(units)]

    out: list[str] = []
    for split in split_pinyin(s):
        out += _segment(list(split), by_reading, MAX_WORD, limit)
    letters = s.replace(" ", "").replace("'", "")
    if len(letters) <= 2 * MAX_WORD:
        out += _segment(list(letters), by_initials, MAX_WORD, limit)
    return list(dict.fromkeys(out))[:limit]
