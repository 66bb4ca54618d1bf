"""JSON API over a real index: response shape, repeated parameters, 400s, 404, 503."""
from __future__ import annotations

import pytest

from test_search_support import build_index, make_report
from web import create_app

REPORTS = [
    make_report("a1", "某镇2021年意识形态工作总结", [("前言", "深入开展两学一做学习教育。"),
                                                    ("存在问题", "网络舆情应对不足。")], year=2021),
    make_report("a2", "某局2020年宣传工作情况报告", [("前言", "落实三会一课制度，开展两学一做。")],
                unit_type="政府部门", genre="情况报告", year=2020, script="hant"),
    make_report("a3", "某村工作总结", [("前言", "宣传栏更新。")], unit_type="村社区", year=None),
]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    root = build_index(tmp_path_factory.mktemp("api"), REPORTS)
    app = create_app({"DANGAN_INDEX": str(root), "TESTING": True, "SECRET_KEY": "test"})
    return app.test_client()


def test_search_shape(client):
    resp = client.get("/api/search?q=两学一做")
    assert resp.status_code == 200
    data = resp.get_json()
    assert {"query", "total", "page", "per_page", "results", "facets"} <= set(data)
    assert data["total"] == 2 and data["query"] == "两学一做"
    hit = data["results"][0]
    assert {"report_id", "source", "part", "title", "unit_name", "unit_type", "year", "genre", "site",
            "script", "sections", "snippet", "score", "duplicates"} <= set(hit)
    assert "<mark>" in hit["snippet"]
    assert set(data["facets"]) >= {"unit_type", "section", "year", "genre", "site", "script"}
    assert {f["value"]: f["count"] for f in data["facets"]["unit_type"]} == {"乡镇街道": 1, "政府部门": 1}


def test_repeated_parameters_are_or(client):
    data = client.get("/api/search?unit_type=乡镇街道&unit_type=村社区").get_json()
    assert sorted(r["report_id"] for r in data["results"]) == ["a1", "a3"]
    data = client.get("/api/search?q=两学一做&year=2020&genre=情况报告").get_json()
    assert [r["report_id"] for r in data["results"]] == ["a2"]
    data = client.get("/api/search?section=存在问题").get_json()
    assert data["total"] == 1


def test_paging_and_default_collapse_off(client):
    first = client.get("/api/search?per_page=2&page=1").get_json()
    second = client.get("/api/search?per_page=2&page=2").get_json()
    assert first["total"] == 3 and len(first["results"]) == 2 and len(second["results"]) == 1
    assert client.get("/api/search?per_page=100").status_code == 200


@pytest.mark.parametrize("query", [
    "per_page=101", "per_page=0", "per_page=x", "page=0", "page=abc", "page=99999999",
    "sort=popular", "year=20x1", "collapse=maybe", "q=" + "长" * 501, "unit_type=" + "x" * 300,
    "&".join(["site=s"] * 51), "&".join(f"site=s{i}" for i in range(21)),
])
def test_bad_parameters_get_400_json(client, query):
    resp = client.get("/api/search?" + query)
    assert resp.status_code == 400
    assert resp.get_json()["error"] == "bad_request"


@pytest.mark.parametrize("q", ['"', "OR", "-", "title:", "year:1..2", "((", "\\", "%00"])
def test_odd_queries_are_not_errors(client, q):
    assert client.get("/api/search", query_string={"q": q}).status_code == 200


def test_report_endpoint(client):
    resp = client.get("/api/reports/a2")
    assert resp.status_code == 200
    data = resp.get_json()
    assert data["report_id"] == "a2" and data["sections"] and data["body"]
    assert data["provenance"]["source"] == "pages/a2.html" and "duplicate_group" in data
    missing = client.get("/api/reports/zzz")
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"


def test_unavailable_index_is_503(tmp_path):
    app = create_app({"DANGAN_INDEX": str(tmp_path / "none"), "TESTING": True, "SECRET_KEY": "t"})
    resp = app.test_client().get("/api/search?q=x")
    assert resp.status_code == 503 and resp.get_json()["error"] == "index_unavailable"


def test_running_app_picks_up_a_swapped_index(tmp_path, monkeypatch):
    from indexer.search import build, engine
    from test_search_support import write_jsonl

    monkeypatch.setattr(engine, "REFRESH_SECONDS", 0.0)
    root = build_index(tmp_path, REPORTS[:1])
    client = create_app({"DANGAN_INDEX": str(root), "TESTING": True, "SECRET_KEY": "t"}).test_client()
    assert client.get("/api/search").get_json()["total"] == 1
    build.build([str(write_jsonl(tmp_path / "v2.jsonl", REPORTS))], root, jobs=0)
    assert client.get("/api/search").get_json()["total"] == 3
