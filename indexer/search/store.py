"""The index directory: generations, the atomic swap, and the single-writer lock.

Layout of an index directory ``DIR``::

    DIR/current -> gen-20261123T173000Z-4242     (symlink, swapped atomically)
    DIR/gen-20261123T173000Z-4242/               (a Whoosh index + minhash.sig, dups.json,
                                                  meta.json, dictionaries)
    DIR/gen-....partial/                         (a build in progress or interrupted)
    DIR/write.lock                               (flock held by the one writer)

A build writes a fresh ``.partial`` generation and publishes it, once it validated
(build.py), in the order SQLite and Elasticsearch use for durability: fsync every file
and the directory, rename it, fsync the parent, replace the ``current`` symlink with
``os.replace`` (atomic on POSIX) and fsync the parent again. Readers that opened the old
generation keep reading it, new readers see the new one; a build killed (or a machine
cut off) at any point leaves ``current`` naming a complete generation. The previous
generation is kept so readers still holding it are never pulled from under; older ones,
and partial ones left by a killed build, are removed by the next writer.

The writer lock is an flock on ``write.lock``, released by the kernel when its holder
dies. Forked children close their inherited copy at once (``os.register_at_fork``), so a
worker outliving its parent can never keep an index locked.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import time
import weakref
from pathlib import Path

CURRENT = "current"
LOCK = "write.lock"
META = "meta.json"
PARTIAL = ".partial"


class IndexLocked(Exception):
    """Another writer holds the index lock."""


class NoIndex(Exception):
    """No index at the given location."""


class IndexUnusable(NoIndex):
    """There is an index, but it cannot be served (damaged, or of another layout)."""


class EmptyIndex(IndexUnusable):
    """The index holds no reports (published on purpose with ``--allow-empty``)."""


def failpoint(name: str) -> None:
    """Fault injection for the crash tests (tests/faults/): when DANGAN_FAILPOINTS names
    this point, the process kills itself with SIGKILL here, as `kill -9` or a power cut
    would. Points: build.extracting, build.segments_written, build.writer_page (in a
    segment writer process, after a page), publish.before_rename, publish.before_swap,
    publish.after_swap."""
    wanted = os.environ.get("DANGAN_FAILPOINTS")
    if wanted and name in wanted.split(","):
        os.kill(os.getpid(), signal.SIGKILL)


def default_index_dir() -> Path:
    """$DANGAN_INDEX, else the per-user data dir ($XDG_DATA_HOME/dangan/index)."""
    env = os.environ.get("DANGAN_INDEX")
    if env:
        return Path(env)
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(data) / "dangan" / "index"


def is_generation(path: Path) -> bool:
    return path.is_dir() and any(path.glob("_MAIN_*.toc"))


def current_generation(root: Path) -> Path | None:
    """The generation readers should open, or None when there is no index yet."""
    link = root / CURRENT
    if link.is_symlink() or link.exists():
        target = link.resolve()
        return target if is_generation(target) else None
    if is_generation(root):  # a bare Whoosh index directory also works
        return root
    return None


def read_meta(gen: Path) -> dict:
    try:
        return json.loads((gen / META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def fsync_path(path: Path) -> None:
    """Flush a file's (or a directory's entries') data to stable storage."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(folder: Path) -> None:
    """fsync every file under `folder`, then the folders themselves."""
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            fsync_path(Path(dirpath) / name)
        fsync_path(Path(dirpath))


def write_json_atomic(path: Path, data) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(data, ensure_ascii=False))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


_HELD: "weakref.WeakSet[WriterLock]" = weakref.WeakSet()


def _drop_inherited_locks() -> None:
    """In a forked child: close (never unlock: that would release the parent's lock) the
    copies of the parent's lock descriptors."""
    for lock in list(_HELD):
        if lock._fd is not None:
            try:
                os.close(lock._fd)
            except OSError:
                pass
            lock._fd = None
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_drop_inherited_locks)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class WriterLock:
    """Exclusive, non-blocking flock on DIR/write.lock; released when the process dies.

    When the lock is busy but the process named in the file is gone, the holder is a
    process that inherited it and is itself about to die (our workers die with their
    parent): wait up to `stale_wait_s` for the kernel to release it, then take it over.
    """

    def __init__(self, root: Path, stale_wait_s: float = 10.0):
        self.root = root
        self.stale_wait_s = stale_wait_s
        self._fd: int | None = None

    def __enter__(self) -> "WriterLock":
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        give_up = None
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
                pid = int(holder.split()[1]) if holder.startswith("pid ") and holder.split()[1].isdigit() else None
                if pid is not None and not pid_alive(pid):
                    give_up = give_up or time.monotonic() + self.stale_wait_s
                    if time.monotonic() < give_up:
                        time.sleep(0.1)
                        continue
                    detail = f"{holder}, which is no longer running; processes it left behind still hold it"
                else:
                    detail = holder or "unknown process"
                os.close(fd)
                raise IndexLocked(f"index {self.root} is being written by another process ({detail}); "
                                  "wait for it to finish or stop it") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} since {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}"
                  .encode("utf-8"), 0)
        self._fd = fd
        _HELD.add(self)
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        _HELD.discard(self)


def new_generation(root: Path) -> Path:
    """A fresh, empty directory for a build (call with the lock held)."""
    root.mkdir(parents=True, exist_ok=True)
    for stale in root.glob(f"gen-*{PARTIAL}"):
        shutil.rmtree(stale, ignore_errors=True)  # left by an interrupted build
    for stale in root.glob(f".{CURRENT}.*"):
        stale.unlink(missing_ok=True)  # a symlink made by a publish that was killed
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = root / f"gen-{stamp}-{os.getpid()}-{time.monotonic_ns() % 10**6}{PARTIAL}"
    path.mkdir()
    return path


def publish(root: Path, partial: Path) -> Path:
    """Make `partial` (complete and validated) the current generation: durably written
    first, then swapped in with one atomic rename of a symlink."""
    final = partial.with_name(partial.name[: -len(PARTIAL)])
    fsync_tree(partial)
    failpoint("publish.before_rename")
    os.rename(partial, final)
    fsync_path(root)
    previous = current_generation(root) if (root / CURRENT).is_symlink() else None
    tmp_link = root / f".{CURRENT}.{os.getpid()}"
    if tmp_link.is_symlink():
        tmp_link.unlink()
    os.symlink(final.name, tmp_link)
    failpoint("publish.before_swap")
    os.replace(tmp_link, root / CURRENT)
    fsync_path(root)
    failpoint("publish.after_swap")
    keep = {final.name} | ({previous.name} if previous else set())
    for gen in root.glob("gen-*"):
        if gen.name not in keep and not gen.name.endswith(PARTIAL):
            shutil.rmtree(gen, ignore_errors=True)
    return final
