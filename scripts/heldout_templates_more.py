"""Second set of held-out site designs for gen_corpus.py (--extra-templates), written
without looking at the dev corpus templates; used only by scripts/bench_heldout."""
from gen_corpus import SiteTemplate, esc


class T7(SiteTemplate):
    """Government-portal table layout: location line, info source/date/views line, br paragraphs,
    print/close bar, related links table, organiser footer."""
    name, site_name, domain = "x7", "政务信息参考网", "www.zwxx.example"
    para_style, txt_blank_lines, txt_lead_space, txt_wrap = "br", False, False, 120

    def compose(self, doc, page, ctx):
        c = ctx.conv
        self.head(doc, page, ctx)
        doc.html('<body><table width="980" align="center"><tr><td class="banner">')
        doc.chrome(c("网站首页 政务公开 工作动态 经验交流 理论研究 资料下载"), tag="div", cls="menu")
        doc.html('</td></tr><tr><td class="main" valign="top">')
        doc.chrome(c("您所在的位置：网站首页 → 经验交流 → 正文"), tag="div", cls="loc")
        doc.chrome(page.page_title, tag="h1")
        doc.chrome(c("信息来源：本站原创　发布日期：") + (page.publish_date or "") + c("　浏览次数：") + str(ctx.rng.randint(10, 999)), tag="div", cls="laiyuan")
        doc.chrome(c("【字号：大 中 小】"), tag="div", cls="zh")
        doc.html('<td class="zw">')
        self.article(doc, page, ctx, title_tag="h3", first_title_done=False)
        doc.html('</td>')
        doc.chrome(c("【打印本页】 【关闭窗口】"), tag="div", cls="dy")
        doc.html('</td><td class="right" valign="top">')
        self.link_list(doc, "相关链接", ctx.other_titles(5), ctx, "xglj", head_tag="div")
        self.hidden(doc, ctx)
        doc.html('</td></tr><tr><td class="foot">')
        doc.chrome(c("主办单位：政务信息参考网编辑部　技术支持：某某网络科技有限公司"), tag="p")
        doc.chrome(c("网站标识码：") + str(ctx.rng.randint(10**9, 10**10)) + " " + ctx.icp(), tag="p")
        doc.html('</td></tr></table></body></html>\n')


class T8(SiteTemplate):
    """Document-library style: summary box, expand-to-read, uploader notice, prose-like comments,
    'you may also like' grid."""
    name, site_name, domain = "x8", "智汇文库", "wenku.zhihui.example"
    para_style, txt_blank_lines, txt_lead_space, txt_wrap = "indent", True, False, None

    def compose(self, doc, page, ctx):
        c = ctx.conv
        self.head(doc, page, ctx)
        doc.html('<body><div class="top">')
        doc.chrome(c("智汇文库 | 文档分类 | 上传赚钱 | 个人中心"), tag="div")
        doc.html('</div><div class="doc"><div class="doc-head">')
        doc.chrome(page.page_title, tag="h1")
        doc.chrome(c("贡献者：") + "u" + str(ctx.rng.randint(100, 999)) + c("　日期：") + (page.publish_date or "") + c("　页数：") + str(ctx.rng.randint(2, 9)), tag="div", cls="by")
        doc.html('</div><div class="doc-main">')
        self.article(doc, page, ctx, title_tag="h2")
        doc.html('</div>')
        doc.chrome(c("展开阅读全文 ∨"), tag="div", cls="expand")
        doc.chrome(c("本文档由用户上传，如涉及版权问题请及时与我们联系。"), tag="div", cls="notice")
        doc.html('<div class="cmts">')
        doc.chrome(c("用户评论"), tag="h3")
        for _ in range(2):
            doc.chrome(c("读者") + str(ctx.rng.randint(1000, 9999)) + " " + (page.publish_date or "2021-01-01") + c(" 内容很实用，已经下载收藏了，谢谢。"), tag="p")
        doc.html('</div>')
        self.link_list(doc, "你可能感兴趣的文档", ctx.other_titles(6), ctx, "like", head_tag="h3")
        self.hidden(doc, ctx)
        doc.html('</div>')
        doc.chrome(c("© 智汇文库 ") + ctx.icp(), tag="div", cls="foot")
        doc.html('</body></html>\n')


class T9(SiteTemplate):
    """Forum thread: board path, thread title, first post with author block, signature, reply bar."""
    name, site_name, domain = "x9", "公文交流论坛", "bbs.gongwen.example"
    para_style, txt_blank_lines, txt_lead_space, txt_wrap = "div", False, True, None

    def compose(self, doc, page, ctx):
        c = ctx.conv
        self.head(doc, page, ctx)
        doc.html('<body><div id="hd">')
        doc.chrome(c("公文交流论坛 › 文秘写作 › 总结报告区"), tag="div", cls="bm")
        doc.html('</div><div id="postlist"><table><tr><td class="pls">')
        doc.chrome(c("楼主 老秘书") + str(ctx.rng.randint(1, 99)), tag="div", cls="authi")
        doc.chrome(c("主题 ") + str(ctx.rng.randint(1, 99)) + c(" 帖子 ") + str(ctx.rng.randint(100, 999)) + c(" 积分 ") + str(ctx.rng.randint(100, 9999)), tag="div", cls="stat")
        doc.html('</td><td class="plc">')
        doc.chrome(page.page_title, tag="h1")
        doc.chrome(c("发表于 ") + ctx.date_time() + c(" | 只看该作者 | 倒序浏览"), tag="div", cls="pti")
        doc.html('<div class="t_f">')
        self.article(doc, page, ctx, title_tag="h2")
        doc.html('</div>')
        doc.chrome(c("签名：笔耕不辍，厚积薄发"), tag="div", cls="sign")
        doc.chrome(c("回复 引用 支持 反对 举报"), tag="div", cls="po")
        doc.html('</td></tr></table></div>')
        doc.chrome(c("返回列表 发新帖"), tag="div")
        self.hidden(doc, ctx)
        doc.chrome(c("Powered by 论坛程序 © 2001-2024"), tag="div", cls="ft")
        doc.html('</body></html>\n')


class T10(SiteTemplate):
    """Mirror of a public-account article: account line, read-original link, follow prompt,
    'people who liked this also liked' list."""
    name, site_name, domain = "x10", "公众号文章精选", "mp.jingxuan.example"
    para_style, txt_blank_lines, txt_lead_space, txt_wrap = "p", False, False, 90

    def compose(self, doc, page, ctx):
        c = ctx.conv
        self.head(doc, page, ctx)
        doc.html('<body><div class="rich_media"><h2 class="rich_media_title">')
        doc.html('</h2>')
        doc.chrome(page.page_title, tag="h1")
        doc.chrome(c("原创 笔杆子 机关写作参考 ") + (page.publish_date or ""), tag="div", cls="meta")
        self.teaser(doc, page, ctx)
        doc.html('<div class="rich_media_content">')
        self.article(doc, page, ctx, title_tag="p")
        doc.html('</div>')
        doc.chrome(c("阅读原文"), tag="a")
        doc.chrome(c("微信扫一扫关注该公众号"), tag="div")
        self.link_list(doc, "喜欢此内容的人还喜欢", ctx.other_titles(4), ctx, "rel", head_tag="div")
        self.hidden(doc, ctx)
        doc.html('</div></body></html>\n')


TEMPLATES = [T7(), T8(), T9(), T10()]


class T11(SiteTemplate):
    """Magazine-like: site blurb and search box above, title, byline, body in <section>, author
    note and long reader comments inside the article box, tag cloud, footer links."""
    name, site_name, domain = "x11", "机关文稿参考", "www.jgwg.example"
    para_style, txt_blank_lines, txt_lead_space, txt_wrap = "indent", False, True, 60

    def compose(self, doc, page, ctx):
        c = ctx.conv
        self.head(doc, page, ctx)
        doc.html('<body><div class="site-intro">')
        doc.chrome(c("机关文稿参考致力于为广大机关干部提供优质的写作素材，内容涵盖各类总结、报告和讲话。"), tag="p")
        doc.html('</div><div class="box"><section class="art">')
        doc.chrome(page.page_title, tag="h1")
        doc.chrome(c("文／本站编辑部　") + (page.publish_date or ""), tag="p", cls="byline")
        self.article(doc, page, ctx, title_tag="h2")
        doc.chrome(c("（责任编辑：王编辑）"), tag="p", cls="editor")
        doc.chrome(c("读者留言"), tag="h4")
        doc.chrome(c("张先生：这份材料结构清晰，层次分明，对我们基层单位撰写年度报告很有帮助，感谢分享。"), tag="p", cls="cm")
        doc.chrome(c("李女士：内容很全面，已经推荐给同事参考使用。"), tag="p", cls="cm")
        doc.html('</section>')
        doc.chrome(c("热门标签：总结 报告 意识形态 党建 述职"), tag="div", cls="tagcloud")
        self.link_list(doc, "本周热读", ctx.other_titles(5), ctx, "hot", head_tag="h4")
        self.hidden(doc, ctx)
        doc.html('</div>')
        doc.chrome(c("网站首页 | 投稿须知 | 合作联系 | 法律声明"), tag="div", cls="fl")
        doc.chrome("© 2015-2024 jgwg.example " + ctx.icp(), tag="div", cls="cr")
        doc.html('</body></html>\n')


TEMPLATES.append(T11())


class T12(SiteTemplate):
    """Old CMS: jammer spans inside paragraphs, inline 'recommended' link boxes between
    paragraphs, combined prev/next line, page numbers, keyword links inside the text."""
    name, site_name, domain = "x12", "老牌范文站", "www.lpfw.example"
    para_style, txt_blank_lines, txt_lead_space, txt_wrap = "br", True, False, 100

    def body(self, doc, rep, ctx):
        c = ctx.conv
        doc.html('<div id="article">\n')
        for n, (text, role, hl) in enumerate(rep.lines()):
            if role == "heading":
                inner = f"<b>{esc(text)}</b>"
            elif role == "inline":
                inner = f"<b>{esc(text[:hl])}</b>{esc(text[hl:])}"
            else:
                # a keyword link and an invisible jammer inside the paragraph
                k = text.find("意识形态") if "意识形态" in text else -1
                if k >= 0:
                    inner = esc(text[:k]) + '<a href="/tag/1.html">意识形态</a>' + '<font class="jammer">' + "x7Q" + "</font>" + esc(text[k + 4:])
                else:
                    inner = esc(text)
            doc.content(text, "&nbsp;&nbsp;&nbsp;&nbsp;" + inner + "<br><br>")
            if n == 3:
                t = ctx.other_titles(1)
                if t:
                    doc.chrome(c("推荐阅读：") + t[0], f'<div class="tj">{esc(c("推荐阅读："))}<a href="/9.html">{esc(t[0])}</a></div>')
        doc.html("</div>\n")

    def compose(self, doc, page, ctx):
        c = ctx.conv
        self.head(doc, page, ctx, ".jammer{display:none}")
        doc.html('<body><div class="w">')
        doc.chrome(c("设为首页 ｜ 加入收藏 ｜ 联系站长"), tag="div")
        doc.chrome(c("首页 - 范文 - 报告 - 正文"), tag="div", cls="path")
        doc.chrome(page.page_title, tag="h1")
        doc.chrome(c("作者：本站  时间：") + (page.publish_date or "") + c("  点击：") + str(ctx.rng.randint(1, 999)), tag="div")
        self.article(doc, page, ctx, title_tag="h3")
        doc.chrome(c("1 2 3 下一页"), tag="div", cls="pages")
        ot = ctx.other_titles(2)
        if len(ot) == 2:
            doc.chrome(c("上一篇：") + ot[0] + c("  下一篇：") + ot[1], tag="div", cls="pn")
        self.hidden(doc, ctx)
        doc.chrome(c("本站所有资源均来源于网络，仅供学习交流，如有侵权请来信告知。"), tag="div", cls="sm")
        doc.html('</div></body></html>\n')


TEMPLATES.append(T12())


class T13(SiteTemplate):
    """Bare page, no layout: every element is a <p> in <body>; no h1; markers 范文N on their
    own line with the report title on the next."""
    name, site_name, domain = "x13", "写作帮", "www.xzb.example"
    para_style, txt_blank_lines, txt_lead_space, txt_wrap = "p", False, False, None

    def reports(self, doc, page, ctx, **kw):
        multi = len(page.reports) > 1
        for k, rep in enumerate(page.reports):
            if multi:
                m = ctx.conv("范文" + "一二三四五六七八九十"[k]) if k < 10 else f"范文{k + 1}"
                doc.content(m, f"<p><b>{esc(m)}</b></p>")
            doc.content(rep.title, f"<p><b>{esc(rep.title)}</b></p>")
            self.body(doc, rep, ctx)

    def compose(self, doc, page, ctx):
        c = ctx.conv
        self.head(doc, page, ctx)
        doc.html("<body>")
        doc.chrome(c("写作帮首页 工作总结 工作计划 思想汇报 入党申请"), tag="p")
        if len(page.reports) > 1:
            doc.chrome(page.page_title, tag="p")
        doc.chrome(c("更新：") + (page.publish_date or "") + c(" 来源：网络"), tag="p")
        self.article(doc, page, ctx)
        doc.chrome(c("猜你感兴趣："), tag="p")
        for t in ctx.other_titles(4):
            doc.chrome(t, f'<p><a href="/x.html">{esc(t)}</a></p>')
        self.hidden(doc, ctx)
        doc.chrome(c("写作帮 版权所有 ") + ctx.icp(), tag="p")
        doc.html("</body></html>\n")


TEMPLATES.append(T13())
