"""build_report: stable ids, hashes, body, script and the seeds end to end."""
from __future__ import annotations

import hashlib
import json
import unicodedata
from collections import Counter
from pathlib import Path

from indexer.extract.model import CleanPage, DecodedPage, RawPage, ReportChunk
from indexer.normalize import normalize
from indexer.extract.pipeline import extract_page
from indexer.extract.report import build_report, make_report_id
from indexer.extract.script import detect_script

LINES = ("年初以來，我局嚴格落實意識形態工作責任制。", "一、工作開展情況", "組織學習12次。",
         "二、存在的主要問題", "一是認識不夠到位。")


def clean(identity="site/a/p1.html", warnings=()) -> CleanPage:
    raw = RawPage(source=f"/archive/{identity}", identity=identity, data=b"")
    decoded = DecodedPage(raw=raw, text="", encoding="big5hkscs", format="html", warnings=("decoded: x",))
    return CleanPage(decoded=decoded, lines=LINES, heading="交通運輸局2023年落實意識形態工作情況報告",
                     page_title="交通運輸局2023年落實意識形態工作情況報告_範文網", publish_date="2023-06-01",
                     url="https://x.example/p1.html", site="x.example", warnings=warnings)


def chunk(part=1) -> ReportChunk:
    return ReportChunk(part=part, title="交通運輸局2023年落實意識形態工作情況報告", lines=LINES)


def test_report_fields():
    report = build_report(clean(warnings=("mojibake: span dropped",)), chunk())
    assert report.body == "\n".join(LINES)
    assert report.title == "交通運輸局2023年落實意識形態工作情況報告"
    assert (report.unit_name, report.unit_type, report.year, report.genre) == ("交通運輸局", "政府部门", 2023, "情况报告")
    assert report.script == "hant"
    assert report.encoding == "big5hkscs"
    assert (report.url, report.site, report.publish_date) == ("https://x.example/p1.html", "x.example", "2023-06-01")
    assert report.source == "/archive/site/a/p1.html"
    assert report.warnings == ["decoded: x", "mojibake: span dropped"]
    assert [(s.heading, s.kind) for s in report.sections] == [
        ("", "前言"), ("一、工作開展情況", "工作做法"), ("二、存在的主要問題", "存在问题")]
    data = report.to_json()
    assert data["type"] == "report" and data["sections"][1]["level"] == 1
    json.dumps(data, ensure_ascii=False)


def test_report_id_is_stable_and_depends_on_identity_and_part_only():
    a = build_report(clean(), chunk(1))
    assert a.report_id == build_report(clean(), chunk(1)).report_id
    assert a.report_id == hashlib.sha1(b"site/a/p1.html#1").hexdigest()[:16] == make_report_id("site/a/p1.html", 1)
    assert build_report(clean(), chunk(2)).report_id != a.report_id
    assert build_report(clean("site/b/p1.html"), chunk(1)).report_id != a.report_id


def test_content_hash_is_of_the_normalized_body():
    report = build_report(clean(), chunk())
    assert report.content_hash == hashlib.sha256(normalize(report.body).encode("utf-8")).hexdigest()
    simplified = ReportChunk(1, "x", tuple(normalize(ln) for ln in LINES))
    # The same text in the other script hashes alike: duplicates across scripts collide.
    assert build_report(clean(), simplified).content_hash == report.content_hash


def test_script_detection():
    assert detect_script("今年以来，我局认真落实意识形态工作责任制。") == "hans"
    assert detect_script("今年以來，我局認真落實意識形態工作責任制。") == "hant"
    assert detect_script("今年以來，我局认真落實意識形態工作責任制，干部關于学習。") == "mixed"


def test_traditional_text_with_characters_both_scripts_use_is_hant():
    # 台, 里, 群, 吃, 才, 只 are Simplified in OpenCC's s2t table but ordinary Traditional
    # (Taiwan, Hong Kong) writing too
    text = ("台北市政府今年以來深入社區，走訪群眾，了解大家吃住行的困難，才發現里長反映的問題只是一部分，"
            "各機關將持續改進服務，讓市民感受到實實在在的變化。")
    assert detect_script(text) == "hant"
    # a stray leftover Simplified character in a long Traditional report does not make it mixed
    assert detect_script(text * 4 + "并") == "hant"
    assert detect_script("今年以来，我局认真落实意识形态工作责任制，组织学习讨论。" * 8 + "邀请台湾學者讲座。") == "hans"


def _bigram_f1(a: str, b: str) -> float:
    ga, gb = Counter(a[i:i + 2] for i in range(len(a) - 1)), Counter(b[i:i + 2] for i in range(len(b) - 1))
    overlap = sum((ga & gb).values())
    return 2 * overlap / (sum(ga.values()) + sum(gb.values())) if overlap else 0.0


def test_seed_pages_end_to_end(shared_dir: Path):
    gold = json.loads((shared_dir / "corpus" / "seeds_gold.json").read_text(encoding="utf-8"))
    squeeze = lambda s: "".join(ch for ch in unicodedata.normalize("NFKC", s or "")  # noqa: E731
                                if unicodedata.category(ch)[0] in "LN")
    for page in gold["pages"]:
        path = shared_dir / page["path"]
        raw = RawPage(source=str(path), identity=page["path"], data=path.read_bytes(), format_hint="txt")
        reports = extract_page(raw)
        assert isinstance(reports, list), page["path"]
        assert [squeeze(r.title) for r in reports] == [squeeze(g["title"]) for g in page["reports"]]
        for got, want in zip(reports, page["reports"]):
            assert (got.unit_type, got.year, got.genre) == (want["unit_type"], want["year"], want["genre"])
            assert _bigram_f1(squeeze(got.body), squeeze(want["body"])) >= 0.98  # seed 000 has mojibake
            headed = [(s["heading"], s["kind"]) for s in want["sections"] if s["heading"]]
            assert [(squeeze(s.heading), s.kind) for s in got.sections if s.heading] == [
                (squeeze(h), k) for h, k in headed]
