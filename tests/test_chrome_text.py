"""Chrome stripping on hand-written text dumps (scraped pages saved as text)."""
from __future__ import annotations

import re

import pytest

from indexer.extract.chrome import clean_page
from indexer.extract.chrome_lines import Item, select
from indexer.extract.model import DecodedPage, ExtractError, RawPage

P1 = "今年以来，在县委的正确领导下，我局认真落实意识形态工作责任制，把意识形态工作摆在重要位置，取得了较好成效。"
P2 = "局党组定期研究意识形态工作，明确班子成员分工，层层压实责任，形成了一级抓一级、层层抓落实的工作格局。"
P3 = "意识形态工作的方式方法还不够丰富，基层宣传力量比较薄弱，网络舆情研判能力有待进一步提高。"
P4 = "下一步，我们将继续加强理论学习，完善工作机制，强化阵地管理，推动意识形态工作再上新台阶。"


def dump(text: str) -> DecodedPage:
    raw = RawPage(source="t.txt", identity="t.txt", data=text.encode("utf-8"), format_hint="txt")
    return DecodedPage(raw=raw, text=text, encoding="utf-8", format="txt")


def test_breadcrumb_meta_related_titles_and_footer_are_dropped():
    text = f"""位置：主页 » 总结大全 » 正文
某县教育局2023年意识形态工作总结
来源：本站整理  更新时间：2023-11-02  热度：356
{P1}
一、主要做法
{P2}
二、存在不足
{P3}
{P4}
猜你喜欢
某乡镇2022年党建工作总结
关于基层意识形态工作的调研报告
某局2023年上半年工作总结
备案号：浙ICP备0000000号 联系邮箱 admin@example.com
"""
    clean = clean_page(dump(text))
    assert clean.heading == "某县教育局2023年意识形态工作总结"
    assert clean.page_title == "某县教育局2023年意识形态工作总结"
    assert clean.publish_date == "2023-11-02"
    assert list(clean.lines) == [P1, "一、主要做法", P2, "二、存在不足", P3, P4]


def test_repeated_title_teaser_and_menu_line():
    text = f"""首页 工作总结 工作计划 心得体会 述职报告 调研报告
某社区2024年意识形态工作情况报告
分类: 工作报告 / 日期: 2024-02-01
某社区2024年意识形态工作情况报告今年以来，在县委的正确领导下，我局认真落实意识形态工作责任制...
某社区2024年意识形态工作情况报告
{P1}
{P2}
"""
    clean = clean_page(dump(text))
    assert clean.heading == "某社区2024年意识形态工作情况报告"
    assert list(clean.lines) == [P1, P2]


def test_inner_title_line_becomes_heading_and_outer_is_the_page_title():
    text = f"""某局意识形态工作情况报告范文
发布时间:2022-05-05 10:00:00
 某局意识形态工作情况报告
{P1}
{P2}
"""
    clean = clean_page(dump(text))
    assert clean.page_title == "某局意识形态工作情况报告范文"
    assert clean.heading == "某局意识形态工作情况报告"
    assert list(clean.lines) == [P1, P2]


def test_title_run_into_the_first_paragraph_is_split_off():
    text = f"""某局关于意识形态工作的报告例文
 某局关于意识形态工作的报告范文 {P1}
{P2}
"""
    clean = clean_page(dump(text))
    assert clean.heading == "某局关于意识形态工作的报告范文"
    assert list(clean.lines) == [P1, P2]


def test_paragraph_broken_over_two_lines_is_rejoined_but_headings_are_not():
    a, b = P1[:45], P1[45:]
    text = f"""某镇2023年工作总结
{a}
{b}
（一）加强组织领导
{P2}
"""
    clean = clean_page(dump(text))
    assert list(clean.lines) == [P1, "（一）加强组织领导", P2]


def test_boilerplate_intro_goes_markers_and_report_titles_stay():
    text = f"""意识形态工作总结范文三篇
以下是小编为大家整理的意识形态工作总结范文三篇，仅供参考，希望对大家有所帮助。
【篇一】甲镇意识形态工作总结
{P1}
{P2}
【篇二】乙局意识形态工作总结
{P3}
{P4}
上一篇：某局工作计划
下一篇：某镇工作总结
"""
    clean = clean_page(dump(text))
    assert clean.heading == "意识形态工作总结范文三篇"
    assert list(clean.lines) == ["【篇一】甲镇意识形态工作总结", P1, P2, "【篇二】乙局意识形态工作总结", P3, P4]


def test_marker_on_its_own_line_keeps_the_report_title_after_it():
    text = f"""工作总结两篇
篇一
甲局2023年工作总结
{P1}
{P2}
篇二
乙局2023年工作总结
{P3}
"""
    clean = clean_page(dump(text))
    assert list(clean.lines) == ["篇一", "甲局2023年工作总结", P1, P2, "篇二", "乙局2023年工作总结", P3]


def test_traditional_chrome_lines():
    text = """網站首頁 個人文檔 工作總結 述職報告 心得體會
某縣政協機關2020年意識形態工作總結
欄目: 工作總結 / 發佈於: 2020-08-08 / 人氣:1.2W
今年以來，縣政協機關堅持以新時代中國特色社會主義思想為指導，認真落實意識形態工作責任制，取得明顯成效。
一是強化組織領導，把意識形態工作納入黨建考評，層層壓實工作責任，形成齊抓共管的良好局面。
分享到：微信 QQ空間 新浪微博
熱門文章
某鄉鎮工作總結
某局述職報告
版權所有 © 某某範文網
"""
    clean = clean_page(dump(text))
    assert clean.heading == "某縣政協機關2020年意識形態工作總結"
    assert clean.publish_date == "2020-08-08"
    assert len(clean.lines) == 2 and clean.lines[1].startswith("一是強化組織領導")


def test_disclaimer_and_comments_after_the_body_are_dropped():
    text = f"""某局工作报告
{P1}
{P2}
展开阅读全文
本文档由网友上传，如涉及版权问题请与我们联系，我们将及时处理。
网友评论
访客8812：写得很好，很有参考价值
"""
    clean = clean_page(dump(text))
    assert list(clean.lines) == [P1, P2]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n  \n",
        "首页 | 工作总结 | 工作计划\n抱歉，您访问的文章不存在或已被删除。\n热门文章\n某局工作总结\n某镇调研报告\nCopyright 2024",
    ],
)
def test_chrome_only_dumps_are_no_content(text):
    with pytest.raises(ExtractError) as err:
        clean_page(dump(text))
    assert err.value.reason.startswith("no_content")


def test_selection_reports_what_it_dropped():
    sel = select([Item("当前位置：首页 > 总结"), Item("某局工作总结"), Item(P1), Item(P2), Item("Copyright 2024 某网")])
    assert sel.lines == (P1, P2)
    assert "Copyright 2024 某网" in sel.dropped


@pytest.mark.parametrize("blurb", [
    "范文资料网致力于为广大用户提供各类优质范文，内容涵盖总结、计划、报告。",
    "范文资料网致力于为广大用户提供各类优质范文，内容涵盖总结、计划、报告、讲话等。\n"
    "本站资料均由网友整理提供，欢迎大家学习交流，共同提高写作水平，谢谢大家的支持。",
], ids=["one paragraph", "two paragraphs"])
def test_site_blurb_above_the_title_and_publish_info_is_not_body(blurb):
    text = f"""{blurb}
某街道2023年意识形态工作总结
发布时间：2023-12-01 作者：佚名
{P1}
{P2}
"""
    clean = clean_page(dump(text))
    assert clean.heading == "某街道2023年意识形态工作总结"
    assert list(clean.lines) == [P1, P2]


def test_one_line_preamble_before_an_unnumbered_heading_is_body():
    text = f"""某局2023年工作总结
{P1}
全年意识形态工作开展情况
{P2}
{P3}
"""
    clean = clean_page(dump(text))
    assert list(clean.lines) == [P1, "全年意识形态工作开展情况", P2, P3]


def test_seed_pages_keep_every_report_line_and_drop_their_chrome(shared_dir):
    import json
    import unicodedata

    from indexer.extract.decode import decode_page

    def squeeze(text: str) -> str:
        text = unicodedata.normalize("NFKC", text)
        return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")

    def ungarbled(line: str) -> str:
        # the seed gold keeps the ASCII remnants of two lost characters (?20xx, 工作?,F將),
        # which the mojibake stage drops
        return re.sub(r"^\?|\?,F", "", line)

    gold = json.loads((shared_dir / "corpus" / "seeds_gold.json").read_text(encoding="utf-8"))
    for page in gold["pages"]:
        path = shared_dir / page["path"]
        raw = RawPage(source=str(path), identity=page["path"], data=path.read_bytes(), format_hint="txt")
        clean = clean_page(decode_page(raw))
        kept = squeeze("".join(clean.lines))
        for rep in page["reports"]:
            assert squeeze(rep["body"]) in kept or all(
                squeeze(ungarbled(line)) in kept for line in rep["body"].split("\n")
            ), (page["path"], rep["title"])
        for line in page["chrome_lines"]:
            assert squeeze(line) not in kept, (page["path"], line)
        assert squeeze(clean.heading) in {squeeze(r["title"]) for r in page["reports"]} | {
            squeeze(page["page_title"])
        }


def test_a_report_title_is_never_joined_with_the_paragraph_after_it():
    text = f"""两篇总结
范文一
某某区人力资源和社会保障局关于意识形态领域风险隐患排查报告
{P1}
{P2}
范文二
某某区人力资源和社会保障局关于意识形态工作落实情况的报告
{P3}
"""
    clean = clean_page(dump(text))
    assert clean.lines[1] == "某某区人力资源和社会保障局关于意识形态领域风险隐患排查报告"
    assert clean.lines[2] == P1


@pytest.mark.parametrize(
    "line, cue",
    [
        ("当前位置：首页 > 工作总结 > 正文", "breadcrumb"),
        ("您的位置: 主页 » 范文", "breadcrumb"),
        ("發佈時間：2021-05-05 瀏覽：33", "meta"),
        ("2023-05-01 12:00", "meta"),
        ("上一篇：某局工作总结", "cue"),
        ("Copyright © 2024 某网 版权所有", "cue"),
        ("以下是小编整理的工作总结，仅供参考，希望对大家有所帮助。", "cue"),
        ("首页 | 工作总结 | 工作计划 | 心得体会", "menu"),
        ("相关文章", "label"),
        ("Share Tweet Email", "no_chinese"),
        ("一、主要做法", None),
        ("今年以来，我局坚持以问题为导向，认真查找工作中的不足，取得了一定成效。", None),
        ("以上是某局意识形态工作有关情况，不妥之处，请批评指正。", None),
        ("本文由我局撰写，现将有关情况报告如下。", None),
    ],
)
def test_chrome_cues(line, cue):
    from indexer.extract import lines as L

    assert L.chrome_cue(L.fold(line)) == cue


def test_line_roles():
    from indexer.extract import lines as L

    assert L.is_title_like(L.fold("关于加强宣传、组织、统战工作情况的调研报告"))
    assert not L.is_prose(L.fold("关于加强宣传、组织、统战工作情况的调研报告"))
    assert not L.is_title_like(L.fold("一、工作开展情况"))
    assert L.is_heading_start(L.fold("（三）加强阵地建设")) and L.is_heading_start("2.加强学习")
    assert not L.is_heading_start("2023年以来")
    assert L.is_marker(L.fold("【篇二】某局工作总结")) and L.is_marker("范文三") and L.is_marker("第2篇：")
    assert not L.is_marker("篇幅有限，不再赘述。")
    assert L.find_date(L.fold("發佈時間：2021年5月6日")) == "2021-05-06"
    assert L.find_date("共计2021-05-06") is None  # a date needs a publish cue before it
    # ... or a byline: its words on either side, a clock time after it, or a short name
    assert L.find_date(L.fold("2005-04-05 06:40更新 来源：转载文章")) == "2005-04-05"
    assert L.find_date("写作达人 关注 2018-08-08 字数 7654") == "2018-08-08"
    assert L.find_date("原创 笔杆子 机关写作参考 2024-07-03") == "2024-07-03"
    assert L.find_date("掌上资讯 2025-09-03 21:09") == "2025-09-03"
    assert L.find_date("机关笔记 2025-05-01") == "2025-05-01"
    assert L.find_date("截至2021年5月6日，全县累计走访群众3000余户，收集意见建议120条，关注民生。") is None
    assert L.find_date("某县某局关于2021年意识形态工作的报告 2021-05-06") is None  # a related item


def test_teaser_stream_and_call_to_action_after_the_body_are_dropped():
    text = f"""某县教育局2023年意识形态工作总结
某某资讯 2023-11-02 10:20
{P1}
{P2}
{P3}
APP内打开，阅读体验更佳 >>
举报/反馈
更多精彩
某镇召开意识形态工作专题会议
会议强调，要进一步提高政治站位，压紧压实工作责任，确保各项部署落地见效，推动工作再上新台阶…
本地新闻 · 3小时前
某县扎实推进基层宣传阵地建设
今年以来，当地坚持问题导向，扎实推进各项重点工作，取得了阶段性成效，群众获得感不断增强…
本地新闻 · 5小时前
"""
    assert clean_page(dump(text)).lines == (P1, P2, P3)


def test_a_thread_of_dated_comments_under_the_post_is_not_the_body():
    comments = "\n".join(
        f"# re: 网友{k} 2023-06-0{k} 1{k}:30\n{(P2, P3, P4)[k % 3][:40]}，我们单位也是这样做的。" for k in range(1, 7))
    text = f"""某局2023年意识形态工作总结
{P1}
{P2}
发表于 2023-06-01 09:12 | 阅读(88)
评论
{comments}
"""
    assert clean_page(dump(text)).lines == (P1, P2)


def test_call_to_action_lines_inside_the_body_are_chrome():
    for cta in ("APP内打开，阅读体验更佳 >>", "打开客户端查看全文", "点击上方蓝字关注我们", "阅读原文 ›"):
        text = f"某局工作总结\n{P1}\n{cta}\n{P2}\n{P3}\n"
        assert clean_page(dump(text)).lines == (P1, P2, P3), cta


def test_an_official_document_keeps_its_number_and_signature():
    text = f"""某某县人民政府关于做好冬季防寒工作的通知
某政发〔2023〕12号
{P1}
{P2}
特此通知。
某某县人民政府
2023年12月1日
【打印本页】【关闭窗口】
"""
    assert clean_page(dump(text)).lines == ("某政发〔2023〕12号", P1, P2, "特此通知。", "某某县人民政府", "2023年12月1日")


def test_a_short_opening_sentence_above_the_first_paragraph_is_body():
    text = f"""某局工作总结
发布时间：2023-01-05
这一年，我们干得很扎实！
{P1}
{P2}
"""
    assert clean_page(dump(text)).lines == ("这一年，我们干得很扎实！", P1, P2)
