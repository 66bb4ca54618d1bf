"""Report ids: unique within an index by construction, stable across reindexes (the
single-root case keeps the ids it always had), and a clash stops the build."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from faultkit import dangan, fact, page, search_ids, write_pages
from indexer.search import build


def old_scheme_id(identity: str, part: int = 1) -> str:
    """The report id of earlier versions: sha1 of "<root name>/<relative path>#<part>"."""
    return hashlib.sha1(f"{identity}#{part}".encode("utf-8")).hexdigest()[:16]


@pytest.fixture()
def two_archives(tmp_path) -> tuple[Path, Path]:
    """a/pages/p001.html and b/pages/p001.html: the same relative paths, other pages."""
    a = write_pages(tmp_path / "a" / "pages", [1, 2])
    b = tmp_path / "b" / "pages"
    b.mkdir(parents=True)
    (b / "p001.html").write_bytes(page(11))
    (b / "p002.html").write_bytes(page(12))
    return a, b


def test_same_relative_paths_in_two_roots_get_distinct_ids(two_archives, tmp_path):
    a, b = two_archives
    index = tmp_path / "ix"
    summary = build.build([str(a), str(b)], index, jobs=1)
    assert summary.reports == 4
    assert len(search_ids(index)) == 4
    # the first root keeps the ids a single-root build gives it; the second is set apart
    assert search_ids(index, fact(1)) == [old_scheme_id("pages/p001.html")]
    assert search_ids(index, fact(11)) == [old_scheme_id("b/pages/p001.html")]
    # editing a/… in an update replaces a/…'s report and leaves b/…'s alone
    (a / "p001.html").write_bytes(page(31, unit="青松县水利局"))
    summary = build.update([str(a), str(b)], index, jobs=1)
    assert (summary.changed_pages, summary.unchanged_pages, summary.deleted_reports) == (1, 3, 0)
    assert search_ids(index, fact(11)) == [old_scheme_id("b/pages/p001.html")]
    assert search_ids(index, fact(31)) == [old_scheme_id("pages/p001.html")]
    assert search_ids(index, fact(1)) == []


def test_reading_view_shows_each_of_them(two_archives, tmp_path):
    from web import create_app

    a, b = two_archives
    index = tmp_path / "ix"
    build.build([str(a), str(b)], index, jobs=1)
    client = create_app({"DANGAN_INDEX": str(index), "TESTING": True}).test_client()
    for n, root in ((1, a), (11, b)):
        (rid,) = search_ids(index, fact(n))
        data = client.get(f"/reports/{rid}.json").get_json()
        assert data["report"]["source"] == str(root / "p001.html")
        original = client.get(f"/original/{rid}.json").get_json()["original"]
        assert original["available"] and any(fact(n) in line["text"] for line in original["lines"])


def test_ids_stay_when_archives_are_added_or_moved(two_archives, tmp_path):
    a, b = two_archives
    index = tmp_path / "ix"
    build.build([str(a)], index, jobs=1)
    first = search_ids(index, fact(1))
    # b given first in a later build: a keeps its ids (its identity is recorded)
    build.build([str(b), str(a)], index, jobs=1)
    assert search_ids(index, fact(1)) == first
    assert search_ids(index, fact(11)) != first
    # the archive moves (another disk, another machine): nothing changes for update
    moved = tmp_path / "elsewhere" / "pages"
    shutil.copytree(a, moved)
    summary = build.update([str(b), str(moved)], index, jobs=1)
    assert (summary.unchanged_pages, summary.deleted_reports) == (4, 0)
    assert search_ids(index, fact(1)) == first


def test_a_remaining_clash_stops_the_build(tmp_path):
    """Two extract outputs that name different pages with the same report id (e.g. an
    older version's clashing ids): the build stops and says which."""
    from indexer.commands.extract import run_extract

    out = []
    for name, n in (("x", 1), ("y", 2)):
        out.append(tmp_path / f"{name}.jsonl")
        with open(out[-1], "w", encoding="utf-8") as fh:
            run_extract([str(write_pages(tmp_path / name / "pages", [n], name="p.html"))], fh, jobs=1)
    ids = {json.loads(f.read_text())["report_id"] for f in out}
    assert len(ids) == 1  # run separately, both archives are "pages/p.html"
    index = tmp_path / "ix"
    proc = dangan("index", "build", *map(str, out), "--index", str(index), "--jobs", "1")
    assert proc.returncode == 1
    assert "report ids clash" in proc.stderr and "x/pages/p.html" in proc.stderr and "y/pages/p.html" in proc.stderr
    assert not index.joinpath("current").exists() and not list(index.glob("gen-*"))


def test_update_recognises_pages_of_an_index_that_knew_them_by_path(tmp_path):
    """Indexes written before pages were keyed by identity (and .jsonl inputs) know a
    page by its source path: an update over the folder treats them as the same pages."""
    from indexer.commands.extract import run_extract

    archive = write_pages(tmp_path / "pages", range(3))
    extracted = tmp_path / "pages.jsonl"
    with open(extracted, "w", encoding="utf-8") as fh:
        run_extract([str(archive)], fh, jobs=1)
    index = tmp_path / "ix"
    build.build([str(extracted)], index, jobs=0)
    before = search_ids(index)
    summary = build.update([str(archive)], index, jobs=0)
    assert (summary.added_pages, summary.changed_pages, summary.deleted_pages) == (0, 3, 0)
    assert search_ids(index) == before
