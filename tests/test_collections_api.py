"""The /api/collections JSON API and the collection pages against a real index (the
front end's small test archive, built with `dangan index build`)."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from e2e_fixtures import HOSTILE_TITLE, pages_index  # noqa: F401  (fixture)
from indexer import curation as cur
from indexer.curation import users as users_mod
from web import create_app
from web_support import Librarian


def index_cli_ready() -> bool:
    dangan = Path(sys.executable).parent / "dangan"
    proc = subprocess.run([str(dangan), "index", "--help"], capture_output=True, text=True)
    return proc.returncode == 0


@pytest.fixture(scope="session")
def index_path(request):
    if not index_cli_ready():
        pytest.skip("`dangan index` (search core) is not available yet")
    return request.getfixturevalue("pages_index")


@pytest.fixture(scope="session")
def all_reports(index_path) -> list[dict]:
    from indexer.search import SearchRequest, get_report, open_index, search

    with open_index(index_path) as index:
        hits = search(index, SearchRequest(per_page=100, collapse=False)).results
        return [get_report(index, h.report_id) for h in hits]


@pytest.fixture
def app(index_path, tmp_path):
    db = tmp_path / "curation.db"
    conn = cur.connect(db)
    users_mod.add_user(conn, "alice", "alice password", "librarian")
    users_mod.add_user(conn, "bob", "bob password", "librarian")
    conn.close()
    return create_app({"TESTING": True, "DANGAN_INDEX": str(index_path), "DANGAN_DB": str(db)})


@pytest.fixture
def alice(app):
    return Librarian(app, "alice")


def test_add_checks_ids_against_the_index(alice, all_reports):
    cid = alice.new()
    ids = [r["report_id"] for r in all_reports[:3]]
    response = alice.post(f"/api/collections/{cid}/items",
                          json={"report_ids": ids + ["no-such-report"], "note": "看"})
    assert response.status_code == 400
    assert response.get_json()["unknown"] == ["no-such-report"]
    assert alice.items(cid) == []  # all or nothing
    response = alice.post(f"/api/collections/{cid}/items", json={"report_ids": ids, "note": "看"})
    assert response.status_code == 200 and response.get_json()["added"] == ids
    again = alice.post(f"/api/collections/{cid}/items", json={"report_ids": ids[:1]}).get_json()
    assert again["added"] == [] and again["already"] == ids[:1]
    items = alice.items(cid)
    assert [i["report_id"] for i in items] == ids
    assert [i["title"] for i in items] == [r["title"] for r in all_reports[:3]]
    assert {i["status"] for i in items} == {"ok"} and {i["note"] for i in items} == {"看"}
    for body in [{"report_ids": []}, {"report_ids": "abc"}, {"report_ids": [1, 2]}, {}]:
        assert alice.post(f"/api/collections/{cid}/items", json=body).status_code == 400, body


def test_edit_remove_reorder_and_log(alice, all_reports):
    cid = alice.new()
    ids = [r["report_id"] for r in all_reports[:4]]
    alice.post(f"/api/collections/{cid}/items", json={"report_ids": ids})
    url = f"/api/collections/{cid}/items/"
    response = alice.patch(url + ids[3], json={"position": 0, "note": "首篇", "tags": ["重点"]})
    assert response.status_code == 200 and response.get_json()["item"]["position"] == 0
    assert alice.delete(url + ids[1]).status_code == 200
    assert alice.delete(url + ids[1]).status_code == 404
    assert alice.patch(url + ids[0], json={"position": "top"}).status_code == 400
    assert alice.patch(url + ids[0], json={"tags": "not a list"}).status_code == 200  # 1 tag
    items = alice.items(cid)
    assert [(i["report_id"], i["position"]) for i in items] == \
        [(ids[3], 0), (ids[0], 1), (ids[2], 2)]
    assert (items[0]["note"], items[0]["tags"]) == ("首篇", ["重点"])
    log = alice.get(f"/api/collections/{cid}/log").get_json()["log"]
    assert [e["action"] for e in log] == ["edit_item", "remove", "edit_item", "add", "create"]
    assert all(e["user"] == "alice" and e["at"] > 0 for e in log)
    assert log[2]["detail"]["position_from"] == 3 and log[2]["detail"]["position_to"] == 0


def test_stale_version_is_a_conflict(app, alice):
    bob = Librarian(app, "bob")
    cid = alice.new()
    version = alice.get(f"/api/collections/{cid}").get_json()["collection"]["version"]
    assert alice.patch(f"/api/collections/{cid}",
                       json={"description": "A", "version": version}).status_code == 200
    response = bob.patch(f"/api/collections/{cid}", json={"description": "B", "version": version})
    assert response.status_code == 409 and response.get_json()["version"] == version + 1
    assert alice.get(f"/api/collections/{cid}").get_json()["collection"]["description"] == "A"


def test_two_librarians_concurrently(app, alice, all_reports):
    """Alice and Bob add, move and annotate items of one collection at the same time
    through the API: no add is lost and positions stay a permutation."""
    bob = Librarian(app, "bob")
    cid = alice.new()
    ids = [r["report_id"] for r in all_reports]
    halves = {"alice": ids[0::2], "bob": ids[1::2]}
    errors = []

    def work(who: Librarian, mine: list[str]):
        try:
            for rid in mine:
                r = who.post(f"/api/collections/{cid}/items", json={"report_ids": [rid]})
                assert r.status_code == 200, r.get_json()
                r = who.patch(f"/api/collections/{cid}/items/{rid}",
                              json={"position": 0, "note": f"note {rid}"})
                assert r.status_code == 200, r.get_json()
        except Exception as exc:  # re-raised below: a thread's failure is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(alice, halves["alice"])),
               threading.Thread(target=work, args=(bob, halves["bob"]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    items = alice.items(cid)
    assert sorted(i["report_id"] for i in items) == sorted(ids)
    assert sorted(i["position"] for i in items) == list(range(len(ids)))
    assert all(i["note"] == f"note {i['report_id']}" for i in items)
    who_added = {i["report_id"]: i["added_by"] for i in items}
    assert all(who_added[rid] == "bob" for rid in halves["bob"])


def test_exports(alice, all_reports):
    cid = alice.new(name="导出")
    multi = [r for r in all_reports if (r.get("parts") or 1) > 1][:1]  # one of a page's several reports
    assert multi
    chosen = [r for r in all_reports if r not in multi][:2] + multi
    alice.post(f"/api/collections/{cid}/items", json={"report_ids": [r["report_id"] for r in chosen]})
    response = alice.get(f"/api/collections/{cid}/export?format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    # a title is shown with its part (【篇二】) wherever the page holds several reports
    from indexer.curation.cite import display_title

    assert [(r["report_id"], r["title"], r["source"]) for r in rows] == \
        [(r["report_id"], display_title(r["title"], r.get("part"), r.get("parts")), r["source"]) for r in chosen]
    lines = alice.get(f"/api/collections/{cid}/export?format=jsonl").get_data(as_text=True)
    items = [json.loads(x) for x in lines.splitlines()][1:]
    assert [i["body"] for i in items] == [r["body"] for r in chosen]
    data = alice.get(f"/api/collections/{cid}/export?format=zip").get_data()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        manifest = json.loads(zf.read("manifest.json"))["items"]
        for entry, report in zip(manifest, chosen):
            text = zf.read(entry["file"])
            assert entry["report_id"] == report["report_id"] and entry["source"] == report["source"]
            assert hashlib.sha256(text).hexdigest() == entry["sha256"]
            assert report["body"] in text.decode("utf-8")
    assert alice.get(f"/api/collections/{cid}/export?format=pdf").status_code == 400


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "zip"])
def test_export_import_round_trip(alice, all_reports, fmt):
    source = alice.new(name="源")
    ids = [r["report_id"] for r in all_reports[:4]][::-1]
    alice.post(f"/api/collections/{source}/items", json={"report_ids": ids})
    alice.patch(f"/api/collections/{source}/items/{ids[1]}", json={"note": "注", "tags": ["甲", "乙"]})
    exported = alice.get(f"/api/collections/{source}/export?format={fmt}").get_data()
    target = alice.new(name="副本")
    response = alice.post(f"/api/collections/{target}/import",
                          data={"file": (io.BytesIO(exported), f"x.{fmt}")},
                          content_type="multipart/form-data")
    assert response.status_code == 200, response.get_json()
    strip = lambda items: [(i["report_id"], i["position"], i["note"], i["tags"]) for i in items]  # noqa: E731
    assert strip(alice.items(target)) == strip(alice.items(source))


def test_import_reports_unknown_ids(alice):
    cid = alice.new()
    response = alice.post(f"/api/collections/{cid}/import", data="ghost-1\nghost-2\n",
                          content_type="text/plain")
    assert response.status_code == 400
    assert response.get_json()["unknown"] == ["ghost-1", "ghost-2"]


def test_bulk_add_search_is_recorded_and_capped(alice, index_path):
    from indexer.search import SearchRequest, open_index, search

    with open_index(index_path) as index:
        expected = search(index, SearchRequest(q="两学一做", per_page=100))
    assert expected.total >= 2
    cid = alice.new()
    response = alice.post(f"/api/collections/{cid}/items",
                          json={"search": {"q": "两学一做"}, "limit": 1})
    data = response.get_json()
    assert response.status_code == 200 and data["total"] == expected.total
    assert data["capped"] is True and data["added"] == [expected.results[0].report_id]
    response = alice.post(f"/api/collections/{cid}/items", json={"search": {"q": "两学一做"}})
    data = response.get_json()
    assert data["capped"] is False
    items = alice.items(cid)
    assert [i["report_id"] for i in items] == [h.report_id for h in expected.results]
    assert items[0]["search_id"] != items[1]["search_id"] and items[1]["search_id"] is not None
    log = alice.get(f"/api/collections/{cid}/log").get_json()["log"]
    assert log[0]["action"] == "add" and log[0]["detail"]["search_id"] == items[1]["search_id"]
    assert log[1]["action"] == "search" and log[1]["detail"]["request"]["q"] == "两学一做"
    assert log[1]["detail"]["total"] == expected.total
    assert alice.post(f"/api/collections/{cid}/items",
                      json={"search": {"q": 5}}).status_code == 400


def test_collection_filter_in_search(app, alice, all_reports, index_path):
    from indexer.search import SearchRequest, open_index, search
    from web.collections import search_collections

    cid = alice.new(visibility="public")
    ids = [r["report_id"] for r in all_reports[1:3]]
    alice.post(f"/api/collections/{cid}/items", json={"report_ids": ids})
    with app.test_request_context("/"):
        app.preprocess_request()  # loads the (anonymous) user
        mapping = search_collections()
    assert mapping == {cid: set(ids)}
    with open_index(index_path) as index:
        found = search(index, SearchRequest(collection=[cid], collapse=False), collections=mapping)
    assert sorted(h.report_id for h in found.results) == sorted(ids)


def test_collection_page_html(app, alice, all_reports):
    hostile = next(r for r in all_reports if r["title"] and "<b>" in r["title"])
    plain = next(r for r in all_reports if r["title"] and "<" not in r["title"])
    cid = alice.new(name="<i>名</i>", visibility="public")
    alice.post(f"/api/collections/{cid}/items",
               json={"report_ids": [hostile["report_id"], plain["report_id"]]})
    html = app.test_client().get(f"/collections/{cid}").get_data(as_text=True)
    assert "&lt;i&gt;名&lt;/i&gt;" in html and "<i>名</i>" not in html
    assert HOSTILE_TITLE not in html and "&lt;b&gt;加粗&lt;/b&gt;" in html
    assert plain["title"] in html
    assert 'name="csrf_token"' not in html.split("<main", 1)[1]  # readers get no forms
    staff = alice.get(f"/collections/{cid}").get_data(as_text=True)
    assert staff.count('name="csrf_token"') > 5
    log = app.test_client().get(f"/collections/{cid}/log").get_data(as_text=True)
    assert "alice" in log and "create" in log


def test_html_forms_add_move_remove(app, alice, all_reports):
    cid = alice.new()
    page = alice.get(f"/collections/{cid}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    ids = [r["report_id"] for r in all_reports[:3]]
    for rid in ids:
        response = alice.client.post("/collections/add", data={
            "csrf_token": token, "collection_id": cid, "report_id": rid, "next": "/search?q=x"})
        assert response.status_code == 303 and response.headers["Location"] == "/search?q=x"
    response = alice.client.post(f"/collections/{cid}/items/{ids[2]}/edit",
                                 data={"csrf_token": token, "move": "up"})
    assert response.status_code == 303
    assert [i["report_id"] for i in alice.items(cid)] == [ids[0], ids[2], ids[1]]
    alice.client.post(f"/collections/{cid}/items/{ids[0]}/remove", data={"csrf_token": token})
    assert [i["report_id"] for i in alice.items(cid)] == [ids[2], ids[1]]
    # A new collection straight from a result row.
    alice.client.post("/collections/add", data={"csrf_token": token, "new_name": "行内新建",
                                                 "report_id": ids[0]})
    names = [c["name"] for c in alice.get("/api/collections").get_json()["collections"]]
    assert "行内新建" in names
    # Unknown ids come back as a message, not silence.
    response = alice.client.post(f"/collections/{cid}/items", data={
        "csrf_token": token, "report_ids": "ghost-id"}, follow_redirects=True)
    assert "ghost-id" in response.get_data(as_text=True)
    # From another feature's page, an error is shown there and then, with a way back.
    response = alice.client.post("/collections/add", data={
        "csrf_token": token, "collection_id": cid, "report_id": "ghost-id", "next": "/search?q=x"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/search?q=x")
    back = alice.client.get("/search?q=x").get_data(as_text=True)
    assert "ghost-id" in back and 'class="notice error"' in back
    # A `next` that is not a path on this site is ignored.
    for bad in ("javascript:alert(1)", "//evil.example/", "https://evil.example/",
                "/\t/evil.example/", "/\\evil.example/"):
        response = alice.client.post("/collections/add", data={
            "csrf_token": token, "collection_id": cid, "report_id": ids[1], "next": bad})
        assert response.status_code == 303 and "evil" not in response.headers["Location"]
        assert "javascript" not in response.headers["Location"]


def test_search_page_filters_and_facets_on_collections(app, alice, all_reports):
    plain = [r for r in all_reports if r["title"] and "<" not in r["title"]]
    private = alice.new(name="内部收藏")
    public = alice.new(name="公开收藏", visibility="public")
    alice.post(f"/api/collections/{private}/items",
               json={"report_ids": [r["report_id"] for r in plain[:2]]})
    alice.post(f"/api/collections/{public}/items", json={"report_ids": [plain[2]["report_id"]]})
    staff = alice.get(f"/search.json?collection={private}&collapse=0").get_json()
    assert sorted(h["report_id"] for h in staff["results"]) == \
        sorted(r["report_id"] for r in plain[:2])
    facet = {f["value"]: f["count"] for f in staff["facets"]["collection"]}
    assert facet.get(private) == 2 and facet.get(public) == 1
    # Readers neither see the private collection in the facet nor can filter on it.
    reader = app.test_client()
    anon = reader.get(f"/search.json?collection={private}&collapse=0").get_json()
    assert anon["results"] == []
    anon_facet = {f["value"] for f in reader.get("/search.json?collapse=0").get_json()
                  ["facets"].get("collection", [])}
    assert private not in anon_facet and public in anon_facet
    # The HTML facet shows the collection's name, and each row where it is kept.
    html = alice.get("/search?q=&collapse=0").get_data(as_text=True)
    assert "内部收藏" in html and "已收藏于" in html
    assert "内部收藏" not in reader.get("/search?collapse=0").get_data(as_text=True)


def test_html_bulk_add_from_the_search_page(app, alice, index_path):
    from indexer.search import SearchRequest, open_index, search

    with open_index(index_path) as index:
        expected = search(index, SearchRequest(q="两学一做", per_page=100))
    page = alice.get("/search?q=两学一做").get_data(as_text=True)
    form = re.search(r'<form class="add-search".*?</form>', page, re.S).group(0)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    assert fields["q"] == "两学一做" and "collection_id" not in form  # no collection yet
    response = alice.client.post("/collections/add-search", data={**fields, "new_name": "两学一做"})
    assert response.status_code == 303
    cid = response.headers["Location"].rsplit("/", 1)[1]
    assert [i["report_id"] for i in alice.items(cid)] == [h.report_id for h in expected.results]
    html = alice.get(f"/collections/{cid}").get_data(as_text=True)
    assert f"检索共 {expected.total} 条，新加入 {expected.total} 条" in html


def test_reading_view_offers_add_to_collection(app, alice, all_reports):
    rid = all_reports[0]["report_id"]
    cid = alice.new(name="阅读页", visibility="public")
    html = alice.get(f"/reports/{rid}").get_data(as_text=True)
    form = re.search(r'<form class="add-to-collection".*?</form>', html, re.S).group(0)
    assert f'value="{rid}"' in form and "阅读页" in form
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    response = alice.client.post("/collections/add", data={
        "csrf_token": token, "collection_id": cid, "report_id": rid, "note": "读过",
        "next": f"/reports/{rid}"})
    assert response.status_code == 303
    assert [(i["report_id"], i["note"]) for i in alice.items(cid)] == [(rid, "读过")]
    reader = app.test_client().get(f"/reports/{rid}").get_data(as_text=True)
    assert "add-to-collection" not in reader and "已收藏于" in reader and "阅读页" in reader
