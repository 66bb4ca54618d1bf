"""Which script a text is written in: hans (Simplified), hant (Traditional) or mixed.

Counts characters that mark one script: a character marks Simplified when OpenCC's
Simplified→Traditional table maps it only to other characters (关→關), and Traditional
when the Traditional→Simplified table does (關→关). Characters valid in both scripts
(干, 后 in some words, 于 …) map to themselves as one option and mark nothing.

"mixed" is a Traditional text that kept some Simplified words (干部, 关于 …), the usual
result of a partial conversion; a Simplified text with a stray Traditional character (a
quoted name) stays hans, so that direction needs a real share before it counts.
"""
from __future__ import annotations

import functools
from ..normalize import opencc_characters

# Simplified marks in a Traditional text: this many make it mixed (one can be a slip).
_MIN_SIMPLIFIED_IN_HANT = 2
# Traditional marks in a Simplified text: this share of the marks makes it mixed.
_MIXED_SHARE_IN_HANS = 0.05


def _marks(table: str) -> frozenset[str]:
    """Characters the table maps only to other characters (never to themselves)."""
    return frozenset(k for k, v in opencc_characters(table).items() if k not in v)


@functools.lru_cache(maxsize=1)
def _tables() -> tuple[frozenset[str], frozenset[str]]:
    return _marks("STCharacters.txt"), _marks("TSCharacters.txt")


def script_counts(text: str) -> tuple[int, int]:
    """(Simplified marks, Traditional marks) in text."""
    hans, hant = _tables()
    s = t = 0
    for ch in text:
        if ch in hans:
            s += 1
        elif ch in hant:
            t += 1
    return s, t


@functools.lru_cache(maxsize=8)  # build_report asks once per report of the same page
def detect_script(text: str) -> str:
    s, t = script_counts(text)
    if t > s:
        return "mixed" if s >= _MIN_SIMPLIFIED_IN_HANT else "hant"
    if t and t / (s + t) >= _MIXED_SHARE_IN_HANS:
        return "mixed"
    return "hans"
