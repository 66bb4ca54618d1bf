"""Which site a page comes from, when no URL says so.

Scraped archives often keep only the page, not its address (files saved from a browser,
text dumps). Readers still want to narrow by site, so the page's own word is used:
a host name in its footer (``Copyright © 某某范文网 www.x.example``), else the site name
its <title> ends with (``报告标题_某某范文网``), else the name in the copyright line
(``版权所有 某某范文网``). A URL, when known, always wins (see the chrome stages).
A name is a facet value, an identifier: it is given in its index form (Simplified), so
one site's Simplified and Traditional pages group together.
"""
from __future__ import annotations

import re

from . import lines as L
from ..normalize import normalize

_HOST = re.compile(r"(?<![@\w.-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24})(?![\w.-])", re.I)
_COPYRIGHT = re.compile(r"(?:版权所有|copyright|©|\(c\))", re.I)
_NAME = re.compile(r"[\u4e00-\u9fff]{2,12}(?:网|站|库|论坛|中心|平台|之家|大全)")
# text after the title in "<title>": short, no digits, not a sentence
_TITLE_TAIL = re.compile(r"^[^\d,.;!?]{2,16}$")


def site_from_page(title_tail: str | None, footer_lines: list[str]) -> str | None:
    """The site's host or name from what the page shows (None when it says nothing)."""
    for line in footer_lines:
        if _COPYRIGHT.search(line) and (m := _HOST.search(line)):
            return m.group(1).lower()
    if title_tail and _TITLE_TAIL.match(title_tail.strip()):
        return normalize(title_tail.strip())
    for line in footer_lines:
        if _COPYRIGHT.search(line):
            names = _NAME.findall(L.collapse_ws(line))
            if names:
                return normalize(names[-1])
    return None
