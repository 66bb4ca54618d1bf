"""The index directory: generations, the atomic swap, and the single-writer lock.

Layout of an index directory ``DIR``::

    DIR/current -> gen-20261123T173000Z-4242     (symlink, swapped atomically)
    DIR/gen-20261123T173000Z-4242/               (a Whoosh index + minhash.npz, dups.json,
                                                  meta.json, dictionaries)
    DIR/gen-....partial/                         (a build in progress or interrupted)
    DIR/write.lock                               (flock held by the one writer)

A build writes a fresh ``.partial`` generation and publishes it by renaming it and
replacing the ``current`` symlink with ``os.replace`` (atomic on POSIX): readers that
opened the old generation keep reading it, new readers see the new one, and a build
that dies before the swap leaves ``current`` untouched. The previous generation is
kept so readers still holding it are never pulled from under; older ones are removed.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from pathlib import Path

CURRENT = "current"
LOCK = "write.lock"
META = "meta.json"
PARTIAL = ".partial"


class IndexLocked(Exception):
    """Another writer holds the index lock."""


class NoIndex(Exception):
    """No index at the given location."""


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


def write_json_atomic(path: Path, data) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


class WriterLock:
    """Exclusive, non-blocking flock on DIR/write.lock; released when the process dies."""

    def __init__(self, root: Path):
        self.root = root
        self._fh = None

    def __enter__(self) -> "WriterLock":
        self.root.mkdir(parents=True, exist_ok=True)
        fh = open(self.root / LOCK, "a+", encoding="utf-8")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown process"
            fh.close()
            raise IndexLocked(f"index {self.root} is being written by another process ({holder}); "
                              "wait for it to finish or stop it") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} since {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}")
        fh.flush()
        self._fh = fh
        return self

    def __exit__(self, *exc) -> None:
        if self._fh:
            self._fh.seek(0)
            self._fh.truncate()
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None


def new_generation(root: Path) -> Path:
    """A fresh, empty directory for a build (call with the lock held)."""
    root.mkdir(parents=True, exist_ok=True)
    for stale in root.glob(f"gen-*{PARTIAL}"):
        shutil.rmtree(stale, ignore_errors=True)  # left by an interrupted build
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = root / f"gen-{stamp}-{os.getpid()}-{time.monotonic_ns() % 10**6}{PARTIAL}"
    path.mkdir()
    return path


def publish(root: Path, partial: Path) -> Path:
    """Make `partial` the current generation with one atomic rename of a symlink."""
    final = partial.with_name(partial.name[: -len(PARTIAL)])
    os.rename(partial, final)
    previous = current_generation(root) if (root / CURRENT).is_symlink() else None
    tmp_link = root / f".{CURRENT}.{os.getpid()}"
    if tmp_link.is_symlink():
        tmp_link.unlink()
    os.symlink(final.name, tmp_link)
    os.replace(tmp_link, root / CURRENT)
    keep = {final.name} | ({previous.name} if previous else set())
    for gen in root.glob("gen-*"):
        if gen.name not in keep and not gen.name.endswith(PARTIAL):
            shutil.rmtree(gen, ignore_errors=True)
    return final
