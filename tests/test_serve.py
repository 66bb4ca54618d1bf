"""`dangan serve` in several processes: each answers on the shared port, keep-alive
connections spread over the workers (fewest active connections first), idle workers do
not spin, a dead worker is replaced, and SIGTERM stops them all. Real processes, real sockets."""
from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time

from test_search_support import build_index, make_report

from indexer.commands import serving


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stat(pid) -> list[str]:
    """/proc/PID/stat fields after the command name (state, ppid, …)."""
    with open(f"/proc/{pid}/stat") as fh:
        return fh.read().rsplit(")", 1)[1].split()


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if int(_stat(entry)[1]) == pid:
                    out.append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    return sorted(out)


def _tcp_sockets(pid: int) -> set[str]:
    fd_dir = f"/proc/{pid}/fd"
    out = set()
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(f"{fd_dir}/{fd}")
        except OSError:
            continue
        if target.startswith("socket:"):
            out.add(target)
    return out


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _get(conn: http.client.HTTPConnection, q: str) -> dict:
    conn.request("GET", "/api/search?q=" + q)
    resp = conn.getresponse()
    assert resp.status == 200
    return json.loads(resp.read())


def test_serve_spreads_connections_over_processes_and_stops(tmp_path):
    root = build_index(tmp_path, [make_report(f"r{i}", f"报告{i}", [("前言", f"工作内容{i}")]) for i in range(5)])
    port = _free_port()
    env = dict(os.environ, DANGAN_INDEX=str(root))
    proc = subprocess.Popen([sys.executable, "-c", "from indexer.cli import main; main()", "serve",
                             "--port", str(port), "--processes", "2", "--threads", "2"],
                            env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                _get(probe, "%E5%B7%A5%E4%BD%9C")
                probe.close()
                break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None, "server did not start"
                time.sleep(0.2)
        deadline = time.monotonic() + 30  # one worker may answer before the other has started
        while len(_children(proc.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = _children(proc.pid)
        assert len(workers) == 2
        deadline = time.monotonic() + 20
        while any(len(_tcp_sockets(w)) > 1 for w in workers):  # the probe's connection is closed
            assert time.monotonic() < deadline, "probe connection still open"
            time.sleep(0.1)
        before = {w: _tcp_sockets(w) for w in workers}
        conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(2)]
        for c in conns:
            assert _get(c, "%E5%B7%A5%E4%BD%9C")["total"] == 5
        new = {w: len(_tcp_sockets(w) - before[w]) for w in workers}
        assert sorted(new.values()) == [1, 1], new  # one connection each
        for c in conns:
            assert _get(c, "%E5%86%85%E5%AE%B9")["total"] == 5  # keep-alive: same connection again
        # An idle connection does not count: with one of the two left idle, two new clients
        # still go one to each worker (counted, the second joined the first half the time).
        conns[0].close()
        time.sleep(serving.ACTIVE_S + 0.3)  # conns[1] is idle now
        before = {w: _tcp_sockets(w) for w in workers}
        fresh = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(2)]
        for c in fresh:
            assert _get(c, "%E5%B7%A5%E4%BD%9C")["total"] == 5
        new = {w: len(_tcp_sockets(w) - before[w]) for w in workers}
        assert sorted(new.values()) == [1, 1], new
        for c in [*fresh, conns[1]]:
            c.close()
        # Idle workers sleep: a worker that is not listening looks again every
        # ACCEPT_RECHECK_S, it does not poll in a loop (waitress's own loop timeout is
        # whole seconds, and 0.02 became 0: each idle worker spun a whole core). A
        # spinning worker uses ~1 CPU-s per second; a sleeping one a few ms.
        cpu_before = {w: _cpu_s(w) for w in workers}
        time.sleep(2.0)
        used = {w: _cpu_s(w) - cpu_before[w] for w in workers}
        assert all(u < 0.5 for u in used.values()), used
        # a worker that dies is replaced
        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while len(set(_children(proc.pid)) - {workers[0]}) < 2:
            assert time.monotonic() < deadline, "worker not replaced"
            time.sleep(0.2)
        again = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        assert _get(again, "%E5%B7%A5%E4%BD%9C")["total"] == 5
        again.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    # every worker prepared its index before serving (the warm-up goes through the backend),
    # and none failed (the one killed above is reported as exited, without a traceback)
    err = proc.stderr.read().decode("utf-8", "replace")
    assert "warm-up failed" not in err and "Traceback" not in err, err
    assert all(not os.path.exists(f"/proc/{w}") or _stat(w)[0] == "Z"
               for w in workers)
