"""Snippets with <mark> highlights on the original text, without re-tokenizing.

A query term is a whitespace-free key; it is located in the stored index form of the
body by substring search (allowing whitespace between characters, as the key drops it),
and each match span is mapped back through the offset map to the original characters,
in the original script. Overlapping matches (清华大学 and 华大) merge into one mark.
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
    cover the most distinct terms, then the most matches."""
    chosen: list[tuple[int, int]] = []
    # The first few occurrences of each term are enough to find good passages, and
    # bound the quadratic scan below.
    seen: dict[int, int] = {}
    candidates = []
    for span in spans:
        seen[span[2]] = seen.get(span[2], 0) + 1
        if seen[span[2]] <= 16:
            candidates.append(span)
    while candidates and len(chosen) < PASSAGES:
        best, best_score = None, None
        for a, _b, _i in candidates:
            start = max(0, a - WINDOW // 4)
            end = min(length, start + WINDOW)
            inside = [s for s in candidates if s[0] >= start and s[1] <= end]
            score = (len({s[2] for s in inside}), len(inside))
            if best_score is None or score > best_score:
                best, best_score = (start, end), score
        chosen.append(best)
        candidates = [s for s in candidates if s[1] <= best[0] or s[0] >= best[1]]
    return sorted(chosen)


def _to_original(offsets: list[int] | None, pos: int) -> int:
    return pos if offsets is None else offsets[pos]


def render(original: str, norm: str, offsets: list[int] | None, keys: list[str],
           allowed: list[tuple[int, int]] | None = None) -> tuple[str, list[tuple[int, int]]]:
    """(snippet HTML, match spans in index-form coordinates).

    `offsets` maps index-form positions to `original` (None: identity). `allowed`
    restricts highlights to those index-form ranges (a section filter)."""
    spans = find_spans(norm, keys) if keys else []
    if allowed is not None:
        spans = [s for s in spans if in_spans(s[0], allowed)]
    if not spans:
        text = original[:WINDOW]
        return html.escape(text) + (ELLIPSIS if len(original) > WINDOW else ""), []
    windows = _best_windows(spans, len(norm))
    marks = merge([(a, b) for a, b, _ in spans])
    parts = []
    for start, end in windows:
        o_start, o_end = _to_original(offsets, start), _to_original(offsets, end)
        if start > 0:
            parts.append(ELLIPSIS)
        cursor = o_start
        first = bisect.bisect_left(marks, (start, -1))
        if first > 0 and marks[first - 1][1] > start:
            first -= 1  # a mark that begins before the window and runs into it
        for a, b in marks[first:]:
            if a >= end:
                break
            oa, ob = max(_to_original(offsets, a), o_start), min(_to_original(offsets, b), o_end)
            if oa < cursor:
                oa = cursor
            if ob <= oa:
                continue
            parts.append(html.escape(original[cursor:oa]))
            parts.append("<mark>" + html.escape(original[oa:ob]) + "</mark>")
            cursor = ob
        parts.append(html.escape(original[cursor:o_end]))
        if end < len(norm):
            parts.append(ELLIPSIS)
    snippet = "".join(parts).replace(ELLIPSIS + ELLIPSIS, ELLIPSIS)
    return snippet, [(a, b) for a, b, _ in spans]
