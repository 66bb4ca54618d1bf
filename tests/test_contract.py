"""One search contract, two backends: every test here runs on the embedded backend and on
a real 2-shard Sphinx cluster (the session fixture's searchd processes), both opened
through `indexer.search.open_engine(url)` as the CLI and the web app open them, both
built with `dangan index build` (the cluster with `--engine sphinx://…`). No mocks.

The cluster's answers are also compared, response for response (totals, ids in order,
scores, duplicates, facet counts, snippets, ladder step, expansions, suggestions), with
the embedded backend over the same reports (its document store directory).
"""
from __future__ import annotations

import ast
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from e2e_fixtures import pages_index  # noqa: F401
from indexer.search import BackendError, BackendUnavailable, NoIndex, SearchRequest, open_engine, search

ROOT = Path(__file__).resolve().parent.parent
DANGAN = shutil.which("dangan", path=str(Path(sys.executable).parent)) or "dangan"


def _cli(*args, env=None, timeout=600) -> subprocess.CompletedProcess:
    return subprocess.run([DANGAN, *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def _cluster_build(archive: Path, url: str, store: Path, kind: str = "build") -> dict:
    proc = _cli("index", kind, archive, "--engine", url, "--index", store, "--jobs", "1", "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def cluster_store(request, tmp_path_factory, pages_index):  # noqa: F811
    """The session cluster built from the test archive; (url, its document store dir)."""
    running = request.getfixturevalue("sphinx_cluster")
    store = tmp_path_factory.mktemp("contract") / "store"
    summary = _cluster_build(pages_index.parent / "archive", running.url, store)
    assert summary["cluster"]["documents"] == summary["reports"] > 0
    return running.url, store


@pytest.fixture(scope="module", params=["embedded", "cluster"])
def engine(request, pages_index):  # noqa: F811
    if request.param == "embedded":
        backend = open_engine(f"embedded:{pages_index}")
    else:
        url, store = request.getfixturevalue("cluster_store")
        backend = open_engine(url, store)
    yield backend
    backend.close()


def _run(engine, **params):
    return search(engine, SearchRequest(**params))


def _ids(resp):
    return [h.report_id for h in resp.results]


def _facet(resp, name):
    return {v.value: v.count for v in resp.facets[name]}


# ---------------------------------------------------------------- the contract


def test_search_ranks_and_renders(engine):
    resp = _run(engine, q="意识形态", collapse=False)
    assert resp.total >= 5 and len(resp.results) == min(resp.total, 20)
    scores = [h.score for h in resp.results]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0
    assert all("<mark>" in h.snippet for h in resp.results)
    assert resp.understood == '"意识形态"' and resp.relaxed is None
    # a Traditional query finds Simplified reports and the other way round
    assert _run(engine, q="意識形態", collapse=False).total == resp.total


def test_filters_and_multi_select_facets(engine):
    every = _run(engine, q="意识形态", collapse=False)
    years = _facet(every, "year")
    assert len(years) >= 2
    picked = sorted(years)[:2]
    resp = _run(engine, q="意识形态", collapse=False, year=picked, per_page=100)
    assert resp.total == sum(years[y] for y in picked)
    assert {str(h.year) for h in resp.results} <= set(picked)
    # multi-select: the year facet still counts the years not selected, as before
    assert _facet(resp, "year") == years
    # other facets count under the selection
    assert sum(_facet(resp, "script").values()) == resp.total
    assert _run(engine, q="意识形态", unit_type=["不存在的类型"]).total == 0


def test_sort_by_date_and_paging(engine):
    by_date = _run(engine, q="工作", sort="date", collapse=False, per_page=100)
    dates = [h.publish_date or "" for h in by_date.results]
    assert by_date.total >= 4
    whole = _run(engine, q="工作", collapse=False, per_page=4)
    second = _run(engine, q="工作", collapse=False, per_page=2, page=2)
    assert _ids(second) == _ids(whole)[2:4] and second.total == whole.total
    assert _run(engine, q="工作", per_page=3, page=500).results == []
    assert dates  # (dates are compared across backends in test_cluster_answers_like_embedded)


def test_collapse_near_duplicates(engine):
    collapsed = _run(engine, q="意识形态")
    full = _run(engine, q="意识形态", collapse=False)
    grouped = [h for h in collapsed.results if h.duplicates]
    assert grouped and collapsed.total == full.total - sum(len(h.duplicates) for h in grouped)
    assert not set(h.duplicates[0] for h in grouped) & set(_ids(collapsed))


def test_sections_filter_and_counts(engine):
    resp = _run(engine, q="两学一做")
    counts = _facet(resp, "section")
    assert counts.get("工作做法", 0) >= 2
    only = _run(engine, q="两学一做", section=["工作做法"], collapse=True)
    assert only.total == counts["工作做法"]
    assert all("工作做法" in h.sections for h in only.results)
    assert _run(engine, q="两学一做", section=["没有这种章节"]).total == 0


def test_relaxation_and_exclusions(engine):
    relaxed = _run(engine, q="两学一做网格员")
    assert relaxed.total > 0 and relaxed.relaxed in ("punctuation", "near", "words")
    with_not = _run(engine, q="意识形态 -舆情", collapse=False)
    assert 0 < with_not.total < _run(engine, q="意识形态", collapse=False).total


def test_fetch_by_id_and_more_like_this(engine):
    first = _run(engine, q="意识形态").results[0]
    report = engine.get_report(first.report_id)
    assert report["report_id"] == first.report_id and "意识形态" in report["body"]
    assert engine.get_report("no-such-report") is None
    assert all(h.report_id != first.report_id for h in engine.more_like_this(first.report_id))


def test_stats_and_report_ids(engine):
    stats = engine.stats()
    ids = engine.report_ids()
    assert len(ids) == len(set(ids)) == stats["reports"] > 0
    if "cluster" in stats:
        assert stats["cluster"]["documents"] == len(ids)
        assert len(stats["cluster"]["shards"]) == 2 and all(s["documents"] > 0 for s in stats["cluster"]["shards"])


def test_warm_then_suggestions(engine):
    """A server warms its backend before serving (`dangan serve`); a typo then gets its
    did-you-mean from the generation's own vocabulary, on either backend."""
    engine.warm()
    resp = _run(engine, q="意识形太")
    assert any("意识形态" in s.q for s in resp.suggestions), resp.suggestions


def test_collections_filter(engine):
    some = _ids(_run(engine, q="意识形态", collapse=False, per_page=3))
    colls = {"c1": set(some[:2]), "c2": {some[2]}, "empty": set()}
    resp = search(engine, SearchRequest(q="", collection=["c1"], collapse=False), colls)
    assert sorted(_ids(resp)) == sorted(some[:2])
    assert _facet(resp, "collection") == {"c1": 2, "c2": 1, "empty": 0}


# ---------------------------------------------------------------- the same answers


SAME = [
    {"q": "意识形态"}, {"q": "意识形态", "collapse": False}, {"q": "兩學一做"}, {"q": "两学一做 OR 思政课"},
    {"q": "意识形态 -舆情"}, {"q": "-两学一做"}, {"q": "year:2020..2022"}, {"q": "意识形态 year:2021"},
    {"q": "title:总结"}, {"q": "unit:宣传部"}, {"q": "党"}, {"q": "，。"}, {"q": "钓鱼链接"},
    {"q": "建成智慧党建驿站两处"}, {"q": "两学一做网格员"}, {"q": "网络舆情"}, {"q": "意识形太"},
    {"q": "两学一做", "section": ["工作做法"]}, {"q": "意识形态", "section": ["存在问题", "下步打算"]},
    {"q": "意识形态", "site": ["fanwen.example"], "year": ["2020", "2018"]}, {"q": "意识形态", "script": ["hant"]},
    {"q": "意识形态", "timeline": ["2022", "2020"]}, {"q": "", "publish_year": ["2021"]},
    {"q": "意识形态", "date_from": "2019", "date_to": "2022-06"}, {"q": "", "year": ["2022"]}, {"q": ""},
    {"q": "意识形态", "sort": "date"}, {"q": "工作", "per_page": 2, "page": 2}, {"q": "意识形态", "expand": False},
]


@pytest.mark.parametrize("params", SAME, ids=[repr(p) for p in SAME])
def test_cluster_answers_like_embedded(cluster_store, params):
    url, store = cluster_store
    with open_engine(url, store) as cluster, open_engine(f"embedded:{store}") as embedded:
        got = search(cluster, SearchRequest(**params)).to_json()
        expected = search(embedded, SearchRequest(**params)).to_json()
        # the cluster matched, unless the ladder went past what the engine can express
        # (a query that found nothing as typed)
        if got["relaxed"] is None and got["total"]:
            assert cluster.store_answers == 0
    assert got == expected


# ---------------------------------------------------------------- no index, dead engine


def test_unusable_engines_fail_clearly(tmp_path, sphinx_cluster, pages_index):  # noqa: F811
    with pytest.raises(NoIndex):
        open_engine(f"embedded:{tmp_path / 'nothing'}")
    with pytest.raises(ValueError, match="engine URL"):
        open_engine("http://localhost:9200")
    from indexer.search.backends.sphinx.cluster import free_ports

    dead = f"sphinx://127.0.0.1:{free_ports(1)[0]}"
    with pytest.raises(BackendUnavailable, match="unreachable"):
        open_engine(dead, pages_index)
    proc = _cli("search", "意识形态", "--engine", dead, "--index", pages_index)
    assert proc.returncode == 5 and "unreachable" in proc.stderr
    proc = _cli("index", "stats", "--engine", dead, "--index", pages_index)
    assert proc.returncode == 5


def test_cluster_without_generation_is_a_clear_error(cluster_factory, pages_index):  # noqa: F811
    running = cluster_factory()
    with pytest.raises(BackendError, match="no generation published"):
        open_engine(running.url, pages_index)


def test_update_deletes_and_adds_on_both_backends(tmp_path, cluster_factory, pages_index):  # noqa: F811
    """`dangan index update` on each backend: a removed page's reports disappear, a new
    page's appear; the cluster publishes them as a new generation."""
    archive = tmp_path / "archive"
    shutil.copytree(pages_index.parent / "archive", archive)
    running = cluster_factory()
    engines = {"embedded": (None, tmp_path / "embedded"), "cluster": (running.url, tmp_path / "store")}
    for url, store in engines.values():
        args = ["--engine", url] if url else []
        assert _cli("index", "build", archive, "--index", store, "--jobs", "1", *args).returncode == 0
    victim = sorted(archive.rglob("*.html"))[0]
    with open_engine(f"embedded:{tmp_path / 'embedded'}") as before:
        gone = set(before.report_ids())
    victim.unlink()
    for url, store in engines.values():
        args = ["--engine", url] if url else []
        proc = _cli("index", "update", archive, "--index", store, "--jobs", "1", "--json", *args)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert json.loads(proc.stdout)["deleted_pages"] == 1
    answers = {}
    for name, (url, store) in engines.items():
        with open_engine(url or f"embedded:{store}", store) as backend:
            answers[name] = sorted(backend.report_ids())
    assert answers["embedded"] == answers["cluster"] and set(answers["cluster"]) < gone


# ---------------------------------------------------------------- kill -9 of a shard


def test_killed_shard_is_a_503_naming_it(cluster_factory, pages_index, tmp_path):  # noqa: F811
    """Web and CLI over a cluster one of whose shards was killed: 503 naming the shard
    (CLI: exit code 5), never the other shard's results as if complete."""
    from indexer.search.backends.sphinx import cluster
    from web import create_app

    running = cluster_factory()
    store = tmp_path / "store"
    _cluster_build(pages_index.parent / "archive", running.url, store)
    app = create_app({"DANGAN_ENGINE": running.url, "DANGAN_INDEX": str(store), "TESTING": True,
                      "DANGAN_DB": str(tmp_path / "db.sqlite")})
    client = app.test_client()
    ok = client.get("/api/search?q=意识形态")
    assert ok.status_code == 200 and ok.get_json()["total"] > 0
    os.kill(cluster.node_pid(running.data_dir, 1), signal.SIGKILL)
    time.sleep(0.2)
    for path in ("/api/search?q=意识形态", "/search?q=意识形态", "/search.json?q=意识形态"):
        resp = client.get(path)
        assert resp.status_code == 503, path
        assert "shard 1" in resp.get_data(as_text=True), path
    proc = _cli("search", "意识形态", "--engine", running.url, "--index", store)
    assert proc.returncode == 5 and "shard 1" in proc.stderr


# ---------------------------------------------------------------- the seam


def test_nothing_outside_the_search_package_imports_a_backend():
    """Everything above `indexer/search/` goes through engines.py (open_engine, search …)."""
    offenders = []
    for folder in (ROOT / "indexer", ROOT / "web"):
        for path in folder.rglob("*.py"):
            if (ROOT / "indexer" / "search") in path.parents:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.ImportFrom):
                    names = [("." * node.level) + (node.module or "")]
                    names += [f"{names[0]}.{a.name}" for a in node.names]
                elif isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                if any("backends" in n.split(".") for n in names):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders
