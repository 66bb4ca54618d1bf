"""Real Sphinx clusters for the cluster backend's tests (no mocks of the engine).

- ``sphinx_cluster`` (session): a 2-shard cluster started once per run in a temp dir with
  `cluster.start` (what `scripts/cluster start` runs), stopped with ``--stopwait`` at the end.
- ``cluster_factory``: starts clusters of its own for tests that kill or restart nodes,
  and stops them after the test.

Both skip, with the reason, when ``searchd`` (Debian's sphinxsearch; `scripts/test`
installs it as root) or pymysql is missing.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class RunningCluster:
    url: str
    data_dir: Path


def _require():
    try:
        import pymysql  # noqa: F401
    except ImportError:
        pytest.skip("pymysql is not installed (pip install -e '.[test]'): cluster tests skipped")
    from indexer.search.backends.sphinx import cluster

    if cluster.searchd_binary() is None:
        pytest.skip("searchd not found (Debian sphinxsearch; scripts/test installs it when run as root): "
                    "cluster tests skipped")
    return cluster


@pytest.fixture(scope="session")
def sphinx_cluster(tmp_path_factory):
    cluster = _require()
    data = tmp_path_factory.mktemp("cluster")
    url = cluster.start(data, shards=2)
    try:
        yield RunningCluster(url, data)
    finally:
        cluster.stop(data)


@pytest.fixture
def cluster_factory(tmp_path):
    cluster = _require()
    started = []

    def start(shards: int = 2, mirrors: int = 1) -> RunningCluster:
        data = tmp_path / f"cluster{len(started)}"
        started.append(data)
        return RunningCluster(cluster.start(data, shards=shards, mirrors=mirrors), data)

    yield start
    for data in started:
        cluster.stop(data)
