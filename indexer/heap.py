"""Heap settings of long-running processes (glibc malloc), applied through `mallopt`.

glibc serves a freed block of up to its mmap threshold from the heap again, and raises
that threshold to the largest block freed so far (up to 32 MiB). A build passes pages of
every size through its processes, so after one large page every later one is carved out
of the heap, and the heap's free space ends up scattered between live blocks: it is
never returned, and the process grows with the number of pages read. Fixing the
threshold keeps blocks above it in their own mappings, unmapped when freed, and the heap
is trimmed back once this much is free at its top.
"""
from __future__ import annotations

import ctypes

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3


def release_above(kib: int) -> bool:
    """Blocks of `kib` KiB or more are mapped on their own and unmapped when freed, and
    free space above that size at the top of the heap is returned. Processes forked
    later inherit it. False (nothing changed) without glibc's mallopt, or when `kib` <= 0."""
    if kib <= 0:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library this process runs on
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    size = kib * 1024
    return bool(mallopt(M_MMAP_THRESHOLD, size)) and bool(mallopt(M_TRIM_THRESHOLD, size))
