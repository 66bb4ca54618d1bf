"""Never publish or serve a broken index: validation before the swap, refusals with a
message (all skipped, truncated archive, mass deletion), 503 rather than 500 for an
empty or unopenable index, fsync before the swap, and a lock no orphan can keep."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from faultkit import dangan, page, search_ids, write_pages
from indexer.search import build, open_index, store


def _zip(path: Path, numbers) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n in numbers:
            zf.writestr(f"pages/p{n:03d}.html", page(n))
    return path


def test_all_skipped_build_is_refused_unless_allowed_and_an_empty_index_is_a_503(tmp_path):
    from web import create_app

    good = write_pages(tmp_path / "good", range(3))
    index = tmp_path / "ix"
    build.build([str(good)], index, jobs=1)
    before = search_ids(index)
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "empty.html").write_bytes(b"")
    (junk / "binary.html").write_bytes(bytes(range(256)) * 40)
    proc = dangan("index", "build", str(junk), "--index", str(index), "--jobs", "1")
    assert proc.returncode == 1 and "nothing to index" in proc.stderr and "--allow-empty" in proc.stderr
    assert search_ids(index) == before and not list(index.glob("*.partial"))
    build.build([str(junk)], index, jobs=1, allow_empty=True)
    # An empty index: clear messages and 503s, never a traceback or a 500.
    proc = dangan("index", "stats", "--index", str(index))
    assert proc.returncode == 4 and "holds no reports" in proc.stderr and "Traceback" not in proc.stderr
    client = create_app({"DANGAN_INDEX": str(index), "TESTING": True}).test_client()
    for url in ("/", "/search?q=工作", "/api/search?q=工作", "/reports/abc"):
        response = client.get(url)
        assert response.status_code == 503, (url, response.status_code)
        assert "索引中还没有任何报告" in response.get_data(as_text=True)


def test_truncated_archive_update_needs_force(tmp_path):
    arch = _zip(tmp_path / "arch.zip", range(12))
    index = tmp_path / "ix"
    build.build([str(arch)], index, jobs=1)
    before = search_ids(index)
    assert len(before) == 12
    with open(arch, "r+b") as fh:  # `truncate -s`: the zip's directory is gone
        fh.truncate(arch.stat().st_size // 2)
    proc = dangan("index", "update", str(arch), "--index", str(index), "--jobs", "1")
    assert proc.returncode == 1
    assert "would delete 12 of the index's 12 reports" in proc.stderr and "--force" in proc.stderr
    assert "bad_archive 1" in proc.stderr
    assert search_ids(index) == before
    # a smaller change goes through: 3 of 12 pages removed on purpose
    _zip(arch, range(3, 12))
    assert build.update([str(arch)], index, jobs=1).deleted_reports == 3
    assert len(search_ids(index)) == 9
    # and a deliberate mass deletion with --force
    _zip(arch, range(11, 12))
    with pytest.raises(build.BuildRefused, match="would delete 8"):
        build.update([str(arch)], index, jobs=1)
    build.update([str(arch)], index, jobs=1, force=True)
    assert len(search_ids(index)) == 1


def test_validation_rejects_a_generation_that_does_not_hold_what_was_added(tmp_path):
    index = tmp_path / "ix"
    build.build([str(write_pages(tmp_path / "pages", range(3)))], index, jobs=0)
    gen = store.current_generation(index)
    ids = set(search_ids(index))
    build._validate(gen, ids, allow_empty=False)  # what a build checks before publishing
    with pytest.raises(ValueError, match="3 reports, 4 expected"):
        build._validate(gen, ids | {"0123456789abcdef"}, allow_empty=False)
    broken = tmp_path / "broken"
    shutil.copytree(gen, broken)
    for toc in broken.glob("_MAIN_*.toc"):
        toc.write_bytes(b"\x00garbage")
    with pytest.raises(ValueError, match="does not open"):
        build._validate(broken, ids, allow_empty=False)


def test_a_running_server_keeps_its_generation_when_the_new_one_is_damaged(tmp_path, monkeypatch):
    """Disk damage after publication: the open index keeps answering from the generation
    it has; a fresh server answers 503 with a message."""
    from indexer.search import engine
    from web import create_app

    monkeypatch.setattr(engine, "REFRESH_SECONDS", 0.0)
    index = tmp_path / "ix"
    build.build([str(write_pages(tmp_path / "pages", range(3)))], index, jobs=0)
    running = open_index(index)
    gen = store.current_generation(index)
    damaged = index / "gen-damaged"
    shutil.copytree(gen, damaged)
    for seg in damaged.glob("*.chars"):
        seg.write_bytes(b"")
    os.symlink(damaged.name, index / ".current.tmp")
    os.replace(index / ".current.tmp", index / "current")
    assert len(search_ids_open(running)) == 3
    running.close()
    client = create_app({"DANGAN_INDEX": str(index), "TESTING": True}).test_client()
    response = client.get("/api/search?q=工作")
    assert response.status_code == 503 and response.get_json()["error"] == "index_unavailable"


def search_ids_open(index) -> list[str]:
    from indexer.search import SearchRequest, search

    return [h.report_id for h in search(index, SearchRequest(per_page=100, collapse=False)).results]


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed (apt-get install strace)")
def test_publish_fsyncs_before_the_swap(tmp_path):
    index = tmp_path / "ix"
    pages = write_pages(tmp_path / "pages", range(2))
    log = tmp_path / "trace.txt"
    proc = subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=fsync,rename,renameat,renameat2,symlink,symlinkat,openat",
         "-o", str(log), sys.executable, "-c", "from indexer.cli import main; main()",
         "index", "build", str(pages), "--index", str(index), "--jobs", "0"],
        capture_output=True, text=True, timeout=600)
    if proc.returncode != 0 and "ptrace" in proc.stderr:
        pytest.skip("ptrace is not permitted here")
    assert proc.returncode == 0, proc.stderr
    gen = store.current_generation(index).name
    events = []  # (call, path) in order: fds are mapped back to the paths opened
    fds: dict[str, str] = {}
    for line in log.read_text().splitlines():
        call = line.split(None, 1)[1] if " " in line else line
        if call.startswith("openat(") and "= " in call:
            fd = call.rsplit("= ", 1)[1].split()[0]
            fds[fd] = call.split('"')[1]
        elif call.startswith("fsync("):
            events.append(("fsync", fds.get(call[6:].split(")")[0], "?")))
        elif call.startswith(("rename", "symlink")):
            events.append((call.split("(")[0], call))
    swap = next(i for i, (kind, what) in enumerate(events) if kind.startswith("rename")
                and f'"{index}/current"' in what)
    rename_gen = next(i for i, (kind, what) in enumerate(events) if kind.startswith("rename")
                      and f'"{index}/{gen}.partial", "{index}/{gen}"' in what)
    synced = {Path(path).name for kind, path in events[:rename_gen] if kind == "fsync" and f"{gen}.partial" in path}
    on_disk = {p.name for p in (index / gen).iterdir()}
    assert on_disk <= synced  # every file of the generation, before it is renamed
    assert any(kind == "fsync" and path.endswith(f"{gen}.partial") for kind, path in events[:rename_gen])
    assert any(kind == "fsync" and path == str(index) for kind, path in events[rename_gen:swap])
    assert any(kind == "fsync" and path == str(index) for kind, path in events[swap:])


def test_a_lock_outlives_no_killed_writer(tmp_path):
    """The writer takes the lock, forks a child (as it does its workers) and is killed:
    the child, still running, does not hold the lock."""
    root = tmp_path / "ix"
    script = (
        "import os, signal, sys, time\n"
        "from pathlib import Path\n"
        "from indexer.search.store import WriterLock\n"
        "lock = WriterLock(Path(sys.argv[1])).__enter__()\n"
        "if os.fork() == 0:\n"
        "    time.sleep(60); os._exit(0)\n"
        "time.sleep(0.5)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    # No pipes: the orphan would hold them open and the run would wait for it.
    proc = subprocess.run([sys.executable, "-c", script, str(root), "orphan-marker-" + tmp_path.name],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    assert proc.returncode == -signal.SIGKILL
    from faultkit import processes_with, wait_gone

    marker = "orphan-marker-" + tmp_path.name
    assert processes_with(marker), "the orphan should still be running"
    try:
        with store.WriterLock(root, stale_wait_s=0):  # no waiting: it must be free now
            pass
    finally:
        wait_gone(marker, 0)


def test_a_lock_left_to_a_dead_writers_last_processes_is_taken_over(tmp_path):
    """The lock names a writer that is gone while some process still holds it (e.g. a
    worker of an older version, about to die): the next writer waits for it instead of
    failing with a dead pid; a live writer is refused at once."""
    root = tmp_path / "ix"
    root.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time\n"
        "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "os.pwrite(fd, ('pid ' + sys.argv[2]).encode(), 0)\n"
        "print('held', flush=True)\n"
        "time.sleep(float(sys.argv[3]))\n"), str(root / store.LOCK), dead, "2"],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    with store.WriterLock(root, stale_wait_s=30):  # waits for the holder instead of failing
        assert holder.wait(timeout=5) == 0
    # the same situation with a live holder: refused at once, naming it
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time\n"
        "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "os.pwrite(fd, ('pid %d' % os.getpid()).encode(), 0)\n"
        "print('held', flush=True)\n"
        "time.sleep(30)\n"), str(root / store.LOCK)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(store.IndexLocked, match=f"pid {holder.pid}"):
            with store.WriterLock(root, stale_wait_s=30):
                pass
    finally:
        holder.kill()
        holder.wait()
