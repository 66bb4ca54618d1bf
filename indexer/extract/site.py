"""Which site a page comes from: the `site` facet.

A site is the registrable host of the page's URL when one is known (its registrable
domain by the Public Suffix List: ``news.sina.com.cn`` → ``sina.com.cn``, ``www.`` and
``m.`` fall away with the rest), so one site's pages group under one value.

Scraped archives often keep only the page, not its address (files saved from a browser,
text dumps). The page's own word is used then, in this order: a host name in its
copyright line (``Copyright © 某某范文网 www.x.example``), the name its metadata declares
(og:site_name, application-name), the name its <title> ends with (``报告标题_某某范文网``)
when the footer repeats it or it reads as a site's name (某某网, 某某论坛 …), else the name
in the copyright line (``版权所有 某某范文网``). Anything that is not a name (a sentence, a
bracketed label, a column name such as 资讯) gives no site: `None`.
A name is given in its index form (Simplified), so one site's Simplified and Traditional
pages group together.
"""
from __future__ import annotations

import functools
import ipaddress
import re
from urllib.parse import urlsplit

from . import lines as L
from ..normalize import normalize

_HOST = re.compile(r"(?<![@\w.-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24})(?![\w.-])", re.I)
_COPYRIGHT = re.compile(r"(?:版权所有|copyright|©|\(c\))", re.I)
# what a site's name ends with (Simplified; names are matched in their normalized form)
_SITE_NOUN = ("网", "网站", "站", "论坛", "社区", "博客", "频道", "新闻", "资讯", "日报", "晚报", "报", "在线",
              "文库", "百科", "之家", "中心", "平台", "门户", "电视台", "广播电台")
_BRACKETS = "[]【】()（）《》〈〉「」『』<>\"'“”‘’ "
_NOT_A_NAME = re.compile(r"[,.;:!?，。；：！？、|/\\]|\d{4}")
# words around a name in a copyright line: "本站所有内容为某某网版权所有"
_COPYRIGHT_WORDS = re.compile(r"版权所有|所有|版权|内容|本站|本网|属于|归|为|由|是|及|和|与|\s+")
_NAME_RUN = re.compile(r"[\u4e00-\u9fff]{2,16}")


@functools.lru_cache(maxsize=1)
def _suffix_list():
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


def registrable_host(host: str | None) -> str | None:
    """``www.news.example.com.cn`` → ``example.com.cn``; IP addresses and hosts under no
    known suffix stay as they are (``www.`` and ``m.`` folded)."""
    if not host:
        return None
    host = host.strip().rstrip(".").lower()
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    psl = _suffix_list()
    folded = re.sub(r"^(?:www\d?|m|wap)\.", "", host)
    # www.gov.cn: folding would leave a public suffix, which names no site
    return psl.privatesuffix(folded) or psl.privatesuffix(host) or folded


def site_from_url(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return registrable_host(urlsplit(url).hostname)
    except ValueError:
        return None


def site_name(text: str | None) -> str | None:
    """A site's name in index form, or None when `text` is no name (a sentence, a
    label, a single common word)."""
    if not text:
        return None
    name = normalize(L.collapse_ws(text)).strip(_BRACKETS).strip()
    if not 2 <= len(name) <= 20 or _NOT_A_NAME.search(name):
        return None
    if L.cjk_count(name) == 0:  # a Latin brand ("Yahoo!") says less than its host
        return None
    return name


def _reads_as_site(name: str) -> bool:
    """某某网, 某某论坛, 快资讯: a site noun after a name (two characters before 网/站/报)."""
    return any(name.endswith(noun) and len(name) - len(noun) >= (2 if len(noun) == 1 else 1) for noun in _SITE_NOUN)


def site_from_page(declared: list[str], title_tail: str | None, footer_lines: list[str]) -> str | None:
    """The site's host or name from what the page shows (None when it says nothing)."""
    copyright_lines = [ln for ln in footer_lines if _COPYRIGHT.search(ln)]
    for line in copyright_lines:
        if m := _HOST.search(line):
            return registrable_host(m.group(1))
    for value in declared:
        if name := site_name(value):
            return name
    footer = normalize(" ".join(footer_lines))
    tail = site_name(title_tail)
    if tail and ((tail in footer and tail not in _SITE_NOUN) or _reads_as_site(tail)):
        return tail
    for line in copyright_lines:
        words = _COPYRIGHT_WORDS.split(normalize(L.collapse_ws(line)))
        names = [m for w in words for m in _NAME_RUN.findall(w) if _reads_as_site(m)]
        if names:
            return names[-1]
    return None
