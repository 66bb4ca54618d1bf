"""Our ranking, computed by our own code from what the engine counts.

The engine matches (phrase/AND/OR/NOT, filters) and counts, per matching document and
per query phrase or word, its hits in a field (``ranker=expr('sum(hit_count)')``), and the
documents containing each (document frequency). BM25F is then *our* formula
(`execute._bm25`, K1, B, TITLE_B, the boosts of query.py), evaluated with numpy in the
same order of operations as `execute.Executor.run`, so scores are bit-for-bit those of the
embedded backend and ties break the same way (date, then document order); the one known
exception is a document holding heavily overlapping occurrences of a phrase, which the
engine undercounts. Why not the engine's own rankers: docs/sphinx-backend.md.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ... import analysis
from ...execute import ALTERNATIVE_WEIGHT, B, TITLE_B, _bm25, length_norm
from ...query import TITLE_BOOST, WORD_TITLE_BOOST, ParsedQuery, Term
from . import forms

WORD_FIELDS = {"any": [("title_w", WORD_TITLE_BOOST, TITLE_B), ("body_w", 1.0, B)],
               "title": [("title_w", WORD_TITLE_BOOST, TITLE_B)],
               "unit": [("unit_w", 1.0, B)]}


@dataclass(frozen=True)
class Count:
    """One thing the engine counts for ranking: a phrase (key) in some fields, or a word
    (``word`` set) in one word field."""

    fields: tuple[str, ...]
    key: str
    word: bool = False

    def match(self) -> str:
        if self.word:
            return f"@{self.fields[0]} {forms.word_token(self.key)}"
        return forms.in_fields(self.fields, self.key)


def phrase_parts(term: Term, sections: list[str] | None) -> list[tuple[Count, str, float, float]]:
    """(count, length field, boost, b) of each part of a term's phrase score
    (`Executor._fields`)."""
    if term.field == "title":
        return [(Count(("title_c",), term.key), "title_c", TITLE_BOOST, TITLE_B)]
    if term.field == "unit":
        return [(Count(("unit_c",), term.key), "unit_c", 1.0, B)]
    if sections:
        fields = tuple(forms.section_fields(sections))
        return [(Count(fields, term.key), "body_c", 1.0, B)] if fields else []
    return [(Count(("body_c",), term.key), "body_c", 1.0, B),
            (Count(("title_c",), term.key), "title_c", TITLE_BOOST, TITLE_B)]


def term_parts(term: Term, sections: list[str] | None) -> list[list[tuple[Count, str, float, float]]]:
    """Per field a term is matched in, the counts that decide it (`Executor.match_term`):
    the phrase, or (ladder step `words`) each of its words, all required in that field."""
    keys = term.words if term.kind == "words" else (term.key,)
    per_key = [phrase_parts(Term(k, term.field), sections) for k in keys]
    return [list(parts) for parts in zip(*per_key)]


def word_parts(term: Term, user_dict: str | None) -> list[tuple[Count, str, float, float]]:
    """(count, length field, boost, b) of each word-view part (`Executor.words_score`;
    an expansion alternative's weight folded into the boost, as there)."""
    weight = ALTERNATIVE_WEIGHT if term.origin else 1.0
    out = []
    for w in dict.fromkeys(analysis.words(term.key, user_dict)):
        for field, boost, b in WORD_FIELDS[term.field]:
            out.append((Count((field,), w, word=True), field, weight * boost, b))
    return out


def counts_needed(parsed: ParsedQuery, sections: list[str] | None, user_dict: str | None) -> list[Count]:
    need = []
    for term in parsed.positive_terms():
        need += [c for parts in term_parts(term, sections) for c, *_ in parts]
        need += [c for c, *_ in word_parts(term, user_dict)]
    return list(dict.fromkeys(need))


def spread(ids: np.ndarray, rows: list[tuple]) -> np.ndarray:
    """Per-row values (id, value) laid over the sorted document ids `ids` (0 elsewhere)."""
    out = np.zeros(len(ids), dtype=np.int64)
    if rows and len(ids):
        got = np.array(rows, dtype=np.int64).reshape(-1, 2)
        pos = np.searchsorted(ids, got[:, 0])
        pos[pos == len(ids)] = 0
        ok = ids[pos] == got[:, 0]
        out[pos[ok]] = got[ok, 1]
    return out


def scores(parsed: ParsedQuery, sections: list[str] | None, user_dict: str | None,
           lengths: dict[str, np.ndarray], hits: dict[Count, np.ndarray], df: dict[Count, int],
           live_n: int, avg: dict[str, float]) -> np.ndarray:
    """Score of each matched document (arrays aligned on the matched ids)."""
    n = len(next(iter(lengths.values())))

    def part(count: Count, field: str, boost: float, b: float) -> np.ndarray:
        tf = hits[count]
        if not count.word:
            tf = tf // forms.distinct_tokens(count.key)
        s = np.zeros(n)
        present = np.flatnonzero(tf)
        if len(present) and df[count]:
            s[present] = boost * _bm25(tf[present], length_norm(lengths[field][present], avg[field], b), df[count],
                                             live_n)
        return s

    score = np.zeros(n)
    for group in parsed.must:
        for term in group:
            sc = np.zeros(n)
            for parts in term_parts(term, sections):
                field_score = np.zeros(n)
                matched = np.ones(n, dtype=bool)
                for p in parts:
                    field_score += part(*p)
                    matched &= hits[p[0]] > 0
                sc += np.where(matched, field_score, 0.0)
            if term.origin:
                sc *= ALTERNATIVE_WEIGHT
            score += sc
    words = np.zeros(n)
    for term in parsed.positive_terms():
        for p in word_parts(term, user_dict):
            s = part(*p)
            present = np.flatnonzero(hits[p[0]])
            words[present] += s[present]
    return score + words


def order(scores_: np.ndarray, date: np.ndarray, seq: np.ndarray, by_date: bool) -> np.ndarray:
    """Rank positions: score, then date, then document order (or date first)."""
    if by_date:
        return np.lexsort((seq, -scores_, -date))
    return np.lexsort((seq, -date, -scores_))


def collapse(ranked: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, dict[int, list[int]]]:
    """Keep the best-ranked member of each near-duplicate group (a report without
    near-duplicates is a group of one); the others are listed under it, in rank order.
    Positions in, positions out."""
    keep = np.ones(len(ranked), dtype=bool)
    dups: dict[int, list[int]] = {}
    leader: dict[int, int] = {}
    for i, pos in enumerate(ranked):
        g = int(groups[pos])
        if g in leader:
            keep[i] = False
            dups[leader[g]].append(int(pos))
        else:
            leader[g] = int(pos)
            dups[int(pos)] = []
    return ranked[keep], dups
