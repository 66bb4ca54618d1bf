"""Heading grammar, run-in headings and section kinds, in both scripts."""
from __future__ import annotations

from indexer.extract.sections import classify_block, classify_heading, heading_level, parse_sections, split_run_in


def test_three_heading_levels():
    assert heading_level("一、总体情况") == 1
    assert heading_level("二.強化理論武裝,抓實學習教育") == 1
    assert heading_level("十二、其他") == 1
    assert heading_level("（一）加强组织领导") == 2
    assert heading_level("(三)黨委維護網絡意識形態安全的情況。") == 2
    assert heading_level("㈡强化阵地管理") == 2
    assert heading_level("1.统一思想认识") == 3
    assert heading_level("2、强化舆论阵地管理") == 3
    assert heading_level("一是强化领导。") == 3
    assert heading_level("二要提高擔當意識,著力強化陣地建設。") == 3
    # Body text that merely starts with a numeral.
    assert heading_level("一年来，我镇意识形态工作取得了一定的成绩。") == 0
    assert heading_level("2024年是建国70周年。") == 0
    assert heading_level("一季度以来,我委工作开展较为顺利。") == 0


def test_run_in_headings_split_at_their_separator():
    assert split_run_in("一、总体情况 1.区委将意识形态工作作为极端重要工作") == (
        "一、总体情况", "1.区委将意识形态工作作为极端重要工作")
    assert split_run_in("一.強化組織領導,壓實工作責任。堅持把意識形態工作納入黨建綜合考評") == (
        "一.強化組織領導,壓實工作責任", "堅持把意識形態工作納入黨建綜合考評")
    # A space after a comma is part of the heading; the next space is the separator.
    assert split_run_in("一、思想高度重视, 强化组织领导 加强正面舆论宣传") == (
        "一、思想高度重视, 强化组织领导", "加强正面舆论宣传")
    assert split_run_in("七、整改措施。2024年下半年，我局将认真落实") == ("七、整改措施", "2024年下半年，我局将认真落实")
    assert split_run_in("三、下一步工作打算") == ("三、下一步工作打算", "")


def test_heading_kinds_both_scripts():
    cases = {
        "二、存在的问题及原因": "存在问题",
        "二、存在的問題及原因": "存在问题",
        "五、存在的問題及下一步打算": "存在问题",  # the earliest cue wins
        "四、当前存在的短板弱项": "存在问题",
        "四、风险隐患排查情况": "存在问题",
        "三、下一步工作打算": "下步打算",
        "三、今後的努力方向": "下步打算",
        "三、整改措施": "下步打算",
        "五、对策建议": "下步打算",
        "一、主要做法與成效": "工作做法",
        "二、狠抓工作举措，做到把意识形态与党政工作同落实": "工作做法",
        "一、工作開展情況": "工作做法",
        "一、基本情况": "总体情况",
        "一、工作开展的基本情况": "总体情况",
        "一、意識形態領域總體形勢": "总体情况",
        "六、结束语": "结语",
    }
    for heading, kind in cases.items():
        assert classify_heading(heading) == kind, heading
    assert classify_heading("一、强化组织领导,压实工作责任") is None


def test_parse_sections_with_preamble_and_default_kind():
    lines = [
        "年初以來，我局嚴格落實意識形態工作責任制。",
        "一、強化組織領導，落實意識形態工作",
        "（一）加強班子理論學習。",
        "成立領導小組。",
        "二、存在的問題及原因",
        "一是認識不夠到位。",
        "三、下一步工作打算。一要提高看齊意識。",
    ]
    sections = parse_sections(lines)
    assert [(s.heading, s.level, s.kind) for s in sections] == [
        ("", 0, "前言"),
        ("一、強化組織領導，落實意識形態工作", 1, "工作做法"),
        ("二、存在的問題及原因", 1, "存在问题"),
        ("三、下一步工作打算", 1, "下步打算"),
    ]
    assert sections[1].text == "（一）加強班子理論學習。\n成立領導小組。"
    assert sections[3].text == "一要提高看齊意識。"


def test_no_preamble_when_the_report_opens_with_a_heading():
    sections = parse_sections(["一、总体情况", "全县各级党组织高度重视。", "二、主要问题和不足", "一是认识不够。"])
    assert [s.kind for s in sections] == ["总体情况", "存在问题"]


def test_level_two_headings_promoted_when_there_is_no_level_one():
    sections = parse_sections(["今年以来工作如下。", "（一）主要做法", "建立台账。", "（二）存在问题", "力量不足。"])
    assert [(s.heading, s.kind) for s in sections] == [("", "前言"), ("（一）主要做法", "工作做法"),
                                                       ("（二）存在问题", "存在问题")]


def test_unheaded_closing_and_trailing_blocks():
    sections = parse_sections([
        "一、加强理论学习",
        "组织学习12次。",
        "上半年，我局工作虽然取得了一定成绩，但也还存在一些问题和不足。一是形式不够丰富。",
        "下一步，将对照年度工作目标，再加压力。",
        "一是严格落实责任制。",
    ])
    assert [(s.heading, s.kind) for s in sections] == [
        ("一、加强理论学习", "工作做法"), ("", "存在问题"), ("", "下步打算")]
    assert sections[2].text == "下一步，将对照年度工作目标，再加压力。\n一是严格落实责任制。"
    closing = parse_sections(["一、下一步工作打算", "一要坚持学习。", "我们将认真对照上级要求，补短板、强弱项。"])
    assert [s.kind for s in closing] == ["下步打算", "结语"]
    assert classify_block("总之，我局将坚持以新思想为指导。") == "结语"
    assert classify_block("以上是隆圩区妇联意识形态工作有关情况，不妥之处，请批评指正。") == "结语"
    assert classify_block("组织开展主题活动12次。") is None


def test_report_without_headings_is_one_preamble():
    sections = parse_sections(["今年以来，我局认真落实责任制。", "全年开展学习12次。"])
    assert [(s.heading, s.kind, s.text) for s in sections] == [
        ("", "前言", "今年以来，我局认真落实责任制。\n全年开展学习12次。")]
    assert parse_sections([]) == []


def test_neutral_heading_takes_kind_from_its_text():
    sections = parse_sections(["一、强化组织领导", "组织学习12次。",
                               "二、聚焦重点任务", "下一步，我局将持续加强理论学习。"])
    assert [s.kind for s in sections] == ["工作做法", "下步打算"]
