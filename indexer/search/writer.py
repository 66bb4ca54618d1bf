"""Whoosh segment writers for pre-tokenized documents.

The character-view fields (`charindex.FIELDS`: their values are keys, not postings) do
not go to Whoosh: the writer collects them, and a copy of the word-view postings, and
writes the segment's ``.chars`` file (charindex.py) when it writes the segment.

`LeanWriter.add_document` hands the postings of `Pretokenized` fields to the writer's
sorting pool in bulk (one list extend per field) instead of one call per posting, which
is most of what `SegmentWriter.add_document` costs for our documents. Other field types
(ID, STORED, COLUMN) go the usual way. The schema uses no boosts, spelling or vectors.

Build with ``compound=False``: Whoosh reads a sub-file of a compound segment through
``BytesIO(memoryview)``, which copies it whole into memory — gigabytes of postings and
stored fields at 50,000 pages, and seconds to open an index.
"""
from __future__ import annotations

from whoosh.writing import NO_MERGE, SegmentWriter

from . import charindex
from .schema import Pretokenized

# Rough in-memory size of one pooled posting tuple, for the pool's memory limit.
POSTING_OVERHEAD = 160


class LeanWriter(SegmentWriter):
    def __init__(self, ix, **kwargs):
        super().__init__(ix, **kwargs)
        self.chars = charindex.SegmentBuilder()

    def add_document(self, **fields):
        self._check_state()
        perdoc = self.perdocwriter
        schema = self.schema
        docnum = self.docnum
        pool = self.pool
        perdoc.start_doc(docnum)
        try:
            for name in sorted(fields):
                value = fields[name]
                if value is None:
                    continue
                if name in charindex.FIELDS:
                    self.chars.add(docnum, name, value)
                    continue
                field = schema[name]
                if isinstance(field, Pretokenized):
                    self.chars.add_words(docnum, name, value)
                    posts = [(name, term.encode("utf-8"), docnum, weight, encoded)
                             for term, _freq, weight, encoded in value]
                    pool.fieldnames.add(name)
                    pool.current.extend(posts)
                    pool.currentsize += POSTING_OVERHEAD * len(posts) + sum(len(p[4]) for p in posts)
                    if pool.currentsize > pool.limit:
                        pool.save()
                    perdoc.add_field(name, field, None, sum(item[1] for item in value))
                    continue
                length = 0
                if field.indexed:
                    for tbytes, freq, weight, encoded in field.index(value):
                        if field.scorable:
                            length += freq
                        pool.add((name, tbytes, docnum, weight, encoded))
                perdoc.add_field(name, field, value if field.stored else None, length)
                if field.column_type:
                    perdoc.add_column_value(name, field.column_type, field.to_column_value(value))
        except Exception:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def _finalize_segment(self):
        segment = super()._finalize_segment()
        self.chars.write(charindex.path_for(self.storage.folder, segment.segment_id()))
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
