"""kill -9 of `dangan index build|update --jobs 2` at several points (real processes):
the old index still serves, no worker is left behind, the next build succeeds."""
from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import pytest

from indexer.search import build
from indexer.settings import BudgetSettings
from faultkit import (attribute_bomb, big_page, dangan, fact, page, processes_with, search_ids, start,
                      wait_gone, write_pages)

BUILD_POINTS = ["build.extracting", "build.segments_written", "publish.before_swap", "publish.after_swap"]
UPDATE_POINTS = ["build.extracting", "build.segments_written", "publish.before_swap"]
# Small segments: writers hand over segments while pages are still being read.
ENV = {"DANGAN_SEGMENT_CHARS": "2000"}


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> tuple[Path, list[str]]:
    """An index of archive v1 (8 pages)."""
    top = tmp_path_factory.mktemp("kill9")
    archive = write_pages(top / "v1" / "pages", range(8))
    index = top / "ix"
    build.build([str(archive)], index, jobs=2)
    return index, search_ids(index)


def _copy_index(base_index: Path, target: Path) -> Path:
    shutil.copytree(base_index, target, symlinks=True)
    return target


def _assert_recovers(index: Path, kind: str, archive: Path) -> None:
    """No process of the killed run is left; the next run (here in this process, warm)
    takes the lock at once, succeeds and removes what the killed one left."""
    assert wait_gone(str(archive)) == [], "worker processes outlived the killed build"
    run = build.build if kind == "build" else build.update
    run([str(archive)], index, jobs=2)
    assert not list(index.glob("*.partial")) and not list(index.glob(".current.*"))
    assert len(list(index.glob("gen-*"))) <= 2


@pytest.mark.parametrize("point", BUILD_POINTS)
def test_build_killed(point, base, tmp_path):
    base_index, old_ids = base
    index = _copy_index(base_index, tmp_path / "ix")
    archive = write_pages(tmp_path / "v2" / "pages", range(3, 14))  # other pages: other ids
    args = ["index", "build", str(archive), "--index", str(index), "--jobs", "2"]
    proc = dangan(*args, env={**ENV, "DANGAN_FAILPOINTS": point})
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    served = search_ids(index)
    if point == "publish.after_swap":
        assert served != old_ids and len(served) == 11  # the new one was complete when swapped
    else:
        assert served == old_ids
    _assert_recovers(index, "build", archive)
    assert len(search_ids(index)) == 11
    assert search_ids(index, fact(13)) and not search_ids(index, fact(0))


@pytest.mark.parametrize("point", UPDATE_POINTS)
def test_update_killed(point, base, tmp_path):
    base_index, old_ids = base
    index = _copy_index(base_index, tmp_path / "ix")
    archive = tmp_path / "v1" / "pages"
    write_pages(archive, range(8))
    (archive / "p002.html").write_bytes(page(20))  # changed
    write_pages(archive, [30, 31])  # added
    args = ["index", "update", str(archive), "--index", str(index), "--jobs", "2"]
    proc = dangan(*args, env={**ENV, "DANGAN_FAILPOINTS": point})
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert search_ids(index) == old_ids
    assert search_ids(index, fact(20)) == []
    _assert_recovers(index, "update", archive)
    assert len(search_ids(index)) == 10
    assert len(search_ids(index, fact(20))) == 1 and search_ids(index, fact(2)) == []


def test_segment_writer_dies(base, tmp_path):
    """A segment writer process killed mid-build (SIGKILL after its first page): the build
    fails at once with a message saying so and a non-zero exit, the old index still serves,
    no process of the build is left, and the next build succeeds."""
    base_index, old_ids = base
    index = _copy_index(base_index, tmp_path / "ix")
    archive = write_pages(tmp_path / "v2" / "pages", range(3, 14))
    args = ["index", "build", str(archive), "--index", str(index), "--jobs", "2"]
    proc = dangan(*args, env={**ENV, "DANGAN_FAILPOINTS": "build.writer_page"})
    assert proc.returncode not in (0, -signal.SIGKILL), proc.stderr
    assert "segment writer" in proc.stderr
    assert search_ids(index) == old_ids
    _assert_recovers(index, "build", archive)
    assert len(search_ids(index)) == 11


def test_external_kill_while_a_worker_is_busy(base, tmp_path):
    """kill -9 from outside while a worker chews on a slow page: every process of the
    build dies, the writer lock is free at once, and the next build skips that page as a
    timeout (budget of 5 s)."""
    base_index, old_ids = base
    index = _copy_index(base_index, tmp_path / "ix")
    archive = write_pages(tmp_path / "stuck" / "pages", range(40, 46))
    (archive / "slow.html").write_bytes(big_page(8, n=9))
    (archive / "bomb.html").write_bytes(attribute_bomb())
    args = ["index", "build", str(archive), "--index", str(index), "--jobs", "2"]
    proc = start(*args, env=ENV)
    marker = str(archive)
    deadline = time.monotonic() + 120
    # Wait until the workers run (the parent plus page workers and segment writers).
    while len(processes_with(marker)) < 4 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    time.sleep(1.0)
    assert proc.poll() is None, proc.communicate()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert wait_gone(marker) == []
    assert search_ids(index) == old_ids
    finished = build.build([str(archive)], index, jobs=2, budgets=BudgetSettings(page_timeout_s=5))
    reasons = {Path(s["source"]).name: s["reason"].split(":")[0] for s in finished.skipped}
    assert reasons["slow.html"] == "timeout" and reasons.keys() == {"slow.html", "bomb.html"}
    assert len(search_ids(index)) == 6
