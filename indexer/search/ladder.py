"""The relaxation ladder: what a query falls back to instead of nothing.

Each step is tried only when the steps before it found nothing; the response names the
step that answered (`SearchResponse.relaxed`, None for `exact`):

    exact        every term as read: a run of characters is an exact phrase
    punctuation  the phrase ignoring punctuation between its characters, in the query and
                 in the text (消息据彭 finds 消息，据彭; at most SETTINGS.index.loose_max_gap
                 punctuation characters between two of its characters; phrases of up to
                 SETTINGS.index.loose_max_chars characters)
    near         all the phrase's words close together (within its length plus
                 SETTINGS.index.near_slack characters; up to SETTINGS.index.near_max_words
                 words, more go straight to `words`)
    words        all the phrase's words anywhere in the report

Steps change how terms match (`Term.kind`), never the structure of the query: every
group, exclusion, field and year stays. Quoted phrases and field terms stop at
`punctuation` (they were asked for as phrases). A phrase with fewer than two words
(single characters do not count: they would match nearly every report) stays at
`punctuation` too. Execution of each kind: execute.py.
"""
from __future__ import annotations

from ..settings import SETTINGS
from . import analysis, expand
from .query import ParsedQuery, Term, readings

STEPS = ("exact", "punctuation", "near", "words")


def content_words(k: str, user_dict: str | None) -> tuple[str, ...]:
    """The words of a key worth requiring: jieba's words of more than one character."""
    return tuple(w for w in analysis.tokenizer(user_dict).cut(k) if len(w) > 1 and analysis.searchable(w))


def term_at(term: Term, step: str, user_dict: str | None) -> Term:
    """`term` as matched at ladder step `step`."""
    if step == "exact":
        return term
    bare = analysis.strip_punctuation(term.key)
    if len(bare) < 2:
        return term  # nothing to loosen: a single character or a number
    # Too long to walk character by character: the phrase stays as typed at this step.
    loose = Term(bare, term.field, term.quoted, kind="loose", origin=term.origin) \
        if len(bare) <= SETTINGS.index.loose_max_chars else term
    if step == "punctuation" or term.quoted or term.field != "any":
        return loose
    words = content_words(bare, user_dict)
    if len(words) < 2:
        return loose
    kind = "near" if step == "near" and len(words) <= SETTINGS.index.near_max_words else "words"
    return Term(bare, term.field, term.quoted, kind=kind, words=words, origin=term.origin)


def relax(parsed: ParsedQuery, step: str, user_dict: str | None = None) -> ParsedQuery | None:
    """`parsed` at `step`; None when the step would search exactly what the step before
    it searched (nothing to gain)."""
    if step == "exact":
        return parsed
    before = STEPS[STEPS.index(step) - 1]
    out = parsed.map_terms(lambda t: term_at(t, step, user_dict))
    prev = parsed.map_terms(lambda t: term_at(t, before, user_dict))
    return None if out.signature() == prev.signature() else out


def reading_options(q: str, tables: list, user_dict: str | None = None) -> list[ParsedQuery]:
    """The readings of a query that a search tries, in order (query.readings), each with
    its expansion alternatives (`tables`: none when expansion is off); `NOT` alone keeps
    its literal reading. With expansion, the readings follow again with the entries that
    straddle a word expanded too (expand.py), where that adds an alternative: tried, like
    every reading after the first, only when the first found nothing."""
    plain = readings(q)
    options = [expand.expand(r, tables, user_dict) if tables else r for r in plain]
    if tables:
        seen = {o.signature() for o in options}
        for r in plain:
            wide = expand.expand(r, tables, user_dict, straddle=True)
            if wide.signature() not in seen:
                seen.add(wide.signature())
                options.append(wide)
    return [r for r in options if not r.empty] or options[:1]


def attempts(options: list[ParsedQuery], user_dict: str | None = None):
    """(step, reading, query searched) in the order a search tries them once the first
    reading found nothing as read: each step over every reading (engine.py, and the
    cluster backend alike)."""
    for step in STEPS:
        for reading in options:
            if step == "exact" and reading is options[0]:
                continue
            q = relax(reading, step, user_dict)
            if q is not None:
                yield step, reading, q
