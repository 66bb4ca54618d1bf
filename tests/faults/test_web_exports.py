"""Spreadsheet formulas never pass through an export: one CSV writer
(indexer.curation.export.csv_lines) for the collection CSV, the ZIP's manifest.csv and
the search results export (/search.csv)."""
from __future__ import annotations

import csv
import io
import zipfile

import pytest

from e2e_fixtures import pages_index  # noqa: F401  (fixture)
from indexer import curation as cur
from web_support import Librarian, staff_app

FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "@SUM(1+1)", "+1+1", "-2+3", "\t=1"]


@pytest.fixture
def app(pages_index, tmp_path):
    return staff_app(pages_index, tmp_path / "c.db")


def rows(text: str) -> list[dict]:
    lines = [line for line in text.lstrip("\ufeff").splitlines(True) if not line.startswith("#")]
    return list(csv.DictReader(io.StringIO("".join(lines))))


def test_zip_manifest_and_csv_neutralize_formulas(app, tmp_path):
    alice = Librarian(app, "alice")
    conn = cur.connect(app.config["DANGAN_DB"])
    cid = alice.post("/api/collections", json={"name": "公式"}).get_json()["collection"]["id"]
    # Items whose last known title and source are formulas (reports missing from the index
    # keep them: they reach the exports as they are).
    with conn:
        for n, formula in enumerate(FORMULAS):
            conn.execute("INSERT INTO items (collection_id, report_id, position, note, tags, title, source,"
                         " content_hash, added_at, added_by, search_id) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                         (int(cid), f"gone-{n}", n, formula, "[]", formula, formula, None, 0.0, None, None))
    archive = alice.get(f"/api/collections/{cid}/export?format=zip")
    with zipfile.ZipFile(io.BytesIO(archive.data)) as zf:
        manifest = rows(zf.read("manifest.csv").decode("utf-8"))
    exported = rows(alice.get(f"/api/collections/{cid}/export?format=csv").get_data(as_text=True))
    for table in (manifest, exported):
        assert len(table) == len(FORMULAS)
        for row in table:
            for key in ("title", "source"):
                assert not row[key].startswith(("=", "@", "+", "-", "\t")), (key, row[key])
                assert row[key].startswith("'")
    # The importer gives the note back as written.
    back = cur.export.parse_import(alice.get(f"/api/collections/{cid}/export?format=csv").data)
    assert [e["note"] for e in back] == FORMULAS
