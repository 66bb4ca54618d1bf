"""Query syntax → ParsedQuery (executed by execute.py). Lenient: any input parses; what is
not syntax is text.

    清华大学 党建           two terms, both required; each run of characters is a phrase
    "两学 一做"              quoted phrase (spaces inside are ignored, like in documents)
    党建 OR 宣传             either (also `|`)
    -舆情   NOT 舆情          exclude
    title:总结  unit:宣传部   match in the title / unit name only
    year:2019..2023  year:2021   year range (also 2019-2023)

Terms made only of punctuation are ignored, as search engines do: they would match nearly
every report. Matching uses the character view (bigram phrases = exact substring of the key); the
word view adds ranking signal (BM25F, title boosted) without changing what matches.
TITLE_BOOST / WORD_TITLE_BOOST weigh title matches in that ranking.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import analysis

TITLE_BOOST = 4.0
WORD_TITLE_BOOST = 2.0
FIELD_ALIASES = {"title": "title", "标题": "title", "unit": "unit", "单位": "unit",
                 "year": "year", "年份": "year", "年度": "year"}
_YEAR = re.compile(r"^(\d{4})(?:\s*(?:\.\.|-|~|–|—|到|至)\s*(\d{4}))?$")
_TOKEN = re.compile(r'[^\s"]*"[^"]*"?|\S+')


@dataclass
class Term:
    key: str  # whitespace-free index form
    field: str = "any"  # any | title | unit
    quoted: bool = False

    def show(self) -> str:
        prefix = "" if self.field == "any" else f"{self.field}:"
        return f'{prefix}"{self.key}"'


@dataclass
class ParsedQuery:
    must: list[list[Term]] = field(default_factory=list)  # AND of OR-groups
    must_not: list[Term] = field(default_factory=list)
    years: list[tuple[int, int]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.must or self.must_not or self.years)

    def positive_terms(self) -> list[Term]:
        return [t for group in self.must for t in group]

    def understood(self) -> str:
        parts = [" OR ".join(t.show() for t in g) if len(g) == 1 else
                 "(" + " OR ".join(t.show() for t in g) + ")" for g in self.must]
        parts += [f"-{t.show()}" for t in self.must_not]
        parts += [f"year:{a}..{b}" if a != b else f"year:{a}" for a, b in self.years]
        return " ".join(parts)


def _split_field(token: str) -> tuple[str | None, str]:
    for sep in (":", "："):
        name, found, value = token.partition(sep)
        if found and name.lower() in FIELD_ALIASES:
            return FIELD_ALIASES[name.lower()], value
    return None, token


def parse(text: str) -> ParsedQuery:
    """Never raises: malformed syntax degrades to plain terms."""
    text = (text or "").replace("“", '"').replace("”", '"').replace("＂", '"')
    out = ParsedQuery()
    pending_or = False
    negate_next = False
    for raw in _TOKEN.findall(text):
        token = raw
        if token in ("OR", "|", "||"):
            pending_or = bool(out.must)
            continue
        if token in ("NOT", "AND", "&&", "+"):
            negate_next = token == "NOT"
            continue
        negate = negate_next
        negate_next = False
        if token.startswith("-") and len(token) > 1 and not token[1:].isdigit():
            negate, token = True, token[1:]
        elif token.startswith("+") and len(token) > 1:
            token = token[1:]
        fieldname, value = _split_field(token)
        quoted = value.startswith('"')
        value = value.strip('"()（）')
        if fieldname == "year":
            m = _YEAR.match(value.strip())
            if m:
                lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
                out.years.append((min(lo, hi), max(lo, hi)))
                pending_or = False
                continue
            fieldname = None  # not a year: keep the words as text
        k = analysis.key(value)
        if not analysis.searchable(k):
            continue
        term = Term(k, fieldname or "any", quoted)
        if negate:
            out.must_not.append(term)
        elif pending_or:
            out.must[-1].append(term)
        else:
            out.must.append([term])
        pending_or = False
    return out


def relax(parsed: ParsedQuery, user_dict: str | None = None) -> ParsedQuery | None:
    """All-words fallback for a phrase that found nothing: each unquoted run becomes its
    words (each still an exact substring). None when nothing can be relaxed."""
    changed = False
    must: list[list[Term]] = []
    for group in parsed.must:
        if len(group) == 1 and not group[0].quoted and group[0].field == "any":
            # Single characters would match nearly every report: keep real words only.
            parts = [w for w in analysis.tokenizer(user_dict).cut(group[0].key) if len(w.strip()) > 1]
            if len(parts) > 1:
                changed = True
                must.extend([[Term(w)] for w in parts])
                continue
        must.append(group)
    if not changed:
        return None
    return ParsedQuery(must=must, must_not=parsed.must_not, years=parsed.years)
