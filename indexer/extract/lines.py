"""Line roles shared by the HTML and text-dump cleaners.

Every heuristic here looks at one line (a paragraph) on its own: is it prose, a section
heading, a 【篇N】 marker, a title-like line, a menu, or a line carrying a chrome cue
(breadcrumb, publish info, copyright, share/download bar, 上一篇 …)?  The cues are written
in Simplified Chinese; lines are matched on a *folded* form (NFKC + per-character
Traditional→Simplified) so Big5 / Traditional pages hit the same cues.
"""
from __future__ import annotations

import re
import unicodedata

from ..normalize import t2s_char_table

# --- folding -----------------------------------------------------------------------------


def fold(text: str) -> str:
    """NFKC (full-width → ASCII, ，→, ：→:) and Traditional → Simplified, per character."""
    return unicodedata.normalize("NFKC", text).translate(t2s_char_table())


_NOT_ALNUM = re.compile(r"[\W_]+")


def squeeze(text: str) -> str:
    """Letters and digits only: the form used to compare lines (repeats, teasers)."""
    return _NOT_ALNUM.sub("", unicodedata.normalize("NFKC", text))


def bigram_f1(a: str, b: str) -> float:
    """Similarity of two squeezed strings (character-bigram F1)."""
    if not a or not b:
        return 0.0
    ga = [a[i : i + 2] for i in range(len(a) - 1)] or [a]
    gb = [b[i : i + 2] for i in range(len(b) - 1)] or [b]
    pool: dict[str, int] = {}
    for g in gb:
        pool[g] = pool.get(g, 0) + 1
    hit = 0
    for g in ga:
        if pool.get(g, 0) > 0:
            pool[g] -= 1
            hit += 1
    if not hit:
        return 0.0
    p, r = hit / len(ga), hit / len(gb)
    return 2 * p * r / (p + r)


def collapse_ws(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")


def cjk_count(text: str) -> int:
    return sum(map(len, _CJK_RUN.findall(text)))


# --- line grammar (on folded text) --------------------------------------------------------

_NUM = "一二三四五六七八九十百零〇"
MARKER_RE = re.compile(
    rf"^\s*(?:[【\[]\s*(?:篇|范文|第)\s*[{_NUM}\d]+\s*篇?\s*[】\]]|【\d+】"  # 【篇一】 【范文二】 【第三篇】 【11】
    rf"|(?:篇|范文|例文|材料)[{_NUM}\d]+\s*(?:$|[:：、.．]|\s)|第[{_NUM}\d]+篇(?:\s|$|[:：]))"
)
HEADING_RE = re.compile(
    rf"^\s*(?:[{_NUM}]+\s*[、.．]"  # 一、 一.
    rf"|[(（]\s*[{_NUM}\d]+\s*[)）]"  # (一) （1）
    rf"|\d{{1,2}}\s*[、.．](?!\d)"  # 1. 1、
    rf"|[{_NUM}]+(?:是|要|要是)"  # 一是 一要
    rf"|第[{_NUM}\d]+(?:章|节|部分|条|点|,|、|\s)"  # 第一部分
    rf"|[①②③④⑤⑥⑦⑧⑨⑩])"
)
# punctuation that only occurs inside sentences (folded: ，→, ；→; ：→: ！→! ？→?); 、 also
# lists words in titles, so it makes a line neither prose nor a title
_SENTENCE_PUNCT = re.compile(r"[。,;!?、]")
_CLAUSE_PUNCT = re.compile(r"[。,;!?]")
_TERMINAL = tuple("。!?;:…\"'”’」』)）！？；：") + ("...",)
# nouns that end document titles (related-article lists are lists of such titles)
_DOC_NOUN = re.compile(
    r"(报告|总结|汇报|讲话|发言|方案|计划|材料|心得|体会|范文|稿|通知|意见|办法|制度|规定|"
    r"纲要|调研|情况|提纲|致辞|简报|述职|例文|模板|大全|精选|[\d一二三四五六七八九十]+篇[)）]?|"
    r"篇[)）])$"
)


def is_marker(f: str) -> bool:
    return bool(MARKER_RE.match(f))


def is_heading_start(f: str) -> bool:
    return bool(HEADING_RE.match(f))


def is_prose(f: str) -> bool:
    """A sentence-shaped line: long enough and punctuated like running text."""
    n = cjk_count(f)
    return n >= 20 and _CLAUSE_PUNCT.search(f) is not None and n >= 0.5 * len(f.replace(" ", ""))


_FULL_STOP = re.compile(r"[。!?][\"'”’」』)）]?$")


def is_sentence(f: str) -> bool:
    """A short line that reads as one full sentence (prose too short for is_prose)."""
    s = f.strip()
    n = cjk_count(s)
    return (n >= 4 and n >= 0.5 * len(s.replace(" ", "")) and _FULL_STOP.search(s) is not None
            and not _LABELLED.match(s))


_LABELLED = re.compile(r"^[^,:;!?。]{1,6}:")  # "签名: …", "备注: …": a labelled field


_CN_DIGIT = "〇零○一二三四五六七八九十"
_BARE_DATE = re.compile(
    rf"(?:(?:19|20)\d{{2}}\s*年\s*\d{{1,2}}\s*月\s*\d{{1,2}}\s*日"
    rf"|[二][{_CN_DIGIT}]{{3}}年[{_CN_DIGIT}]{{1,2}}月[{_CN_DIGIT}]{{1,3}}日"
    rf"|(?:19|20)\d{{2}}[-/.]\d{{1,2}}[-/.]\d{{1,2}})"
)


_DOCUMENT_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,12}\s*[〔\[(【]\s*(?:19|20)\d{2}\s*[〕\])】]\s*\d{1,4}\s*号")


def is_document_number(f: str) -> bool:
    """A line that is only an official document's number (发文字号: 某政发〔2023〕5号)."""
    return _DOCUMENT_NUMBER.fullmatch(f.strip()) is not None


def is_bare_date(f: str) -> bool:
    """A line that is only a date (the date under a signed document)."""
    return _BARE_DATE.fullmatch(f.strip()) is not None


def is_cut_off(f: str) -> bool:
    """A line cut off with an ellipsis: a teaser or summary of text shown elsewhere."""
    return f.rstrip().endswith(("...", "…"))


def ends_sentence(f: str) -> bool:
    return f.rstrip().endswith(_TERMINAL)


def is_title_like(f: str) -> bool:
    """A short unpunctuated line that reads like a document title."""
    s = f.strip()
    n = cjk_count(s)
    if not 6 <= n <= 60 or len(s) > 80:
        return False
    if re.search(r"[。,;!?:]", s) or is_heading_start(s) or is_marker(s):
        return False
    return bool(_DOC_NOUN.search(s))


def is_short_plain(f: str) -> bool:
    """Short line without sentence punctuation and without heading grammar (list item)."""
    s = f.strip()
    return len(s) <= 40 and not _SENTENCE_PUNCT.search(s) and not is_heading_start(s) and not is_marker(s)


_MENU_SPLIT = re.compile(r"\s*[|｜/·•>»]+\s*|\s+")


def is_menu(f: str) -> bool:
    """Several very short items in a row: a navigation or tool bar."""
    s = f.strip()
    if is_heading_start(s) or is_marker(s) or re.search(r"[。,;]", s):
        return False
    items = [t for t in _MENU_SPLIT.split(s) if t]
    if len(items) < 3:
        return False
    return sum(len(t) for t in items) / len(items) <= 6 and max(len(t) for t in items) <= 12


# --- chrome cues ---------------------------------------------------------------------------

_BREADCRUMB = re.compile(
    r"(当前位置|现在的位置|所在位置|您的位置|当前页面|你的位置)\s*[:>]?\s*(首页|主页|网站首页|>)|"
    r"(当前位置|现在的位置|所在位置|您的位置)\s*:|(首页|主页)\s*(>|>>|»|›|→|/|-|—|\\)"
)
_META_KEYS = re.compile(
    r"(发布时间|发布日期|发布于|发表时间|发表于|更新时间|上传时间|上传者|上传日期|时间|日期|来源|作者|"
    r"阅读|浏览|人气|栏目|点击|页数|下载|责任编辑|编辑|字数|评论|影响了|投稿|热度|贡献者|上传用户|"
    r"文档格式|文件大小|所属分类|分类|类别|关键字|关键词|标签|评论数|收藏数|下载次数|访问|录入|整理)"
    r"\s*(?:次数|量|数|人数|者)?\s*:"
)
_STRONG = re.compile(
    "|".join(
        [
            r"copyright|all rights reserved|©|版权所有|icp备|icp证|公网安备|公安备案|备案号",
            r"^\s*(上一篇|下一篇|上一页|下一页|上篇|下篇)",
            r"分享到|复制链接|加入收藏|设为首页|收藏本站",
            r"点击下载|立即下载|下载本文|下载文档|下载提示|下载地址|免费下载|还剩\s*\d+\s*页|继续阅读|"
            r"阅读全文|展开全文|全文阅读|查看全文",
            r"【\s*字体|【\s*打印|【\s*关闭|字号\s*:",
            r"免责声明|如有侵权|联系删除|不代表本站|转载请注明|本站部分内容|网友投稿|版权归|版权申诉|"
            r"本站所有|版权问题|与我们联系|与本站联系|用户上传|网友上传|仅供学习|学习交流使用",
            r"^\s*广告\s*:|^\s*(登录|注册)\b|登录\s*注册|请登录|请输入关键字|^\s*搜索",
            r"小编|仅供参考|供大家参考|欢迎阅读|欢迎借鉴|希望(?:能够|能|可以|会)?(?:对|帮助|帮到)"
            r"(?:到)?(?:大家|您|你)|欢迎(?:下载|收藏)",
            r"^\s*(游客|网友|匿名用户|热心网友)\s*\w{0,12}\s*:",
            r"^\s*(标签|关键词|关键字|tags|相关热词搜索|热词|热门搜索|本文标签)\s*:",
            r"关于我们|联系我们|网站地图|帮助中心|意见反馈|广告服务|使用协议|隐私政策",
            r"文章不存在|已被删除|页面不存在|无法访问",
            r"^\s*(推荐阅读|相关阅读|延伸阅读|相关推荐|猜你喜欢|热门推荐|精彩推荐|推荐文章|相关文章|相关链接|"
            r"热点推荐|赞助商链接)\s*:|查看更多|加载更多|更多\s*(>>|»)|以上就是.{0,40}(全部内容|相关内容)|"
            r"更多.{0,20}(请关注|尽在|请访问|请点击)|本文(?:由|来自|转自|摘自)(?!.{0,4}[。，,])|"
            r"感谢分享|谢谢分享|感谢楼主|写得(?:很|真|非常|挺)?(?:好|不错)|很有参考价值|已收藏|顶一下|支持一下|"
            r"温馨提示|友情提示|特别提示|小贴士|主办单位|承办单位|技术支持|网站标识码|欢迎访问|欢迎光临|欢迎来到|^\s*导读\s*:|内容简介\s*:|"
            r"共\s*\d+\s*页|尾页|^\s*首页\s*上一页|本文(?:地址|链接|网址)|原文(?:链接|地址)",
        ]
    ),
    re.I,
)
_BYLINE = re.compile(r"^\s*[(（]?\s*(文|作者|撰稿|供稿|来源|编辑|责编|通讯员|记者)\s*[/|]")
# a whole line that only names a box of links or a page section
_LABEL = re.compile(
    r"^\s*(相关|最新|热门|推荐|精彩|精选|猜你|延伸|更多|热点|本站|友情|网友|发表|栏目|文档|读者|用户|留言|评论|"
    r"热门范文|相关文章|相关阅读|相关推荐|相关文档|相关范文)"
    r"[\w ]{0,8}(文章|阅读|推荐|文档|范文|喜欢|链接|评论|留言|导航|介绍|下载|专题|排行|阅读榜|标签)?\s*:?\s*$"
)


# calls to action: open or download the app, read on elsewhere, follow the account; a
# short line ending in a link arrow (更多 >>, 阅读原文 ›) is one whatever its words
_CALL_TO_ACTION = re.compile(
    r"(?:打开|下载|安装|前往|使用)\s*(?:app|客户端|应用)|(?:app|客户端)\s*(?:内|中|里)?\s*(?:打开|阅读|查看|观看|收听)|"
    r"阅读体验|体验更佳|点击(?:上方|下方|这里|此处|查看|阅读|进入|关注|收听|观看|播放|领取|获取)|点此|戳这里|"
    r"阅读原文|查看原文|长按(?:识别|扫描|关注)|关注(?:公众号|微信号|我们)|(?:>>|»|›|→|▶|↓{2,})\s*$",
    re.I,
)
# cues that body sentences may contain: only short lines carrying them are chrome
_WEAK = re.compile(
    r"扫一扫|二维码|扫码|关注我们|打赏|点赞|收藏|举报|返回顶部|返回首页|返回列表|打印本页|"
    r"关闭窗口|推荐给好友|字体大小|大字体|字体:|打印|评论\(\d+\)|阅读\(\d+\)|转载|来源于网络"
)


def chrome_cue(f: str) -> str | None:
    """Name of the chrome cue this (folded) line carries, or None.

    Long prose lines are only tested for the strongest cues (boilerplate intro,
    copyright): body paragraphs may mention 时间/来源 in passing.
    """
    s = f.strip()
    if not s:
        return "empty"
    long_prose = len(s) > 150 and is_prose(s)
    m = _STRONG.search(s)
    if m:
        if not long_prose or re.search(r"小编|仅供参考|供大家参考|copyright|©|icp备", s, re.I):
            return "cue"
    if long_prose:
        return None
    if _BREADCRUMB.search(s):
        return "breadcrumb"
    if len(s) <= 40 and not is_prose(s) and (_DATE.search(s) or _BYLINE.match(s)):
        return "meta"
    keys = _META_KEYS.findall(s)
    if keys and (len(keys) >= 2 or len(s) <= 40) and not s.endswith("。"):
        return "meta"
    if len(s) <= 40 and _WEAK.search(s) and not s.endswith("。"):
        return "weak"
    if len(s) <= 40 and _CALL_TO_ACTION.search(s) and not s.endswith("。"):
        return "cta"
    if cjk_count(s) == 0 and len(s) < 60:
        return "no_chinese"
    if len(s) <= 14 and _LABEL.match(s):
        return "label"
    if is_menu(s):
        return "menu"
    return None


# --- dates -----------------------------------------------------------------------------

_DATE = re.compile(r"((?:19|20)\d{2})\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})")
_DATE_CUE = re.compile(r"(发布|更新|上传|发表|时间|日期|发布于|pub|date|time)", re.I)
# A byline names who wrote or sent the page and how often it was read, before or after
# its date (写作达人 关注 2018-08-08 字数 7654; 文／本站编辑部 2024-05-26; 来源：某网 2021-03-02;
# 原创 笔杆子 机关写作参考 2024-07-03), or is just the date beside a short name (机关笔记
# 2025-05-01).
_BYLINE_CUE = re.compile(r"(作者|来源|来自|原创|编辑|责编|供稿|稿源|字数|阅读|浏览|点击|关注|人气|文\s*[／/:：])")
_SHORT_NAME = re.compile(r"[^\W\d_]{1,12}")


_STAMP = re.compile(r"(?:(?:19|20)\d{2}\s*[-/年.]\s*)?\d{1,2}\s*[-/月.]\s*\d{1,2}\s*日?\s*\d{1,2}:\d{2}")


def is_stamp(f: str) -> bool:
    """A short line carrying a date and a clock time: the byline of a post or comment."""
    s = f.strip()
    return len(s) <= 80 and not is_prose(s) and _STAMP.search(s) is not None


def _beside_short_name(before: str, after: str) -> bool:
    """The date alone beside a short name, a space between them (机关笔记 2025-05-01; not
    共计2021-05-06)."""
    if before.strip() and after.strip():
        return False
    name, gap = (before, before[-1:]) if before.strip() else (after, after[:1])
    return gap.isspace() and _SHORT_NAME.fullmatch(name.strip()) is not None


def find_date(f: str, need_cue: bool = True) -> str | None:
    """YYYY-MM-DD from a (folded) publish-info line: a date after a publish cue (发布时间：),
    or in a byline (a line that is not prose, with a byline's words, a clock time with
    the date (`is_stamp`: 某某资讯 2025-09-03 21:09), or nothing but a short name beside it)."""
    m = _DATE.search(f)
    if not m:
        return None
    if need_cue and not _DATE_CUE.search(f[: m.start()]):
        if is_prose(f) or not (_BYLINE_CUE.search(f) or is_stamp(f)
                               or _beside_short_name(f[: m.start()], f[m.end():])):
            return None
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if 1 <= mo <= 12 and 1 <= d <= 31:
        return f"{y:04d}-{mo:02d}-{d:02d}"
    return None
