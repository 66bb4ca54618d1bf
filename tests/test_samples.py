"""The bundled sample archive (samples/): every document ends as reports or a skip, and
the reports come out with the right titles, encodings and facets."""
from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from indexer.commands.extract import run_extract

# file (or archive member) -> [(title, unit_type, year, genre)] in page order.
# Conventions as in the corpus gold: year from the title; a 调研/排查 report whose title
# has none is dated by its body (as the dev gold does); the unit of a 述职报告 is the
# office (…局 局长 -> …局), typed like any other unit.
EXPECTED = {
    "qingshi-jiaoyu-utf8.html": [("青石县教育局2023年意识形态工作总结", "政府部门", 2023, "工作总结")],
    "fanwen-multi-gbk.html": [
        ("红枫街道2022年意识形态工作情况报告", "乡镇街道", 2022, "情况报告"),
        ("红枫街道党工委书记2022年抓意识形态工作述职报告", "乡镇街道", 2022, "述职报告"),
        ("星河区卫生健康局关于意识形态领域风险隐患排查报告", "政府部门", None, "排查报告"),
    ],
    "jianchayuan-gbk-nometa.htm": [("平安县人民检察院2021年意识形态工作总结", "政法机关", 2021, "工作总结")],
    "wenlian-stale-meta.html": [("安和县文联2024年上半年意识形态工作总结", "群团组织", 2024, "工作总结")],
    "zhengxie-big5.html": [("清泉市政協機關2023年意識形態工作總結", "人大政协", 2023, "工作总结")],
    "yunshan-shuzhi.shtml": [("云山县交通运输局局长2023年履行意识形态工作责任制述职报告", "政府部门", 2023, "述职报告")],
    "baihe-diaoyan": [("关于白鹤县委组织部意识形态阵地建设情况的调研报告", "党委部门", 2022, "调研报告")],
    "2023-zongjie.html": [("金桥社区2023年意识形态工作总结", "村社区", 2023, "工作总结")],
    "2021-baogao.txt": [("东岭乡2021年意识形态工作情况报告", "乡镇街道", 2021, "情况报告")],
    "zongjie.html": [("青松县市场监督管理局2024年意识形态工作总结", "政府部门", 2024, "工作总结")],
    "report.html": [("白沙镇2020年意识形态工作落实情况的报告", "乡镇街道", 2020, "情况报告")],
    "000_723c5804201ed456.txt": [("交通運輸局2023年落實意識形態工作情況報告", "政府部门", 2023, "情况报告")] * 5,
    "001_8c8fbbd32e8bfde7.txt": [("某局党组关于2024年上半年意识形态工作的专题报告", "政府部门", 2024, "专题报告")],
    "002_0bf0de055c39ace6.txt": [("xx 区委宣传部关于全区意识形态风险隐患情况排查报告范文", "党委部门", None, "排查报告")],
    "003_0d1cd47ed3852840.txt": [("政協機關2020年意識形態工作總結", "人大政协", 2020, "工作总结")],
    "004_ff1e38f05e2a48b1.txt": [("乡镇关于意识形态工作落实情况的报告", "乡镇街道", None, "情况报告")],
}
ENCODINGS = {
    "fanwen-multi-gbk.html": "gb18030", "jianchayuan-gbk-nometa.htm": "gb18030",
    "wenlian-stale-meta.html": "utf-8", "zhengxie-big5.html": "big5hkscs",
    "2021-baogao.txt": "gb18030", "zongjie.html": "gb18030",
}


def _name(source: str) -> str:
    return source.rsplit("!", 1)[-1].rsplit("/", 1)[-1]


@pytest.fixture(scope="module")
def extracted(samples_dir: Path) -> list[dict]:
    out = io.StringIO()
    counts = run_extract([str(samples_dir)], out, jobs=1)
    assert counts["files"] >= len(EXPECTED)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def _documents(samples_dir: Path) -> set[str]:
    """Every document in the archive, archive members included, by base name."""
    names = set()
    for f in samples_dir.rglob("*"):
        if f.is_dir():
            continue
        if f.suffix == ".zip":
            with zipfile.ZipFile(f) as zf:
                names |= {_name(i.filename) for i in zf.infolist() if not i.is_dir()}
        elif f.name.endswith(".warc.gz"):
            with open(f, "rb") as fh:
                names |= {_name(r.rec_headers.get_header("WARC-Target-URI"))
                          for r in ArchiveIterator(fh) if r.rec_type == "response"}
        else:
            names.add(f.name)
    return names


def test_samples_stay_small(samples_dir):
    assert sum(f.stat().st_size for f in samples_dir.rglob("*") if f.is_file()) < 1_000_000


def test_every_sample_document_is_accounted_for(extracted, samples_dir):
    seen = {_name(r["source"]) for r in extracted}
    assert seen == _documents(samples_dir)
    skipped = {_name(r["source"]): r["reason"] for r in extracted if r["type"] == "skipped"}
    assert skipped == {"logo.png": "unsupported: content type image/png"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_reports(extracted, name):
    reports = [r for r in extracted if r["type"] == "report" and _name(r["source"]) == name]
    got = [(r["title"], r["unit_type"], r["year"], r["genre"]) for r in reports]
    assert got == EXPECTED[name]
    assert [r["part"] for r in reports] == list(range(1, len(reports) + 1))
    for r in reports:
        assert len(r["body"]) > 100 and r["title"] not in r["body"].split("\n")[0]
        assert "ICP" not in r["body"] and "版权所有" not in r["body"] and "上一篇" not in r["body"]
        if name in ENCODINGS:
            assert r["encoding"] == ENCODINGS[name]


def test_warc_and_zip_sources(extracted):
    sources = [r["source"] for r in extracted if r["type"] == "report"]
    assert any(s.endswith("community-pages.zip!jinqiao/2023-zongjie.html") for s in sources)
    warc = [r for r in extracted if r["source"].endswith("county-crawl.warc.gz!http://www.qingsong.example/scjg/2024/zongjie.html")]
    assert warc and warc[0]["url"] == "http://www.qingsong.example/scjg/2024/zongjie.html"
    assert warc[0]["site"] == "qingsong.example"


def test_seed_000_mojibake_is_reported(extracted):
    reports = [r for r in extracted if _name(r["source"]) == "000_723c5804201ed456.txt"]
    assert reports and all(any(w.startswith("line 45: mojibake dropped") for w in r["warnings"]) for r in reports)
    # no garbled remnant in any body (the ?,F of a lost 。現 included)
    assert not any(re.search(r"[∫ㄟ枕?]|,F", r["body"]) for r in reports)


def test_traditional_seed_pages_are_hant(extracted):
    # 000 keeps a few characters that OpenCC lists as Simplified only (并, 恒) among
    # thousands of Traditional ones; 003 is plain Traditional
    for name in ("000_723c5804201ed456.txt", "003_0d1cd47ed3852840.txt"):
        scripts = {r["script"] for r in extracted if r["type"] == "report" and _name(r["source"]) == name}
        assert scripts == {"hant"}, name
    big5 = [r for r in extracted if r["type"] == "report" and _name(r["source"]) == "zhengxie-big5.html"]
    assert big5 and big5[0]["script"] == "hant"
