"""Choose the main-content lines from a page's lines in reading order.

Used by both cleaners: the text-dump cleaner passes every line of the dump, the HTML
cleaner passes the paragraphs of the block it picked as main content (with link density).
The decisions are made from line roles (lines.py) and from position:

* the body runs from the first to the last prose line that carries no chrome cue;
  before it only section headings and 【篇N】 markers survive, after it nothing;
* the page heading is the first title-like line (or the HTML h1); its repeats before the
  body are dropped and the innermost repeat becomes `heading` (it is the report's own title
  when a site decorates the outer one with 范文/例文);
* a teaser (title + start of the body, or a line cut off with "…") is dropped;
* inside the body: lines with chrome cues, link lists, and runs of title-like or short
  unpunctuated lines (lists of other reports, menus) are dropped;
* text dumps: paragraphs broken over two lines are re-joined.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import lines as L


@dataclass
class Item:
    text: str
    link_density: float = 0.0  # HTML: share of the text inside <a>
    tag: str = ""  # HTML: the block element that holds the text
    f: str = field(default="", init=False)  # folded form

    def __post_init__(self) -> None:
        self.text = L.collapse_ws(self.text)
        self.f = L.fold(self.text)


@dataclass(frozen=True)
class Selection:
    lines: tuple[str, ...]
    heading: str | None
    dropped: tuple[str, ...]  # for debugging and tests: what was removed
    title_line: str | None = None  # the outermost repeat of the heading (a dump's title line)


_REPEAT_SIM = 0.7
_MIN_BODY_CJK = 60  # less prose than this is not a report (chrome-only page)


def _strip_ellipsis(s: str) -> str:
    return s.rstrip().rstrip(".…。").rstrip()


def _is_teaser(item: Item, titles: list[str]) -> bool:
    s = item.f.strip()
    if L.is_marker(s) or L.is_heading_start(s):
        return False
    sq = L.squeeze(s)
    for t in titles:
        if t and sq.startswith(t) and len(sq) >= len(t) + 4:
            return True
    return False


def _cut_off(f: str) -> bool:
    return f.rstrip().endswith(("...", "…"))


def _short_runs(
    items: list[Item], drop: list[bool], start: int, end: int, titles_only: bool = False
) -> list[bool]:
    """Mark runs of 3+ short unpunctuated lines (or 2+ title-like lines) in [start, end);
    with titles_only, only runs holding 2+ title-like lines."""
    out = [False] * len(items)
    i = start
    while i < end:
        if drop[i] or not L.is_short_plain(items[i].f) and not L.is_title_like(items[i].f):
            i += 1
            continue
        j = i
        while j < end and not drop[j] and (L.is_short_plain(items[j].f) or L.is_title_like(items[j].f)):
            j += 1
        n_titles = sum(L.is_title_like(items[k].f) for k in range(i, j))
        if n_titles >= 2 or (j - i >= 3 and not titles_only):
            for k in range(i, j):
                out[k] = True
        i = j
    return out


_END_CUES = ("cue", "label", "weak", "menu")


def _trim_tail(items: list[Item], cue: list, drop: list[bool], first: int, last: int) -> int:
    """Move the body's end back over a short prose tail cut off from the body by chrome
    (a disclaimer or a comment after 展开全文 / 相关文章 …)."""
    while True:
        k = last - 1
        while k > first and drop[k]:
            k -= 1
        gap = range(k + 1, last)
        if k <= first or not any(cue[j] in _END_CUES for j in gap):
            return last
        tail = [j for j in range(last, len(items)) if not drop[j] and L.is_prose(items[j].f)]
        if any(L.is_marker(items[j].f) for j in tail) or sum(L.cjk_count(items[j].f) for j in tail) >= 100:
            return last
        last = k
        while last > first and not (not drop[last] and L.is_prose(items[last].f)):
            last -= 1


def _split_run_in_title(items: list[Item], hint: str | None) -> list[Item]:
    """`Title  First sentence of the body…` on one line: split off the title when it
    repeats the page's title (the hint, or a title-like line above it)."""
    titles = [L.squeeze(hint)] if hint else []
    for i, it in enumerate(items[:60]):
        if L.chrome_cue(it.f):
            continue
        if L.is_prose(it.f):
            for m in re.finditer(r"\s+", it.text[:100]):
                head, rest = it.text[: m.start()], it.text[m.end() :]
                if not L.is_title_like(L.fold(head)) or not L.is_prose(L.fold(rest)):
                    continue
                hsq = L.squeeze(head)
                if any(L.bigram_f1(hsq, t) >= _REPEAT_SIM for t in titles):
                    return items[:i] + [Item(head), Item(rest)] + items[i + 1 :]
            return items
        if L.is_title_like(it.f):
            titles.append(L.squeeze(it.f))
    return items


def select(items: list[Item], heading_hint: str | None = None, join_broken: bool = False) -> Selection:
    items = _split_run_in_title(items, heading_hint)
    n = len(items)
    drop = [False] * n
    cue = [None] * n
    for i, it in enumerate(items):
        cue[i] = L.chrome_cue(it.f)
        if cue[i] or (it.link_density >= 0.5 and L.cjk_count(it.f) < 80):
            drop[i] = True

    def prose(i: int) -> bool:
        return not drop[i] and L.is_prose(items[i].f)

    # lists of short lines before the body (navigation, columns) hold no heading
    pre_end = next((i for i in range(n) if prose(i) and not _cut_off(items[i].f)), n)
    first_marker = next((i for i in range(n) if L.is_marker(items[i].f)), n)
    head_end = min(pre_end, first_marker)  # the page heading comes before any 【篇N】
    in_list = _short_runs(items, drop, 0, pre_end)
    in_title_list = _short_runs(items, drop, 0, pre_end, titles_only=True)

    # --- heading and its repeats ---------------------------------------------------------
    heading = L.collapse_ws(heading_hint) if heading_hint else None
    if heading is None:
        cands = [
            i for i in range(head_end) if not drop[i] and not in_title_list[i] and L.is_title_like(items[i].f)
        ]
        if not cands:  # a title without a document noun: first short unpunctuated line
            cands = [
                i
                for i in range(head_end)
                if not drop[i] and not in_list[i] and L.is_short_plain(items[i].f)
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
            if drop[i] or L.is_marker(items[i].f):
                continue
            sq = L.squeeze(items[i].f)
            if i < head_end and len(sq) <= 2 * len(hsq) + 10 and L.bigram_f1(sq, hsq) >= _REPEAT_SIM:
                drop[i] = True
                if inner is None:
                    outer = items[i].text
                inner = items[i].text
            elif sq == hsq:
                drop[i] = True
        if inner is not None and heading_hint:
            heading = inner
    # titles of the reports on the page (after 【篇N】) also open teasers
    for it in items:
        if L.is_marker(it.f):
            t = L.squeeze(L.MARKER_RE.sub("", it.f, count=1))
            if t:
                titles.append(t)

    # --- teasers (title + start of body, or a line cut off with …) before the body ---------
    titles = [t for t in titles if len(t) >= 6]
    for i in range(n):
        if not drop[i] and (_is_teaser(items[i], titles) or (i < pre_end and _cut_off(items[i].f))):
            drop[i] = True
    first_prose = next((i for i in range(n) if prose(i)), None)
    if first_prose is None:
        return Selection((), heading, tuple(it.text for it in items), outer)
    last_prose = _trim_tail(items, cue, drop, first_prose, max(i for i in range(n) if prose(i)))
    body_cjk = [L.cjk_count(items[i].f) for i in range(n) if prose(i)]
    if sum(body_cjk) < _MIN_BODY_CJK or (len(body_cjk) < 2 and sum(body_cjk) < 200):
        return Selection((), heading, tuple(it.text for it in items), outer)

    # --- region: headings and markers may precede the first prose line -------------------
    seen_marker = False
    for i in range(first_prose):
        f = items[i].f
        if L.is_marker(f):
            seen_marker = True
            continue
        keep = (L.is_heading_start(f) and not L.is_menu(f)) or (
            seen_marker and i > 0 and L.is_marker(items[i - 1].f)
        )
        if not keep:
            drop[i] = True
    for i in range(last_prose + 1, n):
        drop[i] = True

    # --- lists inside the body: runs of title-like / short unpunctuated lines -----------
    def listy(i: int) -> bool:
        f = items[i].f
        if L.is_marker(f) or (i > 0 and L.is_marker(items[i - 1].f) and not L.is_title_like(items[i - 1].f)):
            return False
        return L.is_title_like(f) or L.is_short_plain(f)

    i = first_prose
    while i <= last_prose:
        if drop[i] or not listy(i):
            i += 1
            continue
        j = i
        while j <= last_prose and (drop[j] or listy(j)):
            j += 1
        members = [k for k in range(i, j) if not drop[k]]
        titles_in = sum(1 for k in members if L.is_title_like(items[k].f))
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
    heading or a marker. Short unpunctuated lines are headings, never joined.
    """
    out: list[str] = []
    prev: Item | None = None
    for it in kept:
        f = it.f
        if (
            prev is not None
            and out
            and not L.ends_sentence(L.fold(out[-1]))
            and (L.cjk_count(out[-1]) >= 40 or "。" in out[-1][:-1])
            and not L.is_marker(L.fold(out[-1]))
            and not L.is_heading_start(f)
            and not L.is_marker(f)
        ):
            out[-1] = out[-1] + it.text
        else:
            out.append(it.text)
        prev = it
    return out
