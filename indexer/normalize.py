"""The one normalization path shared by documents and queries.

`normalize(text)` turns text into its *index form*, one character at a time:

1. NFKC width folding (全角 ＡＢＣ１２３ → ABC123, compatibility ideographs → unified);
2. punctuation folding (。→. 、→, “”→" 【】→[] ︰→: ‧→· …; every compatibility and
   vertical form like its common form) and whitespace folding (any space → " ");
3. script and variant folding: every character of a class of interchangeable characters
   becomes that class's index character (乾 幹 干 → 干, 藉 借 → 借, 覆 復 複 复 → 复,
   囘 → 回, 槪 → 概, 汚 → 污 …), from `data/fold_chars.tsv` (generated from OpenCC's
   conversion tables and Unihan's variants by scripts/gen_tables).

Why per character, not OpenCC's phrase-level t2s: a phrase rule (藉此→借此, 乾隆 keeps 乾)
fires or not depending on the neighbouring characters, so a query and the same characters
inside a document could get different index forms. Here the index form of a text never
depends on what surrounds it, so the key of a query is a substring of the key of every
text containing it (a property test checks this); where a phrase rule could pick either
of two characters, both are in one class. Display always uses the original text.

`normalize_with_offsets(text)` also returns, for every character of the index form, the
index of the original character it came from, so highlights computed on the index form
land on the original characters in the original script.

All steps run as one `str.translate`; the few characters whose NFKC form is longer
(㈠ → (一)) take a slower per-character path that keeps the offset map exact.
`normalization_version()` fingerprints the whole mapping: an index records it, and an
index built with another one must be rebuilt.
"""
from __future__ import annotations

import functools
import hashlib
import re
import sys
import unicodedata
from pathlib import Path

# Bump when the folding logic below changes (the tables are fingerprinted anyway).
SCHEME = 3
DATA = Path(__file__).resolve().parent / "data"
FOLD_CHARS = DATA / "fold_chars.tsv"

# Punctuation folded to one ASCII form each; NFKC already maps the full-width ASCII block,
# the vertical forms (U+FE10–FE19, U+FE31–FE48) and the small forms (U+FE50–FE6B) to their
# common form, which this table then folds.
_PUNCT_FOLD = {
    "。": ".", "｡": ".", "、": ",", "､": ",", "，": ",", "：": ":", "；": ";",
    "“": '"', "”": '"', "„": '"', "‟": '"', "「": '"', "」": '"', "『": '"', "』": '"',
    "‘": "'", "’": "'", "‛": "'", "‚": "'", "〝": '"', "〞": '"', "＂": '"',
    "【": "[", "】": "]", "〔": "[", "〕": "]", "［": "[", "］": "]", "〖": "[", "〗": "]",
    "《": "<", "》": ">", "〈": "<", "〉": ">", "«": "<", "»": ">",
    "（": "(", "）": ")", "—": "-", "–": "-", "―": "-", "‐": "-", "‑": "-", "－": "-",
    "‒": "-", "−": "-", "─": "-", "━": "-", "⸺": "-", "⸻": "-",
    "～": "~", "〜": "~", "…": ".", "‥": ".", "！": "!", "？": "?",
    # Name dots: mainland ·, Taiwan ‧ (Big5's), Japanese ・, bullets typed instead.
    "・": "·", "•": "·", "‧": "·", "∙": "·", "⋅": "·", "⸱": "·",
    # Big5's colon is U+FE30 (NFKC would make it "..", a two-dot leader); ∶ (ratio).
    "︰": ":", "∶": ":",
    # Overlines and low lines of the compatibility forms (NFKC: space + combining mark).
    "﹉": "_", "﹊": "_", "﹋": "_", "﹌": "_",
}

_WHITESPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004" \
    "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"


@functools.lru_cache(maxsize=1)
def fold_chars() -> dict[str, str]:
    """Character -> index character (script and variant classes), from data/fold_chars.tsv."""
    table: dict[str, str] = {}
    with open(FOLD_CHARS, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or "\t" not in line:
                continue
            src, dst = line.rstrip("\n").split("\t")
            table[src] = dst
    return table


def _fold_char(ch: str) -> str:
    """The index form of one character."""
    if ch in _WHITESPACE:
        return " "
    if ch in _INVISIBLE:
        return ""
    if ch in _PUNCT_FOLD:
        return _PUNCT_FOLD[ch]
    chars = fold_chars()
    return "".join(_PUNCT_FOLD.get(c) or chars.get(c, c) for c in unicodedata.normalize("NFKC", ch))


def _changing_code_points() -> list[int]:
    """Every code point `_fold_char` may change: the tables' own characters and those
    NFKC changes. NFKC is tested a block of 256 code points at a time (a block that NFKC
    leaves as it is holds no character it would change alone: such a character can never
    stand in normalized text), character by character only in the few blocks it changes,
    so the tables are built without a Python call per code point (process start time)."""
    out = {ord(c) for c in _WHITESPACE + _INVISIBLE} | {ord(c) for c in _PUNCT_FOLD} \
        | {ord(c) for c in fold_chars()}
    for start in range(0, sys.maxunicode + 1, 256):
        points = [cp for cp in range(start, start + 256) if not 0xD800 <= cp <= 0xDFFF]
        block = "".join(map(chr, points))
        if unicodedata.is_normalized("NFKC", block):
            continue
        out.update(cp for cp in points if unicodedata.normalize("NFKC", chr(cp)) != chr(cp))
    return sorted(out)


@functools.lru_cache(maxsize=1)
def _tables() -> tuple[dict[int, str], re.Pattern[str]]:
    """(1:1 translate table, pattern of characters that expand or vanish)."""
    table: dict[int, str] = {}
    irregular: list[str] = []
    for cp in _changing_code_points():
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        if cp < 0x80 and ch not in _WHITESPACE:
            continue
        folded = _fold_char(ch)
        if len(folded) == 1:
            if folded != ch:
                table[cp] = folded
        else:
            irregular.append(ch)
    pattern = re.compile("[" + "".join(re.escape(c) for c in irregular) + "]")
    return table, pattern


@functools.lru_cache(maxsize=1)
def normalization_version() -> str:
    """Fingerprint of the whole character mapping (recorded by every index generation)."""
    table, irregular = _tables()
    digest = hashlib.sha1(f"{SCHEME}:{irregular.pattern}".encode("utf-8"))
    for cp in sorted(table):
        digest.update(f"{cp}>{table[cp]};".encode("utf-8"))
    return f"{SCHEME}-{digest.hexdigest()[:12]}"


@functools.lru_cache(maxsize=2)
def opencc_characters(name: str) -> dict[str, tuple[str, ...]]:
    """Single-character entries of one of OpenCC's dictionaries (``TSCharacters.txt``,
    ``STCharacters.txt``): character -> its conversions, preferred first. The one reader
    of those files; script detection and the cue/mojibake folds use it too."""
    import opencc

    path = Path(opencc.__file__).parent / "dictionary" / name
    table: dict[str, tuple[str, ...]] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            key, _, values = line.rstrip("\n").partition("\t")
            if len(key) == 1 and values:
                table[key] = tuple(values.split(" "))
    return table


@functools.lru_cache(maxsize=1)
def t2s_char_table() -> dict[int, str]:
    """`str.translate` table: Traditional character -> preferred Simplified character.
    Character level only (no phrase rules): for cue matching and text scoring, a hundred
    times faster than OpenCC; the index form itself goes through `normalize`."""
    return {ord(k): v[0] for k, v in opencc_characters("TSCharacters.txt").items() if v[0] != k}


def _fold(text: str) -> tuple[str, list[int] | None]:
    """The index form, and its offset map (None when length-preserving)."""
    table, irregular = _tables()
    if not irregular.search(text):
        return text.translate(table), None
    # Translate the runs between irregular characters in bulk; only those take the slow path.
    out: list[str] = []
    offsets: list[int] = []
    pos = 0
    for m in irregular.finditer(text):
        start = m.start()
        if start > pos:
            out.append(text[pos:start].translate(table))
            offsets.extend(range(pos, start))
        folded = _fold_char(m.group())
        out.append(folded)
        offsets.extend([start] * len(folded))
        pos = start + 1
    if pos < len(text):
        out.append(text[pos:].translate(table))
        offsets.extend(range(pos, len(text)))
    return "".join(out), offsets


def normalize(text: str) -> str:
    """Index form of `text` (documents and queries alike)."""
    return _fold(text)[0]


def normalize_with_offsets(text: str) -> tuple[str, list[int]]:
    """Index form plus `offsets`, where ``offsets[i]`` is the index in `text` of the
    character that produced index-form character ``i``; ``offsets`` has one extra final
    entry, ``len(text)``, so a span ``[a, b)`` maps to ``text[offsets[a]:offsets[b]]``
    (for b == len(norm) this is the end of the text)."""
    norm, offsets = _fold(text)
    if offsets is None:
        offsets = list(range(len(norm)))
    offsets.append(len(text))
    return norm, offsets


def search_key(text: str) -> str:
    """Index form with all whitespace removed: the key for substring (phrase) matching,
    as the corpus' judgments define it."""
    return normalize(text).replace(" ", "")
