"""split_reports on hand-written pages: markers of several forms, titles, intros."""
from __future__ import annotations

from indexer.extract.model import CleanPage, DecodedPage, RawPage
from indexer.extract.split import clean_title, is_multi_title, is_title_like, split_reports


def page(lines, heading=None, page_title=None) -> CleanPage:
    raw = RawPage(source="x/p1.html", identity="p1.html", data=b"")
    decoded = DecodedPage(raw=raw, text="", encoding="utf-8", format="html")
    return CleanPage(decoded=decoded, lines=tuple(lines), heading=heading, page_title=page_title)


BODY_A = ["按照上级要求，现将有关情况报告如下：", "一、总体情况", "全年开展学习12次。"]
BODY_B = ["今年以来，我局认真落实责任制。", "一、主要做法", "建立台账。"]


def test_bracket_marker_with_title_on_the_same_line():
    chunks = split_reports(page([
        "以下是小编整理的意识形态工作总结报告范文两篇，仅供参考。",
        "【篇一】云福县交通运输局2019年意识形态工作总结",
        *BODY_A,
        "【篇二】鹤隆村关于2020年意识形态工作落实情况的报告",
        *BODY_B,
    ], heading="意识形态工作总结报告范文两篇"))
    assert [c.part for c in chunks] == [1, 2]
    assert chunks[0].title == "云福县交通运输局2019年意识形态工作总结"
    assert chunks[1].title == "鹤隆村关于2020年意识形态工作落实情况的报告"
    assert chunks[0].lines == tuple(BODY_A)  # intro dropped, marker and title excluded
    assert chunks[1].lines == tuple(BODY_B)


def test_marker_alone_then_title_line_traditional():
    chunks = split_reports(page([
        "篇一",
        "交通運輸局2023年落實意識形態工作情況報告",
        "年初以來，在市委的正確領導下，我局嚴格落實責任制。",
        "篇二",
        "政協機關2020年意識形態工作總結",
        "上半年，縣政協機關堅持學習。",
    ]))
    assert [c.title for c in chunks] == ["交通運輸局2023年落實意識形態工作情況報告", "政協機關2020年意識形態工作總結"]
    assert chunks[1].lines == ("上半年，縣政協機關堅持學習。",)


def test_other_marker_forms():
    for first, second in (("范文一：", "范文二："), ("第一篇", "第二篇"), ("【範文1】", "【範文2】"),
                          ("［篇一］", "［篇二］"), ("第1篇 ", "第2篇 ")):
        chunks = split_reports(page([
            f"{first}某局党组关于2024年上半年意识形态工作的专题报告", *BODY_A,
            f"{second}乡镇关于意识形态工作落实情况的报告", *BODY_B,
        ]))
        assert len(chunks) == 2, first
        assert chunks[0].title == "某局党组关于2024年上半年意识形态工作的专题报告", first
        assert chunks[1].lines == tuple(BODY_B), first


def test_marker_words_inside_a_sentence_do_not_split():
    lines = ["第一篇文章指出，要坚持正确的政治方向，我局认真学习。", *BODY_A, "第二篇文章要求，抓好落实。"]
    chunks = split_reports(page(lines, heading="某局2023年意识形态工作总结"))
    assert len(chunks) == 1
    assert chunks[0].lines == tuple(lines)


def test_markers_must_count_from_one():
    # A stray 【篇二】 with no 篇一 is still a bracketed marker; a sentence is not.
    chunks = split_reports(page(["【篇二】鹤隆村2021年意识形态工作总结", *BODY_A]))
    assert len(chunks) == 1 and chunks[0].title == "鹤隆村2021年意识形态工作总结"


def test_single_report_takes_heading_without_decorations():
    chunks = split_reports(page(BODY_A, heading="通阳村村委会20xx年意识形态工作情况报告范文",
                                page_title="通阳村村委会20xx年意识形态工作情况报告范文_好范文网"))
    assert chunks[0].title == "通阳村村委会20xx年意识形态工作情况报告"
    assert chunks[0].lines == tuple(BODY_A)


def test_single_report_page_title_fallback_and_repeated_title_dropped():
    chunks = split_reports(page(["月埠镇党委关于2022年网络意识形态工作的专题报告", *BODY_A],
                                page_title="月埠镇党委关于2022年网络意识形态工作的专题报告（通用） - 文库网"))
    assert chunks[0].title == "月埠镇党委关于2022年网络意识形态工作的专题报告"
    assert chunks[0].lines == tuple(BODY_A)


def test_single_report_own_title_differing_from_page_title_is_kept_as_written():
    chunks = split_reports(page(BODY_A, heading="xx 区委宣传部关于全区意识形态风险隐患情况排查报告范文",
                                page_title="xx区委宣传部对于全区意识形态风险隐患情况排查报告例文"))
    assert chunks[0].title == "xx 区委宣传部关于全区意识形态风险隐患情况排查报告范文"


def test_run_in_title_at_the_top_of_the_body():
    chunks = split_reports(page(["xx 区委宣传部关于全区意识形态风险隐患情况排查报告 根据《通知》,区委宣传部开展排查。",
                                 "一、总体情况"]))
    assert chunks[0].title == "xx 区委宣传部关于全区意识形态风险隐患情况排查报告"
    assert chunks[0].lines == ("根据《通知》,区委宣传部开展排查。", "一、总体情况")


def test_title_of_a_collection_page_is_not_a_report_title():
    assert is_multi_title("意识形态工作总结报告范文五篇")
    assert is_multi_title("意识形态工作情况报告范文（精选4篇）_范文网")
    assert not is_multi_title("某局2023年意识形态工作总结")
    chunks = split_reports(page(BODY_A, heading="意識形態工作總結報告範文三篇"))
    assert chunks[0].title is None


def test_clean_title_and_title_like():
    assert clean_title("青湾乡党委2022年上半年意识形态工作总结精选") == "青湾乡党委2022年上半年意识形态工作总结"
    assert clean_title("鳳杏縣壩灘鎮2020年意識形態工作總結例文_博文學習網") == "鳳杏縣壩灘鎮2020年意識形態工作總結"
    assert is_title_like("政協機關2020年意識形態工作總結")
    assert not is_title_like("一、总体情况")
    assert not is_title_like("今年以来，我局认真落实责任制。全年开展学习12次。")


def test_empty_page_gives_no_chunk():
    assert split_reports(page([], heading="某局2023年意识形态工作总结")) == []


def test_announced_collection_without_markers_splits_at_title_lines():
    chunks = split_reports(page([
        "以下是小编整理的范文两篇，仅供参考。",
        "云福县交通运输局2019年意识形态工作总结", *BODY_A,
        "鹤隆村关于2020年意识形态工作落实情况的报告", *BODY_B,
    ], heading="意识形态工作总结范文2篇"))
    assert [c.title for c in chunks] == ["云福县交通运输局2019年意识形态工作总结", "鹤隆村关于2020年意识形态工作落实情况的报告"]
    assert chunks[1].lines == tuple(BODY_B)
    # Without the announcement, a title line inside a report does not split it.
    single = split_reports(page(["云福县交通运输局2019年意识形态工作总结", *BODY_A,
                                 "鹤隆村关于2020年意识形态工作落实情况的报告", *BODY_B]))
    assert len(single) == 1


def test_clean_title_drops_a_leading_field_label():
    from indexer.extract.split import clean_title

    assert clean_title("標題：柏壩區人民檢察院2025年述職報告") == "柏壩區人民檢察院2025年述職報告"
    assert clean_title("标题: 某局2021年意识形态工作总结范文") == "某局2021年意识形态工作总结"


def test_markers_numbered_above_999_still_split():
    lines = ["以下是汇编的全部报告。"]
    for i in range(1, 1003):
        marker = f"【篇{i}】" if i % 2 else f"【{i}】"  # 【11】 after 【篇十】, as some sites number
        lines += [f"{marker}某局第{i}号意识形态工作总结", *BODY_A]
    chunks = split_reports(page(lines, heading="意识形态工作总结汇编"))
    assert len(chunks) == 1002
    assert chunks[999].title == "某局第1000号意识形态工作总结" and chunks[999].lines == tuple(BODY_A)


def test_a_footnote_number_in_square_brackets_is_no_marker():
    chunks = split_reports(page(["[1]某局2020年工作总结", *BODY_A, "[2]某局2021年工作总结", *BODY_B],
                                heading="某局2022年工作总结"))
    assert len(chunks) == 1
