"""HTML pages and their JSON twins, through the Flask test client against a real index of
a small archive (tests/e2e_fixtures.py builds it with `dangan index build`)."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup

from e2e_fixtures import HOSTILE_TEXT, ZIP_FACT, pages_index, write_archive  # noqa: F401
from indexer.search.model import SearchRequest
from web import create_app
from web import reading


@pytest.fixture(scope="module")
def app(pages_index):
    return create_app({"DANGAN_INDEX": str(pages_index), "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


def core_search(index_dir: Path, **kwargs):
    """The search core's own answer, to compare the pages against."""
    from indexer.search import open_index, search

    with open_index(str(index_dir)) as index:
        return search(index, SearchRequest(**kwargs))


def core_report(index_dir: Path, report_id: str):
    from indexer.search import get_report, open_index

    with open_index(str(index_dir)) as index:
        return get_report(index, report_id)


def soup(response) -> BeautifulSoup:
    assert response.status_code == 200, response.data[:500]
    assert response.mimetype == "text/html"
    return BeautifulSoup(response.data, "lxml")


def report_id_with(index_dir, q: str) -> str:
    hits = core_search(index_dir, q=q).results
    assert hits, f"test archive has no report matching {q}"
    return hits[0].report_id


# --- every page, its JSON twin, headers --------------------------------------------------

PAGES = ["/", "/search?q=两学一做", "/advanced", "/help"]


@pytest.mark.parametrize("url", PAGES)
def test_pages_render_with_security_headers(client, url):
    response = client.get(url)
    page = soup(response)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # No inline script anywhere (CSP would block it): every <script> has a src.
    assert all(tag.get("src") for tag in page.find_all("script"))
    assert not page.find_all(attrs={"style": True})
    assert not [a for tag in page.find_all(True) for a in tag.attrs if a.startswith("on")]
    assert page.find("link", rel="search")["href"] == "/opensearch.xml"
    assert page.html["lang"] == "zh-CN"
    # Every form field is labelled.
    for field in page.select("input:not([type=hidden]), select"):
        labelled = field.find_parent("label") or (
            field.get("id") and page.find("label", attrs={"for": field["id"]}))
        assert labelled, field


@pytest.mark.parametrize("path", ["/search", "/advanced", "/help"])
def test_json_twins_by_suffix_and_accept_header(client, path):
    by_suffix = client.get(path + ".json?q=两学一做")
    by_accept = client.get(path + "?q=两学一做", headers={"Accept": "application/json"})
    assert by_suffix.status_code == by_accept.status_code == 200
    assert by_suffix.mimetype == by_accept.mimetype == "application/json"
    assert by_suffix.get_json() == by_accept.get_json()
    # A browser's Accept header still gets HTML.
    html = client.get(path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert html.mimetype == "text/html"


def test_static_assets_are_local_and_carry_csp(client):
    for name in ("style.css", "app.js", "favicon.svg"):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200
        assert "Content-Security-Policy" in response.headers
        response.close()
    page = soup(client.get("/"))
    for tag in page.find_all(["script", "link"]):
        url = tag.get("src") or tag.get("href")
        assert url.startswith("/"), f"external resource {url}"


def test_opensearch_description(client):
    response = client.get("/opensearch.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/opensearchdescription+xml"
    root = ET.fromstring(response.data)
    ns = {"os": "http://a9.com/-/spec/opensearch/1.1/"}
    urls = {u.get("type"): u.get("template") for u in root.findall("os:Url", ns)}
    assert urls["text/html"].startswith("http://localhost/search?q={searchTerms}")
    assert "/search.json?q={searchTerms}" in urls["application/json"]


# --- search page renders exactly what the core returns ----------------------------------

def test_search_page_shows_core_results_and_facets(client, pages_index):
    core = core_search(pages_index, q="兩學一做")
    assert core.total >= 2  # a Simplified and a Traditional report mention it
    page = soup(client.get("/search?q=兩學一做"))
    assert page.select_one("#total").get_text(" ", strip=True) == f"共 {core.total} 篇报告"
    hits = page.select("li.hit")
    assert [h.select_one(".hit-title a")["href"].split("?")[0] for h in hits] == \
        [f"/reports/{h.report_id}" for h in core.results]
    # Query understood after Traditional -> Simplified is shown.
    assert "两学一做" in page.select_one(".understood").get_text()
    # Highlights come from the core's snippet: marks on both scripts' documents.
    marked = {m.get_text() for m in page.select(".snippet mark")}
    assert {"两学一做", "兩學一做"} <= marked
    # Facet sidebar: same values and counts as the core.
    for facet, values in core.facets.items():
        if not values or facet in ("collection", "timeline"):  # collections: per reader; timeline: the chart
            continue
        section = page.select_one(f'.facet[data-facet="{facet}"]')
        shown = {a.select_one(".fv-label").get_text(): int(a.select_one(".count").get_text())
                 for a in section.select("a.facet-value")}
        from web.pages import value_label

        with client.application.test_request_context():
            expected = {value_label(facet, fv.value): fv.count for fv in values}
        assert shown == expected


def test_search_json_twin_is_the_core_response(client, pages_index):
    data = client.get("/search.json?q=兩學一做&unit_type=党委部门").get_json()
    core = core_search(pages_index, q="兩學一做", unit_type=["党委部门"]).to_json()
    assert data["total"] == core["total"]
    assert [r["report_id"] for r in data["results"]] == [r["report_id"] for r in core["results"]]
    data["facets"].pop("collection", None)  # per reader: the collections feature's tests
    core["facets"].pop("collection", None)
    assert data["facets"] == core["facets"]
    assert data["request"] == {"q": "兩學一做", "unit_type": ["党委部门"]}


def test_facets_or_within_and_across(client, pages_index):
    one = core_search(pages_index, unit_type=["党委部门"]).total
    two = core_search(pages_index, unit_type=["乡镇街道"]).total
    assert one and two
    both = client.get("/search.json?unit_type=党委部门&unit_type=乡镇街道").get_json()
    assert both["total"] == one + two
    assert {r["unit_type"] for r in both["results"]} == {"党委部门", "乡镇街道"}
    narrowed = client.get("/search.json?unit_type=党委部门&unit_type=乡镇街道&year=2020").get_json()
    assert narrowed["total"] >= 1
    assert all(r["year"] == 2020 and r["unit_type"] in ("党委部门", "乡镇街道")
               for r in narrowed["results"])


def test_chips_remove_one_filter_and_keep_the_rest(client):
    page = soup(client.get("/search?q=意识形态&unit_type=党委部门&year=2021&sort=date"))
    chips = {a.get_text(" ", strip=True): a["href"] for a in page.select(".chips a.chip:not(.clear)")}
    assert set(chips) == {"单位类型：党委部门 ×", "年份：2021 ×"}
    removed = parse_qs(urlsplit(chips["年份：2021 ×"]).query)
    assert removed == {"q": ["意识形态"], "unit_type": ["党委部门"], "sort": ["date"]}
    # Clicking a selected facet value unselects it; an unselected one adds (page reset).
    page = soup(client.get("/search?q=意识形态&unit_type=党委部门&page=2"))
    selected = page.select('.facet[data-facet="unit_type"] a.on')
    assert [a.select_one(".fv-label").get_text() for a in selected] == ["党委部门"]
    assert selected[0]["aria-current"] == "true"
    assert parse_qs(urlsplit(selected[0]["href"]).query) == {"q": ["意识形态"]}
    other = page.select_one('.facet[data-facet="unit_type"] a:not(.on)')
    added = parse_qs(urlsplit(other["href"]).query)
    assert added["unit_type"] == ["党委部门", other.select_one(".fv-label").get_text()]
    assert "page" not in added


def test_search_form_keeps_filters_as_hidden_fields(client):
    page = soup(client.get("/search?q=x&genre=工作总结&collapse=0"))
    form = page.select_one("form.searchbar")
    hidden = {(i["name"], i["value"]) for i in form.select("input[type=hidden]")}
    assert hidden == {("genre", "工作总结"), ("collapse", "0")}
    assert form.select_one("#q")["value"] == "x"


def test_pagination_and_sort_links_hold_the_state(client, pages_index):
    total = core_search(pages_index).total
    assert total > 3
    page = soup(client.get("/search?per_page=3&sort=date"))
    pager = page.select_one("nav.pager")
    assert pager is not None
    nxt = parse_qs(urlsplit(pager.select_one("a[rel=next]")["href"]).query)
    assert nxt == {"page": ["2"], "per_page": ["3"], "sort": ["date"]}
    second = soup(client.get("/search?per_page=3&sort=date&page=2"))
    first_ids = [a["href"] for a in page.select(".hit-title a")]
    second_ids = [a["href"] for a in second.select(".hit-title a")]
    assert second_ids and not set(first_ids) & set(second_ids)
    assert second.select_one("ol.hits")["start"] == "4"
    assert second.select_one(".pager [aria-current=page]").get_text() == "2"


def test_zero_results_explain_and_offer_to_drop_filters(client):
    page = soup(client.get("/search?q=這個詞組不存在於檔案&genre=工作总结"))
    empty = page.select_one("#no-results")
    assert empty is not None and "没有找到相关报告" in empty.get_text()
    assert "这个词组不存在于档案" in empty.get_text()  # as understood (Simplified)
    hint = empty.select_one(".hints a")
    assert "去掉“文种：工作总结”" in hint.get_text()
    assert parse_qs(urlsplit(hint["href"]).query) == {"q": ["這個詞組不存在於檔案"]}


def test_relaxed_search_says_so(client, pages_index):
    # Both words occur in one report, never as one contiguous phrase.
    q = "青山县委宣传部网格员"
    core = core_search(pages_index, q=q)
    page = soup(client.get("/search", query_string={"q": q}))
    notice = page.select_one(".notice.relaxed")
    assert bool(notice) == (core.relaxed and bool(core.results))
    if core.relaxed:
        assert "包含所有词语" in notice.get_text()


def test_duplicates_are_expandable_and_collapse_switch(client, pages_index):
    core = core_search(pages_index, q="网格员巡查一百二十次")
    collapsed = [h for h in core.results if h.duplicates]
    assert collapsed, "the copied report should be collapsed into its group"
    page = soup(client.get("/search?q=网格员巡查一百二十次"))
    details = page.select_one("details.dups")
    assert details.summary.get_text() == f"{len(collapsed[0].duplicates)} 个相似版本"
    assert details.select_one("a")["href"].startswith("/reports/")
    shown_site = details.select_one(".muted").get_text()
    assert {shown_site, collapsed[0].site} == {"gongwen.example", "copycat.example"}
    toggle = page.find("a", string="显示所有相似版本")
    assert parse_qs(urlsplit(toggle["href"]).query)["collapse"] == ["0"]
    expanded = client.get("/search.json?q=网格员巡查一百二十次&collapse=0").get_json()
    assert expanded["total"] == core.total + len(collapsed[0].duplicates)


# --- hostile input -------------------------------------------------------------------------

HOSTILE_QUERIES = [
    "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "x" * 500, '"unbalanced',
    "title:", "year:abc..", "year:3000..1000", "((((", "-", "OR", "NOT", "-两学一做", "\x00\x01",
    "％２０", "title:\"<b>\"", "unit:宣传部 OR OR", "😀" * 300,
]


@pytest.mark.parametrize("q", HOSTILE_QUERIES)
def test_hostile_queries_never_fail_and_stay_escaped(client, q):
    response = client.get("/search", query_string={"q": q, "unit_type": "<script>x</script>"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<script>alert" not in body and "<img src=x" not in body
    assert "<script>x</script>" not in body
    twin = client.get("/search.json", query_string={"q": q})
    assert twin.status_code == 200 and "total" in twin.get_json()
    report = client.get("/reports/" + report_id_with(client.application.config["DANGAN_INDEX"], "两学一做"),
                        query_string={"q": q})
    assert report.status_code == 200
    assert "<script>alert" not in report.get_data(as_text=True)


@pytest.mark.parametrize("args", [
    "page=abc", "page=-3", "page=99999999999999999999", "per_page=0", "per_page=100000",
    "sort=evil", "collapse=maybe", "year=" + "9" * 500, "year=20x1", "date_from=2021-13",
    "date_from=2022&date_to=2021", "&".join(f"site=s{i}" for i in range(200)), "q=" + "两" * 501,
    "<script>=1&page=<script>",
])
def test_bad_parameters_are_400_on_every_endpoint(client, args):
    """One rule for pages, twins, the API, exports and feeds: a malformed or out-of-bounds
    value is a 400 saying what is allowed (never clamped silently)."""
    page = client.get("/search?" + args)
    assert page.status_code == 400 and page.mimetype == "text/html"
    message = BeautifulSoup(page.data, "lxml").select_one(".error-message").get_text()
    assert re.search(r"[\u4e00-\u9fff].*（[a-z_]+[ :].*[a-z]+.*）", message), message  # Chinese, then English
    assert "<script>" not in page.get_data(as_text=True).split("<main", 1)[1]
    for endpoint in ("/search.json", "/api/search", "/search.csv", "/search.jsonl", "/search.atom"):
        response = client.get(f"{endpoint}?{args}")
        assert response.status_code == 400, endpoint
        assert response.get_json()["error"] == "bad_request", endpoint


def test_display_is_validated_on_the_reading_view(client, pages_index):
    rid = report_id_with(pages_index, "两学一做")
    assert client.get(f"/reports/{rid}?display=<x>").status_code == 400
    assert client.get(f"/reports/{rid}?display=hant").status_code == 200


def test_archive_markup_is_escaped_everywhere(client, pages_index):
    rid = report_id_with(pages_index, "钓鱼链接骗局")
    results = client.get("/search?q=钓鱼链接骗局").get_data(as_text=True)
    assert "<script>alert('xss')" not in results and "<b>加粗</b>" not in results
    assert "&lt;b&gt;加粗&lt;/b&gt;" in results
    page = client.get(f"/reports/{rid}?q=钓鱼").get_data(as_text=True)
    assert "<script>alert" not in page and "<b>加粗" not in page
    assert "&lt;script&gt;alert(" in page
    original = client.get(f"/original/{rid}").get_data(as_text=True)
    assert "<script>alert" not in original


# --- reading view ---------------------------------------------------------------------------

def test_reading_view_toc_metadata_and_highlights(client, pages_index):
    rid = report_id_with(pages_index, "柳河镇")
    report = core_report(pages_index, rid)
    page = soup(client.get(f"/reports/{rid}?q=两学一做"))
    assert report["script"] == "hant"
    # Simplified query marks the Traditional text, in its own script.
    marks = {m.get_text() for m in page.select("article.report mark")}
    assert marks == {"兩學一做"}
    assert page.select_one(".terms .term").get_text() == "两学一做"
    # Table of contents: one entry per section, anchors that exist, kind badges.
    toc = page.select("nav.toc a")
    assert len(toc) == len(report["sections"])
    for link, section in zip(toc, report["sections"]):
        assert page.select_one(link["href"]) is not None
        assert link.select_one(".badge").get_text() == section["kind"]
    meta = dict(zip([dt.get_text() for dt in page.select(".meta-list dt")],
                    [dd.get_text(" ", strip=True) for dd in page.select(".meta-list dd")]))
    assert meta["单位"] == report["unit_name"] and meta["年份"] == str(report["year"])
    assert meta["编码"] == report["encoding"] and report["source"] in meta["来源文件"]
    assert meta["字体"] == "繁体"
    assert page.select_one("a[href^='/original/']") is not None


def test_reading_view_script_switch_keeps_query(client, pages_index):
    rid = report_id_with(pages_index, "青山县委宣传部")
    page = soup(client.get(f"/reports/{rid}?q=兩學一做"))
    switch = {a.get_text(): a["href"] for a in page.select(".switch a")}
    assert set(switch) == {"简体", "繁体"}
    assert parse_qs(urlsplit(switch["繁体"]).query) == {"q": ["兩學一做"], "display": ["hant"]}
    hant = soup(client.get(switch["繁体"]))
    text = hant.select_one("article.report").get_text()
    assert "兩學一做" in text and "两学一做" not in text
    assert {m.get_text() for m in hant.select("article.report mark")} == {"兩學一做"}
    assert hant.select_one("#q")["value"] == "兩學一做"
    back = soup(client.get(f"/reports/{rid}?display=hans"))
    assert "两学一做" in back.select_one("article.report").get_text()


def test_reading_view_json_twin(client, pages_index):
    rid = report_id_with(pages_index, "柳河镇")
    data = client.get(f"/reports/{rid}.json?q=两学一做&display=hans").get_json()
    assert data["report"] == core_report(pages_index, rid)
    assert data["terms"] == ["两学一做"] and data["display"] == "hans"
    assert "两学一做" in "".join(s["text"] for s in data["converted"]["sections"])
    accept = client.get(f"/reports/{rid}?q=两学一做&display=hans", headers={"Accept": "application/json"})
    assert accept.get_json() == data


def test_reading_view_links_similar_versions_and_more_like_this(client, pages_index):
    rid = report_id_with(pages_index, "网格员巡查一百二十次")
    page = soup(client.get(f"/reports/{rid}"))
    versions = page.select(".versions a:not(.compare-link)")
    assert versions and all(a["href"].startswith("/reports/") for a in versions)
    assert all(rid not in a["href"] for a in versions)
    data = client.get(f"/reports/{rid}.json").get_json()
    assert [v["report_id"] for v in data["similar_versions"]] == \
        [a["href"].split("/reports/")[1].split("?")[0] for a in versions]
    mlt = page.select(".mlt a")
    assert [a["href"] for a in mlt] == [f"/reports/{h['report_id']}" for h in data["more_like_this"]]


def test_hostile_report_ids_are_404_and_escaped(client):
    for rid in ("<script>alert(1)</script>", "../../etc/passwd", "a" * 5000, "%00"):
        response = client.get("/reports/" + rid)
        assert response.status_code == 404
        assert "<script>alert" not in response.get_data(as_text=True)
        assert client.get("/original/" + rid).status_code == 404


def test_root_is_the_search_page_with_a_json_twin(client, pages_index):
    data = client.get("/", headers={"Accept": "application/json"}).get_json()
    # Every report of the archive, the copied one collapsed into its original.
    assert data["query"] == "" and data["total"] == core_search(pages_index).total == 9
    assert data["facets"]["unit_type"]


def test_only_web_urls_become_links(app):
    """Archive metadata decides nothing about markup: a javascript: URL stays text."""
    from flask import render_template

    base = {"report_id": "r", "title": "t", "sections": [], "body": "", "script": "hans"}
    with app.test_request_context("/reports/r"):
        for url, linked in (("javascript:alert(1)", False), ("https://a.example/1", True)):
            view = reading.reading_view(base, "", "orig")
            html = render_template("report.html", report={**base, "url": url}, view=view, q="",
                                   display="orig", displays={"orig": "原文字体"}, versions=[],
                                   similar=[], script_label="简体")
            page = BeautifulSoup(html, "lxml")
            assert bool(page.select_one(f'.meta-list a[href="{url}"]')) == linked
            assert url in page.select_one(".meta-list").get_text()


def test_unknown_report_is_404_in_both_forms(client):
    assert client.get("/reports/nope").status_code == 404
    response = client.get("/reports/nope.json")
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"
    assert client.get("/original/nope").status_code == 404


def test_extracted_vs_original(client, pages_index):
    rid = report_id_with(pages_index, "临江市教育局")  # a GB18030 page
    page = soup(client.get(f"/original/{rid}"))
    kept = [li.get_text() for li in page.select("ol.lines li.kept")]
    dropped = [li.get_text() for li in page.select("ol.lines li.dropped")]
    assert any("思政课集体备课四十场" in line for line in kept)
    assert any("网站地图" in line for line in dropped)
    titles = [li.get_text() for li in page.select("ol.lines li.title")]
    assert titles and all("临江市教育局" in line for line in titles)
    assert not any("tracker" in line for line in kept + dropped)  # scripts are not text
    data = client.get(f"/original/{rid}.json").get_json()
    assert data["original"]["available"] and data["original"]["encoding"] == "gb18030"


def test_extracted_vs_original_for_a_zip_member(client, pages_index):
    rid = report_id_with(pages_index, "智慧党建驿站")
    assert "bundle.zip!" in core_report(pages_index, rid)["source"]
    data = client.get(f"/original/{rid}.json").get_json()["original"]
    assert data["available"], data["reason"]
    assert any(ZIP_FACT[:10] in line["text"] and line["kept"] == "body" for line in data["lines"])


def test_original_unavailable_when_source_is_gone(tmp_path):
    report = {"source": str(tmp_path / "moved-away.html"), "body": "正文"}
    result = reading.original_text(report, search_roots=[tmp_path])
    assert not result["available"] and "不在原处" in result["reason"]


# --- advanced search, help, errors -----------------------------------------------------------

def test_advanced_form_builds_query_syntax(client):
    page = soup(client.get("/advanced"))
    assert {o["value"] for o in page.select("#adv-section option") if o["value"]} >= {"工作做法", "存在问题"}
    response = client.get("/advanced", query_string={
        "words": "意识形态", "title": "工作 总结", "unit": "宣传部", "year_from": "2022",
        "year_to": "2019", "section": "工作做法", "genre": ""})
    assert response.status_code == 303
    target = parse_qs(urlsplit(response.headers["Location"]).query)
    assert target == {"q": ['意识形态 title:"工作 总结" unit:宣传部 year:2019..2022'], "section": ["工作做法"]}
    data = client.get("/advanced.json?year_from=2021&unit=宣传部").get_json()
    assert data["q"] == "unit:宣传部 year:2021.."
    results = client.get(response.headers["Location"])
    assert results.status_code == 200


def test_help_page_lists_syntax_with_working_examples(client):
    page = soup(client.get("/help"))
    examples = page.select("table.syntax code")
    assert {"title:工作总结", "year:2019..2023"} <= {c.get_text() for c in examples}
    for link in page.select("table.syntax a")[:3]:
        assert client.get(link["href"]).status_code == 200


def test_missing_index_is_a_clear_503():
    app = create_app({"DANGAN_INDEX": None, "TESTING": True})
    client = app.test_client()
    response = client.get("/search?q=x")
    assert response.status_code == 503 and "索引" in response.get_data(as_text=True)
    assert client.get("/search.json").get_json()["error"] == "index_unavailable"


def test_search_page_size_is_bounded(client):
    """No page over 200 KB for 20 results: the archive has fewer, so extrapolate from
    the cost of one more result (same facets, same query)."""
    one = len(client.get("/search?q=意识形态&per_page=1&collapse=0").data)
    data = client.get("/search.json?q=意识形态&per_page=100&collapse=0").get_json()
    n = len(data["results"])
    assert n >= 5
    many = len(client.get(f"/search?q=意识形态&per_page={n}&collapse=0").data)
    per_hit = (many - one) / (n - 1)
    assert one + 19 * per_hit < 200 * 1024


# --- highlighting helpers --------------------------------------------------------------------

def test_highlight_maps_back_to_original_script_and_width():
    keys = reading.query_terms("兩學一做 -舆情 year:2019..2023 title:ＡＢ")
    assert keys == ["两学一做", "ab"]
    segments = reading.highlight("坚持兩學 一做，ＡＢ类舆情", keys)
    assert [t for t, marked in segments if marked] == ["兩學 一做", "ＡＢ"]
    assert "".join(t for t, _ in segments) == "坚持兩學 一做，ＡＢ类舆情"
    overlapping = reading.highlight("清华大学", reading.query_terms("清华大学 华大"))
    assert overlapping == [("清华大学", True)]


def test_archive_builder_roundtrip(tmp_path):
    """The test archive really holds what the tests above rely on."""
    archive = write_archive(tmp_path)
    raw = (archive / "fanwen.example" / "donghu-2023.html").read_text("utf-8")
    assert "&lt;script&gt;" in raw and HOSTILE_TEXT not in raw
    assert (archive / "wenku.example" / "village-reports.txt").read_bytes().decode("gb18030").count("【篇") == 2
    assert re.search(r"柳河鎮", (archive / "fanwen.example" / "liuhe-town-2020.html").read_text("utf-8"))
