"""Index management: atomic swap under concurrent readers, interrupted builds,
incremental update, the single-writer lock, the CLI."""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.cli import _register, cli
from indexer.search import IndexLocked, SearchRequest, build, open_index, search, store
from indexer.search import engine
from test_search_support import build_index, make_report, write_jsonl


def report(rid: str, text: str, source: str | None = None, part: int = 1) -> dict:
    return make_report(rid, f"{rid}工作总结", [("前言", text)], source=source, part=part)


def ids(index, q="") -> list[str]:
    return sorted(h.report_id for h in search(index, SearchRequest(q=q, per_page=100, collapse=False)).results)


@pytest.fixture()
def fast_refresh(monkeypatch):
    monkeypatch.setattr(engine, "REFRESH_SECONDS", 0.0)


def test_atomic_swap_under_concurrent_readers(tmp_path, fast_refresh):
    v1 = [report(f"a{i}", f"第一版内容甲乙{i}") for i in range(5)]
    v2 = [report(f"b{i}", f"第二版内容丙丁{i}") for i in range(7)]
    root = build_index(tmp_path, v1)
    index = open_index(root)
    old_state = index.state()
    errors, totals = [], []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            try:
                totals.append(search(index, SearchRequest(q="内容", per_page=100, collapse=False)).total)
            except Exception as exc:  # noqa: BLE001 - the test records any failure
                errors.append(repr(exc))

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for _ in range(2):
            build.build([str(write_jsonl(tmp_path / "v2.jsonl", v2))], root, jobs=0)
            build.build([str(write_jsonl(tmp_path / "v1.jsonl", v1))], root, jobs=0)
        build.build([str(tmp_path / "v2.jsonl")], root, jobs=0)
        time.sleep(0.2)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert errors == []
    assert set(totals) <= {5, 7} and totals  # always a whole generation, never a mix
    assert ids(index) == sorted(r["report_id"] for r in v2)  # picked up without reopening
    # a reader that kept the old state still answers from it (its generation's files
    # were removed by later builds: the memory mappings keep them readable)
    assert int(old_state.cols.live.sum()) == 5
    assert engine._search(old_state, SearchRequest(q="内容", per_page=100, collapse=False), None).total == 5
    assert old_state.store.report(0)["body"].startswith("第一版内容")
    gens = [p for p in root.iterdir() if p.name.startswith("gen-")]
    assert len(gens) <= 2  # current + previous only
    index.close()


def test_refused_build_leaves_old_index_and_bad_lines_are_skips(tmp_path):
    root = build_index(tmp_path, [report("a1", "原有内容")])
    before = (root / "current").resolve()
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n[1, 2]\n", encoding="utf-8")
    with pytest.raises(build.BuildRefused, match="nothing to index") as refused:
        build.build([str(bad)], root, jobs=0)
    assert [s["reason"].split(":")[0] for s in refused.value.summary.skipped] == ["bad_record"] * 2
    assert (root / "current").resolve() == before
    assert not list(root.glob("*.partial"))
    with open_index(root) as index:
        assert ids(index) == ["a1"]
    # one bad line never stops a build: it is a skip record, the rest is indexed
    bad.write_text(json.dumps(report("x1", "新内容"), ensure_ascii=False) + "\n{not json\n", encoding="utf-8")
    summary = build.build([str(bad)], root, jobs=0)
    assert [s["source"] for s in summary.skipped] == [f"{bad}:2"]
    with open_index(root) as index:
        assert ids(index) == ["x1"]


@pytest.mark.parametrize("jobs", [0, 2])  # in process; worker processes writing segments
def test_incremental_update_add_change_delete(tmp_path, fast_refresh, jobs):
    a, b, c = report("a1", "甲页面内容", "pa.html"), report("b1", "乙页面内容", "pb.html"), report("c1", "丙页面内容", "pc.html")
    root = tmp_path / "ix"
    build.build([str(write_jsonl(tmp_path / "s1.jsonl", [a, b, c]))], root, jobs=jobs)
    index = open_index(root)
    assert ids(index, "页面") == ["a1", "b1", "c1"]
    old_state = index.state()
    old_files = {p.name: p.stat().st_ino for p in old_state.gen.iterdir()}
    b2 = report("b1", "乙页面改写后的内容", "pb.html")
    d = report("d1", "丁页面内容", "pd.html")
    summary = build.update([str(write_jsonl(tmp_path / "s2.jsonl", [a, b2, d]))], root, jobs=jobs)
    new_gen = store.current_generation(root)
    assert new_gen != old_state.gen
    # the old segments' files (Whoosh's and the character view's) are shared, not copied
    chars = [n for n in old_files if n.endswith((".chars", ".docs"))]
    assert len(chars) >= 2 and all((new_gen / n).stat().st_ino == old_files[n] for n in chars)
    # and the old generation still answers as it did (readers holding it are unaffected)
    assert engine._search(old_state, SearchRequest(q="页面", per_page=100, collapse=False), None).total == 3
    assert {p.name: p.stat().st_ino for p in old_state.gen.iterdir()} == old_files
    assert (summary.added_pages, summary.changed_pages, summary.unchanged_pages, summary.deleted_pages) == (1, 1, 1, 1)
    assert summary.reports == 3
    assert ids(index, "页面") == ["a1", "b1", "d1"]
    assert ids(index, "改写") == ["b1"]
    assert ids(index, "丙页面") == []
    # nothing changed: nothing reprocessed
    again = build.update([str(tmp_path / "s2.jsonl")], root, jobs=jobs)
    assert (again.pages, again.unchanged_pages) == (0, 3)
    index.close()


def test_index_of_an_older_layout_is_refused_and_rebuilt_by_update(tmp_path):
    root = build_index(tmp_path, [report("a1", "原有内容", "pa.html")])
    gen = store.current_generation(root)
    meta = store.read_meta(gen)
    store.write_json_atomic(gen / store.META, {**meta, "schema": 1})
    with pytest.raises(store.NoIndex, match="rebuild"):
        open_index(root)
    summary = build.update([str(tmp_path / "ix-src.jsonl")], root, jobs=0)
    assert summary.added_pages == 1  # a full build: nothing of the old layout is reused
    with open_index(root) as index:
        assert ids(index, "原有") == ["a1"]


def test_update_reindexes_everything_when_dictionary_changes(tmp_path):
    root = build_index(tmp_path, [report("a1", "屯明镇宣讲队开展活动")])
    user = tmp_path / "user.txt"
    user.write_text("屯明镇宣讲队 50000 n\n", encoding="utf-8")
    summary = build.update([str(tmp_path / "ix-src.jsonl")], root, jobs=0, user_dict=str(user))
    assert summary.changed_pages == 1 and summary.unchanged_pages == 0
    meta = store.read_meta(store.current_generation(root))
    assert meta["dictionary_version"] == summary.dictionary_version and meta["user_dict"]


def test_update_reextracts_everything_when_the_extractor_changed(tmp_path):
    from indexer.extract import extraction_version
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "p.html").write_text(
        "<html><head><title>关于鹤通镇意识形态阵地建设情况的调研报告</title></head><body>"
        "<h1>关于鹤通镇意识形态阵地建设情况的调研报告</h1>"
        + "<p>2021年以来，鹤通镇认真落实意识形态工作责任制，组织宣讲活动，群众反响良好。</p>" * 4
        + "</body></html>", encoding="utf-8")
    root = tmp_path / "ix"
    build.build([str(pages)], root, jobs=0)
    gen = store.current_generation(root)
    meta = store.read_meta(gen)
    assert meta["extraction"] == extraction_version()
    assert build.update([str(pages)], root, jobs=0).unchanged_pages == 1
    # an index written by another extractor: every page's reports are derived again
    gen = store.current_generation(root)
    store.write_json_atomic(gen / store.META, {**store.read_meta(gen), "extraction": "an-older-one"})
    summary = build.update([str(pages)], root, jobs=0)
    assert (summary.changed_pages, summary.unchanged_pages) == (1, 0)
    assert store.read_meta(store.current_generation(root))["extraction"] == extraction_version()


def test_single_writer_lock(tmp_path):
    root = tmp_path / "ix"
    src = write_jsonl(tmp_path / "s.jsonl", [report("a1", "内容")])
    with store.WriterLock(root):
        with pytest.raises(IndexLocked, match="another process"):
            build.build([str(src)], root, jobs=0)
        _register()
        result = CliRunner().invoke(cli, ["index", "build", str(src), "--index", str(root), "--jobs", "0"])
        assert result.exit_code == 3
        assert "being written by another process" in result.output
    build.build([str(src)], root, jobs=0)  # released


def test_cli_build_search_stats(tmp_path, monkeypatch):
    _register()
    src = write_jsonl(tmp_path / "s.jsonl", [report("a1", "两学一做学习教育"), report("a2", "三会一课制度")])
    root = tmp_path / "ix"
    monkeypatch.setenv("DANGAN_INDEX", str(root))
    runner = CliRunner()
    result = runner.invoke(cli, ["index", "build", str(src), "--jobs", "0", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["reports"] == 2 and summary["index"] == str(root)
    result = runner.invoke(cli, ["search", "两学一做", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [r["report_id"] for r in data["results"]] == ["a1"]
    result = runner.invoke(cli, ["index", "stats", "--json"])
    stats = json.loads(result.output)
    assert stats["reports"] == 2 and stats["dictionary_version"]
    result = runner.invoke(cli, ["search", "x", "--index", str(tmp_path / "none")])
    assert result.exit_code == 4


def test_build_from_raw_pages(tmp_path, samples_dir):
    """Real extraction in a worker process: every page ends as reports or a skip, and
    every indexed report is found by a phrase of its own body, in the other script too."""
    import shutil

    from indexer.normalize import normalize

    site = tmp_path / "site"
    shutil.copytree(samples_dir / "html", site)
    (site / "empty.html").write_bytes(b"")
    summary = build.build([str(site)], tmp_path / "ix", jobs=1)
    assert summary.pages == len(list(site.iterdir()))
    assert "empty" in [s["reason"].split(":")[0] for s in summary.skipped]
    assert summary.reports >= 1
    with open_index(tmp_path / "ix") as index:
        for rid in index.state().cols.report_ids:
            body = search_body(index, rid)
            compact = "".join(body.split())
            phrase = compact[len(compact) // 2: len(compact) // 2 + 6]
            for q in (phrase, normalize(phrase)):
                found = search(index, SearchRequest(q=q, per_page=100, collapse=False))
                assert rid in [h.report_id for h in found.results], (rid, q)


def search_body(index, rid: str) -> str:
    from indexer.search import get_report

    return get_report(index, rid)["body"]


def test_default_location_is_per_user(monkeypatch, tmp_path):
    monkeypatch.delenv("DANGAN_INDEX", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert store.default_index_dir() == Path(tmp_path) / "dangan" / "index"
    monkeypatch.setenv("DANGAN_INDEX", "/x/y")
    assert store.default_index_dir() == Path("/x/y")


def test_segment_file_of_another_layout_is_refused_with_rebuild_message(tmp_path):
    root = build_index(tmp_path, [report("a1", "原有内容", "pa.html")])
    gen = store.current_generation(root)
    docs = next(gen.glob("*.docs"))
    data = docs.read_bytes()
    docs.write_bytes(b"DGDOCS00" + data[8:])  # as a file of an older store format would start
    with pytest.raises(store.NoIndex, match="rebuild"):
        open_index(root)
