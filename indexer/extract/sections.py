"""Section structure of one report body: heading grammar and section kinds.

Headings come on three levels (matched on the normalize()d line, so both scripts and
full/half-width punctuation look alike):

  level 1   一、  一.  一,  第一部分
  level 2   (一)  （一）  ㈠
  level 3   1.  1、  (1)  一是  一要

`parse_sections` returns the level-1 sections, preceded by a 前言 block (heading "")
for the text before the first heading. When a report has no level-1 heading at all,
level-2 headings are promoted: some reports number their top level (一).

A run-in heading ("一、总体情况 1.区委…", "一.强化组织领导,压实工作责任。坚持…") is
split from its text at the first sentence end or at the first space that is not part
of the heading's own punctuation.
"""
from __future__ import annotations

import re

from .model import Section
from ..normalize import normalize, normalize_with_offsets

_NUM = "一二三四五六七八九十"
_LEVEL1 = re.compile(rf"^\s*(?:[{_NUM}]{{1,3}}\s*[,.:](?![.\d])|第[{_NUM}]{{1,3}}部分)")
_LEVEL2 = re.compile(rf"^\s*\(\s*[{_NUM}]{{1,3}}\s*\)")
_LEVEL3 = re.compile(rf"^\s*(?:\d{{1,2}}\s*[,.:](?!\d)|\(\s*\d{{1,2}}\s*\)|[{_NUM}]{{1,3}}(?:是|要|也是)\S)")

# Cue words per kind, on Simplified (normalized) text. In a heading the earliest cue
# wins ("存在的问题及下一步打算" is about problems; "整改措施" is a plan, not a practice).
_HEADING_CUES: dict[str, tuple[str, ...]] = {
    "存在问题": ("存在的问题", "存在问题", "主要问题", "问题", "不足", "短板", "弱项", "差距",
              "隐患", "风险点", "薄弱", "原因分析", "查摆", "症结"),
    "下步打算": ("下一步", "下步", "下阶段", "下半年", "今后", "打算", "计划", "努力方向", "整改",
              "对策", "建议", "展望", "思路", "改进"),
    "工作做法": ("主要做法", "做法", "措施", "举措", "开展情况", "推进情况", "履职", "落实情况",
              "成效", "成绩", "亮点", "经验"),
    "总体情况": ("基本情况", "总体情况", "总体", "整体", "概况", "形势", "现状", "总体判断"),
    "结语": ("结束语", "结语", "总之", "综上"),
}
# The opening of a paragraph that starts a new, unheaded block of another kind.
_BLOCK_OPENERS: dict[str, re.Pattern[str]] = {
    "结语": re.compile(r"^(?:以上是|以上为|以上就是|总之|综上所述|综上|特此报告|最后,)"),
    # "下半年/今后/明年" open a plan only when a future verb follows ("2024年下半年，XX局将…"),
    # not in an account of work done ("下半年，我局开展了…").
    "下步打算": re.compile(r"^(?:下一步|下步|下阶段|(?:(?:19|20)(?:\d{2}|xx)年)?(?:下半年|今后|明年)[^.;]{0,20}?(?:将|要|继续|计划|打算|拟))"),
    "存在问题": re.compile(r"^[^.;]{0,40}(?:存在(?:一些|以下|着一些|著一些|的)?(?:问题|不足|短板)|问题和不足)"),
}


_PREFIX = 12  # longest numbering: "第十二部分", "（十二）" with spaces
_HEADING_MAX = 160
_OPENING = 60  # block openers look at a paragraph's first words


def heading_level(line: str) -> int:
    """1, 2 or 3 for a heading line (by its numbering), 0 for body text."""
    norm = normalize(line.lstrip()[:_PREFIX])  # numbering sits at the start
    if _LEVEL1.match(norm):
        return 1
    if _LEVEL2.match(norm):
        return 2
    if _LEVEL3.match(norm):
        return 3
    return 0


def split_run_in(line: str, level: int = 1) -> tuple[str, str]:
    """(heading, text) of a heading line; text is "" when the line is a heading only."""
    raw = line.strip()
    # The heading ends within its first sentence: normalize only a prefix (t2s on long
    # paragraphs is the costly step); no separator there means the line is all heading.
    norm, offsets = normalize_with_offsets(raw[:_HEADING_MAX])
    pattern = {1: _LEVEL1, 2: _LEVEL2}.get(level, _LEVEL3)
    m = pattern.match(norm)
    start = m.end() if m else 0
    for i in range(start + 1, len(norm)):
        ch = norm[i]
        decimal = ch == "." and norm[i - 1].isdigit() and i + 1 < len(norm) and norm[i + 1].isdigit()
        if ch in ".!?;:" and not decimal:
            cut = offsets[i]
            return raw[:cut].strip(), raw[offsets[i + 1]:].strip()
        if ch == " " and norm[i - 1] not in ",:;" and i + 1 < len(norm) and norm[i + 1] != " ":
            return raw[:offsets[i]].strip(), raw[offsets[i]:].strip()
    return raw, ""


def classify_heading(heading: str) -> str | None:
    """Kind from a heading's cue words; None when the heading carries no cue."""
    norm = normalize(heading).replace(" ", "")
    best: tuple[int, int, str] | None = None
    for kind, cues in _HEADING_CUES.items():
        for cue in cues:
            pos = norm.find(cue)
            if pos >= 0 and (best is None or (pos, -len(cue)) < best[:2]):
                best = (pos, -len(cue), kind)
    return best[2] if best else None


# A short closing sentence in the first person plural: "我们将认真对照上级要求,…。"
_CLOSING_PROMISE = re.compile(r"^(?:下一步|今后|下阶段)?,?我们(?:将|要|一定|会)")
_CLOSING_MAX = 80


def is_closing(text: str) -> bool:
    """The last paragraph of a report that sums up or signs off (结语)."""
    if len(text) > 2 * _CLOSING_MAX:
        return classify_block(text) == "结语"
    norm = normalize(text).replace(" ", "")
    if _BLOCK_OPENERS["结语"].search(norm):
        return True
    one_sentence = len(re.findall(r"[.!?]", norm.rstrip(".!?"))) == 0
    return bool(_CLOSING_PROMISE.search(norm)) and one_sentence and len(norm) <= _CLOSING_MAX


def classify_block(text: str) -> str | None:
    """Kind of an unheaded paragraph from its opening words, None when neutral."""
    norm = normalize(text[:_OPENING]).replace(" ", "")
    for kind, pattern in _BLOCK_OPENERS.items():
        if pattern.search(norm):
            return kind
    return None


def parse_sections(lines) -> list[Section]:
    lines = [ln for ln in lines if ln.strip()]
    levels = [heading_level(ln) for ln in lines]
    top = 1 if 1 in levels else 2 if 2 in levels else 0
    sections: list[Section] = []
    heading: str | None = None
    level = 0
    buf: list[str] = []

    def flush() -> None:
        if heading is None and not buf:
            return
        if heading is None:
            sections.append(Section("", 0, "前言", "\n".join(buf)))
        else:
            # A heading without cue words ("一、强化组织领导") reports work done, unless
            # its text opens like a problems or plans block.
            kind = classify_heading(heading) or (classify_block(buf[0]) if buf else None) or "工作做法"
            sections.append(Section(heading, level, kind, "\n".join(buf)))

    for line, lvl in zip(lines, levels):
        if top and lvl == top:
            flush()
            heading, text = split_run_in(line, top)
            level = 1
            buf = [text] if text else []
        else:
            buf.append(line.strip())
    flush()
    return _split_trailing_blocks(sections)


def _split_trailing_blocks(sections: list[Section]) -> list[Section]:
    """Split unheaded blocks (a closing 结语, or a problems/plans block written without a
    heading) off the end of the last section, where reports put them."""
    if not sections:
        return sections
    last = sections[-1]
    paras = last.text.split("\n") if last.text else []
    # Look for block openers among the last section's paragraphs (not its first one,
    # which belongs to the heading), from the end backwards; each opener starts a block
    # that runs to the next opener below it (or to the end).
    tail: list[Section] = []
    cut = len(paras)
    i = len(paras) - 1
    while i >= 1:
        kind = "结语" if i == len(paras) - 1 and is_closing(paras[i]) else classify_block(paras[i])
        if kind == "结语" and i == len(paras) - 1 and not tail:
            tail.insert(0, Section("", 0, "结语", paras[i]))
            cut = i
        elif kind in ("存在问题", "下步打算") and kind != last.kind and last.kind in ("工作做法", "总体情况", "前言"):
            tail.insert(0, Section("", 0, kind, "\n".join(paras[i:cut])))
            cut = i
        i -= 1
    if not tail:
        return sections
    head = Section(last.heading, last.level, last.kind, "\n".join(paras[:cut]))
    return [*sections[:-1], head, *tail]
