"""Matching restricted to the text of sections of given kinds.

The character view of the body is one field; each report also stores, in the compact
``secpos`` column, the key-position ranges of its sections ([kind, start, end)). A
section filter wraps the phrase query so that a report matches only when an occurrence
of the phrase lies entirely inside a section of a selected kind: Whoosh's phrase matcher
reports the occurrences as spans, and this matcher drops reports without a good one.
Indexing the section text a second time would double the postings the writer handles.
"""
from __future__ import annotations

import json

from whoosh import matching
from whoosh import query as wq


class _SectionFilter(matching.WrappingMatcher):
    def __init__(self, child, column, kinds: frozenset[str], klen: int, boost: float = 1.0):
        super().__init__(child, boost)
        self._column = column
        self._kinds = kinds
        self._klen = klen
        self._find_next()

    def __repr__(self):
        return f"_SectionFilter({self.child!r}, {sorted(self._kinds)!r}, {self._klen})"

    def copy(self):
        return self.__class__(self.child.copy(), self._column, self._kinds, self._klen, self.boost)

    def _replacement(self, newchild):
        return self.__class__(newchild, self._column, self._kinds, self._klen, self.boost)

    def replace(self, minquality=0):
        return self if self.is_active() else matching.NullMatcher()

    def supports_block_quality(self):
        return False

    def _ok(self) -> bool:
        raw = self._column[self.child.id()] if self._column is not None else None
        if not raw:
            return False
        ranges = [(a, b) for kind, a, b in json.loads(raw) if kind in self._kinds]
        if not ranges:
            return False
        k = self._klen
        for span in self.child.spans():
            p = span.start
            if any(a <= p and p + k <= b for a, b in ranges):
                return True
        return False

    def _find_next(self):
        child = self.child
        while child.is_active() and not self._ok():
            child.next()

    def reset(self):
        self.child.reset()
        self._find_next()

    def next(self):
        self.child.next()
        self._find_next()

    def skip_to(self, id):
        self.child.skip_to(id)
        self._find_next()

    def all_ids(self):
        while self.is_active():
            yield self.id()
            self.next()


class InSections(wq.WrappingQuery):
    """`child` (a Term, Phrase or one-character Prefix of the character view, for a key
    of `klen` characters) occurring inside a section of one of `kinds`."""

    def __init__(self, child: wq.Query, kinds, klen: int):
        super().__init__(child)
        self.kinds = frozenset(kinds)
        self.klen = klen

    def __repr__(self):
        return f"InSections({self.child!r}, {sorted(self.kinds)!r}, {self.klen})"

    def __eq__(self, other):
        return (type(other) is type(self) and other.child == self.child
                and other.kinds == self.kinds and other.klen == self.klen)

    def __hash__(self):
        return hash((repr(self.child), self.kinds, self.klen))

    def _rewrap(self, child):
        return self.__class__(child, self.kinds, self.klen)

    def matcher(self, searcher, context=None):
        child = self.child
        if isinstance(child, wq.Prefix):
            # A prefix is a union of terms, which has no positions: filter each term.
            reader = searcher.reader()
            terms = [t.decode("utf-8") if isinstance(t, bytes) else t
                     for t in reader.expand_prefix(child.fieldname, child.text)]
            if not terms:
                return matching.NullMatcher()
            parts = [InSections(wq.Term(child.fieldname, t, boost=child.boost), self.kinds, self.klen)
                     for t in terms]
            return wq.Or(parts).matcher(searcher, context)
        m = child.matcher(searcher, context)
        if not m.is_active():
            return matching.NullMatcher()
        column = searcher.reader().column_reader("secpos") if searcher.reader().has_column("secpos") else None
        return _SectionFilter(m, column, self.kinds, self.klen)
