"""Query syntax → ParsedQuery (executed by execute.py). Lenient: any input parses; what is
not syntax is text.

    清华大学 党建           two terms, both required; each run of characters is a phrase
    "两学 一做"              quoted phrase (spaces inside are ignored, like in documents)
    党建 OR 宣传             either (also `|`)
    -舆情   NOT 舆情          exclude
    title:总结  unit:宣传部   match in the title / unit name only
    year:2019..2023  year:2021   year range (also 2019-2023)

Pasted text is text:
- `-term` and `NOT term` exclude only a term standing on its own (a token of its own, not
  `a-b`), never a number (`-18万元` is an amount), and only when something positive
  remains (`-舆情` alone, or `NOT` alone, is searched as written);
- a field prefix (`单位：`, `unit:`) is syntax only when reading it so finds something: a
  query with one also has a *literal reading* (`readings`) where every prefix is text, and
  the engine uses it when the first reading finds nothing (`单位：中国社会科学` pasted from
  a page);
- a curly or full-width quote delimits a phrase only where it opens one (a term's start)
  and where that phrase closes; inside pasted text (`关于“两学一做”的`, `”暨“两`) it is a
  character of the text.

Terms made only of punctuation are ignored, as search engines do: they would match nearly
every report. Matching uses the character view (bigram phrases = exact substring of the key); the
word view adds ranking signal (BM25F, title boosted) without changing what matches.
TITLE_BOOST / WORD_TITLE_BOOST weigh title matches in that ranking.

A Term's `kind` says how it matches (the relaxation ladder, ladder.py, changes kinds, never
the structure): `phrase` exact substring of the key; `loose` the same characters with
punctuation allowed between them; `near` all its `words` close together; `words` all its
`words` anywhere. `origin` marks alternatives added by query expansion (expand.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from . import analysis

TITLE_BOOST = 4.0
WORD_TITLE_BOOST = 2.0
FIELD_ALIASES = {"title": "title", "标题": "title", "unit": "unit", "单位": "unit",
                 "year": "year", "年份": "year", "年度": "year"}
_YEAR = re.compile(r"^(\d{4})(?:\s*(?:\.\.|-|~|–|—|到|至)\s*(\d{4}))?$")
_TOKEN = re.compile(r'[^\s"]*"[^"]*"?|\S+')
# Where a curly quote may open a quoted phrase: at the start, after a space, a field's
# colon, a sign or a bracket; elsewhere (pasted text: 关于“两学一做”的, ”暨“两) it is text.
_OPENS_AFTER = frozenset(":：-+(（")
OPERATORS = ("OR", "|", "||", "NOT", "AND", "&&", "+")


@dataclass(frozen=True)
class Term:
    key: str  # whitespace-free index form
    field: str = "any"  # any | title | unit
    quoted: bool = False
    kind: str = "phrase"  # phrase | loose | near | words
    words: tuple[str, ...] = ()  # near / words: the words that must occur
    origin: str = ""  # "" typed by the reader; "regional" / "synonym": added by expansion

    def show(self) -> str:
        prefix = "" if self.field == "any" else f"{self.field}:"
        return f'{prefix}"{self.key}"'

    def signature(self) -> str:
        return f"{self.field}:{self.kind}:{self.key}:{'+'.join(self.words)}:{self.origin}"

    def as_query(self) -> str:
        """The term as query text that parses back to it."""
        prefix = "" if self.field == "any" else f"{self.field}:"
        return prefix + (f'"{self.key}"' if self.quoted else self.key)


@dataclass
class ParsedQuery:
    must: list[list[Term]] = field(default_factory=list)  # AND of OR-groups
    must_not: list[Term] = field(default_factory=list)
    years: list[tuple[int, int]] = field(default_factory=list)
    fields: bool = False  # whether a field prefix was read as syntax

    @property
    def empty(self) -> bool:
        return not (self.must or self.must_not or self.years)

    def positive_terms(self) -> list[Term]:
        return [t for group in self.must for t in group]

    def typed_terms(self) -> list[Term]:
        """Positive terms as the reader typed them (no expansion alternatives)."""
        return [t for t in self.positive_terms() if not t.origin]

    def expansions(self) -> list[str]:
        """Keys searched besides what the reader typed, in order, without repeats."""
        return list(dict.fromkeys(t.key for t in self.positive_terms() if t.origin))

    def understood(self) -> str:
        """The reading shown to readers (expansion alternatives are listed apart)."""
        parts = []
        for g in self.must:
            typed = [t for t in g if not t.origin]
            parts.append(" OR ".join(t.show() for t in typed) if len(typed) == 1 else
                         "(" + " OR ".join(t.show() for t in typed) + ")")
        parts += [f"-{t.show()}" for t in self.must_not]
        parts += [f"year:{a}..{b}" if a != b else f"year:{a}" for a, b in self.years]
        return " ".join(parts)

    def as_query(self) -> str:
        """Query text for this reading (what a did-you-mean link searches)."""
        parts = [" OR ".join(t.as_query() for t in g if not t.origin) for g in self.must]
        parts += [f"NOT {t.as_query()}" for t in self.must_not]
        parts += [f"year:{a}..{b}" for a, b in self.years]
        return " ".join(parts)

    def signature(self) -> str:
        """Everything that decides what matches and how it ranks (a cache key)."""
        return "|".join([
            "&".join("/".join(t.signature() for t in g) for g in self.must),
            "&".join(t.signature() for t in self.must_not),
            ",".join(f"{a}-{b}" for a, b in self.years),
        ])

    def map_terms(self, fn) -> "ParsedQuery":
        """A copy with every positive term replaced by fn(term)."""
        return replace(self, must=[[fn(t) for t in g] for g in self.must])


def _split_field(token: str) -> tuple[str | None, str]:
    for sep in (":", "："):
        name, found, value = token.partition(sep)
        if found and name.lower() in FIELD_ALIASES:
            return FIELD_ALIASES[name.lower()], value
    return None, token


def _excludes(token: str) -> bool:
    """`-term`: a token of its own starting with a minus that is not a number's sign."""
    return token.startswith("-") and len(token) > 1 and not token[1].isdigit() and token[1] not in ".-"


def _delimit_quotes(text: str) -> str:
    """Curly and full-width quotes that delimit a phrase become '"': one that opens at a
    token's start (even if never closed) and the one that closes it. Any other stays a
    character of the text (the index key folds it to '"' like the documents' quotes), so
    pasted text with quotes inside or cut between two quoted words reads as written."""
    out = list(text)
    opened = None  # index of the opening quote of a phrase not yet closed
    for i, ch in enumerate(text):
        if ch not in "“”＂":
            continue
        if opened is not None and (ch == "”" or (ch == "＂" and text[opened] == "＂")):
            out[opened] = out[i] = '"'
            opened = None
        elif opened is None and ch != "”" and (i == 0 or text[i - 1].isspace() or text[i - 1] in _OPENS_AFTER):
            opened = i
    if opened is not None:
        out[opened] = '"'  # never closed: a phrase to the end, like an unclosed '"'
    return "".join(out)


def parse(text: str, fields: bool = True) -> ParsedQuery:
    """Never raises: malformed syntax degrades to plain terms. With fields=False, the
    literal reading: field prefixes are text."""
    text = _delimit_quotes(text or "")
    out = ParsedQuery()
    pending_or = False
    negate_next = False
    for raw in _TOKEN.findall(text):
        token = raw
        if token in OPERATORS:
            if token in ("OR", "|", "||"):
                pending_or = bool(out.must)
            else:
                negate_next = token == "NOT"
            continue
        negate = negate_next
        negate_next = False
        if _excludes(token):
            negate, token = True, token[1:]
        elif token.startswith("+") and len(token) > 1:
            token = token[1:]
        fieldname = None
        if fields:
            fieldname, token = _split_field(token)
            out.fields = out.fields or fieldname is not None
        quoted = token.startswith('"')
        value = token.strip('"()（）')
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
    if not out.must and not out.years and _TOKEN.findall(text):
        return _as_text(text)  # nothing positive: `-舆情` or `NOT` alone is text
    return out


def _as_text(text: str) -> ParsedQuery:
    """Every token a required term, as written (a minus or NOT included)."""
    out = ParsedQuery()
    for token in _TOKEN.findall(text):
        quoted = token.startswith('"')
        k = analysis.key(token.strip('"') if quoted else token)
        if analysis.searchable(k):
            out.must.append([Term(k, "any", quoted)])
    return out


def readings(text: str) -> list[ParsedQuery]:
    """The ways to read a query, in the order the engine tries them: as parsed, then (when
    that read a field prefix) with the prefixes as text."""
    first = parse(text)
    if not first.fields:
        return [first]
    literal = parse(text, fields=False)
    return [first] if literal.empty or literal.signature() == first.signature() else [first, literal]
