"""Helpers shared by the search tests (reports built by hand, indexes in tmp dirs),
plus tests of the analysis layer those helpers rely on."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from indexer.search import analysis, build

KIND_HEADINGS = {"总体情况": "一、总体情况", "工作做法": "二、主要做法", "存在问题": "三、存在问题",
                 "下步打算": "四、下步打算", "结语": ""}


def make_report(rid: str, title: str, sections: list[tuple[str, str]], *, part: int = 1,
                source: str | None = None, unit_name: str | None = None,
                unit_type: str | None = "乡镇街道", year: int | None = 2021,
                genre: str | None = "工作总结", site: str | None = "a.example",
                script: str = "hans", publish_date: str | None = None) -> dict:
    """A `Report.to_json()`-shaped dict; body = preamble + headed sections, like extraction."""
    secs, lines = [], []
    for kind, text in sections:
        heading = "" if kind == "前言" else KIND_HEADINGS.get(kind, kind)
        if heading:
            lines.append(heading)
        lines.append(text)
        secs.append({"heading": heading, "level": 0 if kind == "前言" else 1, "kind": kind, "text": text})
    body = "\n".join(lines)
    return {
        "type": "report", "report_id": rid, "source": source or f"pages/{rid}.html", "part": part,
        "url": None, "site": site, "page_title": title, "title": title, "unit_name": unit_name,
        "unit_type": unit_type, "year": year, "genre": genre, "publish_date": publish_date,
        "script": script, "encoding": "utf-8", "sections": secs, "body": body,
        "content_hash": hashlib.sha1(body.encode()).hexdigest(), "warnings": [],
    }


def write_jsonl(path: Path, reports: list[dict]) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for rep in reports:
            fh.write(json.dumps(rep, ensure_ascii=False) + "\n")
    return path


def build_index(tmp_path: Path, reports: list[dict], name: str = "ix") -> Path:
    root = tmp_path / name
    src = write_jsonl(tmp_path / f"{name}-src.jsonl", reports)
    build.build([str(src)], root, jobs=0)
    return root


# ---------------------------------------------------------------- analysis


def test_key_folds_script_width_and_space():
    assert analysis.key("意識形態 工作") == analysis.key("意识形态工作") == "意识形态工作"
    assert analysis.key("ＡＢＣ　公司") == "abc公司"


def test_domain_dictionary_words_are_kept_whole():
    words = analysis.words(analysis.key("认真开展两学一做学习教育，落实三会一课制度，加强网络舆情管理"))
    for term in ("两学一做", "三会一课", "网络舆情"):
        assert term in words


def test_user_dictionary_changes_segmentation_and_version(tmp_path):
    user = tmp_path / "user.txt"
    user.write_text("屯明镇宣讲队 50000 n\n", encoding="utf-8")
    assert "屯明镇宣讲队" not in analysis.words("屯明镇宣讲队")
    assert "屯明镇宣讲队" in analysis.words("屯明镇宣讲队", str(user))
    assert analysis.dictionary_version(str(user)) != analysis.dictionary_version(None)


def test_char_tokens_cover_every_position():
    assert analysis.char_tokens("清华大学") == ["清华", "华大", "大学", "学"]
    assert analysis.phrase_tokens("华大学") == ["华大", "大学"]
