"""Held-out site designs for ../shared/tools/gen_corpus.py (--extra-templates).

The extractor is tuned on nothing here: these designs exist only to check that its
general rules carry over to sites it has never seen (scripts/bench_heldout runs them).
They differ from the dev corpus' designs on purpose: table layouts, forum posts, a
modern card layout, other split markers (范文一：, 第二篇, marker on its own line),
other chrome wording, disclaimers inside the article, comment threads.
"""
from __future__ import annotations

import html

from gen_corpus import CN_ORD, COLUMNS, Doc, SiteTemplate, esc  # noqa: F401


class HeldoutBase(SiteTemplate):
    marker_style = "fanwen"  # fanwen | dipian | alone

    def reports(self, doc, page, ctx, title_tag="h2", title_cls="title", first_title_done=False):
        multi = len(page.reports) > 1
        if multi:
            doc.chrome(ctx.conv(f"{page.page_title}由网友精心收集整理，欢迎阅读借鉴，下面就一起来看看吧。"),
                       tag="p", cls="lead")
        for k, rep in enumerate(page.reports):
            if multi:
                ordn = CN_ORD[k] if k < 10 else str(k + 1)
                if self.marker_style == "fanwen":
                    t = ctx.conv(f"范文{ordn}：") + rep.title
                    doc.content(t, f'<{title_tag} class="{title_cls}">{esc(t)}</{title_tag}>')
                elif self.marker_style == "dipian":
                    t = ctx.conv(f"第{ordn}篇 ") + rep.title
                    doc.content(t, f'<{title_tag} class="{title_cls}">{esc(t)}</{title_tag}>')
                else:
                    m = ctx.conv(f"篇{ordn}")
                    doc.content(m, f'<p class="num"><b>{esc(m)}</b></p>')
                    doc.content(rep.title, f'<{title_tag} class="{title_cls}">{esc(rep.title)}</{title_tag}>')
            elif not first_title_done:
                doc.content(rep.title, f'<{title_tag} class="{title_cls}">{esc(rep.title)}</{title_tag}>')
            self.body(doc, rep, ctx)


class T7(HeldoutBase):
    """Government-portal style in tables: 首页 → … trail, 文章来源/点击数/更新时间,
    【打印本页】【关闭窗口】, 上一条/下一条, 推荐阅读, 主办单位/技术支持 footer."""
    name, site_name, domain = "t7", "党建资料中心", "www.djzlzx.example"
    para_style, txt_wrap = "br", 120
    marker_style = "dipian"

    def compose(self, doc, page, ctx):
        c = ctx.conv
        self.head(doc, page, ctx, "td{padding:4px}")
        doc.html('<body><table width="980" align="center"><tr><td colspan="2" class="banner">')
        doc.chrome(c("网站首页 | 党建动态 | 理论学习 | 文件资料 | 专题专栏 | 联系我们"), tag="td")
        doc.html('</td></tr><tr><td width="220" valign="top" class="side"><table>')
        doc.chrome(c("推荐阅读"), tag="b")
        for t in ctx.other_titles(ctx.rng.randint(3, 6)):
            doc.chrome(t, f'<tr><td>· <a href="/show/{ctx.rng.randint(1000, 9999)}.html">{esc(t)}</a></td></tr>')
        doc.html('</table></td><td valign="top">')
        doc.chrome(c("首页 → 文章中心 → ") + c(ctx.rng.choice(COLUMNS)), tag="div", cls="trail")
        doc.chrome(page.page_title, tag="div", cls="bigtitle")
        doc.chrome(c("文章来源：本站原创　点击数：") + str(ctx.rng.randint(10, 9999)) + c("　更新时间：") + (page.publish_date or ""),
                   tag="div", cls="info")
        doc.html('<table><tr><td class="content">\n')
        self.article(doc, page, ctx, title_tag="div", title_cls="subtitle")
        doc.html("</td></tr></table>\n")
        doc.chrome(c("【打印本页】【关闭窗口】【返回顶部】"), tag="div", cls="tools")
        for label, t in zip(["上一条：", "下一条："], ctx.other_titles(2)):
            doc.chrome(c(label) + t, tag="div")
        doc.html("</td></tr></table>\n")
        self.hidden(doc, ctx)
        doc.chrome(c("主办单位：党建资料中心　技术支持：网络科技有限公司　") + ctx.icp(), tag="div", cls="ft")
        doc.html("</body></html>\n")


class T8(HeldoutBase):
    """Forum thread: 楼主 post with the report, 发表于, signature, 回复/引用/举报
    buttons, replies by other users, 标签 line."""
    name, site_name, domain = "t8", "公文交流论坛", "bbs.gongwenjl.example"
    para_style, txt_blank_lines = "div", False
    marker_style = "alone"

    def compose(self, doc, page, ctx):
        c = ctx.conv
        self.head(doc, page, ctx, ".post{border:1px solid #ccc}")
        doc.html('<body><div id="hd">')
        doc.chrome(c("公文交流论坛 » 版块 » 材料分享区 » 查看帖子"), tag="div", cls="nav")
        doc.html('</div><div id="thread">')
        doc.chrome(c("标题：") + page.page_title, tag="h1")
        doc.chrome(c("楼主 ") + c(ctx.rng.choice(["笔杆子", "老秘书", "材料狗"])) + str(ctx.rng.randint(10, 999))
                   + c(" 发表于 ") + ctx.date_time(), tag="div", cls="authi")
        doc.html('<div class="post"><div class="t_f">\n')
        self.article(doc, page, ctx, title_tag="h3", title_cls="ptitle")
        doc.html("</div>\n")
        doc.chrome(c("签名：材料写作，重在积累，欢迎交流。"), tag="div", cls="sign")
        doc.chrome(c("回复 引用 举报 收藏 支持(") + str(ctx.rng.randint(0, 99)) + ")", tag="div", cls="po")
        doc.html("</div>\n")
        for i in range(ctx.rng.randint(1, 3)):
            doc.chrome(c(f"{i + 2}楼 ") + c(ctx.rng.choice(["路过的", "新手上路"])) + str(ctx.rng.randint(100, 999))
                       + c(" 发表于 ") + ctx.date_time(), tag="div", cls="authi")
            doc.chrome(c(ctx.rng.choice(["感谢楼主分享，正需要这个材料", "顶一个，写得很规范", "收藏了，谢谢"])),
                       tag="div", cls="reply")
        doc.chrome(c("标签：") + " ".join(c(w) for w in ["意识形态", "总结", "报告"]), tag="div", cls="tags")
        doc.html("</div>")
        self.hidden(doc, ctx)
        doc.chrome(c("Powered by 论坛程序 © 2001-2024 ") + ctx.icp(), tag="div", cls="ft")
        doc.html("</body></html>\n")


class T9(HeldoutBase):
    """Modern card layout without semantic tags: author card with 关注 button,
    disclaimer inside the article, 扫一扫分享, 相关推荐 cards with a summary line."""
    name, site_name, domain = "t9", "笔尖写作", "www.bijianxiezuo.example"
    para_style, txt_lead_space = "indent", True
    marker_style = "fanwen"

    def compose(self, doc, page, ctx):
        c = ctx.conv
        self.head(doc, page, ctx, ".card{box-shadow:0 1px 2px #999}")
        doc.html('<body><div class="app"><div class="topbar">')
        doc.chrome(c("发现 写作 专题 会员 下载APP"), tag="div", cls="tabs")
        doc.html('</div><div class="card main"><div class="article-header">')
        doc.chrome(page.page_title, tag="div", cls="h")
        doc.chrome(c(ctx.rng.choice(["写作达人", "公文小助手"])) + c(" 关注 ") + (page.publish_date or "")
                   + c(" 字数 ") + str(ctx.rng.randint(1000, 9000)), tag="div", cls="author")
        doc.html('</div><div class="article-content">\n')
        self.article(doc, page, ctx, title_tag="div", title_cls="rt")
        doc.chrome(c("声明：本文内容由互联网用户自发贡献，该文观点仅代表作者本人。本站仅提供信息存储空间服务，如发现侵权内容请联系删除。"),
                   tag="div", cls="statement")
        doc.html("</div>")
        doc.chrome(c("扫一扫 分享到朋友圈 赞(") + str(ctx.rng.randint(0, 300)) + ")", tag="div", cls="share")
        doc.html('</div><div class="card">')
        doc.chrome(c("相关推荐"), tag="div", cls="rh")
        for t in ctx.other_titles(ctx.rng.randint(2, 5)):
            doc.chrome(t, f'<div class="rec"><a href="/p/{ctx.rng.randint(10**5, 10**6)}">{esc(t)}</a></div>')
        doc.html("</div>")
        self.hidden(doc, ctx)
        doc.chrome(c("© 笔尖写作 用户协议 隐私政策 ") + ctx.icp(), tag="div", cls="ft")
        doc.html("</div></body></html>\n")


TEMPLATES = [T7(), T8(), T9()]
