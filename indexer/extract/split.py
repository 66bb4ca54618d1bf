"""Split a cleaned page into one chunk per report.

Pages of 范文 sites often hold several reports, each opened by a marker: 【篇一】, 篇二,
范文三, 第四篇, [例文5] …, alone on its line, followed by the report's title on the same
line, or followed by a title line. A line counts as a marker only when the markers of a
page number 1, 2, 3 … in order, so "第一篇章" in a sentence cannot split a report.
Text before the first marker is the page's intro and is dropped.

Titles: after a marker, the text that follows it (or the next title-like line). On a
single-report page: a title line (or a title run into the first paragraph) at the top of
the body when it is a spelling of the page's title, or when the page has none (it is the
document's own); else the page heading, else the <title> without its site suffix.
Decorations such as 范文, 例文, （通用）, 五篇 are trimmed from headings and page titles.
A page announced as several reports ("…范文三篇") but without markers is split at its
title lines.
"""
from __future__ import annotations

import re

from .model import CleanPage, ReportChunk
from ..normalize import normalize, normalize_with_offsets

_NUMERAL = "一二三四五六七八九十"
_NUM = rf"(?:[{_NUMERAL}]{{1,3}}|\d{{1,6}})"  # 篇一 … 篇九十九, 篇1 … 篇999999
# On normalize()d text: 【】 -> [], （） -> (), 範文 -> 范文, full-width digits -> ASCII.
_MARKER = re.compile(
    rf"^\s*(?P<open>[\[(<])?\s*(?:第\s*(?P<a>{_NUM})\s*篇|篇\s*(?P<b>{_NUM})|(?:范文|例文|范例|样文|文章|精选)\s*(?P<c>{_NUM})"
    rf"|(?<=\[)(?P<d>\d{{1,6}})(?=\s*\]))"
    rf"\s*(?P<close>[\])>])?\s*[:.,]?\s*(?P<rest>.*)$"
)
# Every marker has one of these within its first few characters, in either script; a
# bare number counts only in 【】 (【11】 after 【篇十】), never in [] (a footnote).
_MARKER_HINT = re.compile(r"篇|范文|範文|例文|範例|范例|样文|樣文|文章|精选|精選|^\s*【\s*\d")
_MARKER_SPAN = 12
_GENRE_END = re.compile(r"(?:报告|总结|汇报|述职|材料|发言|讲话|方案|意见|通知|范文|例文|小结|体会|心得)\s*$")
_SENTENCE = re.compile(r"[.!?;]")
_HEADING_NUM = re.compile(rf"^\s*(?:[{_NUMERAL}]{{1,3}}\s*[,.:]|\(\s*[{_NUMERAL}\d]{{1,3}}\s*\)|\d{{1,2}}\s*[,.:])")
# A title run into the first paragraph: "xx区委宣传部关于…排查报告范文 根据《…》,…".
_RUN_IN_TITLE = re.compile(
    r"^(?P<title>[^,.!?;:\"，。！？；：、“”]{6,60}?(?:报告|总结|汇报|報告|總結|彙報|匯報)"
    r"(?:范文|範文|例文|精选|精選|模板)?)\s+(?P<rest>\S.*)$"
)
# Site suffixes of <title>: "…_范文网", "… - XX网", "…|XX".
_SITE_SUFFIX = re.compile(r"\s*(?:[_|｜]|\s[-–—]\s).*$")
# A field label some sites (forums, document libraries) put before the title: "标题：…".
_LABEL = re.compile(r"^\s*(?:标题|標題|题目|題目|主题|主題|文章标题|文章標題|名称|名稱)\s*[:：]\s*")
# Decorations 范文 sites add to a report title in headings and <title>.
_DECORATION = re.compile(
    r"(?:\s*[\[(（【]?\s*(?:通用|精选|精選|最新|完整版|全文|\d+篇|精选\s*\d+\s*篇|精選\s*\d+\s*篇|[一二三四五六七八九十]+篇)\s*[\])）】]?"
    r"|范文|範文|例文|范本|範本|模板|样本|樣本|大全|精选|精選|汇编|彙編|[一二三四五六七八九十\d]+篇)\s*$"
)
_MULTI = re.compile(r"(?:[一二三四五六七八九十\d]+篇|篇目)\s*[\])）】]?\s*$")


def _num(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    values = {c: i + 1 for i, c in enumerate(_NUMERAL)}
    if text == "十":
        return 10
    if len(text) == 1:
        return values.get(text)
    if text[0] == "十":
        return 10 + values.get(text[1], 0)
    if len(text) == 2 and text[1] == "十":
        return values.get(text[0], 0) * 10
    if len(text) == 3 and text[1] == "十":
        return values.get(text[0], 0) * 10 + values.get(text[2], 0)
    return None


def _marker(line: str) -> tuple[int, str, bool] | None:
    """(number, text after the marker, bracketed?) when the line opens with a marker."""
    raw = line.strip()
    if not _MARKER_HINT.search(raw[:_MARKER_SPAN]):
        return None  # cheap test first: normalizing every line is the costly part
    norm, offsets = normalize_with_offsets(raw)
    m = _MARKER.match(norm)
    if not m:
        return None
    if m.group("d") and not raw.lstrip().startswith("【"):
        return None
    n = _num(m.group("a") or m.group("b") or m.group("c") or m.group("d"))
    if n is None:
        return None
    bracketed = bool(m.group("open") and m.group("close"))
    rest = raw[offsets[m.start("rest")]:].strip()
    if not bracketed and rest and not is_title_like(rest):
        return None  # "第一篇文章指出…": a sentence, not a marker
    return n, rest, bracketed


def is_title_like(line: str) -> bool:
    """A short line without sentence punctuation that reads like a document title."""
    if len(line.strip()) > 80:
        return False
    norm = normalize(line).strip()
    if not 4 <= len(norm) <= 80 or _HEADING_NUM.match(norm):
        return False
    if _SENTENCE.search(norm.rstrip(".")):
        return False
    return bool(_GENRE_END.search(norm)) or (len(norm) <= 40 and ("关于" in norm or "工作" in norm))


def clean_title(title: str | None) -> str | None:
    """A heading or <title> as a report title: site suffix and decorations removed."""
    if not title:
        return None
    t = _LABEL.sub("", _SITE_SUFFIX.sub("", title.strip()))
    for _ in range(3):
        trimmed = _DECORATION.sub("", t).strip()
        if trimmed == t or len(trimmed) < 4:
            break
        t = trimmed
    return t or None


def is_multi_title(title: str | None) -> bool:
    """"…范文五篇", "…（精选4篇）": the title of a page of several reports."""
    if not title:
        return False
    return bool(_MULTI.search(normalize(_SITE_SUFFIX.sub("", title.strip()))))


def _same(a: str, b: str) -> bool:
    squeeze = lambda s: re.sub(r"[\W_]+", "", normalize(s))  # noqa: E731
    return bool(a) and squeeze(a) == squeeze(b)


def _find_markers(lines: list[str]) -> list[tuple[int, str]]:
    """(line index, text after marker) of the page's report markers, numbered 1, 2, 3 …"""
    found = [(i, m) for i, ln in enumerate(lines) if (m := _marker(ln))]
    if not found:
        return []
    seq: list[tuple[int, str]] = []
    expect = 1
    for i, (n, rest, _bracketed) in found:
        if n == expect:
            seq.append((i, rest))
            expect += 1
    if seq:
        return seq
    # No marker numbered 1 (a page starting at 篇二?): trust bracketed markers only.
    return [(i, rest) for i, (n, rest, bracketed) in found if bracketed]


def _find_title_lines(lines: list[str]) -> list[tuple[int, str]]:
    """On a page announced as several reports ("…范文三篇") but without markers: the
    title lines that open a report, i.e. followed by body text rather than by another
    title (a list of other titles is chrome, not a report)."""
    found = []
    for i, line in enumerate(lines[:-1]):
        if (is_title_like(line) and _GENRE_END.search(normalize(line))
                and not is_title_like(lines[i + 1])):
            found.append((i, line))
    return found if len(found) >= 2 else []


def _title_from_body(body: list[str]) -> tuple[str | None, list[str]]:
    """A title line (or run-in title) at the top of a report body, and the rest."""
    if not body:
        return None, body
    first = body[0].strip()
    if is_title_like(first) and len(body) > 1:
        return first, body[1:]
    m = _RUN_IN_TITLE.match(first)
    if m and _GENRE_END.search(normalize(m.group("title"))):
        return m.group("title").strip(), [m.group("rest").strip(), *body[1:]]
    return None, body


def split_reports(clean: CleanPage) -> list[ReportChunk]:
    lines = [ln.strip() for ln in clean.lines if ln.strip()]
    markers = _find_markers(lines)
    if not markers and is_multi_title(clean.heading or clean.page_title):
        markers = _find_title_lines(lines)
    if not markers:
        return _single(clean, lines)
    chunks: list[ReportChunk] = []
    for n, (start, rest) in enumerate(markers):
        end = markers[n + 1][0] if n + 1 < len(markers) else len(lines)
        body = lines[start + 1:end]
        title: str | None = rest or None
        if title is None:
            title, body = _title_from_body(body)
        while body and title and _same(body[0], title):
            body = body[1:]  # the title repeated under the marker
        if body:
            chunks.append(ReportChunk(len(chunks) + 1, title, tuple(body)))
    return chunks


def _page_title(heading: str | None, page_title: str | None) -> str | None:
    """The report title a single-report page gives in its heading or <title>.

    范文 sites decorate both alike ("…报告范文" in h1, "…报告范文_XX网" in <title>), so a
    heading that matches the <title> is trimmed of decorations; a heading that differs
    from it is the document's own title line and is kept as written."""
    h, p = clean_title(heading), clean_title(page_title)
    if heading and h and p and not _same(h, p):
        return heading.strip()
    return h or p


def _single(clean: CleanPage, lines: list[str]) -> list[ReportChunk]:
    fallback = _page_title(clean.heading, clean.page_title)
    if is_multi_title(clean.heading or clean.page_title):
        fallback = None  # "…范文五篇" names the collection, not this report
    while lines and fallback and _same(lines[0], fallback):
        lines = lines[1:]
    title, body = _title_from_body(lines)
    if title and fallback and not _similar(title, fallback):
        # A short line at the top that is not this page's title is body text, unless
        # there is no other title to go by.
        title, body = None, lines
    title = title or fallback
    if not body:
        return []
    return [ReportChunk(1, title, tuple(body))]


def _similar(a: str, b: str) -> bool:
    """Two spellings of one title (对于/关于, 例文/范文 …): most character bigrams shared."""
    def grams(s: str) -> set[str]:
        s = re.sub(r"[\W_]+", "", normalize(s))
        return {s[i:i + 2] for i in range(len(s) - 1)}

    ga, gb = grams(a), grams(b)
    if not ga or not gb:
        return False
    return len(ga & gb) / min(len(ga), len(gb)) >= 0.6
