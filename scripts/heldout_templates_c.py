"""Third set of held-out site designs for gen_corpus.py (--extra-templates): the page shapes
of real portals and mobile sites (calls to action inside the article box, a stream of
teasers under the article, a dated comment thread, a government document with its index
table and signature, markup before <html> and unclosed tags). Written from the kinds of
chrome real pages carry, with their own wording; used only by scripts/bench_heldout."""
from gen_corpus import SiteTemplate, esc


def _stream(doc, ctx, titles, cls="feed"):
    """A stream of other articles: linked title, a prose blurb cut off with …, source."""
    c = ctx.conv
    doc.html(f'<ul class="{cls}">\n')
    blurbs = ("今年以来，当地坚持问题导向，扎实推进各项重点工作，取得了阶段性成效，群众获得感不断增强",
              "会议强调，要进一步提高政治站位，压紧压实工作责任，确保各项部署落地见效，推动工作再上新台阶",
              "记者从有关部门获悉，相关工作已全面启动，预计年底前完成，届时将惠及辖区数万名群众")
    for k, t in enumerate(titles):
        doc.chrome(t, f'<li><h4><a href="/n/{ctx.rng.randint(1000, 9999)}.html">{esc(t)}</a></h4>')
        blurb = c(blurbs[k % len(blurbs)]) + "…"
        doc.chrome(blurb, f"<p>{esc(blurb)}</p>")
        src = c("本地新闻 · ") + str(ctx.rng.randint(1, 23)) + c("小时前")
        doc.chrome(src, f'<span class="src">{esc(src)}</span></li>')
    doc.html("</ul>\n")


class C1(SiteTemplate):
    """Mobile news page: app banner, title, source line, a call to open the app inside the
    article box before and after the text, 'more' stream of teasers with blurbs."""
    name, site_name, domain = "c1", "掌上资讯", "m.zhangshang.example"
    para_style, txt_blank_lines, txt_lead_space, txt_wrap = "p", False, False, None

    def compose(self, doc, page, ctx):
        c = ctx.conv
        self.head(doc, page, ctx)
        doc.html('<body><div class="app-banner">')
        doc.chrome(c("下载掌上资讯客户端，新闻早知道"), tag="a")
        doc.html('</div><article class="main">')
        doc.chrome(page.page_title, tag="h1")
        doc.chrome(c("掌上资讯 ") + ctx.date_time()[:16], tag="div", cls="src")
        doc.html('<div class="content">')
        self.article(doc, page, ctx, title_tag="h2")
        doc.chrome(c("APP内打开，阅读体验更佳 >>"), tag="div", cls="open-app")
        doc.chrome(c("举报/反馈"), tag="div", cls="report")
        doc.html('</div></article><section class="more">')
        doc.chrome(c("更多精彩"), tag="h3")
        _stream(doc, ctx, ctx.other_titles(4))
        self.hidden(doc, ctx)
        doc.html('</section>')
        doc.chrome("© zhangshang.example " + ctx.icp(), tag="footer")
        doc.html('</body></html>\n')


class C2(SiteTemplate):
    """Public-account mirror: follow prompt above the title, account and date, arrows and
    ends inside the content box, 'previous posts' list, like/share bar."""
    name, site_name, domain = "c2", "机关笔记", "mp.jiguanbiji.example"
    para_style, txt_blank_lines, txt_lead_space, txt_wrap = "indent", True, False, None

    def compose(self, doc, page, ctx):
        c = ctx.conv
        self.head(doc, page, ctx)
        doc.html('<body><div id="page-content"><div class="rich_media_area">')
        doc.chrome(page.page_title, tag="h1")
        doc.chrome(c("机关笔记 ") + (page.publish_date or ""), tag="div", cls="meta")
        doc.html('<div class="rich_media_content">')
        doc.chrome(c("点击上方蓝字，关注我们"), tag="p", cls="guide")
        self.article(doc, page, ctx, title_tag="h2")
        doc.chrome("- END -", tag="p", cls="end")
        doc.chrome(c("长按二维码识别关注 ↓↓↓"), tag="p", cls="qr")
        doc.chrome(c("往期推荐"), tag="p", cls="prev-h")
        for t in ctx.other_titles(3):
            doc.chrome(t, f'<p><a href="/s/{ctx.rng.randint(100, 999)}">{esc(t)}</a></p>')
        doc.html('</div></div>')
        doc.chrome(c("阅读原文 ›"), tag="a", cls="read-more")
        doc.chrome(c("分享 收藏 在看 点赞"), tag="div", cls="tool")
        self.hidden(doc, ctx)
        doc.html('</div></body></html>\n')


class C3(SiteTemplate):
    """Government portal document: index table (索引号, 发文机关 …), title, body, print/close
    bar, related documents; comment and meta before <html>, unclosed cells."""
    name, site_name, domain = "c3", "某某县人民政府", "www.mouxian.gov.example"
    para_style, txt_blank_lines, txt_lead_space, txt_wrap = "br", False, True, None
    multi_rate = 0.0

    def compose(self, doc, page, ctx):
        c = ctx.conv
        cs = page.declared_charset or "utf-8"
        doc.html(f'<!-- saved page -->\n<meta http-equiv="Content-Type" content="text/html; charset={cs}">\n'
                 f"<html><head><title>{esc(page.page_title)}_{esc(c(self.site_name))}</title></head>\n")
        doc.html('<body><table width="1000"><tr><td>')
        doc.chrome(c("首页 政务公开 政策文件 办事服务 互动交流"), tag="div", cls="nav")
        doc.html('<tr><td><table class="index">')
        index_no = c("索 引 号：") + f"{ctx.rng.randint(10**8, 10**9)}/2023-00{ctx.rng.randint(100, 999)}"
        doc.chrome(index_no, f"<tr><td>{esc(index_no)}</td>")
        doc.chrome(c("发布日期：") + (page.publish_date or ""), tag="td")
        doc.html("</table>\n")
        doc.chrome(page.page_title, tag="h1")
        doc.html('<tr><td class="zw">')
        self.article(doc, page, ctx, title_tag="h3")
        doc.html("<tr><td>")
        doc.chrome(c("【打印本页】【关闭窗口】"), tag="div", cls="tools")
        self.link_list(doc, "相关文件", ctx.other_titles(4), ctx, "rel", head_tag="div")
        self.hidden(doc, ctx)
        doc.chrome(c("主办：某某县人民政府办公室 ") + ctx.icp(), tag="div", cls="ft")
        doc.html("</table></body></html>\n")


class C4(SiteTemplate):
    """Blog post with a dated comment thread under it (longer than the post in total),
    the blog's own sidebar and archive list."""
    name, site_name, domain = "c4", "老张的博客", "blog.laozhang.example"
    para_style, txt_blank_lines, txt_lead_space, txt_wrap = "p", False, False, None

    def compose(self, doc, page, ctx):
        c = ctx.conv
        self.head(doc, page, ctx)
        doc.html('<body><div class="header">')
        doc.chrome(c("老张的博客"), tag="h1")
        doc.chrome(c("记录机关工作的点点滴滴"), tag="p", cls="tagline")
        doc.html('</div><div class="main"><div class="post">')
        doc.chrome(page.page_title, tag="h2")
        self.article(doc, page, ctx, title_tag="h3")
        doc.chrome(c("发表于 ") + ctx.date_time()[:16] + c(" | 阅读(") + str(ctx.rng.randint(10, 999)) + ")",
                   tag="p", cls="postfoot")
        doc.html('</div><div class="feedback">')
        doc.chrome(c("评论"), tag="h3")
        lines = ("这份材料写得很扎实，结构清楚，对我们单位写年度总结帮助很大，感谢博主分享经验。",
                 "请问博主，上半年的专题报告和年底的工作总结在写法上有什么区别，能否详细说说？",
                 "收藏了，我们镇里正在准备同类材料，正好可以参考其中的做法和提法。")
        for k in range(9):
            doc.chrome(f"# re: {c('网友')}{ctx.rng.randint(100, 999)} {ctx.date_time()[:16]}", tag="h4")
            doc.chrome(c(lines[k % 3]), tag="p")
        doc.html('</div></div><div class="side">')
        self.link_list(doc, "随笔档案", [f"2023年{m}月 ({ctx.rng.randint(1, 9)})" for m in range(1, 5)], ctx,
                       "archive", head_tag="h3")
        self.hidden(doc, ctx)
        doc.html('</div></body></html>\n')


TEMPLATES = [C1(), C2(), C3(), C4()]
