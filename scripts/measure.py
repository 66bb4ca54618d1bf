"""Measuring a command from outside (for the scripts, not the product): wall and CPU
seconds, peak memory of its whole process tree (PSS: pages shared copy-on-write by forked
workers are split between them) and peak RSS of its main process, sampled from /proc."""
from __future__ import annotations

import os
import subprocess
import threading
import time


def _proc_kb(pid: int, path: str, key: str) -> int:
    try:
        with open(f"/proc/{pid}/{path}") as fh:
            for line in fh:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_kb(pid: int) -> tuple[int, int]:
    """Memory of `pid` and all its descendants: (PSS summed over the tree, RSS of `pid`)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += _proc_kb(p, "smaps_rollup", "Pss:")
        todo.extend(children.get(p, []))
    return total, _proc_kb(pid, "status", "VmRSS:")


def measured(cmd: list[str], every: float = 0.25, check: bool = True, **kw) -> dict:
    """Run `cmd`; its exit code, wall and CPU seconds (it and the children it waited
    for), peak PSS of its process tree and peak RSS of its main process (sampled every
    `every` seconds), its stdout, and its stderr when `stderr=subprocess.PIPE` (else it goes where ours goes).
    With `check`, a failed command ends the script."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, errors="replace", **kw)
    peak = peak_main = 0
    done = threading.Event()

    def sample():
        nonlocal peak, peak_main
        while not done.is_set():
            pss, rss = tree_kb(proc.pid)
            peak, peak_main = max(peak, pss), max(peak_main, rss)
            time.sleep(every)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    errors: list[str] = []
    drain = threading.Thread(target=lambda: errors.append(proc.stderr.read()), daemon=True)
    if proc.stderr is not None:
        drain.start()  # both pipes drained at once: a chatty stderr cannot block the command
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)  # wait4: the CPU time of it and its children
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    if proc.stderr is not None:
        drain.join()
    if check and proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} … failed with exit code {proc.returncode}")
    return {"exit": proc.returncode, "wall_s": round(wall, 1),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
            "peak_pss_mb": round(peak / 1024, 1), "peak_main_rss_mb": round(peak_main / 1024, 1),
            "stdout": out, "stderr": "".join(errors)}
