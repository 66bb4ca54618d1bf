"""The facet-count rule: a facet count is the total you get by clicking it.

With near-duplicates collapsed (the default everywhere), the total counts each group once,
so every facet count must too. Checked through the JSON twin of the search page, on a
small built-in corpus whose near-duplicate groups straddle facet values (always runs) and
for 20 filtered queries on the dev corpus (skips without ../shared).
"""
from __future__ import annotations

import pytest

from e2e_fixtures import pages_index  # noqa: F401
from indexer.search import FACETS
from test_search_corpus import gold_reports
from test_search_support import build_index, make_report
from web import create_app

COMMON = ("我镇坚持把意识形态工作摆在重要位置，纳入党委重要议事日程。组织开展主题党日活动，覆盖党员干部一千余人次。"
          "建立网络舆情研判机制，每季度召开分析会议，及时处置苗头性问题。加强宣传阵地管理，更新村级宣传栏四十二块，"
          "举办道德讲堂十六场，评选身边好人二十名。严格落实主体责任，把意识形态工作纳入年度考核。")


def builtin_reports() -> list[dict]:
    """Three near-duplicate groups whose members differ in site, script, year, unit type
    and publish date, plus distinct reports; sections of several kinds."""
    reports = []
    variants = [
        ("a.example", "hans", 2021, "乡镇街道", "2021-03-02"),
        ("b.example", "hant", 2021, "乡镇街道", "2021-05-10"),
        ("c.example", "hans", 2020, "党委部门", None),
        ("a.example", "hans", None, "乡镇街道", "2022-01-15"),
    ]
    for g, topic in enumerate(("两学一做", "三会一课", "网格化管理")):
        body = f"围绕{topic}，" + COMMON * 2
        for v, (site, script, year, unit_type, published) in enumerate(variants[: 2 + g]):
            reports.append(make_report(
                f"g{g}v{v}", f"第{g}组{topic}工作总结", [("前言", body + f"附记{v}。"),
                                                      ("存在问题", f"{topic}方面仍有差距。")],
                site=site, script=script, year=year, unit_type=unit_type, publish_date=published,
                source=f"pages/g{g}v{v}.html"))
    for n in range(8):
        reports.append(make_report(
            f"u{n}", f"独立报告{n}意识形态工作情况", [("前言", f"本单位第{n}项工作：建成文化广场{n + 1}处，意识形态阵地巩固。"),
                                               ("工作做法" if n % 2 else "下步打算", f"开展两学一做学习{n}次。")],
            site=("a.example", "d.example")[n % 2], script=("hans", "hant", "mixed")[n % 3],
            year=2018 + n % 4 if n % 3 else None, unit_type=("村社区", "党委部门")[n % 2],
            genre=("工作总结", "情况报告")[n % 2], publish_date=f"20{19 + n % 3}-0{1 + n % 9}-1{n}"
            if n % 4 else None, source=f"pages/u{n}.html"))
    return reports


def check_rule(client, args: dict) -> int:
    """Every facet value's count == the total after selecting it (in place of that
    facet's selection); returns the number of values checked."""
    response = client.get("/search.json", query_string=args)
    assert response.status_code == 200, response.data[:300]
    data = response.get_json()
    checked = 0
    for facet in FACETS:
        for fv in data["facets"].get(facet) or []:
            clicked = dict(args, **{facet: [fv["value"]]}, page=1)
            total = client.get("/search.json", query_string=clicked).get_json()["total"]
            assert fv["count"] == total, (args, facet, fv, total)
            checked += 1
    return checked


@pytest.fixture(scope="module")
def builtin_client(tmp_path_factory):
    root = build_index(tmp_path_factory.mktemp("facets"), builtin_reports())
    return create_app({"DANGAN_INDEX": str(root), "TESTING": True}).test_client()


@pytest.mark.parametrize("args", [
    {}, {"q": "意识形态"}, {"q": "两学一做"}, {"q": "两学一做", "script": ["hant"]},
    {"q": "意识形态", "site": ["a.example", "b.example"]}, {"section": ["存在问题"]},
    {"q": "差距", "section": ["存在问题"]}, {"q": "意识形态", "timeline": ["2021"]},
    {"q": "意识形态", "date_from": "2021-01", "date_to": "2021-12"}, {"publish_year": ["2022"]},
    {"q": "意识形态", "collapse": "0"}, {"q": "工作", "unit_type": ["乡镇街道"], "year": ["2021"]},
    # few reports can count: the section facet looks at their sections only
    {"q": "网格化管理", "site": ["c.example"]}, {"q": "两学一做 广场3处"},
])
def test_facet_counts_equal_the_clicked_total_builtin(builtin_client, args):
    assert check_rule(builtin_client, args) > 0


def test_groups_straddling_values_count_once_per_value(builtin_client):
    """A group with members on two sites counts once under each site, once in the total."""
    data = builtin_client.get("/search.json?q=两学一做").get_json()
    flat = builtin_client.get("/search.json?q=两学一做&collapse=0").get_json()
    assert data["total"] < flat["total"]  # the groups collapse
    sites = {fv["value"]: fv["count"] for fv in data["facets"]["site"]}
    flat_sites = {fv["value"]: fv["count"] for fv in flat["facets"]["site"]}
    assert sum(sites.values()) > data["total"]  # a group is under several sites
    assert all(sites[s] <= flat_sites[s] for s in sites)
    scripts = {fv["value"]: fv["count"] for fv in data["facets"]["script"]}
    assert sum(scripts.values()) >= data["total"]


def test_facet_counts_on_the_test_archive(pages_index):
    """The archive of the issue's defect (a report copied to a second site)."""
    client = create_app({"DANGAN_INDEX": str(pages_index), "TESTING": True}).test_client()
    for args in ({"q": "意识形态"}, {"q": "意识形态", "unit_type": ["党委部门"]}, {"q": "网格员"}):
        assert check_rule(client, args) > 0


# --- the dev corpus: 20 queries with filters ---------------------------------------------

DEV_QUERIES = ["意识形态", "工作总结", "两学一做", "党建", "宣传", "网络", "学习教育", "疫情防控",
               "乡村振兴", "责任制", "阵地", "舆情", "主题教育", "存在问题", "意識形態", "巡察",
               "志愿服务", "基层", "理论学习", "整改"]


@pytest.fixture(scope="module")
def dev_client(shared_dir, tmp_path_factory):
    root = build_index(tmp_path_factory.mktemp("devfacets"), gold_reports(shared_dir, pages=None))
    return create_app({"DANGAN_INDEX": str(root), "TESTING": True}).test_client()


@pytest.mark.corpus
def test_facet_counts_equal_the_clicked_total_dev_corpus(dev_client):
    """20 queries, each with filters taken from its own first answer (a facet value, two
    values of one facet, a timeline year, a publish-date range, a section)."""
    checked = 0
    for n, q in enumerate(DEV_QUERIES):
        facets = dev_client.get("/search.json", query_string={"q": q}).get_json()["facets"]

        def top(facet, k=1):
            return [fv["value"] for fv in (facets.get(facet) or [])[:k]]
        args = {"q": q}
        kind = n % 5
        if kind == 0:
            args.update(unit_type=top("unit_type"))
        elif kind == 1:
            args.update(site=top("site", 2), script=top("script"))
        elif kind == 2:
            args.update(timeline=top("timeline"))
        elif kind == 3:
            years = top("publish_year")
            if years:
                args.update(date_from=f"{years[0]}-01", date_to=f"{years[0]}-06-30")
        else:
            args.update(section=top("section"), genre=top("genre"))
        checked += check_rule(dev_client, args)
    assert checked > 200
