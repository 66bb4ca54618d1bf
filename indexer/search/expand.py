"""Query expansion: regional wording and a librarian's synonyms, as visible alternatives.

A term whose text holds a word of one region also searches the other region's word
(網路 ⇄ 网络, 資訊 ⇄ 信息, 透過 ⇄ 通过), and a term holding an entry of the index's synonym
file also searches its synonyms (两学一做 ⇄ 学党章党规、学系列讲话，做合格党员). The
alternatives join the term's OR-group with `origin` set: the response lists them ("也搜索了：
网络"), the reader can switch expansion off (`SearchRequest.expand`), and they rank a
little below what was typed (`ALTERNATIVE_WEIGHT`, execute.py).

Tables, all compared in key form (so either script, any variant):
- `data/regional.tsv`: OpenCC's TW/HK phrase tables, filtered (see scripts/gen_tables);
- the generation's `synonyms.txt` (`dangan index build --synonyms FILE`), one group a line:
  ``A = B = C`` (each searches the others) or ``A => B`` (A also searches B, not the
  reverse); ``#`` starts a comment.

An entry matches inside a term only where it does not straddle a dictionary word of the
term (网络 inside 网络安全, but not 的士 inside 目的士气); at most
SETTINGS.index.max_expansions alternatives per term. A search that finds nothing with
those tries the entries that straddle a word too (`straddle=True`, ladder.reading_options):
a window cut from a page (交通網路基, where jieba reads 交通网 + 路基) then also searches
交通网络基.
"""
from __future__ import annotations

import functools
import hashlib
import itertools
import re
from pathlib import Path
from typing import Callable

from ..settings import SETTINGS
from . import analysis
from .query import ParsedQuery, Term

REGIONAL = Path(__file__).resolve().parent.parent / "data" / "regional.tsv"
_SYNONYM_SPLIT = re.compile(r"\s*(=>|＝>|⇒|→|=|＝|⇄)\s*")


class Table:
    """key -> alternative keys, with the origin name the alternatives get."""

    def __init__(self, origin: str):
        self.origin = origin
        self.alternatives: dict[str, list[str]] = {}
        self.longest = 0

    def add(self, source: str, target: str) -> None:
        a, b = analysis.key(source), analysis.key(target)
        if a and b and a != b and analysis.searchable(a) and analysis.searchable(b):
            alts = self.alternatives.setdefault(a, [])
            if b not in alts:
                alts.append(b)
            self.longest = max(self.longest, len(a))

    def __len__(self) -> int:
        return len(self.alternatives)


@functools.lru_cache(maxsize=1)
def regional_table() -> Table:
    table = Table("regional")
    with open(REGIONAL, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or "\t" not in line:
                continue
            mainland, regional = line.rstrip("\n").split("\t")[:2]
            table.add(mainland, regional)
            table.add(regional, mainland)
    return table


def read_synonyms(path: str | Path) -> Table:
    """A librarian's synonym file (format above). Lines that are not groups are skipped."""
    table = Table("synonym")
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = _SYNONYM_SPLIT.split(line)
            items, ops = parts[0::2], parts[1::2]
            if len(items) < 2 or any(not i for i in items):
                continue
            if any(op not in ("=", "＝", "⇄") for op in ops):  # one-way: left => right(s)
                for target in items[1:]:
                    table.add(items[0], target)
                continue
            for a, b in itertools.permutations(items, 2):
                table.add(a, b)
    return table


def synonyms_version(path: str | Path | None) -> str | None:
    return hashlib.sha1(Path(path).read_bytes()).hexdigest()[:16] if path else None


@functools.lru_cache(maxsize=2)
def _known_words(user_dict: str | None) -> frozenset[str]:
    return frozenset(analysis.dictionary_words(user_dict))


def warm(user_dict: str | None) -> None:
    """Load the regional table and the dictionary words expansion matching needs."""
    regional_table()
    _known_words(user_dict)


def _word_spans(k: str, user_dict: str | None) -> list[tuple[int, int]]:
    """Spans of the dictionary words jieba finds in a key, and of the dictionary words
    inside them (search mode: 网络安全 also gives 网络 and 安全)."""
    known = _known_words(user_dict)
    return [(start, end) for w, start, end in analysis.tokenizer(user_dict).tokenize(k, mode="search")
            if end - start > 1 and w in known]


def _spans(k: str, table: Table, words: Callable[[], list[tuple[int, int]]] | None) -> list[tuple[int, int, list[str]]]:
    """Every entry of `table` inside `k` (not the whole of it) that is a word there: it
    must not straddle a dictionary word of the key (的士 in 目的士气 straddles 目的,
    互联网 in 互联网络 straddles 网络; 网络 in 网络安全 does not, nor 部落格 in 部落格堂).
    `words()` gives the key's word spans (asked only when an entry is found); None: no
    check."""
    found = [(i, j) for i in range(len(k)) for j in range(i + 2, min(len(k), i + table.longest) + 1)
             if (i, j) != (0, len(k)) and k[i:j] in table.alternatives]
    spans = []
    spans_of_words = words() if found and words is not None else []
    for i, j in found:
        if any(a < j and i < b and not (a <= i and j <= b) and not (i <= a and b <= j) for a, b in spans_of_words):
            continue
        spans.append((i, j, table.alternatives[k[i:j]]))
    return spans


def _leftmost_longest(spans):
    chosen, end = [], 0
    for i, j, alts in sorted(spans, key=lambda s: (s[0], s[0] - s[1])):
        if i >= end:
            chosen.append((i, j, alts))
            end = j
    return chosen


def _replace(k: str, spans, words) -> str:
    pieces, cursor = [], 0
    for (a, b, _alts), word in zip(spans, words):
        pieces += [k[cursor:a], word]
        cursor = b
    return "".join(pieces) + k[cursor:]


def alternatives(k: str, tables: list[Table], user_dict: str | None, limit: int,
                 straddle: bool = False) -> list[tuple[str, str]]:
    """(alternative key, origin) for a key, the typed key excluded, at most `limit`: the
    whole term's alternatives, then every entry inside it replaced (leftmost-longest),
    then each entry replaced alone. `straddle`: entries that straddle a word count too."""
    out: dict[str, str] = {}
    words = None if straddle else functools.cache(lambda: _word_spans(k, user_dict))
    for table in tables:
        if not len(table):
            continue
        for alt in table.alternatives.get(k, ()):
            out.setdefault(alt, table.origin)
        if len(k) <= 2:
            continue
        spans = _spans(k, table, words)
        chosen = _leftmost_longest(spans)
        if len(chosen) > 1:
            for picked in itertools.islice(itertools.product(*[alts for _i, _j, alts in chosen]), limit):
                out.setdefault(_replace(k, chosen, picked), table.origin)
        for span in sorted(spans, key=lambda s: s[0] - s[1]):
            for alt in span[2]:
                out.setdefault(_replace(k, [span], [alt]), table.origin)
    out.pop(k, None)
    return list(out.items())[:limit]


def expand(parsed: ParsedQuery, tables: list[Table], user_dict: str | None,
           straddle: bool = False) -> ParsedQuery:
    """Each typed any-field or title term's OR-group also gets its alternatives."""
    limit = SETTINGS.index.max_expansions
    must = []
    for group in parsed.must:
        extended = list(group)
        seen = {t.key for t in group}
        for term in group:
            if term.origin or term.field == "unit":
                continue
            for alt, origin in alternatives(term.key, tables, user_dict, limit, straddle):
                if alt not in seen:
                    seen.add(alt)
                    extended.append(Term(alt, term.field, term.quoted, origin=origin))
        must.append(extended)
    return ParsedQuery(must=must, must_not=parsed.must_not, years=parsed.years, fields=parsed.fields)
