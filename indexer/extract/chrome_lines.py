"""Choose the main-content lines from a page's lines in reading order.

Used by both cleaners: the text-dump cleaner passes every line of the dump, the HTML
cleaner passes the paragraphs of the element it picked as main content (with their link
density). Decisions come from line roles (lines.py) and position, never from site names:

* the body runs from the first to the last prose line that carries no chrome cue; before
  it only section headings and 【篇N】 markers (with the title after a bare marker)
  survive, after it nothing; a short prose tail cut off by end-of-article chrome
  (分享 / 上一篇 / 评论 …) is not body, nor is a short prose blurb above the title;
* the page heading is the HTML h1 or, in a dump, the title-like line nearest the body;
  its near-repeats before the body are dropped and the innermost one is kept as
  `heading` (the report's own title when a site decorates the outer one with 范文/例文);
* teasers are dropped: title + start of the body, a line cut off with "…", a summary
  that repeats the opening of the next paragraph;
* inside the body: lines with chrome cues, link lists, and runs of title-like or short
  unpunctuated lines (lists of other reports, menus) are dropped;
* text dumps: paragraphs broken over two lines are re-joined.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from . import lines as L
from ..settings import SETTINGS


@dataclass
class Item:
    """One line with its roles, each computed once."""

    text: str
    link_density: float = 0.0  # HTML: share of the text inside <a>
    f: str = field(default="", init=False)  # folded form

    def __post_init__(self) -> None:
        self.text = L.collapse_ws(self.text)
        self.f = L.fold(self.text)

    @functools.cached_property
    def prose(self) -> bool:
        return L.is_prose(self.f)

    @functools.cached_property
    def marker(self) -> bool:
        return L.is_marker(self.f)

    @functools.cached_property
    def title_like(self) -> bool:
        return L.is_title_like(self.f)

    @functools.cached_property
    def short_plain(self) -> bool:
        return L.is_short_plain(self.f)

    @functools.cached_property
    def heading_start(self) -> bool:
        return L.is_heading_start(self.f)

    @functools.cached_property
    def cue(self) -> str | None:
        return L.chrome_cue(self.f)

    @functools.cached_property
    def sq(self) -> str:
        return L.squeeze(self.f)


@dataclass(frozen=True)
class Selection:
    lines: tuple[str, ...]
    heading: str | None
    dropped: tuple[str, ...]  # for debugging and tests: what was removed
    title_line: str | None = None  # the outermost repeat of the heading (a dump's title line)




_OPENING = 8  # characters that identify a paragraph's opening


def _is_teaser(item: Item, titles: dict[int, set[str]], openings: set[str]) -> bool:
    """A line that opens with one of the titles (grouped by length) and goes on with text
    shown elsewhere: cut off with …, or the opening of another line of the page (a first
    paragraph that names its subject, 某某开发区，隶属…, is no teaser)."""
    if item.marker or item.heading_start:
        return False
    sq = item.sq
    for size, group in titles.items():
        if len(sq) >= size + 4 and sq[:size] in group:
            return L.is_cut_off(item.f) or sq[size:size + _OPENING] in openings
    return False


def _short_runs(
    items: list[Item], drop: list[bool], start: int, end: int, titles_only: bool = False
) -> list[bool]:
    """Mark runs of 3+ short unpunctuated lines (or 2+ title-like lines) in [start, end);
    with titles_only, only runs holding 2+ title-like lines."""
    out = [False] * len(items)
    i = start
    while i < end:
        if drop[i] or not items[i].short_plain and not items[i].title_like:
            i += 1
            continue
        j = i
        while j < end and not drop[j] and (items[j].short_plain or items[j].title_like):
            j += 1
        # distinct titles: a title repeated (范文 / 例文 variants) is not a list of others
        seen: list[str] = []
        for k in range(i, j):
            if items[k].title_like:
                sq = items[k].sq
                if not any(L.bigram_f1(sq, t) >= SETTINGS.extract.repeat_similarity for t in seen):
                    seen.append(sq)
        n_titles = len(seen)
        if n_titles >= 2 or (j - i >= 3 and not titles_only):
            for k in range(i, j):
                out[k] = True
        i = j
    return out


_END_CUES = ("cue", "label", "weak", "cta", "menu", "meta")
# chrome that closes an article (an inline "recommended" link does not)
_END_RE = re.compile(
    r"上一篇|下一篇|上一页|下一页|分享|展开|全文|评论|留言|相关|猜你|热门|下载|收藏|举报|编辑|版权|"
    r"copyright|©|声明|标签|关键词|tags|打印|关闭|返回",
    re.I,
)


def _stray_prose(items: list[Item], drop: list[bool]) -> list[int]:
    """Prose above the page title: a site blurb, an unmarked teaser.

    A run is a stretch of lines not dropped as chrome. A run of prose is stray when a
    title-like line follows it before the next prose and chrome sits between that title
    and the body (an unnumbered section heading has none under it): publish info
    (发布时间 …) for a run of up to three short paragraphs, any chrome for a single one.
    """
    n = len(items)
    out: list[int] = []
    i = 0
    while i < n:
        if drop[i] or not items[i].prose or items[i].marker:
            i += 1
            continue
        j, prose_lines, cjk = i, [], 0
        while j < n and not drop[j] and not items[j].marker:
            if items[j].prose:
                prose_lines.append(j)
                cjk += L.cjk_count(items[j].f)
            j += 1
        if len(prose_lines) > 3 or cjk >= 300:
            return out
        k = prose_lines[-1] + 1
        title_at = None
        while k < n and (drop[k] or not items[k].prose):
            if title_at is None and not drop[k] and items[k].title_like:
                title_at = k
            k += 1
        if title_at is None:
            return out
        under = range(title_at + 1, k)
        small = len(prose_lines) == 1 and cjk < 100
        if not (any(items[m].cue == "meta" for m in under) or (small and any(drop[m] for m in under))):
            return out
        out.extend(prose_lines)
        i = max(j, i + 1)
    return out


def _trim_tail(items: list[Item], cue: list, drop: list[bool], first: int, last: int) -> int:
    """Move the body's end back over a short prose tail cut off from the body by chrome
    (a disclaimer or a comment after 展开全文 / 相关文章 …)."""
    while True:
        k = last - 1
        while k > first and drop[k]:
            k -= 1
        gap = range(k + 1, last)
        if k <= first or not any(cue[j] in _END_CUES and _END_RE.search(items[j].f) for j in gap):
            return last
        tail = [j for j in range(last, len(items)) if not drop[j] and items[j].prose]
        if any(items[j].marker for j in tail) or sum(L.cjk_count(items[j].f) for j in tail) >= 100:
            return last
        last = k
        while last > first and not (not drop[last] and items[last].prose):
            last -= 1


def _thread_start(items: list[Item], drop: list[bool], first: int, last: int) -> int | None:
    """Where a thread of comments starts below the body: the first dated byline (a short
    line with a clock time) after which bylines keep coming, one for every few
    paragraphs, with prose of the article's own above it."""
    stamps = [i for i in range(first + 1, last + 1) if L.is_stamp(items[i].f)]
    for k, at in enumerate(stamps):
        rest = stamps[k:]
        paragraphs = sum(1 for i in range(at, last + 1) if not drop[i] and items[i].prose)
        above = sum(L.cjk_count(items[i].f) for i in range(first, at) if not drop[i] and items[i].prose)
        cfg = SETTINGS.extract
        if (len(rest) >= cfg.thread_min_stamps and len(rest) * cfg.thread_paragraphs_per_stamp >= paragraphs
                and above >= cfg.min_body_cjk):
            return at
    return None


def _closing(items: list[Item], drop: list[bool], last: int) -> int:
    """The body's end moved over its closing lines: short sentences (特此报告。) and a
    signature, i.e. the issuing unit's name and a bare date (the date is dropped as
    publish info until then)."""
    n = len(items)
    while last + 1 < n and not drop[last + 1] and L.is_sentence(items[last + 1].f):
        last += 1
    k = last + 1
    if k < n and not drop[k] and items[k].short_plain and not items[k].cue and 2 <= L.cjk_count(items[k].f) <= 30:
        k += 1  # the unit's name
    if k < n and L.is_bare_date(items[k].f):
        for j in range(last + 1, k + 1):
            drop[j] = False
        last = k
    return last


def _split_run_in_title(items: list[Item], hint: str | None) -> list[Item]:
    """`Title  First sentence of the body…` on one line: split off the title when it
    repeats the page's title (the hint, or a title-like line above it)."""
    titles = [L.squeeze(hint)] if hint else []
    for i, it in enumerate(items[:60]):
        if it.cue:
            continue
        if it.prose:
            for m in re.finditer(r"\s+", it.text[:100]):
                head, rest = it.text[: m.start()], it.text[m.end() :]
                if not L.is_title_like(L.fold(head)) or not L.is_prose(L.fold(rest)):
                    continue
                hsq = L.squeeze(head)
                if any(L.bigram_f1(hsq, t) >= SETTINGS.extract.repeat_similarity for t in titles):
                    return items[:i] + [Item(head), Item(rest)] + items[i + 1 :]
            return items
        if it.title_like:
            titles.append(it.sq)
    return items


def select(items: list[Item], heading_hint: str | None = None, join_broken: bool = False) -> Selection:
    items = _split_run_in_title(items, heading_hint)
    n = len(items)
    drop = [False] * n
    cue = [None] * n
    for i, it in enumerate(items):
        cue[i] = it.cue
        # a line mostly made of links is a link list, unless it reads as text (keyword
        # links inside a sentence or a heading)
        linky = it.link_density >= SETTINGS.extract.link_line_density and not (
            (it.prose and it.link_density < SETTINGS.extract.max_prose_link_density) or it.heading_start or it.marker)
        if cue[i] or linky:
            drop[i] = True

    def prose(i: int) -> bool:
        return not drop[i] and items[i].prose

    # prose above the page title (a site blurb, an unmarked teaser) is not the body
    for i in _stray_prose(items, drop):
        drop[i] = True
    pre_end = next((i for i in range(n) if prose(i) and not L.is_cut_off(items[i].f)), n)
    first_marker = next((i for i in range(n) if items[i].marker), n)
    head_end = min(pre_end, first_marker)  # the page heading comes before any 【篇N】
    # lists of short lines before the body (navigation, columns) hold no heading
    in_list = _short_runs(items, drop, 0, pre_end)
    in_title_list = _short_runs(items, drop, 0, pre_end, titles_only=True)

    # --- heading and its repeats ---------------------------------------------------------
    heading = L.collapse_ws(heading_hint) if heading_hint else None
    if heading is None:
        cands = [
            i for i in range(head_end) if not drop[i] and not in_title_list[i] and items[i].title_like
        ]
        if not cands:  # a title without a document noun: first short unpunctuated line
            cands = [
                i
                for i in range(head_end)
                if not drop[i] and not in_list[i] and items[i].short_plain
                and L.cjk_count(items[i].f) >= 6
            ]
        if cands:
            heading = items[cands[-1]].text  # the innermost title line, nearest the body
    titles: list[str] = []
    outer = None
    if heading:
        hsq = L.squeeze(heading)
        titles.append(hsq)
        inner = None
        outer = heading
        for i in range(n):
            if drop[i] or items[i].marker:
                continue
            sq = items[i].sq
            repeat = L.bigram_f1(sq, hsq) >= SETTINGS.extract.repeat_similarity
            if i < head_end and len(sq) <= 2 * len(hsq) + 10 and repeat:
                drop[i] = True
                if inner is None:
                    outer = items[i].text
                inner = items[i].text
            elif sq == hsq and not (i > 0 and items[i - 1].marker):
                drop[i] = True  # a repeat of the title; a report's own title after 篇N stays
        if inner is not None and heading_hint:
            heading = inner
    # titles of the reports on the page (after 【篇N】) also open teasers
    for it in items:
        if it.marker:
            t = L.squeeze(L.MARKER_RE.sub("", it.f, count=1))
            if t:
                titles.append(t)

    # --- teasers (title + start of body, or a line cut off with …) before the body ---------
    by_size: dict[int, set[str]] = {}
    for t in titles:
        if len(t) >= 6:
            by_size.setdefault(len(t), set()).add(t)
    openings = {it.sq[:_OPENING] for it in items if len(it.sq) >= _OPENING}
    teasers = {i for i in range(n) if not drop[i] and (
        _is_teaser(items[i], by_size, openings) or (i < pre_end and L.is_cut_off(items[i].f)))}
    # a teaser stands for a body elsewhere on the page: the only prose is the body itself
    if any(prose(i) for i in range(n) if i not in teasers):
        for i in teasers:
            drop[i] = True
    # a summary box that repeats the opening of the next paragraph
    for i in range(min(pre_end + 1, n)):
        if drop[i] or items[i].marker or items[i].heading_start or len(items[i].sq) < 15:
            continue
        j = next((k for k in range(i + 1, n) if not drop[k]), None)
        if j is not None and len(items[j].sq) > len(items[i].sq) and items[j].sq.startswith(items[i].sq):
            drop[i] = True
    first_prose = next((i for i in range(n) if prose(i)), None)
    if first_prose is None:
        return Selection((), heading, tuple(it.text for it in items), outer)
    # the body ends at its last whole paragraph: teasers cut off with … after it, and a
    # thread of dated comments under it, are not the body
    last_prose = max((i for i in range(n) if prose(i) and not L.is_cut_off(items[i].f)), default=first_prose)
    thread = _thread_start(items, drop, first_prose, last_prose)
    if thread is not None:
        last_prose = max(i for i in range(first_prose, thread) if prose(i))
    last_prose = _trim_tail(items, cue, drop, first_prose, last_prose)
    last_prose = _closing(items, drop, last_prose)
    body_cjk = [L.cjk_count(items[i].f) for i in range(n) if prose(i)]
    if sum(body_cjk) < SETTINGS.extract.min_body_cjk:
        return Selection((), heading, tuple(it.text for it in items), outer)

    # --- region: headings and markers may precede the first prose line -------------------
    # short whole sentences right above it open the body (斯诺克球王的人生何其精彩!)
    while first_prose > 0 and not drop[first_prose - 1] and L.is_sentence(items[first_prose - 1].f) \
            and not items[first_prose - 1].title_like:
        first_prose -= 1
    seen_marker = False
    for i in range(first_prose):
        if items[i].marker:
            seen_marker = True
            continue
        keep = (items[i].heading_start and not L.is_menu(items[i].f)) or (
            seen_marker and i > 0 and items[i - 1].marker
        ) or L.is_document_number(items[i].f)
        if not keep:
            drop[i] = True
    for i in range(last_prose + 1, n):
        drop[i] = True

    # --- lists inside the body: runs of title-like / short unpunctuated lines -----------
    def listy(i: int) -> bool:
        if items[i].marker or (i > 0 and items[i - 1].marker):
            return False
        return items[i].title_like or items[i].short_plain

    i = first_prose
    while i <= last_prose:
        if drop[i] or not listy(i):
            i += 1
            continue
        j = i
        while j <= last_prose and (drop[j] or listy(j)):
            j += 1
        members = [k for k in range(i, j) if not drop[k]]
        titles_in = sum(1 for k in members if items[k].title_like)
        if len(members) >= 3 or titles_in >= 2:
            for k in members:
                drop[k] = True
        i = j

    kept = [items[i].text for i in range(n) if not drop[i]]
    if join_broken:
        kept = _join_broken([it for i, it in enumerate(items) if not drop[i]])
    return Selection(tuple(kept), heading, tuple(items[i].text for i in range(n) if drop[i]), outer)


def _join_broken(kept: list[Item]) -> list[str]:
    """Re-join a paragraph that a dump broke over two lines.

    The first part is long and does not end a sentence; the second does not open a
    heading, a title or a marker. Unpunctuated headings are never continued.
    """
    out: list[str] = []
    last: Item | None = None  # the line that opened out[-1]
    for it in kept:
        if (
            last is not None
            and not L.ends_sentence(out[-1])
            and (L.cjk_count(out[-1]) >= 25 or "。" in out[-1][:-1])
            and not last.marker
            and not last.title_like
            and not (last.heading_start and "。" not in out[-1])
            and not it.title_like
            and not it.heading_start
            and not it.marker
        ):
            out[-1] = out[-1] + it.text
        else:
            out.append(it.text)
            last = it
    return out
