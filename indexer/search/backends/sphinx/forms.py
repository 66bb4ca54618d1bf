"""Our index forms as Sphinx tokens, and our parsed queries as Sphinx match expressions.

The engine does no Chinese analysis: a field's text is our own tokens separated by
spaces. Every token is written in a small alphabet (`encode`) that the ``charset_table``
keeps whole: a..z, 0..9 and BMP CJK ideographs stand for themselves, any other character
(punctuation kept in keys, other scripts, supplementary ideographs) becomes ``Q`` plus six
upper-case hex digits. Upper case never occurs in a key (keys are lower-cased), so the
encoding is injective, and no token is ever split or dropped by the engine: positions
stay exactly ours. A word longer than `MAX_TOKEN` characters once encoded becomes ``H``
plus a 64-bit hash (the engine truncates long words).

- Character view (``*_c``): one token per key position, the bigram starting there or the
  last character alone (like charindex.key_codes). A key of length >= 3 is a phrase of
  its bigrams, a key of length 2 one token, a single character the prefix ``c*``.
- Section fields (``sec_<i>``): for each section range [a, b) of kind i, the tokens of
  ``key[a:b]`` as if it were a key of its own. Its last token is a single character, so no
  phrase can run from one range into the next, and an occurrence found there lies inside
  the range, as the embedded section filter requires.
- Word view (``*_w``): each word repeated as often as it occurs (only counts matter),
  as ``W`` + its encoding (`word_token`): never the same keyword as a character-view
  token. (With the same keyword in a query's phrase and in its word count, 2.2.11
  credits the word field with no hits in some documents: measured at 12k pages.)
"""
from __future__ import annotations

import functools
import hashlib
import re

from ...query import ParsedQuery, Term
from ...schema import SECTION_KINDS
from . import layout

MAX_TOKEN = 24
_SAFE = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@functools.lru_cache(maxsize=1 << 16)
def _char(c: str) -> str:
    return c if _SAFE.fullmatch(c) else f"Q{ord(c):06X}"


def encode(text: str) -> str:
    """One token (a bigram, a character, a word) in the engine's alphabet."""
    out = "".join(map(_char, text))
    if len(out) > MAX_TOKEN:
        return "H" + hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest().upper()
    return out


def key_tokens(k: str) -> list[str]:
    """Encoded character-view tokens of a key: bigram per position, last character alone."""
    if not k:
        return []
    chars = [_char(c) for c in k]
    return [a + b for a, b in zip(chars, chars[1:])] + [chars[-1]]


def key_text(k: str) -> str:
    return " ".join(key_tokens(k))


def section_texts(body_key: str, sections) -> dict[str, str]:
    """``sec_<i>`` field texts from (kind, start, end) key ranges."""
    parts: dict[str, list[str]] = {}
    for kind, a, b in sections:
        if kind in SECTION_KINDS and b > a:
            parts.setdefault(f"sec_{SECTION_KINDS.index(kind)}", []).append(key_text(body_key[a:b]))
    return {f: " ".join(p) for f, p in parts.items()}


def word_token(w: str) -> str:
    """A word of the word view: ``W`` + its encoding (``W`` starts no other token)."""
    return "W" + encode(w)


def words_text(counts: dict[str, int]) -> str:
    return " ".join(" ".join([word_token(w)] * n) for w, n in counts.items())


# ---------------------------------------------------------------- queries


# The ranker tracks at most this many query keywords (a 32-bit mask in Sphinx 2.2.11).
RANKED_KEYWORDS = 32


def distinct_tokens(k: str) -> int:
    """What one occurrence of key `k` adds to the engine's ``hit_count``: once each distinct
    keyword among the phrase's first 32 (measured on Sphinx 2.2.11: a repeated keyword
    counts once, keywords past the 32nd not at all; see docs/sphinx-backend.md)."""
    if len(k) < 2:
        return 1
    return len({k[i:i + 2] for i in range(min(len(k) - 1, RANKED_KEYWORDS))})


def phrase(k: str) -> str:
    """The match expression of key `k` (no field limit)."""
    if len(k) == 1:
        return encode(k) + "*"
    tokens = key_tokens(k)[:-1]  # the bigrams; the trailing single character is implied
    return tokens[0] if len(tokens) == 1 else '"' + " ".join(tokens) + '"'


def in_fields(fields, k: str) -> str:
    fields = list(fields)
    limit = f"@{fields[0]}" if len(fields) == 1 else "@(" + ",".join(fields) + ")"
    return f"({limit} {phrase(k)})"


def section_fields(kinds) -> list[str]:
    return [f"sec_{SECTION_KINDS.index(k)}" for k in kinds if k in SECTION_KINDS]


def term_fields(term: Term, sections: list[str] | None) -> list[str]:
    """Fields where a term matches (execute.Executor.match_term): title:, unit:, or body
    and title; only the selected sections' text under a section filter."""
    if term.field == "title":
        return ["title_c"]
    if term.field == "unit":
        return ["unit_c"]
    if sections:
        return section_fields(sections)
    return ["body_c", "title_c"]


def supported(parsed: ParsedQuery) -> bool:
    """Whether the cluster can match every term of a query: phrases, and the `words`
    step (every word of a phrase in one field). The `punctuation` step (a phrase with
    punctuation allowed between its characters) and the `near` step (proximity of words)
    have no engine form here: see docs/sphinx-backend.md."""
    return all(t.kind in ("phrase", "words") for t in parsed.positive_terms() + parsed.must_not)


def term_expression(term: Term, fields: list[str]) -> str:
    """A term in `fields`: its phrase, or (kind `words`) all its words in one field; a
    section selection is one field (the union of the kinds' text), as in execute.py."""
    if term.kind != "words":
        return in_fields(fields, term.key)
    sections = fields and fields[0].startswith("sec_")
    groups = [fields] if sections else [[f] for f in fields]
    alts = ["(" + " ".join(in_fields(fs, w) for w in term.words) + ")" for fs in groups]
    return alts[0] if len(alts) == 1 else "(" + " | ".join(alts) + ")"


def match_expression(parsed: ParsedQuery, sections: list[str] | None) -> str | None:
    """The MATCH() text of a parsed query; "" for no full-text condition (years only, or
    an empty query), None when nothing can match (a section filter on unknown kinds)."""
    groups = []
    for group in parsed.must:
        alts = [term_expression(t, fs) for t in group if (fs := term_fields(t, sections))]
        if not alts:
            return None
        groups.append(alts[0] if len(alts) == 1 else "(" + " | ".join(alts) + ")")
    nots = ["-" + term_expression(t, term_fields(t, None)) for t in parsed.must_not]
    if not groups and not nots:
        return ""
    if not groups:
        groups = [f"(@{layout.ALL_FIELD} {layout.ALL_TOKEN})"]
    return " ".join(groups + nots)
