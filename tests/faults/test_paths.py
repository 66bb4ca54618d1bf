"""Reading stays inside the archive roots an index was built from: symlinks out of an
archive folder are not indexed, and /original never shows a file a record merely names
(`source: /etc/passwd`)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from faultkit import fact, page, search_ids, write_pages
from indexer.extract.sources import plan_roots, read_source
from indexer.search import build


@pytest.fixture()
def secret(tmp_path) -> Path:
    path = tmp_path / "secret.html"
    path.write_bytes(page(77))
    return path


def test_symlink_out_of_the_archive_is_not_indexed(tmp_path, secret):
    root = write_pages(tmp_path / "archive", range(2))
    os.symlink(secret, root / "p009.html")
    os.symlink(root / "p000.html", root / "p010.html")  # inside: fine
    summary = build.build([str(root)], tmp_path / "ix", jobs=1)
    assert [(Path(s["source"]).name, s["reason"].split(":")[0]) for s in summary.skipped] == \
        [("p009.html", "outside_root")]
    assert search_ids(tmp_path / "ix", fact(77)) == []


def test_read_source_is_confined_to_the_roots(tmp_path, secret):
    root = write_pages(tmp_path / "archive", range(1))
    os.symlink(secret, root / "link.html")
    roots, _ = plan_roots([str(root)])
    assert read_source(str(root / "p000.html"), roots).data == page(0)
    for source in (str(secret), str(root / "link.html"), str(root / ".." / "secret.html"),
                   "/etc/passwd", f"{root}/../secret.html!inner.html"):
        item = read_source(source, roots)
        assert not hasattr(item, "data") and item.reason.startswith("outside_root"), source


def test_original_view_never_shows_a_file_a_record_names(tmp_path, secret, monkeypatch):
    from web import create_app

    archive = write_pages(tmp_path / "archive", range(1))
    good = json.loads(json.dumps(_report("a" * 16, str(archive / "p000.html"))))
    records = [good, _report("b" * 16, "/etc/passwd"), _report("c" * 16, str(secret)),
               _report("d" * 16, str(archive / ".." / "secret.html"))]
    src = tmp_path / "extracted.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    index = tmp_path / "ix"
    build.build([str(src)], index, jobs=0)
    # The operator allows the archive folder explicitly (the index was built from .jsonl).
    app = create_app({"DANGAN_INDEX": str(index), "TESTING": True, "DANGAN_SOURCE_ROOT": str(archive)})
    client = app.test_client()
    ok = client.get(f"/original/{'a' * 16}.json").get_json()["original"]
    assert ok["available"] and any(fact(0) in line["text"] for line in ok["lines"])
    for rid in ("b" * 16, "c" * 16, "d" * 16):
        response = client.get(f"/original/{rid}.json")
        original = response.get_json()["original"]
        assert not original["available"] and "档案目录" in original["reason"]
        html = client.get(f"/original/{rid}").get_data(as_text=True)
        assert "root:" not in html and fact(77) not in html


def _report(rid: str, source: str) -> dict:
    body = "今年以来，认真落实意识形态工作责任制。" + rid
    return {"type": "report", "report_id": rid, "source": source, "part": 1, "url": None, "site": None,
            "page_title": "总结", "title": f"{rid}工作总结", "unit_name": None, "unit_type": None,
            "year": 2021, "genre": "工作总结", "publish_date": None, "script": "hans", "encoding": "utf-8",
            "sections": [{"heading": "", "level": 0, "kind": "前言", "text": body}], "body": body,
            "content_hash": rid, "warnings": []}
