"""The document store: what a result row, a snippet and the reading view need, per
report, compact and memory-mapped. Matching (posting lists → document numbers and match
positions, execute.py) never reads it; rendering (document numbers and positions → hits
and snippets) reads only it. It is keyed by dense document number, and knows each
report's id, so any backend that yields document numbers (or report ids) can render
with it.

One file per Whoosh segment, ``<segment id>.docs`` beside its ``.chars`` (same life
cycle: removed with its segment, hard-linked by updates). For document d (local):

- ``rows``: the result row as UTF-8 JSON (report id, display fields, page hash, section
  spans in index-form coordinates, index-form length);
- ``extra``: the rest of the report as compressed JSON, its body left out and each
  section's text replaced by its [start, end) in the body (the body is stored once);
- ``body``: the original text in blocks of `block` characters, each compressed on its
  own (raw deflate) with a preset dictionary drawn from the segment's own text
  (``zdict``), so a snippet window decompresses one or two blocks, never the whole
  report;
- the offset map between the three coordinates a hit meets, as exceptions only:
  ``gaps`` are the key positions where the index form has a character the key drops
  (whitespace), so index-form position = key position + gaps at or before it;
  ``xpos``/``xdelta`` are the index-form positions where (original offset − index-form
  position) changes (characters that expand or vanish in normalization), usually none.

Per-document slices of the variable-length arrays are found through ``<name>.off``.
"""
from __future__ import annotations

import bisect
import json
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..settings import SETTINGS
from . import arrayfile

MAGIC = b"DGDOCS02"
ZDICT_BYTES = 32 * 1024  # zlib's largest preset dictionary


def path_for(folder: str | Path, segment_id: str) -> Path:
    return Path(folder) / f"{segment_id}.docs"


# ---------------------------------------------------------------- one report, prepared


@dataclass
class StoredDoc:
    """What the store keeps of one report (built by `schema.prepare` in a worker)."""

    row: dict
    extra: dict
    body: str
    gaps: np.ndarray  # uint32 key positions of dropped index-form characters
    xpos: np.ndarray  # uint32 index-form positions where the offset delta changes
    xdelta: np.ndarray  # int32 the new delta (original offset - index-form position)


def _section_offsets(report: dict, body: str) -> dict:
    """The report without its body, each section's text as [start, end) in the body when
    it is found there (in order), else kept as text."""
    out = {}
    for key, value in report.items():
        if key == "body":
            out[key] = None
        elif key == "sections" and isinstance(value, list):
            cursor, sections = 0, []
            for sec in value:
                text = sec.get("text") if isinstance(sec, dict) else None
                if isinstance(text, str) and text:
                    at = body.find(text, cursor)
                    if at < 0:
                        at = body.find(text)
                    if at >= 0:
                        sec = {k: ([at, at + len(text)] if k == "text" else v) for k, v in sec.items()}
                        cursor = at + len(text)
                sections.append(sec)
            out[key] = sections
        else:
            out[key] = value
    return out


def prepare(report: dict, row: dict, form: str, key_drops: np.ndarray, offsets: list[int]) -> StoredDoc:
    """`form`: the body's index form; `key_drops`: index-form positions the key leaves
    out; `offsets`: the index form's offset map (one entry more than `form`)."""
    body = report.get("body") or ""
    drops = np.asarray(key_drops, dtype=np.int64)
    gaps = (drops - np.arange(len(drops))).astype(np.uint32)
    delta = np.asarray(offsets, dtype=np.int64) - np.arange(len(offsets))
    change = np.flatnonzero(np.diff(delta, prepend=0))
    row = dict(row, flen=len(form))
    return StoredDoc(row, _section_offsets(report, body), body, gaps,
                     change.astype(np.uint32), delta[change].astype(np.int32))


# ---------------------------------------------------------------- writing


def _offsets(lengths: list[int]) -> np.ndarray:
    return np.append(0, np.cumsum(np.asarray(lengths, dtype=np.uint64))).astype(np.uint64)


def _zdict(bodies: list[bytes]) -> bytes:
    """A preset dictionary from the segment's text: slices spread over its documents
    (deterministic: the same documents give the same dictionary)."""
    if not bodies:
        return b""
    piece = 512
    step = max(1, len(bodies) * piece // ZDICT_BYTES)
    parts, size = [], 0
    for data in bodies[::step]:
        mid = max(0, len(data) // 2 - piece // 2)
        chunk = data[mid:mid + piece]
        parts.append(chunk)
        size += len(chunk)
        if size >= ZDICT_BYTES:
            break
    return b"".join(parts)[-ZDICT_BYTES:]


def _compressor(zdict: bytes):
    """Raw deflate (no header or checksum: the store's own offsets frame each block),
    primed with the preset dictionary once: `_compress` copies it for each block (cheaper
    than loading the dictionary into a new compressor every time)."""
    level = SETTINGS.index.store_zlevel
    return zlib.compressobj(level, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, zdict) if zdict \
        else zlib.compressobj(level, zlib.DEFLATED, -15)


def _compress(data: bytes, primed) -> bytes:
    co = primed.copy()
    return co.compress(data) + co.flush()


class DocStoreBuilder:
    def __init__(self, block_chars: int | None = None):
        self.block = block_chars or SETTINGS.index.store_block_chars
        self.docs: dict[int, StoredDoc] = {}

    def add(self, docnum: int, doc: StoredDoc) -> None:
        self.docs[docnum] = doc

    def write(self, path: Path, ndocs: int) -> None:
        docs = [self.docs.get(d) for d in range(ndocs)]
        self.docs = {}
        bodies = [(d.body if d else "") for d in docs]
        zdict = _zdict([b.encode("utf-8") for b in bodies])
        primed = _compressor(zdict)
        rows = [json.dumps(d.row if d else {}, ensure_ascii=False).encode("utf-8") for d in docs]
        extras = [_compress(json.dumps(d.extra if d else {}, ensure_ascii=False).encode("utf-8"), primed)
                  for d in docs]
        blocks: list[bytes] = []
        first_block = [0]
        for body in bodies:
            for at in range(0, len(body), self.block):
                blocks.append(_compress(body[at:at + self.block].encode("utf-8"), primed))
            first_block.append(len(blocks))
        empty32 = np.zeros(0, np.uint32)
        gaps = [d.gaps if d else empty32 for d in docs]
        xpos = [d.xpos if d else empty32 for d in docs]
        xdelta = [d.xdelta if d else np.zeros(0, np.int32) for d in docs]
        arrays = {
            "rows.off": _offsets([len(r) for r in rows]), "rows": np.frombuffer(b"".join(rows), np.uint8),
            "extra.off": _offsets([len(e) for e in extras]), "extra": np.frombuffer(b"".join(extras), np.uint8),
            "body.len": np.array([len(b) for b in bodies], dtype=np.uint32),
            "body.blk": np.array(first_block, dtype=np.uint32),
            "body.off": _offsets([len(b) for b in blocks]), "body": np.frombuffer(b"".join(blocks), np.uint8),
            "zdict": np.frombuffer(zdict, np.uint8),
            "gaps.off": _offsets([len(g) for g in gaps]),
            "gaps": np.concatenate(gaps).astype(np.uint32) if gaps else empty32,
            "xmap.off": _offsets([len(x) for x in xpos]),
            "xpos": np.concatenate(xpos).astype(np.uint32) if xpos else empty32,
            "xdelta": np.concatenate(xdelta).astype(np.int32) if xdelta else np.zeros(0, np.int32),
        }
        arrayfile.write(path, MAGIC, arrays, {"docs": ndocs, "block": self.block})


# ---------------------------------------------------------------- reading


class SegmentStore:
    """Read side of one segment's store (memory-mapped; thread-safe: nothing mutable)."""

    def __init__(self, path: Path):
        self.arrays, attrs = arrayfile.read(path, MAGIC)
        self.ndocs = int(attrs["docs"])
        self.block = int(attrs["block"])
        zdict = self.arrays["zdict"].tobytes()
        # copied for each block: cheaper than a new decompressor loading the dictionary
        self._inflater = zlib.decompressobj(-15, zdict=zdict) if zdict else zlib.decompressobj(-15)
        self.lengths = self.arrays["body.len"]

    def _slice(self, name: str, d: int) -> np.ndarray:
        off = self.arrays[f"{name}.off"]
        return self.arrays[name][int(off[d]):int(off[d + 1])]

    def _inflate(self, data: np.ndarray) -> bytes:
        do = self._inflater.copy()
        return do.decompress(data) + do.flush()

    def row(self, d: int) -> dict:
        return json.loads(self._slice("rows", d).tobytes())

    def extra(self, d: int) -> dict:
        return json.loads(self._inflate(self._slice("extra", d)))

    def body_length(self, d: int) -> int:
        return int(self.lengths[d])

    def block_text(self, d: int, i: int) -> str:
        """Block i of document d's body, decompressed."""
        at = int(self.arrays["body.blk"][d]) + i
        off = self.arrays["body.off"]
        return self._inflate(self.arrays["body"][int(off[at]):int(off[at + 1])]).decode("utf-8")

    def text(self, d: int, a: int, b: int, length: int | None = None, cache: dict | None = None) -> str:
        """Characters [a, b) of document d's original body (only the blocks they lie in
        are decompressed; `cache` keeps them for the caller's next slices)."""
        a, b = max(0, a), min(b, self.body_length(d) if length is None else length)
        if b <= a:
            return ""
        first, last = a // self.block, (b - 1) // self.block
        parts = []
        for i in range(first, last + 1):
            if cache is None:
                parts.append(self.block_text(d, i))
                continue
            block = cache.get(i)
            if block is None:
                block = cache[i] = self.block_text(d, i)
            parts.append(block)
        base = first * self.block
        return "".join(parts)[a - base:b - base]

    def offset_map(self, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(gaps, xpos, xdelta) of document d (see the module docstring)."""
        off = self.arrays["xmap.off"]
        lo, hi = int(off[d]), int(off[d + 1])
        return self._slice("gaps", d), self.arrays["xpos"][lo:hi], self.arrays["xdelta"][lo:hi]

    def nbytes(self) -> dict[str, int]:
        """Bytes of each part (for `index stats`)."""
        parts = {"rows": ("rows", "rows.off"), "reports": ("extra", "extra.off"),
                 "bodies": ("body", "body.off", "body.blk", "body.len", "zdict"),
                 "offset_maps": ("gaps", "gaps.off", "xpos", "xdelta", "xmap.off")}
        return {k: sum(self.arrays[n].nbytes for n in names) for k, names in parts.items()}


class StoredReport:
    """One document's view for rendering: coordinates and text access (what a hit needs:
    a few positions and windows, so plain Python on small lists)."""

    __slots__ = ("store", "local", "row", "gaps", "xpos", "xdelta", "body_length", "blocks")

    def __init__(self, store: SegmentStore, local: int):
        self.store, self.local = store, local
        self.row = store.row(local)
        gaps, xpos, xdelta = store.offset_map(local)
        self.gaps, self.xpos, self.xdelta = gaps.tolist(), xpos.tolist(), xdelta.tolist()
        self.body_length = store.body_length(local)
        self.blocks: dict[int, str] = {}

    @property
    def form_length(self) -> int:
        return int(self.row.get("flen", 0))

    def to_form(self, key_positions: list[int]) -> list[int]:
        """Index-form positions of key positions."""
        gaps = self.gaps
        if not gaps:
            return key_positions
        return [p + bisect.bisect_right(gaps, p) for p in key_positions]

    def to_original(self, pos: int) -> int:
        """Original offset of index-form position `pos` (the body's length at the end)."""
        if not self.xpos:
            return pos
        i = bisect.bisect_right(self.xpos, pos) - 1
        return pos + (self.xdelta[i] if i >= 0 else 0)

    def text(self, a: int, b: int) -> str:
        return self.store.text(self.local, a, b, self.body_length, self.blocks)


class DocStore:
    """The stores of a generation's segments, addressed by global document number."""

    def __init__(self, folder: Path, segments: list[tuple[str, int]]):
        """`segments`: (segment id, first global document number), in order."""
        self.segments = [SegmentStore(path_for(folder, sid)) for sid, _ in segments]
        self.offsets = [offset for _, offset in segments]

    def _locate(self, doc: int) -> tuple[SegmentStore, int]:
        i = bisect.bisect_right(self.offsets, doc) - 1
        return self.segments[i], doc - self.offsets[i]

    def hit(self, doc: int) -> StoredReport:
        return StoredReport(*self._locate(doc))

    def row(self, doc: int) -> dict:
        seg, local = self._locate(doc)
        return seg.row(local)

    def report(self, doc: int) -> dict:
        """The report as it was indexed (body and section texts restored)."""
        seg, local = self._locate(doc)
        report = seg.extra(local)
        body = seg.text(local, 0, seg.body_length(local))
        if "body" in report:
            report["body"] = body
        for sec in report.get("sections") or ():
            if isinstance(sec, dict) and isinstance(sec.get("text"), list):
                a, b = sec["text"]
                sec["text"] = body[a:b]
        return report

    def nbytes(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for seg in self.segments:
            for k, v in seg.nbytes().items():
                out[k] = out.get(k, 0) + v
        return out
