"""A local Sphinx/Manticore cluster for tests and demos: N shard nodes on loopback.

    start(DATA_DIR, shards=2) -> "sphinx://127.0.0.1:P0,127.0.0.1:P1"
    stop(DATA_DIR)

Each node is one ``searchd`` with its own config (``DATA_DIR/node<i>/sphinx.conf``), a
SphinxQL port (what the engine URL lists) and a binary-protocol port (what the
distributed indexes use to reach their agents). Node i holds shard i of both generation
slots; node 0 also holds the distributed index of each slot and the record of which slot
is current (`layout`). The config uses the subset that Sphinx 2.2.11 and Manticore
(plain mode) both accept: no ``workers``, no ``data_dir``, RT indexes with explicit
``charset_table`` ranges (the ``non_cjk`` alias is an error in 2.2.11).
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from . import layout

STATE = "cluster.json"


class ClusterError(Exception):
    pass


def searchd_binary() -> str | None:
    """The searchd to run: $DANGAN_SEARCHD (a Manticore build, say), else searchd on PATH."""
    return shutil.which(os.environ.get("DANGAN_SEARCHD") or "searchd")


def free_ports(n: int) -> list[int]:
    """n distinct free TCP ports on 127.0.0.1 (held open together so they differ)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _rt_index(name: str, path: Path) -> str:
    lines = [f"index {name}", "{", "    type = rt", f"    path = {path}"]
    lines += [f"    rt_field = {f}" for f in layout.FIELDS]
    lines += [f"    {kind} = {attr}" for attr, kind in layout.ATTRS]
    lines += [
        "    dict = keywords",
        "    min_prefix_len = 1",  # a one-character query reads every token starting with it
        f"    charset_table = {layout.CHARSET_TABLE}",
        "    rt_mem_limit = 128M",
        "}",
    ]
    return "\n".join(lines)


def _meta_index(path: Path) -> str:
    return "\n".join([f"index {layout.META}", "{", "    type = rt", f"    path = {path}",
                      "    rt_field = note", "    rt_attr_uint = slot", "    rt_attr_bigint = gen",
                      "    rt_attr_bigint = published_at", "    rt_attr_string = info",
                      f"    charset_table = {layout.CHARSET_TABLE}", "}"])


def node_config(data_dir: Path, i: int, nodes: list[dict]) -> str:
    """The config of node i. ``nodes``: [{"sql": port, "api": port, "shard": s, "mirror": m}, …]
    (shard-major; node 0, shard 0's first copy, is the head)."""
    node = nodes[i]
    shard = node.get("shard", i)
    home = data_dir / f"node{i}"
    parts = []
    for slot in layout.SLOTS:
        parts.append(_rt_index(layout.shard_index(slot, shard), home / "data" / layout.shard_index(slot, shard)))
    if i == 0:
        parts.append(_meta_index(home / "data" / layout.META))
        shards = sorted({n.get("shard", j) for j, n in enumerate(nodes)})
        mirrored = len(nodes) > len(shards)
        for slot in layout.SLOTS:
            lines = [f"index {layout.dist_index(slot)}", "{", "    type = distributed"]
            for s in shards:
                copies = [n for j, n in enumerate(nodes) if n.get("shard", j) == s]
                if s == 0 and not mirrored:
                    lines.append(f"    local = {layout.shard_index(slot, 0)}")
                    continue
                # persistent: a distributed query does not open a connection per agent;
                # a|b: mirrors of one shard, one of them answers (ha_strategy)
                hosts = "|".join(f"127.0.0.1:{n['api']}" for n in copies)
                lines.append(f"    agent_persistent = {hosts}:{layout.shard_index(slot, s)}")
            if mirrored:
                lines.append("    ha_strategy = nodeads")
            lines += ["    agent_connect_timeout = 1000", "    agent_query_timeout = 30000", "}"]
            parts.append("\n".join(lines))
    parts.append("\n".join([
        "searchd", "{",
        f"    listen = 127.0.0.1:{node['sql']}:mysql41",
        f"    listen = 127.0.0.1:{node['api']}",
        f"    log = {home / 'searchd.log'}",
        f"    query_log = {home / 'query.log'}",
        f"    pid_file = {home / 'searchd.pid'}",
        f"    binlog_path = {home / 'data'}",
        # binlog_flush stays at its default, 2 (write every transaction, sync every second):
        # the current record and the RT writes survive a kill -9. (1, sync every
        # transaction, writes no binlog at all in 2.2.11: measured.)
        "    read_timeout = 5",
        "    client_timeout = 300",
        "    max_packet_size = 128M",
        "    persistent_connections_limit = 32",
        "}",
    ]))
    return "\n\n".join(parts) + "\n"


def url_of(nodes: list[dict]) -> str:
    """``sphinx://`` URL: shards separated by commas, the mirrors of a shard by ``|``."""
    shards: dict[int, list[str]] = {}
    for j, n in enumerate(nodes):
        shards.setdefault(n.get("shard", j), []).append(f"127.0.0.1:{n['sql']}")
    return "sphinx://" + ",".join("|".join(shards[s]) for s in sorted(shards))


def _answers(port: int, expected: list[str]) -> bool:
    """Whether the node at `port` answers SphinxQL and serves the `expected` indexes."""
    import pymysql

    try:
        conn = pymysql.connect(host="127.0.0.1", port=port, connect_timeout=1, read_timeout=2)
    except pymysql.err.MySQLError:
        return False
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW TABLES")
            names = {row[0] for row in cur.fetchall()}
        return set(expected) <= names
    except pymysql.err.MySQLError:
        return False
    finally:
        conn.close()


def _pid(data_dir: Path, i: int) -> int | None:
    try:
        return int((data_dir / f"node{i}" / "searchd.pid").read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int | None) -> bool:
    from ...store import pid_alive

    return bool(pid) and pid_alive(pid)


def start(data_dir: str | Path, shards: int = 2, timeout: float = 30.0, mirrors: int = 1) -> str:
    """Write the configs (first start only: ports are kept in DATA_DIR/cluster.json so a
    restart finds its data and URL again), start every node, wait until each answers.
    ``mirrors``: copies of each shard, each its own node. Returns the engine URL."""
    binary = searchd_binary()
    if binary is None:
        raise ClusterError("searchd not found: install Debian's sphinxsearch (or Manticore) "
                           "or set DANGAN_SEARCHD")
    data_dir = Path(data_dir).resolve()
    state_path = data_dir / STATE
    if state_path.exists():
        state = json.loads(state_path.read_text())
        nodes = state["nodes"]
    else:
        if shards < 1 or mirrors < 1:
            raise ClusterError("--shards and --mirrors must be at least 1")
        ports = free_ports(2 * shards * mirrors)
        nodes = [{"sql": ports[2 * i], "api": ports[2 * i + 1], "shard": i // mirrors, "mirror": i % mirrors}
                 for i in range(shards * mirrors)]
        for i in range(len(nodes)):
            home = data_dir / f"node{i}"
            (home / "data").mkdir(parents=True, exist_ok=True)
            (home / "sphinx.conf").write_text(node_config(data_dir, i, nodes), encoding="utf-8")
        state_path.write_text(json.dumps({"nodes": nodes, "url": url_of(nodes)}, indent=1))
    for i in range(len(nodes)):
        if _alive(_pid(data_dir, i)):
            continue
        conf = data_dir / f"node{i}" / "sphinx.conf"
        proc = subprocess.run([binary, "--config", str(conf)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise ClusterError(f"searchd node {i} did not start (exit {proc.returncode}):\n{proc.stdout[-2000:]}")
    deadline = time.monotonic() + timeout
    for i, node in enumerate(nodes):
        expected = layout.indexes_of_node(node.get("shard", i), head=i == 0)
        while not _answers(node["sql"], expected):
            if time.monotonic() > deadline:
                log = data_dir / f"node{i}" / "searchd.log"
                tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                raise ClusterError(f"searchd node {i} (127.0.0.1:{node['sql']}) does not answer after "
                                   f"{timeout:.0f} s\n{tail}")
            time.sleep(0.1)
    return url_of(nodes)


def stop(data_dir: str | Path, timeout: float = 60.0) -> None:
    """Stop every node with ``--stopwait`` (RT indexes flushed); a node that does not stop
    in time is killed. Data stays in DATA_DIR for the next start."""
    data_dir = Path(data_dir).resolve()
    if not (data_dir / STATE).exists():
        raise ClusterError(f"no cluster in {data_dir}")
    binary = searchd_binary()
    nodes = json.loads((data_dir / STATE).read_text())["nodes"]
    for i in range(len(nodes)):
        pid = _pid(data_dir, i)
        if not _alive(pid):
            continue
        conf = data_dir / f"node{i}" / "sphinx.conf"
        try:
            subprocess.run([binary, "--config", str(conf), "--stopwait"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        deadline = time.monotonic() + 5
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


def node_pid(data_dir: str | Path, i: int) -> int | None:
    """The process id of node i (fault tests kill it)."""
    return _pid(Path(data_dir).resolve(), i)
