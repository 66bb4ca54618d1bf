"""Helpers of the fault tests: real archives on disk, the real `dangan` CLI in a
subprocess, and a look at the process table for workers left behind."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from hostile_pages import attribute_bomb, big_page, fact, page, warc  # noqa: E402,F401 - re-exported


def write_pages(folder: Path, numbers, name: str = "p{n:03d}.html") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n in numbers:
        (folder / name.format(n=n)).write_bytes(page(n))
    return folder


def dangan(*args: str, env: dict | None = None, timeout: float = 600, cwd: Path | None = None
           ) -> subprocess.CompletedProcess:
    """The CLI as operators run it, in a fresh interpreter."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-c", "from indexer.cli import main; main()", *args],
                          capture_output=True, text=True, env=full_env, timeout=timeout, cwd=cwd)


def start(*args: str, env: dict | None = None) -> subprocess.Popen:
    full_env = {**os.environ, **(env or {})}
    return subprocess.Popen([sys.executable, "-c", "from indexer.cli import main; main()", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full_env)


def processes_with(marker: str) -> list[int]:
    """Pids of live processes whose command line mentions `marker` (forked workers keep
    their parent's command line)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode("utf-8", "replace")
            state = next((line.split()[1] for line in (entry / "status").read_text().splitlines()
                          if line.startswith("State:")), "")
        except (OSError, StopIteration, IndexError):
            continue
        if marker in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def wait_gone(marker: str, seconds: float = 10.0) -> list[int]:
    """Processes mentioning `marker` still alive after `seconds` (killed afterwards, so a
    failing test leaves nothing behind)."""
    deadline = time.monotonic() + seconds
    while (left := processes_with(marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return left


def search_ids(index: Path, q: str = "") -> list[str]:
    from indexer.search import SearchRequest, open_index, search

    with open_index(index) as ix:
        resp = search(ix, SearchRequest(q=q, per_page=100, collapse=False))
    return sorted(h.report_id for h in resp.results)


def jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]
