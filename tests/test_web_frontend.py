"""The front-end issue through the Flask test client: the new user's defects and the new
routes (exports, feed, citations, version comparison, timeline, publish dates, admin)."""
from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup

import web_corpus
from web_corpus import corpus_index  # noqa: F401  (fixture)
from e2e_fixtures import pages_index  # noqa: F401  (fixture)
from web_support import Librarian, staff_app


@pytest.fixture
def app(corpus_index, tmp_path):
    return staff_app(corpus_index, tmp_path / "c.db", DANGAN_PUBLIC_URL="https://dangan.example.org")


@pytest.fixture
def client(app):
    return app.test_client()


def page(response) -> BeautifulSoup:
    assert response.status_code == 200, response.data[:400]
    return BeautifulSoup(response.data, "lxml")


# --- defect 1: header and footer links, the advanced form -------------------------------

def test_header_footer_and_advanced_form_lead_to_html(client):
    doc = page(client.get("/search?q=意识形态"))
    links = {a.get_text(): a["href"] for a in doc.select("header a, footer a")}
    assert links["高级搜索"] == "/advanced" and links["查询语法"] == "/help"
    assert [a["href"] for a in doc.select("footer a")] == ["/help", "/advanced"]
    form = page(client.get("/advanced")).select_one("form.advanced")
    assert form["action"] == "/advanced"
    submitted = client.get("/advanced", query_string={"words": "意识形态", "date_from": "2021-01-01"})
    assert submitted.status_code == 303
    target = submitted.headers["Location"]
    assert urlsplit(target).path == "/search"
    assert parse_qs(urlsplit(target).query) == {"q": ["意识形态"], "date_from": ["2021-01-01"]}
    assert client.get(target).mimetype == "text/html"
    # The twins are still there, each at its own address.
    assert client.get("/advanced.json").mimetype == client.get("/help.json").mimetype == "application/json"


# --- defect 3: one parser, one default ---------------------------------------------------

def test_api_pages_and_cli_share_defaults(client, corpus_index):
    api = client.get("/api/search?q=意识形态").get_json()
    twin = client.get("/search.json?q=意识形态").get_json()
    assert api == twin
    assert api["total"] < client.get("/api/search?q=意识形态&collapse=0").get_json()["total"]
    dangan = Path(sys.executable).parent / "dangan"
    cli = subprocess.run([str(dangan), "search", "意识形态", "--index", str(corpus_index), "--json"],
                         capture_output=True, text=True, timeout=120)
    answer = json.loads(cli.stdout)
    assert answer["total"] == api["total"]
    # the same page: same default page size, same ids in the same order
    assert [r["report_id"] for r in answer["results"]] == [r["report_id"] for r in api["results"]]
    assert len(api["results"]) > 10
    assert client.get("/api/search?per_page=100").status_code == client.get("/search?per_page=100").status_code == 200
    assert client.get("/api/search?per_page=101").status_code == client.get("/search?per_page=101").status_code == 400


def test_a_new_search_request_field_is_a_parameter_everywhere(monkeypatch):
    """A field another stream adds to SearchRequest is parsed by type on every endpoint."""
    from indexer.search import SearchRequest
    from werkzeug.datastructures import MultiDict
    from web import request as request_mod

    @dataclasses.dataclass
    class Extended(SearchRequest):
        expand: bool = True
        ladder: int = 0

    monkeypatch.setattr(request_mod, "SearchRequest", Extended)
    request_mod.request_fields.cache_clear()
    try:
        req = request_mod.search_request(MultiDict([("q", "x"), ("expand", "0"), ("ladder", "2")]))
        assert req.expand is False and req.ladder == 2
        assert request_mod.state_args(req) == {"q": "x", "expand": 0, "ladder": 2}
        with pytest.raises(request_mod.BadRequest):
            request_mod.search_request(MultiDict([("expand", "maybe")]))
    finally:
        request_mod.request_fields.cache_clear()


# --- defect 4: parts of one page -----------------------------------------------------------

def test_parts_are_labelled_and_siblings_left_out_of_more_like_this(client):
    doc = page(client.get("/search?q=意识形态阵地&per_page=50"))
    titles = [a.get_text() for a in doc.select(".hit-title a") if web_corpus.PART_TITLE in a.get_text()]
    assert sorted(titles) == sorted(f"{web_corpus.PART_TITLE}【篇{n}】" for n in "一二三四五")
    report = page(client.get("/reports/part-2"))
    assert report.select_one("#report-title").get_text() == f"{web_corpus.PART_TITLE}【篇二】"
    assert report.title.get_text().startswith(f"{web_corpus.PART_TITLE}【篇二】")
    similar = client.get("/reports/part-2.json").get_json()["more_like_this"]
    assert not [h for h in similar if h["report_id"].startswith("part-")]
    # Exports and citations show the part too.
    rows = list(csv.DictReader(line for line in client.get("/search.csv?q=夜校学习").get_data(as_text=True)
                               .lstrip("\ufeff").splitlines() if not line.startswith("#")))
    assert rows[0]["title"] == f"{web_corpus.PART_TITLE}【篇二】"
    assert f"{web_corpus.PART_TITLE}【篇二】[EB/OL]" in client.get("/reports/part-2/cite?format=gbt7714").get_data(as_text=True)


# --- defect 5: collections ---------------------------------------------------------------

def test_collection_flow_for_a_new_librarian(app, client):
    alice = Librarian(app, "alice")
    first = alice.post("/api/collections", json={"name": "甲"}).get_json()["collection"]["id"]
    second = alice.post("/api/collections", json={"name": "乙"}).get_json()["collection"]["id"]
    # The add menu preselects the collection used last, not the first by name.
    alice.post(f"/api/collections/{second}/items", json={"report_ids": ["dated-1"]})
    doc = page(alice.client.get("/search?q=南湖街道"))
    selected = doc.select_one("form.add-to-collection select option[selected]")
    assert selected["value"] == second and selected.get_text() == "乙"
    # 加入 from a result row: back on the page, with a confirmation.
    response = alice.client.post("/collections/add", data={
        "csrf_token": alice.token, "collection_id": second, "report_id": "dated-2",
        "next": "/search?q=南湖街道#hit-dated-2"})
    assert response.status_code == 303
    shown = page(alice.client.get("/search?q=南湖街道")).select_one(".notice.ok").get_text()
    assert shown == "已加入「乙」。"
    # Adding it again with a note sets the note and says so.
    alice.client.post("/collections/add", data={"csrf_token": alice.token, "collection_id": second,
                                                "report_id": "dated-2", "note": "重要", "next": "/collections"})
    assert "备注已更新" in page(alice.client.get("/collections")).select_one(".notice.ok").get_text()
    items = alice.get(f"/api/collections/{second}").get_json()["items"]
    assert [i["note"] for i in items if i["report_id"] == "dated-2"] == ["重要"]
    # Deleting asks first.
    detail = page(alice.client.get(f"/collections/{first}"))
    assert detail.select_one(".delete-collection a")["href"] == f"/collections/{first}/delete"
    unconfirmed = alice.client.post(f"/collections/{first}/delete", data={"csrf_token": alice.token})
    assert unconfirmed.status_code == 303 and unconfirmed.headers["Location"].endswith(f"/collections/{first}/delete")
    assert alice.get(f"/api/collections/{first}").status_code == 200  # still there
    confirm = page(alice.client.get(f"/collections/{first}/delete"))
    assert confirm.select_one("input[name=confirm]")["value"] == "1"
    # The log reads as Chinese, without raw JSON or action codes.
    log = page(alice.client.get(f"/collections/{second}/log"))
    text = log.select_one("ol.audit").get_text(" ")
    assert "加入报告" in text and "修改条目" in text and "新建收藏集" in text
    assert not re.search(r"edit_item|\badd\b|[{}\[\]]", text)
    assert "南湖街道意识形态工作情况报告1" in text  # report titles, not only ids
    # JSON twins of the collection pages.
    assert {c["name"] for c in alice.client.get("/collections.json").get_json()["collections"]} >= {"甲", "乙"}
    assert alice.client.get(f"/collections/{second}.json").get_json()["collection"]["name"] == "乙"
    assert alice.client.get(f"/collections/{second}/log.json").get_json()["log"]
    # A private collection is a 404 in Chinese for readers.
    missing = client.get(f"/collections/{second}")
    assert missing.status_code == 404
    assert "没有这个收藏集" in BeautifulSoup(missing.data, "lxml").select_one(".error-message").get_text()


def test_collection_exports_agree(app):
    alice = Librarian(app, "alice")
    cid = alice.post("/api/collections", json={"name": "导出"}).get_json()["collection"]["id"]
    alice.post(f"/api/collections/{cid}/items", json={"report_ids": ["ver-a", "part-3"]})
    csv_rows = list(csv.DictReader(io.StringIO(alice.get(f"/api/collections/{cid}/export?format=csv")
                                                .get_data(as_text=True).lstrip("\ufeff"))))
    assert [r["position"] for r in csv_rows] == ["1", "2"]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r["added_at"]) for r in csv_rows)
    assert csv_rows[1]["title"] == f"{web_corpus.PART_TITLE}【篇三】"
    lines = alice.get(f"/api/collections/{cid}/export?format=jsonl").get_data(as_text=True).splitlines()
    assert [json.loads(line)["position"] for line in lines[1:]] == [1, 2]
    with zipfile.ZipFile(io.BytesIO(alice.get(f"/api/collections/{cid}/export?format=zip").data)) as zf:
        manifest = json.loads(zf.read("manifest.json"))["items"]
        names = sorted(n for n in zf.namelist() if n.startswith("texts/"))
    assert [m["position"] for m in manifest] == [1, 2]
    assert names[0].startswith("texts/0001_") and names[1].startswith("texts/0002_")
    ris = alice.get(f"/api/collections/{cid}/export?format=ris").get_data(as_text=True)
    assert ris.count("TY  - ELEC") == 2 and ris.count("ER  - ") == 2
    bib = alice.get(f"/api/collections/{cid}/export?format=bibtex").get_data(as_text=True)
    assert bib.count("@online{") == 2 and "dangan-vera" in bib


# --- exports and feed ----------------------------------------------------------------------

def csv_body(text: str) -> tuple[list[str], list[dict]]:
    lines = text.lstrip("\ufeff").splitlines()
    comments = [line for line in lines if line.startswith("#")]
    return comments, list(csv.DictReader(line for line in lines if not line.startswith("#")))


def test_search_exports_list_every_result_and_state_the_cap(client, monkeypatch):
    from indexer.settings import SETTINGS
    from web import exports

    total = client.get("/search.json?q=意识形态").get_json()["total"]
    comments, rows = csv_body(client.get("/search.csv?q=意识形态&page=2&per_page=1").get_data(as_text=True))
    assert len(rows) == total and [r["rank"] for r in rows] == [str(n) for n in range(1, total + 1)]
    assert f"共 {total} 篇" in comments[0] and "已截断" not in comments[0]
    assert rows[0]["url"].startswith("https://dangan.example.org/reports/")
    jsonl = [json.loads(line) for line in client.get("/search.jsonl?q=意识形态").get_data(as_text=True).splitlines()]
    assert jsonl[0]["type"] == "export" and jsonl[0]["total"] == total and not jsonl[0]["truncated"]
    assert [h["report_id"] for h in jsonl[1:]] == [r["report_id"] for r in rows]
    # Over the cap: the first rows, and the file says it was cut.
    monkeypatch.setattr(exports, "SETTINGS", dataclasses.replace(
        SETTINGS, serve=dataclasses.replace(SETTINGS.serve, export_max_rows=3)))
    comments, rows = csv_body(client.get("/search.csv?q=意识形态").get_data(as_text=True))
    assert len(rows) == 3 and "上限 3 篇，已截断" in comments[0] and f"共 {total} 篇" in comments[0]
    head = json.loads(client.get("/search.jsonl?q=意识形态").get_data(as_text=True).splitlines()[0])
    assert head["truncated"] and head["cap"] == 3 and head["exported"] == 3


def test_atom_feed_lists_the_newest_matching_reports(client):
    response = client.get("/search.atom?q=南湖街道")
    assert response.mimetype == "application/atom+xml"
    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed = ET.fromstring(response.data)
    entries = feed.findall("a:entry", ns)
    updated = [e.find("a:updated", ns).text for e in entries]
    assert updated == sorted(updated, reverse=True) and updated[0] == "2024-01-02T00:00:00Z"
    assert all(e.find("a:link", ns).get("href").startswith("https://dangan.example.org/reports/dated-")
               for e in entries)
    assert feed.find("a:link[@rel='self']", ns).get("href") == "https://dangan.example.org/search.atom?q=%E5%8D%97%E6%B9%96%E8%A1%97%E9%81%93"
    doc = page(client.get("/search?q=南湖街道"))
    assert doc.select_one('link[type="application/atom+xml"]')["href"].startswith("/search.atom?q=")


# --- citations -----------------------------------------------------------------------------

def test_citations_in_four_formats(client):
    gbt = client.get("/reports/ver-a/cite?format=gbt7714").get_data(as_text=True)
    assert re.fullmatch(r"青山镇\. 青山镇2021年意识形态工作总结\[EB/OL\]\. \(2021-12-20\)\[\d{4}-\d\d-\d\d\]\. "
                        r"https://dangan\.example\.org/reports/ver-a\.", gbt), gbt
    ris = client.get("/reports/ver-a/cite?format=ris").get_data(as_text=True)
    assert ris.startswith("TY  - ELEC\r\n") and "DA  - 2021/12/20" in ris and ris.endswith("ER  - \r\n")
    bib = client.get("/reports/ver-a/cite?format=bibtex").get_data(as_text=True)
    assert bib.startswith("@online{dangan-vera,") and "date = {2021-12-20}" in bib and bib.count("{") == bib.count("}")
    csl = json.loads(client.get("/reports/ver-a/cite?format=csl-json").data)
    assert csl[0]["type"] == "webpage" and csl[0]["issued"] == {"date-parts": [[2021, 12, 20]]}
    assert client.get("/reports/ver-a/cite?format=apa").status_code == 400
    twin = client.get("/reports/ver-a/cite.json").get_json()["cite"]
    assert twin["gbt7714"] == gbt and set(twin) == {"gbt7714", "ris", "bibtex", "csl-json"}
    box = page(client.get("/reports/ver-a")).select_one(".cite-box")
    assert box.select_one(".gbt7714").get_text() == gbt
    assert {a.get_text() for a in box.select("a[download]")} == {"RIS", "BibTeX", "CSL-JSON"}


# --- compare versions ----------------------------------------------------------------------

def test_compare_marks_exactly_the_known_edits(client):
    data = client.get(f"/compare/{web_corpus.VERSION_A}/{web_corpus.VERSION_B}.json").get_json()
    assert data["same_group"]
    rows = data["paragraphs"]
    changed = [r for r in rows if r["op"] == "changed"]
    removed = [r for r in rows if r["op"] == "removed"]
    added = [r for r in rows if r["op"] == "added"]
    assert [r["a"]["marked"] for r in changed] == [["一百二"]]  # 一百二十次 -> 九十次: 十次 is shared
    assert [r["b"]["marked"] for r in changed] == [["九"]]
    assert [r["a"]["text"] for r in removed] == [web_corpus.REMOVED]
    assert [r["b"]["text"] for r in added] == [web_corpus.ADDED]
    # Script differences are no differences; each side keeps its own script.
    equal = [r for r in rows if r["op"] == "equal"]
    assert len(equal) == len(web_corpus.PARAS) - 2
    assert all(not r["a"]["marked"] and not r["b"]["marked"] for r in equal)
    assert "網格員巡查九十次" in changed[0]["b"]["text"] and "网格员巡查一百二十次" in changed[0]["a"]["text"]
    doc = page(client.get(f"/compare/{web_corpus.VERSION_A}/{web_corpus.VERSION_B}"))
    marks_a = [m.get_text() for m in doc.select(".vc-row .side-a mark")]
    marks_b = [m.get_text() for m in doc.select(".vc-row .side-b mark")]
    assert marks_a == ["一百二", web_corpus.REMOVED] and marks_b == ["九", web_corpus.ADDED]
    # Linked from the versions of a result and of the reading view.
    search = page(client.get("/search?q=网格员巡查"))
    assert search.select_one(".dups a.compare-link")["href"].startswith("/compare/")
    assert page(client.get("/reports/ver-a")).select_one(".versions a.compare-link")["href"] == "/compare/ver-a/ver-b"


def test_compare_escapes_and_404s(client):
    assert client.get("/compare/ver-a/nope").status_code == 404
    assert client.get("/compare/ver-a/nope.json").get_json()["error"] == "not_found"


# --- timeline, publish year, date range ----------------------------------------------------

def test_timeline_bars_are_links_whose_totals_match(client):
    data = client.get("/search.json?q=意识形态").get_json()
    bars = {fv["value"]: fv["count"] for fv in data["facets"]["timeline"]}
    doc = page(client.get("/search?q=意识形态"))
    svg = doc.select_one("#timeline svg")
    assert svg is not None and not doc.select("#timeline script")
    links = svg.select("a")
    assert len(links) == len(bars)
    for link in links:
        year = re.match(r"(\d{4}) 年：(\d+) 篇", link["aria-label"])
        assert bars[year.group(1)] == int(year.group(2))
        clicked = client.get(link["href"].replace("/search?", "/search.json?", 1)).get_json()
        assert clicked["total"] == int(year.group(2))
    # The axis runs year by year (a year without reports is a gap, not a bar).
    axis = [li.select_one(".year").get_text() for li in doc.select("#timeline .timeline-axis li")]
    assert axis == [str(y) for y in range(int(min(bars)), int(max(bars)) + 1)]


def test_publish_year_facet_and_date_range(client):
    data = client.get("/search.json?q=南湖街道").get_json()
    years = {fv["value"]: fv["count"] for fv in data["facets"]["publish_year"]}
    assert years == {"2018": 1, "2020": 1, "2023": 1, "2024": 1}
    ranged = client.get("/search.json?q=南湖街道&date_from=2020&date_to=2023-06").get_json()
    assert sorted(h["publish_date"] for h in ranged["results"]) == ["2020-07-15", "2023-03-09"]
    doc = page(client.get("/search?q=南湖街道&date_from=2020&date_to=2023-06"))
    chip = [a for a in doc.select(".chips a.chip") if "发布日期" in a.get_text()]
    assert chip and parse_qs(urlsplit(chip[0]["href"]).query) == {"q": ["南湖街道"]}
    assert doc.select_one('.facet[data-facet="publish_year"] h3').get_text() == "发布年份"


# --- operators: /admin/index ---------------------------------------------------------------

def test_admin_index_page_is_staff_only_and_lists_skips(app, client, corpus_index, monkeypatch):
    from indexer.settings import SETTINGS
    from web import admin

    assert client.get("/admin/index").status_code == 302  # to the login page
    assert client.get("/admin/index.json").status_code == 401
    generation = (corpus_index / "current").resolve()
    skips = [{"source": f"pages/bad-{n}.html", "reason": "empty" if n % 2 else "binary"} for n in range(5)]
    (generation / "skipped.jsonl").write_text("".join(json.dumps(s) + "\n" for s in skips), "utf-8")
    monkeypatch.setattr(admin, "SETTINGS", dataclasses.replace(
        SETTINGS, serve=dataclasses.replace(SETTINGS.serve, admin_skips_per_page=2)))
    try:
        alice = Librarian(app, "alice")
        doc = page(alice.client.get("/admin/index?page=3"))
        assert doc.select_one("#generation").get_text() == generation.name
        assert doc.select_one("#reports").get_text() == str(len(web_corpus.corpus()))
        assert [td.get_text() for td in doc.select(".skips td:nth-child(2)")] == ["pages/bad-4.html"]
        data = alice.client.get("/admin/index.json?page=1").get_json()
        assert data["skipped_total"] == 5 and data["pages"] == 3 and data["skipped"] == skips[:2]
        assert data["skipped_reasons"] == {"binary": 3, "empty": 2}
        assert alice.client.get("/admin/index?page=x").status_code == 400
    finally:
        (generation / "skipped.jsonl").unlink()


# --- errors: one handler -------------------------------------------------------------------

def test_one_error_rule_for_pages_and_json(client, tmp_path):
    html = client.get("/no/such/page")
    assert html.status_code == 404 and html.mimetype == "text/html"
    assert client.get("/no/such/page.json").get_json()["error"] == "not_found"
    assert client.get("/no/such/page", headers={"Accept": "application/json"}).mimetype == "application/json"
    assert client.get("/api/nothing").get_json()["error"] == "not_found"
    assert client.post("/search").status_code == 405
    from web import create_app

    broken = create_app({"DANGAN_INDEX": str(tmp_path / "none"), "TESTING": True}).test_client()
    for url in ("/search?q=x", "/reports/x", "/compare/a/b", "/search.csv?q=x", "/search.atom"):
        response = broken.get(url)
        assert response.status_code == 503, url
    assert broken.get("/search.json?q=x").get_json()["error"] == "index_unavailable"
    assert "索引" in BeautifulSoup(broken.get("/search?q=x").data, "lxml").select_one("h1").get_text()


def test_openapi_lists_every_search_parameter(client):
    spec = client.get("/api/openapi.json").get_json()
    names = {p["name"] for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert {"q", "page", "per_page", "collapse", "sort", "date_from", "date_to", "timeline",
            "publish_year", "unit_type"} <= names
