"""Whoosh segment writers for prepared documents (schema.prepare).

Whoosh keeps what it is good at: the segments' life cycle (generations, deletions,
clean-up) and the terms and columns that identify a report (``report_id``, ``page``,
``meta``, ``secpos``). The views of the text and the stored reports do not go through
Whoosh, which writes and reads postings one at a time in Python: the writer collects
the character and word views (charindex.py) and the document store's records
(docstore.py), and writes the segment's ``.chars`` and ``.docs`` files when it writes
the segment.

Build with ``compound=False``: Whoosh reads a sub-file of a compound segment through
``BytesIO(memoryview)``, which copies it whole into memory.
"""
from __future__ import annotations

from whoosh.writing import NO_MERGE, SegmentWriter

from . import charindex, docstore


class LeanWriter(SegmentWriter):
    def __init__(self, ix, **kwargs):
        super().__init__(ix, **kwargs)
        self.chars = charindex.SegmentBuilder()
        self.store = docstore.DocStoreBuilder()

    def add_document(self, **fields):
        docnum = self.docnum
        rest = {}
        for name, value in fields.items():
            if name in charindex.FIELDS:
                self.chars.add(docnum, name, value)
            elif name in charindex.WORD_FIELDS:
                self.chars.add_words(docnum, name, value)
            elif name == "store":
                self.store.add(docnum, value)
            else:
                rest[name] = value
        super().add_document(**rest)

    def _finalize_segment(self):
        segment = super()._finalize_segment()
        folder, sid = self.storage.folder, segment.segment_id()
        self.chars.write(charindex.path_for(folder, sid), self.docnum)
        self.store.write(docstore.path_for(folder, sid), self.docnum)
        return segment


class Committer(SegmentWriter):
    """The main writer: applies deletions to existing segments and commits, in one new
    TOC generation, the segments that `SegmentSeries` writers wrote (in worker
    processes, or in this one). It adds no documents itself."""

    def commit_segments(self, new_segments: list) -> None:
        # Never merge: Whoosh would re-add the documents of merged segments without their
        # character view. Segments stay as they were written (a full build compacts).
        final = self._merge_segments(NO_MERGE, False, False)
        final += [seg for seg in new_segments if seg is not None]
        self._close_segment()
        self._commit_toc(final)
        self._finish()
