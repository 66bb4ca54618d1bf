"""Snippets with <mark> highlights on the original text, without re-tokenizing.

A query term is a whitespace-free key. For a hit, the executor already knows where each
key occurs in the report's key (`key_spans` takes those positions); they become spans of
the index form (the key plus the whitespace it drops, so a match may run over a line
break) and are mapped through the offset map to the original characters, in the
original script. Only the text of the chosen windows is read from the document store
(`render`'s `source`: docstore.StoredReport). Overlapping matches (清华大学 and 华大)
merge into one mark.

`find_spans` does the same on a text at hand (the reading view highlights whole texts).
"""
from __future__ import annotations

import bisect
import functools
import html
import re

WINDOW = 120  # characters of original text per passage
PASSAGES = 2
ELLIPSIS = "…"


def term_pattern(k: str) -> re.Pattern[str]:
    return re.compile(" *".join(re.escape(c) for c in k))


@functools.lru_cache(maxsize=256)
def loose_pattern(k: str, gap: int) -> re.Pattern[str]:
    """A key's characters with up to `gap` punctuation characters (and spaces) between
    them: how the relaxation ladder's punctuation step matched."""
    return re.compile(f"[\\W_]{{0,{2 * gap + 2}}}".join(re.escape(c) for c in k))


def find_spans(norm: str, keys: list, limit: int = 200) -> list[tuple[int, int, int]]:
    """(start, end, term index) of every occurrence of each key (a key string, or a
    compiled pattern) in the index form."""
    spans = []
    for i, k in enumerate(keys):
        pattern = k if isinstance(k, re.Pattern) else term_pattern(k)
        for n, m in enumerate(pattern.finditer(norm)):
            if n >= limit:
                break
            spans.append((m.start(), m.end(), i))
    spans.sort()
    return spans


def key_spans(source, positions: list, lengths: list[int],
              limit: int = 200) -> list[tuple[int, int, int]]:
    """(start, end, term index) in index-form coordinates of the occurrences of each key,
    from their sorted key positions, found as a left-to-right scan finds them (like
    `find_spans`): an occurrence overlapping the last one kept of its key is passed
    over, and at most `limit` are kept per key."""
    spans: list[tuple[int, int, int]] = []
    to_form = source.to_form
    for i, (pos, klen) in enumerate(zip(positions, lengths)):
        kept: list[int] = []
        end = -1
        for p in pos.tolist():
            if p >= end:
                kept.append(p)
                end = p + klen
                if len(kept) >= limit:
                    break
        if kept:
            starts = to_form(kept)
            ends = to_form([p + klen - 1 for p in kept])
            spans.extend((a, b + 1, i) for a, b in zip(starts, ends))
    spans.sort()
    return spans


def in_spans(pos: int, allowed: list[tuple[int, int]]) -> bool:
    return any(a <= pos < b for a, b in allowed)


def merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _best_windows(spans: list[tuple[int, int, int]], length: int) -> list[tuple[int, int]]:
    """Up to PASSAGES non-overlapping windows (index-form coordinates), each chosen to
    cover the most distinct terms, then the most matches. `spans` are sorted, and no
    two of one term overlap (as `key_spans` and `find_spans` give them)."""
    chosen: list[tuple[int, int]] = []
    # The first few occurrences of each term are enough to find good passages, and
    # bound the quadratic scan below.
    seen: dict[int, int] = {}
    candidates = []
    for span in spans:
        seen[span[2]] = seen.get(span[2], 0) + 1
        if seen[span[2]] <= 16:
            candidates.append(span)
    bl, br = bisect.bisect_left, bisect.bisect_right
    while candidates and len(chosen) < PASSAGES:
        # One term's spans never overlap (key_spans and find_spans pass over an
        # occurrence overlapping the last one kept), so their starts and ends both
        # ascend: those lying inside a window are one run, found by two bisections.
        by_term: dict[int, tuple[list[int], list[int]]] = {}
        for a, b, i in candidates:
            starts_ends = by_term.setdefault(i, ([], []))
            starts_ends[0].append(a)
            starts_ends[1].append(b)
        runs = list(by_term.values())
        best, best_score = None, None
        for a, _b, _i in candidates:
            start = max(0, a - WINDOW // 4)
            end = min(length, start + WINDOW)
            terms = matches = 0
            for starts, ends in runs:
                inside = br(ends, end) - bl(starts, start)
                if inside > 0:
                    terms += 1
                    matches += inside
            score = (terms, matches)
            if best_score is None or score > best_score:
                best, best_score = (start, end), score
        chosen.append(best)
        candidates = [s for s in candidates if s[1] <= best[0] or s[0] >= best[1]]
    return sorted(chosen)


class TextSource:
    """`render`'s source for a text at hand: the original, its index form and the offset
    map (`analysis.index_form_with_offsets`)."""

    def __init__(self, original: str, norm: str, offsets: list[int]):
        self.original, self.offsets = original, offsets
        self.form_length, self.body_length = len(norm), len(original)

    def to_original(self, pos: int) -> int:
        return self.offsets[pos]

    def text(self, a: int, b: int) -> str:
        return self.original[max(0, a):b]


def render(source, spans: list[tuple[int, int, int]],
           allowed: list[tuple[int, int]] | None = None) -> tuple[str, list[tuple[int, int]]]:
    """(snippet HTML, match spans in index-form coordinates).

    `source` gives the report's text and coordinates (``form_length``, ``body_length``,
    ``to_original(pos)``, ``text(a, b)``); `spans` are `key_spans`' or `find_spans`'.
    `allowed` restricts highlights to those index-form ranges (a section filter)."""
    if allowed is not None:
        spans = [s for s in spans if in_spans(s[0], allowed)]
    if not spans:
        text = source.text(0, WINDOW)
        return html.escape(text) + (ELLIPSIS if source.body_length > WINDOW else ""), []
    length = source.form_length
    windows = _best_windows(spans, length)
    marks = merge([(a, b) for a, b, _ in spans])
    to_original = source.to_original
    parts = []
    for start, end in windows:
        o_start, o_end = to_original(start), to_original(end)
        window = source.text(o_start, o_end)

        def piece(a: int, b: int) -> str:
            return html.escape(window[a - o_start:b - o_start])

        if start > 0:
            parts.append(ELLIPSIS)
        cursor = o_start
        first = bisect.bisect_left(marks, (start, -1))
        if first > 0 and marks[first - 1][1] > start:
            first -= 1  # a mark that begins before the window and runs into it
        for a, b in marks[first:]:
            if a >= end:
                break
            oa, ob = max(to_original(a), o_start), min(to_original(b), o_end)
            if oa < cursor:
                oa = cursor
            if ob <= oa:
                continue
            parts.append(piece(cursor, oa))
            parts.append("<mark>" + piece(oa, ob) + "</mark>")
            cursor = ob
        parts.append(piece(cursor, o_end))
        if end < length:
            parts.append(ELLIPSIS)
    snippet = "".join(parts).replace(ELLIPSIS + ELLIPSIS, ELLIPSIS)
    return snippet, [(a, b) for a, b, _ in spans]
