"""Chrome stripping on hand-written HTML pages in several site styles (none copied from the
dev corpus templates), including hostile input."""
from __future__ import annotations

import pytest

from indexer.extract.chrome import clean_page
from indexer.extract.model import DecodedPage, ExtractError, RawPage

P1 = "按照县委统一部署，今年以来，我局党组认真落实意识形态工作责任制，牢牢掌握意识形态工作领导权，现将有关情况报告如下。"
P2 = "局党组坚持把意识形态工作纳入重要议事日程，每季度专题研究一次，做到与业务工作同部署、同落实、同检查、同考核。"
P3 = "部分干部对意识形态工作的重要性认识不足，理论学习的系统性不强，网络舆情应对能力有待提高，需要在今后工作中认真加以解决。"
P4 = "下一步，我们将进一步压实工作责任，创新宣传方式，加强阵地管理，推动意识形态工作责任制落地见效，为全县发展提供思想保证。"


def page(html: str, url: str | None = None) -> DecodedPage:
    raw = RawPage(source="t.html", identity="t.html", data=html.encode("utf-8"), url=url, format_hint="html")
    return DecodedPage(raw=raw, text=html, encoding="utf-8", format="html")


def joined(clean) -> str:
    return "\n".join(clean.lines)


def test_table_layout_site_with_br_paragraphs():
    html = f"""<html><head><title>城关镇2023年意识形态工作总结 - 范文之家</title></head><body>
    <table width="960"><tr><td class="nav"><a href="/">首页</a> | <a href="/a">工作总结</a> | <a href="/b">心得体会</a> | <a href="/c">演讲稿</a></td></tr>
    <tr><td width="700" valign="top">
      <font size="2">当前位置：<a href="/">首页</a> &gt; <a href="/a">工作总结</a></font>
      <h1>城关镇2023年意识形态工作总结</h1>
      <font color="#999">发布日期：2023年12月08日 | 点击数：1288</font>
      <div class="zw">{P1}<br><br>一、主要工作<br>{P2}<br>二、存在的问题<br>{P3}<br>三、下一步打算<br>{P4}</div>
      <a href="/x1">上一篇：某县民政局工作总结</a><br><a href="/x2">下一篇：关于网络安全的调研报告</a>
    </td><td width="260" valign="top"><b>推荐阅读</b><br>
      <a href="/r1">北关镇2022年党建工作总结</a><br><a href="/r2">县委宣传部2023年工作计划</a><br>
      <a href="/r3">关于加强基层党组织建设的调研报告</a></td></tr>
    <tr><td colspan="2">Copyright 2010-2024 范文之家 All Rights Reserved 京ICP备12345678号</td></tr></table></body></html>"""
    clean = clean_page(page(html))
    assert clean.heading == "城关镇2023年意识形态工作总结"
    assert clean.page_title == "城关镇2023年意识形态工作总结"
    assert clean.publish_date == "2023-12-08"
    assert list(clean.lines) == [P1, "一、主要工作", P2, "二、存在的问题", P3, "三、下一步打算", P4]


def test_blog_style_article_with_tags_share_and_script_inside_content():
    html = f"""<!doctype html><html><head><meta charset="utf-8"><title>某局党组意识形态工作情况报告｜公文网</title>
    <link rel="canonical" href="https://www.gongwen.example/a/123.html">
    <meta property="article:published_time" content="2024-03-05T08:00:00+08:00"></head>
    <body><header class="site"><a class="logo" href="/">公文网</a><nav><a>首页</a><a>报告</a><a>总结</a></nav></header>
    <div class="wrap"><article class="post"><h1 class="entry-title">某局党组意识形态工作情况报告</h1>
    <div class="entry-meta"><span>作者：小王</span> <span>浏览：321</span></div>
    <div class="entry-content"><p>{P1}</p><script>document.write("<p>广告位招租，联系电话12345678</p>")</script>
    <h2>一、工作开展情况</h2><p>{P2}</p><p style="display:none">隐藏的推广文字不应该出现</p>
    <h2>二、存在的问题</h2><p>{P3}</p><p>{P4}</p></div>
    <div class="post-tags">标签：<a>意识形态</a> <a>工作报告</a></div>
    <div class="share-bar">分享到：<a>微信</a> <a>微博</a> <a>QQ</a></div></article>
    <aside class="sidebar"><h3>热门文章</h3><ul><li><a>关于意识形态工作的调研报告</a></li><li><a>2023年宣传思想工作总结</a></li></ul></aside>
    </div><footer><p>本站文章均来自网络，如有侵权请联系删除</p></footer></body></html>"""
    clean = clean_page(page(html))
    assert list(clean.lines) == [P1, "一、工作开展情况", P2, "二、存在的问题", P3, P4]
    assert clean.url == "https://www.gongwen.example/a/123.html"
    assert clean.site == "gongwen.example"
    assert clean.publish_date == "2024-03-05"
    assert "广告" not in joined(clean) and "隐藏" not in joined(clean)


def test_logo_h1_is_not_the_heading():
    html = f"""<html><head><title>县统计局2022年工作总结_范文网</title></head><body>
    <h1 class="logo">范文网</h1>
    <div class="main"><h2 class="title">县统计局2022年工作总结</h2>
    <div class="text"><p>{P1}</p><p>{P2}</p><p>{P3}</p></div></div></body></html>"""
    clean = clean_page(page(html))
    assert clean.heading == "县统计局2022年工作总结"
    assert list(clean.lines) == [P1, P2, P3]


def test_multi_report_page_keeps_markers_and_drops_boilerplate_intro():
    html = f"""<html><head><title>意识形态工作总结（精选2篇）</title></head><body>
    <div id="content"><h1>意识形态工作总结（精选2篇）</h1>
    <p>以下是小编为大家收集的意识形态工作总结（精选2篇），仅供参考，欢迎大家阅读。</p>
    <p><strong>【篇一】甲镇2023年意识形态工作总结</strong></p><p>{P1}</p><p>{P2}</p>
    <p><strong>【篇二】乙局2023年意识形态工作总结</strong></p><p>{P3}</p><p>{P4}</p>
    </div><div class="related"><a>其他范文一</a><a>其他范文二</a></div></body></html>"""
    clean = clean_page(page(html))
    assert clean.heading == "意识形态工作总结（精选2篇）"
    assert list(clean.lines) == [
        "【篇一】甲镇2023年意识形态工作总结", P1, P2, "【篇二】乙局2023年意识形态工作总结", P3, P4,
    ]


def test_markers_beside_the_text_blocks_are_kept():
    # each report's text in its own box, the 【篇N】 headings between the boxes
    html = f"""<html><body><div class="art"><h1>工作总结两篇</h1>
    <h3>【篇一】甲局工作总结</h3><div class="box">{P1}<br>{P2}<br>{P3}<br>{P4}<br>{P1}</div>
    <h3>【篇二】乙局工作总结</h3><div class="box">{P3}</div></div>
    <div class="side"><p>热门下载</p></div></body></html>"""
    clean = clean_page(page(html))
    assert clean.lines[0] == "【篇一】甲局工作总结"
    assert "【篇二】乙局工作总结" in clean.lines
    assert clean.lines[-1] == P3


def test_traditional_chrome_is_recognised():
    html = f"""<html><head><title>某縣委宣傳部工作報告_範文網</title></head><body>
    <div class="crumb">當前位置：首頁 &gt; 範文大全 &gt; 工作報告</div>
    <h1>某縣委宣傳部工作報告</h1><div class="info">發佈時間：2021-09-30 閱讀：99</div>
    <div class="body"><p>今年以來，縣委宣傳部認真貫徹落實上級關於意識形態工作的決策部署，紮實推進各項工作，取得了明顯成效。</p>
    <p>一是加強理論武裝，堅持黨組中心組學習制度，全年開展集中學習十二次，專題研討四次，理論水平不斷提高。</p></div>
    <div class="pn">上一篇：某鄉鎮工作總結</div><h3>相關文章</h3><ul><li><a>某局工作報告</a></li></ul>
    <div class="ft">Copyright © 2021 版權所有 範文網</div></body></html>"""
    clean = clean_page(page(html))
    assert clean.heading == "某縣委宣傳部工作報告"
    assert clean.publish_date == "2021-09-30"
    assert len(clean.lines) == 2 and clean.lines[0].startswith("今年以來")


def test_page_wrapped_in_a_form_keeps_its_content():
    html = f"""<html><body><form id="form1" method="post"><div class="top">登录 | 注册</div>
    <h1>某街道工作报告</h1><div class="c"><p>{P1}</p><p>{P2}</p><p>{P3}</p></div></form></body></html>"""
    clean = clean_page(page(html))
    assert list(clean.lines) == [P1, P2, P3]


def test_deeply_nested_unclosed_divs_do_not_break_parsing():
    html = "<html><body>" + "<div><span>" * 5000 + f"<h1>某局工作总结</h1><p>{P1}</p><p>{P2}</p></body></html>"
    clean = clean_page(page(html))
    assert clean.heading == "某局工作总结"
    assert P1 in clean.lines and P2 in clean.lines


def test_deep_nesting_with_text_at_every_level_falls_back_to_text():
    html = "<html><body>" + "".join(f"<div>第{i}层" for i in range(3000)) + f"<p>{P1}</p><p>{P2}</p></body></html>"
    clean = clean_page(page(html))
    assert any(P1 in line for line in clean.lines)


def test_large_page_is_handled():
    filler = "<script>" + "x" * 4_000_000 + "</script>"
    html = f"<html><body>{filler}<h1>某局工作总结</h1><p>{P1}</p><p>{P2}</p></body></html>"
    assert clean_page(page(html)).lines == (P1, P2)


def test_chrome_only_page_is_no_content():
    html = """<html><body><div class="nav">首页 | 工作总结 | 调研报告 | 述职报告</div>
    <h1>文章不存在</h1><p>抱歉，您访问的页面不存在或已被删除。</p>
    <h3>热门文章</h3><ul><li><a>某局2023年工作总结</a></li><li><a>某镇2022年调研报告</a></li></ul>
    <div>Copyright © 2024 某某网 版权所有</div></body></html>"""
    with pytest.raises(ExtractError) as err:
        clean_page(page(html))
    assert err.value.reason.startswith("no_content")


@pytest.mark.parametrize("html", ["", "   ", "<html></html>", "<html><body><script>var a=1;</script></body></html>"])
def test_empty_documents_are_no_content(html):
    with pytest.raises(ExtractError):
        clean_page(page(html))


def test_h1_inside_a_header_element_is_still_the_heading():
    html = f"""<html><body><article><header><h1>某县审计局2023年工作总结</h1><p>2023-12-01 · 阅读 88</p></header>
    <p>{P1}</p><p>{P2}</p><footer>来源：审计局办公室</footer></article></body></html>"""
    clean = clean_page(page(html))
    assert clean.heading == "某县审计局2023年工作总结"
    assert list(clean.lines) == [P1, P2]


def test_jammer_spans_hidden_by_the_page_stylesheet_are_removed():
    html = f"""<html><head><style>.jm {{ display : none }} p{{margin:0}}</style></head><body>
    <h1>某局工作总结</h1><div class="c"><p>今年以来<span class="jm">x9k</span>，我局{P1}</p><p>{P2}</p></div></body></html>"""
    clean = clean_page(page(html))
    assert clean.lines[0] == "今年以来，我局" + P1


def test_relative_canonical_is_resolved_against_the_warc_url():
    html = f"""<html><head><link rel="canonical" href="/wz/88.html"></head><body>
    <h1>某局工作总结</h1><p>{P1}</p><p>{P2}</p></body></html>"""
    clean = clean_page(page(html, url="http://www.a.example/list/88.html?from=x"))
    assert clean.url == "http://www.a.example/wz/88.html"
    assert clean.site == "a.example"


def _squeeze(text: str) -> str:
    import unicodedata

    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if unicodedata.category(ch)[0] in "LN")


def test_dev_corpus_keeps_report_text_and_drops_chrome(shared_dir):
    """On the dev pages, the cleaned lines hold every gold body line and (almost) no gold
    chrome line of 6+ characters; chrome-only pages are no_content."""
    import json

    from indexer.extract.decode import decode_page

    corpus = shared_dir / "corpus" / "dev"
    missing = leaked = chrome_total = body_total = 0
    for row in (corpus / "gold.jsonl").read_text(encoding="utf-8").splitlines():
        gold = json.loads(row)
        path = corpus / gold["path"]
        raw = RawPage(source=str(path), identity=gold["path"], data=path.read_bytes(),
                      format_hint=gold["format"])
        if gold["hostile"] in ("empty", "binary"):
            continue
        if gold["hostile"] == "chrome_only":
            with pytest.raises(ExtractError):
                clean_page(decode_page(raw))
            continue
        kept = _squeeze("".join(clean_page(decode_page(raw)).lines))
        for rep in gold["reports"]:
            for line in rep["body"].split("\n"):
                body_total += 1
                missing += _squeeze(line) not in kept
        # titles stay in the lines after 【篇N】: a teaser (title + body start) then matches
        titles = "".join(_squeeze(r["title"]) for r in gold["reports"])
        for line in gold["chrome_lines"]:
            sq = _squeeze(line)
            if len(sq) >= 6 and not sq.startswith(titles[:6] or "\0"):
                chrome_total += 1
                leaked += sq in kept
    assert missing / body_total <= 0.01  # mojibake lines repaired differently may differ
    assert leaked / chrome_total <= 0.005


def test_summary_box_repeating_the_opening_is_dropped():
    html = f"""<html><body><div class="post"><h1>某局工作总结</h1>
    <div class="summary">{P1[:30]}</div><p>{P1}</p><p>{P2}</p>
    <p>推荐阅读：<a href="/1.html">某镇2022年党建工作总结</a></p><p>{P3}</p>
    <p>以上就是小编整理的某局工作总结的全部内容。</p></div></body></html>"""
    clean = clean_page(page(html))
    assert list(clean.lines) == [P1, P2, P3]


def test_preformatted_text_keeps_one_paragraph_a_line():
    html = f"<html><body><h1>某局工作总结</h1><pre>\n{P1}\n一、主要做法\n{P2}\n</pre></body></html>"
    assert clean_page(page(html)).lines == (P1, "一、主要做法", P2)


def test_long_reader_comments_beside_the_article_are_not_content():
    comment = "这篇总结写得很有条理，层次清楚，我们单位正好需要参考，谢谢作者无私的分享和整理。"
    html = f"""<html><body><div class="page"><div class="article"><h1>某局工作总结</h1>
    <p>{P1 * 2}</p><p>{P2 * 2}</p><p>{P3 * 2}</p><p>{P4 * 2}</p></div>
    <div class="comments"><p>{comment}</p><p>{comment[::-1]}</p><p>{comment}</p></div></div></body></html>"""
    clean = clean_page(page(html))
    assert list(clean.lines) == [P1 * 2, P2 * 2, P3 * 2, P4 * 2]


def test_title_in_a_styled_cell_without_h1_is_the_heading():
    html = f"""<html><head><title>某县检察院2021年工作总结-某县检察网</title></head><body><table>
    <tr><td class="t"><b>某县检察院2021年工作总结</b></td></tr><tr><td>来源：办公室 日期：2022-01-10</td></tr>
    <tr><td class="txt"><p>{P1}</p><p>{P2}</p></td></tr></table></body></html>"""
    clean = clean_page(page(html))
    assert clean.page_title == "某县检察院2021年工作总结"
    assert clean.heading == "某县检察院2021年工作总结"
    assert list(clean.lines) == [P1, P2]


def test_soft_line_break_inside_a_sentence_is_rejoined_and_linked_headings_stay():
    a, b = P1[:40], P1[40:]
    html = f"""<html><body><h1>某局工作总结</h1><div class="c">
    <p>{a}<br>{b}</p><p><a href="/t/1">（一）</a><a href="/t/2">意识形态阵地建设</a></p><p>{P2}</p>
    <p><a href="/x/9.html">某镇2022年党建工作总结</a></p><p>{P3}</p></div></body></html>"""
    clean = clean_page(page(html))
    assert list(clean.lines) == [P1, "（一）意识形态阵地建设", P2, P3]


def test_article_hidden_until_a_script_shows_it_is_kept():
    html = f"""<html><head><style>.fold{{display:none}}</style></head><body><h1>某局工作总结</h1>
    <div class="fold"><p>{P1}</p><p>{P2}</p></div><div class="more">展开全文</div>
    <div style="display:none">热门下载 某镇工作总结</div></body></html>"""
    clean = clean_page(page(html))
    assert list(clean.lines) == [P1, P2]


NEWS = ("市气象台今天发布消息，受强冷空气影响，本周后期全市将出现明显降温和大风天气，最低气温可降至零下五度，"
        "请市民注意防寒保暖，出行时关注道路结冰情况，农业部门做好设施大棚的加固工作。")


@pytest.mark.parametrize("before", [
    '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">\n\n\n',
    "<!-- saved from url=(0042)http://www.a.example/ -->\n",
])
def test_markup_before_html_and_unclosed_tags_in_head_keep_the_body(before):
    # an unknown tag left open in the head (its end tag misspelt) makes libxml2 nest the
    # whole <body> inside <head>
    html = f"""{before}<html><head><title>某局工作总结-某某网</title>
    <meta http-equiv="Content-Type" content="text/html; charset=gb2312">
    <cms:include_style> </cms_include>
    </head>
    <body><div class="nav"><a>首页</a> | <a>新闻</a> | <a>论坛</a></div>
    <h1>某局工作总结</h1><div class="text"><p>{P1}</p><p>{P2}</p></div></body></html>"""
    clean = clean_page(page(html))
    assert clean.heading == "某局工作总结"
    assert list(clean.lines) == [P1, P2]


def test_one_paragraph_story_is_content():
    html = f"""<html><head><title>全市本周后期明显降温_某某新闻网</title></head><body>
    <div class="nav"><a>首页</a> | <a>本地</a> | <a>天气</a></div>
    <div class="article"><h1>全市本周后期明显降温</h1><div class="info">2024-01-08 09:12 来源：某某新闻网</div>
    <div class="body"><p>{NEWS}</p></div></div></body></html>"""
    assert clean_page(page(html)).lines == (NEWS,)


def test_story_under_its_heading_wins_over_a_longer_teaser_stream():
    teasers = "".join(
        f'<li class="item"><h4><a href="/n/{i}.html">其他新闻标题第{i}条</a></h4><p>{P1 if i % 2 else P3}{P2}</p></li>'
        for i in range(6))
    html = f"""<html><head><title>全市本周后期明显降温_某某新闻网</title></head><body>
    <div class="top"><ul class="stream">{teasers[:200]}</ul></div>
    <div class="col"><article><header><h1>全市本周后期明显降温</h1><div>某某新闻网 2024年1月8日</div></header>
    <div class="body"><p>{NEWS}</p><p>{P4}</p></div></article>
    <div class="more"><h2>你可能还想看</h2><ul class="stream">{teasers}</ul></div></div></body></html>"""
    assert clean_page(page(html)).lines == (NEWS, P4)


def test_a_story_that_opens_with_its_title_is_not_a_teaser_of_itself():
    story = f"【全市本周后期明显降温】{NEWS}"
    html = f"""<html><head><title>全市本周后期明显降温</title></head><body>
    <h1>全市本周后期明显降温</h1><div class="c"><p>{story}</p></div></body></html>"""
    assert clean_page(page(html)).lines == (story,)


def test_closing_sentence_and_signature_end_the_body():
    html = f"""<html><head><title>关于做好冬季防寒工作的通知</title></head><body><h1>关于做好冬季防寒工作的通知</h1>
    <div class="c"><p>{P1}</p><p>{P2}</p><p>特此通知。</p><p>某某县人民政府办公室</p><p>2023年12月1日</p></div>
    <div class="f">发布时间：2023-12-02 浏览次数：88</div></body></html>"""
    assert clean_page(page(html)).lines == (P1, P2, "特此通知。", "某某县人民政府办公室", "2023年12月1日")


def test_short_last_sentence_is_body_but_a_labelled_signature_is_not():
    html = f"""<html><body><h1>某局工作总结</h1><div class="c"><p>{P1}</p><p>{P2}</p>
    <p>全年共开展培训十二次。</p><p>签名：材料写作，重在积累。</p></div></body></html>"""
    assert clean_page(page(html)).lines == (P1, P2, "全年共开展培训十二次。")


def test_title_line_without_a_document_noun_anchors_the_article():
    html = f"""<html><head><title>多地迎来降温 市民添衣出行(图)</title></head><body><table><tr><td>
    <div class="nav"><a>首页</a> | <a>新闻</a></div>
    <table><tr><td><b>多地迎来降温 市民添衣出行(图)</b></td></tr></table>
    <p>{NEWS}</p><p>{P4}</p></td>
    <td><p>{P1}</p><p>{P2}</p><p>{P3}</p></td></tr></table></body></html>"""
    clean = clean_page(page(html))
    assert clean.heading == "多地迎来降温 市民添衣出行(图)"
    assert clean.lines == (NEWS, P4)


def test_a_mostly_linked_sentence_is_a_link():
    html = f"""<html><body><h1>某局工作总结</h1><div class="c"><p>{P1}</p><p>{P2}</p>
    <p>·<a href="/1.html">[图集]某市举行迎新春文艺演出，各界群众踊跃参加，场面热烈</a>(新闻)</p><p>{P3}</p></div></body></html>"""
    assert clean_page(page(html)).lines == (P1, P2, P3)


def test_a_lead_paragraph_beside_the_text_block_is_kept():
    html = f"""<html><head><title>全市本周后期明显降温</title></head><body><article>
    <h1>全市本周后期明显降温</h1><p class="date">2024-01-08</p><p class="lead">{NEWS}</p>
    <div class="body">{"".join(f"<p>{x}</p>" for x in (P1, P2, P3, P4) * 2)}</div></article>
    <div class="side"><p>热门：某镇工作总结……</p></div></body></html>"""
    assert clean_page(page(html)).lines == (NEWS, *(P1, P2, P3, P4) * 2)


def test_contents_page_without_prose_is_a_document():
    toc = [("城乡融合发展的理论逻辑与实践路径", "王某某"), ("基层治理现代化的三重维度", "李某;赵某"),
           ("数字政府建设中的数据共享机制研究", "陈某某"), ("新时代乡村人才振兴的制度保障", "刘某"),
           ("公共文化服务均等化的政策演进", "张某;周某"), ("区域协调发展战略的空间布局", "孙某某"),
           ("全球价值链视角下的产业升级路径分析", "吴某"), ("生态环境治理中的多元主体协同机制", "郑某;钱某"),
           ("共同富裕目标下的收入分配制度改革", "冯某某"), ("基本公共服务标准化建设的地方实践", "何某")]
    rows = "".join(f"<p>{t}</p><p>{a}</p>" for t, a in toc)
    html = f"""<html><head><title>某某学报2023年第2期</title></head><body>
    <ul class="nav"><li><a>首页</a></li><li><a>期刊</a></li><li><a>关于我们</a></li></ul>
    <div class="main"><div class="left"><h3>《某某学报》2023年第2期</h3><p>目录</p>{rows}</div>
    <div class="right"><h3>往期</h3><ul><li><a>2023年第1期</a></li><li><a>2022年第6期</a></li></ul></div></div>
    </body></html>"""
    clean = clean_page(page(html))
    assert clean.lines == ("目录", *[x for pair in toc for x in pair])


def test_reader_comments_outweighing_the_post_are_not_content():
    comments = "".join(
        f'<h4>#{i}楼 网友{i} 2023-05-{10 + i} 1{i}:2{i}</h4><p>{(P2, P3, P4)[i % 3][: 30 + i]}</p>' for i in range(12))
    html = f"""<html><body><div class="top"><h1><a href="/">某某的博客</a></h1></div>
    <div class="main"><div class="post"><h2><a href="/p/1">入住新博客</a></h2><p>{P1}</p><p>{P2}</p>
    <p class="foot">发表于 2023年05月09日 12:40 阅读(88)</p></div>
    <div class="feedback"><h3>评论</h3>{comments}</div></div></body></html>"""
    assert clean_page(page(html)).lines == (P1, P2)


def test_forum_thread_alone_on_its_page_keeps_its_posts():
    posts = "".join(f'<div class="post"><p>作者：网友{i} 发表于 2023-05-{10 + i} 10:0{i}</p><p>{p}</p></div>'
                    for i, p in enumerate((P1, P2, P3, P4)))
    html = f"""<html><head><title>关于意识形态工作的讨论</title></head><body>
    <h1>关于意识形态工作的讨论</h1><div class="thread">{posts}</div></body></html>"""
    lines = clean_page(page(html)).lines
    assert all(p in lines for p in (P1, P2, P3, P4))


def test_loose_text_before_the_text_block_is_kept():
    body = "".join(f"<p>{x}</p>" for x in (P1, P2, P3, P4) * 2)
    html = f"""<html><body><center><h3>某局工作总结</h3><a>回复</a> | <a>关闭</a>
    <table><tr><td><hr>{NEWS}<font>{body}</font><center>本贴由某某于2023年5月1日发表</center></td></tr></table>
    </center></body></html>"""
    assert clean_page(page(html)).lines == (NEWS, *(P1, P2, P3, P4) * 2)


def test_a_tag_with_200000_attributes_is_cut_down_before_parsing():
    from indexer.extract.chrome_html import _parse, _shrink_huge_tags

    attrs = " ".join(f'data-a{i}="x"' for i in range(200_000))
    html = f"""<html><body><div class="c" {attrs}><h1>某局工作总结</h1><p>{P1}</p><p>{P2}</p></div>
    <img src="data:image/png;base64,{'A' * 20000}"></body></html>"""
    shrunk = _shrink_huge_tags(html)
    div = _parse(shrunk).find(".//div")
    assert div.get("class") == "c" and len(div.attrib) <= 64
    assert not _parse(shrunk).find(".//img").get("src")  # a huge data: URI goes too
    assert clean_page(page(html)).lines == (P1, P2)


def test_frameset_page_reads_its_noframes_text():
    html = f"""<html><head><title>某局工作总结</title></head><frameset rows="80,*">
    <frame src="top.html"><frame src="main.html">
    <noframes><body><h1>某局工作总结</h1><p>{P1}</p><p>{P2}</p></body></noframes></frameset></html>"""
    assert clean_page(page(html)).lines == (P1, P2)


def test_frameset_without_text_says_where_the_text_is():
    html = """<html><head><title>某局</title></head><frameset cols="20%,*">
    <frame src="menu.html"><frame src="content/2023.html"></frameset></html>"""
    with pytest.raises(ExtractError) as err:
        clean_page(page(html))
    assert err.value.reason.startswith("no_content") and "content/2023.html" in err.value.reason


def test_unclosed_paragraphs_and_br_text_in_a_layout_table():
    html = f"""<html><head><title>某局工作总结</title><body><table><tr><td width=150><a>首页</a><br><a>新闻</a>
    <td>某局工作总结<br><br>{P1}<br>{P2}<p>{P3}<p>{P4}<br><br>上一篇：某镇工作总结</table>"""
    assert clean_page(page(html)).lines == (P1, P2, P3, P4)


def test_a_first_paragraph_that_opens_with_the_subject_named_in_the_title_is_kept():
    lead = "某某高新技术产业开发区，隶属某某新区，简称某某高新区，为省级高新技术产业开发区，规划用地总面积九百余公顷。"
    html = f"""<html><head><title>某某高新技术产业开发区</title></head><body>
    <h1>某某高新技术产业开发区</h1><div class="lemma"><div class="summary">{lead}</div>
    <div class="para"><p>{P1}</p><p>{P2}</p></div></div></body></html>"""
    assert clean_page(page(html)).lines == (lead, P1, P2)
