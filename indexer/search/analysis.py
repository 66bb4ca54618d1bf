"""Text analysis for the index: the two views of a text, built on `indexer.normalize`.

- *Index form* (`index_form`): `normalize()` plus ASCII lower-casing, both length
  preserving, so the offset map of `normalize_with_offsets` stays valid.
- *Key* (`key`): the index form with whitespace removed — the string on which substring
  (phrase) semantics are defined, for documents and queries alike.
- *Character view* (built in charindex.py): overlapping bigrams of the key, one per
  position, plus the final single character, so every character starts exactly one
  token. A run of characters then matches as a phrase of consecutive bigrams
  (`phrase_tokens`: exact substring semantics), and a one-character query reads every
  token starting with that character.
- *Word view* (`words`): jieba search-mode words of the index form (rjieba: the Rust port,
  20x faster, same dictionary semantics), for ranking only.

The tokenizer is built once per process and per dictionary set (the shipped domain
dictionary, jieba's own words in index form where that differs — `data/fold_words.txt`,
产业链 → 产业炼 — and an optional user dictionary); `dictionary_version` fingerprints them
so an index records which words it was built with.
"""
from __future__ import annotations

import functools
import hashlib
import re
from collections import Counter
from pathlib import Path

from ..normalize import normalize, normalize_with_offsets

DOMAIN_DICT = Path(__file__).resolve().parent.parent / "data" / "dangan_dict.txt"
FOLD_WORDS = DOMAIN_DICT.with_name("fold_words.txt")

_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
_SPACE = re.compile(r"\s+")
# Word-view tokens worth ranking on: at least one letter, digit or CJK character.
_WORDY = re.compile(r"[0-9A-Za-z\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")


def index_form(text: str) -> str:
    return normalize(text).translate(_ASCII_LOWER)


def index_form_with_offsets(text: str) -> tuple[str, list[int]]:
    norm, offsets = normalize_with_offsets(text)
    return norm.translate(_ASCII_LOWER), offsets


def key(text: str) -> str:
    """Whitespace-free index form: what substring matching is defined on."""
    return _SPACE.sub("", index_form(text))


def searchable(k: str) -> bool:
    """Whether a query key holds a letter, digit or CJK character: punctuation alone is
    not searched for (it would match nearly every report, at a great cost)."""
    return bool(_WORDY.search(k))


def key_of_form(form: str) -> str:
    return _SPACE.sub("", form)


def wordy(ch: str) -> bool:
    """A letter, digit or CJK character (not punctuation or a symbol)."""
    return bool(_WORDY.match(ch))


def strip_punctuation(k: str) -> str:
    """A key without its punctuation and symbols (the ladder's second step)."""
    return "".join(_WORDY.findall(k))


def phrase_tokens(k: str) -> list[str]:
    """Tokens a query key must match at consecutive positions (len(k) >= 2)."""
    return [k[i:i + 2] for i in range(len(k) - 1)]


def read_dictionary(path: Path) -> list[tuple[str, int | None, str | None]]:
    """Entries of a jieba-format dictionary file: `word [freq] [tag]` per line."""
    entries = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.strip().split()
            if not parts or parts[0].startswith("#"):
                continue
            freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
            tag = parts[2] if len(parts) > 2 else None
            entries.append((parts[0], freq, tag))
    return entries


def dictionary_version(user_dict: str | None = None) -> str:
    """Fingerprint of the dictionaries: changes when any entry changes."""
    digest = hashlib.sha1(DOMAIN_DICT.read_bytes())
    digest.update(b"\0" + FOLD_WORDS.read_bytes())
    if user_dict:
        digest.update(b"\0" + Path(user_dict).read_bytes())
    return digest.hexdigest()[:16]


@functools.lru_cache(maxsize=2)
def dictionary_words(user_dict: str | None = None) -> tuple[str, ...]:
    """Every word the tokenizer knows, in index form: jieba's own dictionary, its words in
    index form (FOLD_WORDS), the domain and the user dictionary."""
    import jieba

    with open(Path(jieba.__file__).parent / "dict.txt", encoding="utf-8") as fh:
        raw = [line.split(" ", 1)[0] for line in fh]
    for path in [FOLD_WORDS, DOMAIN_DICT] + ([Path(user_dict)] if user_dict else []):
        raw += [word for word, _freq, _tag in read_dictionary(path)]
    # The index form is per character, so the whole list folds in one call (a newline
    # folds to a space, which no dictionary word holds).
    return tuple(dict.fromkeys(w for w in index_form("\n".join(raw)).split(" ") if w))


@functools.lru_cache(maxsize=4)
def tokenizer(user_dict: str | None = None):
    """A jieba tokenizer with the domain (and user) dictionary loaded."""
    import rjieba

    jb = rjieba.Jieba()
    for word, freq, tag in read_dictionary(FOLD_WORDS):
        jb.add_word(word, freq, tag)  # already in index form
    paths = [DOMAIN_DICT] + ([Path(user_dict)] if user_dict else [])
    for path in paths:
        for word, freq, tag in read_dictionary(path):
            # jieba's normalised form: entries must match the text they will meet.
            jb.add_word(index_form(word), freq, tag)
    return jb


def word_counts(k: str, user_dict: str | None = None) -> Counter:
    """`words` of a key with their counts (filtered after counting: one check per
    distinct word, not per occurrence)."""
    counts = Counter(w for w, _s, _e in tokenizer(user_dict).tokenize(k, mode="search"))
    return Counter({w: n for w, n in counts.items() if _WORDY.search(w)})


def words(k: str, user_dict: str | None = None) -> list[str]:
    """Search-mode words of a key (overlapping: 清华大学 → 清华 华大 大学 清华大学).

    Segmenting the whitespace-free key keeps a word broken over two lines whole."""
    jb = tokenizer(user_dict)
    return [w for w, _s, _e in jb.tokenize(k, mode="search") if _WORDY.search(w)]
