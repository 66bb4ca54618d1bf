"""In headless Chromium: log in, add three search results to a new collection, reorder,
export CSV (the front end's fixtures: real index, live server, real browser)."""
from __future__ import annotations

import csv
import io

import pytest

from e2e_fixtures import browser_page, chromium, live_server, pages_index  # noqa: F401
from indexer import curation as cur
from indexer.curation import users as users_mod
from test_collections_api import index_cli_ready
from web import create_app

pytestmark = pytest.mark.e2e


@pytest.fixture
def app(request, tmp_path):
    if not index_cli_ready():
        pytest.skip("`dangan index` (search core) is not available yet")
    index = request.getfixturevalue("pages_index")
    db = tmp_path / "curation.db"
    conn = cur.connect(db)
    users_mod.add_user(conn, "alice", "alice password", "librarian")
    conn.close()
    return create_app({"DANGAN_INDEX": str(index), "DANGAN_DB": str(db), "TESTING": True})


def test_librarian_curates_in_the_browser(live_server, browser_page):
    page = browser_page
    page.goto(live_server + "/login")
    page.fill("#username", "alice")
    page.fill("#password", "alice password")
    page.click("form.login button[type=submit]")
    page.wait_for_url(live_server + "/collections")
    assert "alice" in page.inner_text("nav")

    page.goto(live_server + "/search?q=意识形态&collapse=0")
    rows = page.locator("li:has(form.add-to-collection)")
    assert rows.count() >= 3
    titles = [rows.nth(n).locator(".hit-title").inner_text() for n in range(3)]
    # First result: into a new collection typed in the row; then two more into it.
    rows.nth(0).locator("input[name=new_name]").fill("浏览器收藏集")
    rows.nth(0).locator("button[type=submit]").click()
    page.wait_for_load_state()
    for n in (1, 2):
        row = page.locator("li:has(form.add-to-collection)").nth(n)
        row.locator("select[name=collection_id]").select_option(label="浏览器收藏集")
        row.locator("form.add-to-collection button[type=submit]").click()
        page.wait_for_load_state()
    assert page.locator(".in-collections").count() >= 3  # rows now say where they are kept

    page.goto(live_server + "/collections")
    page.click("table.collection-list a:text-is('浏览器收藏集')")
    page.wait_for_url("**/collections/*")
    items = page.locator("ol.items > li")
    assert [items.nth(n).locator(".hit-title").inner_text() for n in range(3)] == titles

    # Reorder: move the third item up.
    items.nth(2).locator("button[value=up]").click()
    page.wait_for_load_state()
    items = page.locator("ol.items > li")
    reordered = [titles[0], titles[2], titles[1]]
    assert [items.nth(n).locator(".hit-title").inner_text() for n in range(3)] == reordered

    with page.expect_download() as info:
        page.click("a.export-csv")
    data = open(info.value.path(), encoding="utf-8-sig").read()
    rows = list(csv.DictReader(io.StringIO(data)))
    assert [r["title"] for r in rows] == reordered
    assert [r["position"] for r in rows] == ["1", "2", "3"]  # exports count from 1
