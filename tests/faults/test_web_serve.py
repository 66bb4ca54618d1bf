"""A real `dangan serve` (waitress) process: raw UTF-8 in the request line, and idle
connections that must not stop the server. Everything stays on 127.0.0.1."""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from e2e_fixtures import pages_index  # noqa: F401  (fixture)


@pytest.fixture(scope="module")
def server(pages_index, tmp_path_factory):
    dangan = Path(sys.executable).parent / "dangan"
    env = dict(os.environ, DANGAN_DB=str(tmp_path_factory.mktemp("serve") / "c.db"),
               DANGAN_CONNECTION_LIMIT="400", DANGAN_CHANNEL_TIMEOUT_S="20")
    proc = subprocess.Popen([str(dangan), "serve", "--index", str(pages_index), "--port", "0"],
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stderr.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, line
        port = int(match.group(1))
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def raw_get(port: int, target: bytes, timeout: float = 30) -> tuple[str, dict, bytes]:
    """GET `target` sent byte for byte, as curl sends an unencoded URL."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n"
                     b"Connection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return lines[0], headers, body


def test_raw_utf8_query_is_accepted(server):
    status, headers, body = raw_get(server, "/search.json?q=意识形态".encode("utf-8"))
    assert status.startswith("HTTP/1.1 200"), (status, body[:300])
    data = json.loads(body)
    assert data["request"] == {"q": "意识形态"} and data["total"] > 0
    # The same answer as the percent-encoded URL a browser sends.
    _, _, encoded = raw_get(server, b"/search.json?q=%E6%84%8F%E8%AF%86%E5%BD%A2%E6%80%81")
    assert json.loads(encoded)["total"] == data["total"]
    # Raw UTF-8 in the path too (a report id never has it: an ordinary 404 in JSON).
    status, _, body = raw_get(server, "/reports/意识形态.json".encode("utf-8"))
    assert status.startswith("HTTP/1.1 404") and json.loads(body)["error"] == "not_found"


def test_idle_connections_do_not_stop_the_server(server):
    """150 connections that never send a byte (waitress' old default allowed 100, each
    held for 120 s) must not keep a real request from being answered."""
    idle = []
    try:
        for _ in range(150):
            idle.append(socket.create_connection(("127.0.0.1", server), timeout=5))
        status, _, body = raw_get(server, b"/search.json?q=%E4%B8%A4%E5%AD%A6%E4%B8%80%E5%81%9A", timeout=15)
        assert status.startswith("HTTP/1.1 200") and json.loads(body)["total"] > 0
    finally:
        for sock in idle:
            sock.close()
