"""Files of named numpy arrays, memory-mapped when read: the container of a segment's
postings (charindex.py) and of its document store (docstore.py).

Layout: magic (8 bytes), header length (8 bytes, little-endian), a JSON header
``{name: [dtype, offset, count], …, "": {attributes}}``, then each array at its offset
(from the end of the header, rounded up to 64 bytes), 64-byte aligned. A file is written
to ``<name>.tmp`` and renamed into place, so a reader never sees half of one.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

ALIGN = 64


def _round(n: int) -> int:
    return -(-n // ALIGN) * ALIGN


def write(path: Path, magic: bytes, arrays: dict[str, np.ndarray], attrs: dict | None = None) -> None:
    assert len(magic) == 8
    layout: dict = {}
    offset = 0
    for name, arr in arrays.items():
        layout[name] = [arr.dtype.str, offset, int(arr.size)]
        offset += _round(arr.nbytes)
    layout[""] = attrs or {}
    header = json.dumps(layout).encode("ascii")
    data_start = _round(len(magic) + 8 + len(header))
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(magic + len(header).to_bytes(8, "little") + header)
        for name, arr in arrays.items():
            fh.seek(data_start + layout[name][1])
            fh.write(np.ascontiguousarray(arr).tobytes())
        fh.truncate(data_start + offset)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def read(path: Path, magic: bytes) -> tuple[dict[str, np.ndarray], dict]:
    """(arrays as read-only views of one memory mapping, attributes)."""
    with open(path, "rb") as fh:
        head = fh.read(len(magic) + 8)
        if head[:len(magic)] != magic:
            raise ValueError(f"{path}: not a {magic.decode(errors='replace')} file (an older index layout?)")
        hlen = int.from_bytes(head[len(magic):], "little")
        layout = json.loads(fh.read(hlen))
    attrs = layout.pop("", {})
    data_start = _round(len(magic) + 8 + hlen)
    size = os.path.getsize(path)
    # Plain ndarrays over the mapping (np.memmap's per-slice bookkeeping costs more than
    # the slicing itself: queries slice these arrays thousands of times).
    mm = np.memmap(path, dtype=np.uint8, mode="r").view(np.ndarray) if size else np.zeros(0, np.uint8)
    arrays = {}
    for name, (dtype, offset, count) in layout.items():
        dt = np.dtype(dtype)
        start = data_start + offset
        arrays[name] = mm[start:start + count * dt.itemsize].view(dt)
    return arrays, attrs
