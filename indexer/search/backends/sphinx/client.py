"""SphinxQL connections to the nodes of a cluster (pymysql, the MySQL protocol).

``sphinx://HOST:PORT[,HOST:PORT…]`` lists the SphinxQL endpoints of the shard nodes in
shard order, the mirrors of one shard separated by ``|`` (``h1:p|h2:p,h3:p``); the first
node also serves the distributed indexes and the current-generation record (layout.py).
A connection is kept per node and per thread.

Failures never pass for results: a node that cannot be reached raises
`BackendUnavailable` naming it, and so does a distributed query that the engine answered
with an agent warning (Sphinx 2.2 answers from the shards it reached and only *warns*
about the others; we refuse such an answer instead of serving a partial result).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from ....settings import SETTINGS
from ..base import BackendError, BackendUnavailable


def quote(text: str) -> str:
    """A SphinxQL string literal (pymysql's escaping; imported when first needed, so the
    package imports without the optional dependency)."""
    from pymysql.converters import escape_string

    return "'" + escape_string(text) + "'"


@dataclass(frozen=True)
class Node:
    host: str
    port: int
    shard: int
    mirror: int = 0

    def __str__(self) -> str:
        copy = f" mirror {self.mirror}" if self.mirror else ""
        return f"shard {self.shard}{copy} ({self.host}:{self.port})"


def parse_url(url: str) -> list[Node]:
    """Nodes of ``sphinx://h:p|h:p,h:p``, shard-major; raises ValueError on anything else."""
    parts = urlsplit(url)
    if parts.scheme != "sphinx" or not parts.netloc:
        raise ValueError(f"not a sphinx:// engine URL: {url!r}")
    nodes = []
    for shard, group in enumerate(parts.netloc.split(",")):
        for mirror, item in enumerate(group.split("|")):
            host, sep, port = item.strip().rpartition(":")
            if not sep or not port.isdigit() or not host:
                raise ValueError(f"engine URL {url!r}: {item!r} is not HOST:PORT")
            nodes.append(Node(host, int(port), shard, mirror))
    return nodes


class Cluster:
    """Connections to the nodes of one engine URL, one per node and thread."""

    def __init__(self, url: str, timeout_s: float | None = None):
        """``timeout_s``: how long one round trip may take (default: the query timeout;
        writers pass the write timeout, as indexing a long report takes seconds)."""
        self.url = url
        self.timeout_s = timeout_s or SETTINGS.index.engine_query_timeout_s
        self.nodes = parse_url(url)
        self.shards: list[list[Node]] = []
        for node in self.nodes:
            if node.mirror == 0:
                self.shards.append([])
            self.shards[node.shard].append(node)
        self._local = threading.local()

    def _conn(self, node: Node):
        import pymysql
        from pymysql.constants import CLIENT

        conns = self._local.__dict__.setdefault("conns", {})
        conn = conns.get(node)
        if conn is None:
            try:
                conn = pymysql.connect(
                    host=node.host, port=node.port, autocommit=True, charset="utf8",
                    connect_timeout=SETTINGS.index.engine_connect_timeout_s,
                    read_timeout=self.timeout_s, write_timeout=self.timeout_s,
                    client_flag=CLIENT.MULTI_STATEMENTS,
                    max_allowed_packet=128 << 20)  # the cluster's max_packet_size (cluster.py)
            except pymysql.err.MySQLError as exc:
                raise BackendUnavailable(f"search node {node} is unreachable: {exc.args[-1]}") from exc
            conns[node] = conn
        return conn

    def _drop(self, node: Node) -> None:
        conn = self._local.__dict__.get("conns", {}).pop(node, None)
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 — a broken socket may fail to close; it is gone either way
                pass

    def run(self, node: Node, statements: list[str], check_agents: bool = False) -> list[list[tuple]]:
        """Run statements on a node in one round trip; the rows of each, in order.

        ``check_agents``: the statements query a distributed index, so any warning (an
        agent that did not answer) fails the whole batch, naming the shard."""
        import pymysql

        sql = ";\n".join(statements)
        attempts, retried_warning = 0, False
        while True:
            attempts += 1
            conn = self._conn(node)
            try:
                out, warned = [], None
                with conn.cursor() as cur:
                    cur.execute(sql)
                    while True:
                        out.append(cur.fetchall())
                        if check_agents and warned is None and cur._result is not None and cur._result.warning_count:
                            warned = len(out) - 1
                        if not cur.nextset():
                            break
            except pymysql.err.ProgrammingError as exc:
                self._drop(node)
                raise BackendError(f"{node}: {exc.args[-1]}") from exc
            except (pymysql.err.OperationalError, pymysql.err.InterfaceError) as exc:
                self._drop(node)
                code = exc.args[0] if exc.args else None
                if isinstance(code, int) and code < 2000:  # a server error, not the connection
                    raise BackendError(f"{node}: {exc.args[-1]}") from exc
                if attempts > 1:  # a kept connection may have been closed by the server: once more
                    raise BackendUnavailable(f"search node {node} is unreachable: {exc.args[-1]}") from exc
                continue
            if warned is None:
                return out
            # An agent failed. With mirrors, the engine marks a dead mirror and the next
            # query goes to a live one: run the batch once more if every shard still has a
            # live copy; otherwise, or if it warns again, refuse the answer.
            if not retried_warning and not self._dead_shards():
                retried_warning = True
                continue
            self._refuse(node, statements[warned])

    def _live(self, node: Node) -> bool:
        import pymysql

        try:
            pymysql.connect(host=node.host, port=node.port,
                            connect_timeout=SETTINGS.index.engine_connect_timeout_s).close()
            return True
        except pymysql.err.MySQLError:
            return False

    def _dead_shards(self) -> list[int]:
        """Shards none of whose copies accepts a connection."""
        return [i for i, copies in enumerate(self.shards) if not any(self._live(n) for n in copies)]

    def _refuse(self, node: Node, statement: str) -> None:
        """A distributed query answered with a warning: name the shards that do not answer
        (each node is probed on its own) and the engine's words; never return the rows."""
        import pymysql

        text = ""
        try:
            with self._conn(node).cursor() as cur:
                cur.execute(statement + ";\nSHOW WARNINGS")
                while cur.nextset():
                    text = "; ".join(str(r[-1]) for r in cur.fetchall())
        except pymysql.err.MySQLError:
            self._drop(node)
        down = [str(other) for other in self.nodes if not self._live(other)]
        if down:
            raise BackendUnavailable(f"search node {', '.join(down)} is unreachable ({text or 'no answer'})")
        raise BackendUnavailable(f"the cluster answered with a warning, results refused: {text}")

    def close(self) -> None:
        for node in list(self._local.__dict__.get("conns", {})):
            self._drop(node)
