"""heap.release_above: after it, a block above the threshold gets its own mapping even
when glibc would have raised its threshold past it (a large block freed before), so
freeing it gives the memory back; without it, the block comes from the heap."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PROBE = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[2])
    from indexer import heap
    if sys.argv[1] == "on":
        assert heap.release_above(256)
    def maps():
        with open("/proc/self/maps") as fh:
            return sum(1 for _ in fh)
    big = bytearray(8 << 20)  # mapped, and freed: glibc raises its threshold to 8 MiB
    del big
    before = maps()
    block = bytearray(1 << 20)
    print(maps() - before)
""")


def new_mappings(mode: str) -> int:
    out = subprocess.run([sys.executable, "-c", PROBE, mode, str(ROOT)], check=True, capture_output=True, text=True)
    return int(out.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux") or not Path("/proc/self/maps").exists(),
                    reason="glibc's malloc and /proc are Linux's")
def test_blocks_above_the_threshold_are_mapped_on_their_own():
    if new_mappings("off") != 0:
        pytest.skip("this C library maps such blocks on their own anyway")
    # glibc's default: from the heap (kept when freed, between live blocks)
    assert new_mappings("on") == 1


def test_zero_changes_nothing():
    from indexer import heap

    assert heap.release_above(0) is False


def _frozen(_item):
    import gc

    return gc.get_freeze_count()


def test_page_workers_leave_what_they_inherit_out_of_collections():
    """A forked worker's collections skip the objects it inherited (they would copy the
    parent's memory pages into the child as they mark them)."""
    from indexer.extract import runner

    inherited = [{"row": i} for i in range(1000)]  # containers the worker inherits
    results = [out for _item, out in runner.run(range(3), _frozen, 1, lambda item, why: why)]
    assert len(inherited) == 1000 and all(isinstance(n, int) and n >= 1000 for n in results), results
