"""indexer.extract.mojibake: garbled spans are repaired when a codec round trip explains them,
dropped when garbage is certain, and real text (rare characters included) is left alone."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from indexer.extract.mojibake import _odd_weight, naturalness, repair_mojibake

ROOT = Path(__file__).resolve().parent.parent
SEED_000 = ROOT / "samples" / "seeds" / "000_723c5804201ed456.txt"

SIMP = "各级党组织把意识形态工作纳入重要议事日程，定期研究部署，切实做到守土有责、守土负责、守土尽责。"
TRAD = "各級黨組織把意識形態工作納入重要議事日程，定期研究部署，切實做到守土有責、守土負責、守土盡責。"


def garble(span: str, written: str, read_as: str, shift: int = 0) -> str:
    """The span as a page shows it after its bytes went through the wrong codec."""
    raw = span.encode(written)[shift:]
    return raw.decode(read_as, errors="replace").replace("\ufffd", "?")


def test_seed_000_garbled_spans_leave_no_garbage():
    text = SEED_000.read_text(encoding="utf-8")
    lines = text.split("\n")
    assert "∫韵率切" in lines[1]  # the garbled intro sentence of the real scraped page
    assert lines[44].startswith("?20xx年") and "工作?,F將有關" in lines[44]  # 。現 lost
    fixed, warnings = repair_mojibake(text)
    fixed_lines = fixed.split("\n")
    # bytes were lost inside the intro's span: the best reading (以下是小編枕的) is partial
    # garbage, so the span goes
    assert not set("∫ㄟ【幷淼枕") & set(fixed_lines[1])
    assert fixed_lines[1].endswith("輸局2023年落實意識形態工作情況報告五篇,僅供參考,希望能夠幫助到大家。")
    assert fixed_lines[44].startswith("20xx年局") and "扎實做好意識形態工作將有關情況匯報如下" in fixed_lines[44]
    assert [w.split(":")[0] for w in warnings] == ["line 2", "line 45", "line 45"]
    assert all("dropped" in w for w in warnings)
    # every other line is untouched
    changed = [n for n, (a, b) in enumerate(zip(lines, fixed_lines)) if a != b]
    assert changed == [1, 44]


@pytest.mark.parametrize("text, want", [
    ("扎實做好意識形態工作?,F將有關情況匯報如下", "扎實做好意識形態工作將有關情況匯報如下"),
    ("?20xx年局意識形態工作情況總結報告", "20xx年局意識形態工作情況總結報告"),
])
def test_ascii_debris_of_lost_characters_is_dropped(text, want):
    fixed, warnings = repair_mojibake(f"{SIMP}\n{text}\n{SIMP}")
    assert fixed == f"{SIMP}\n{want}\n{SIMP}" and len(warnings) == 1


@pytest.mark.parametrize("original,written,read_as,a,b", [
    (SIMP, "utf-8", "gbk", 10, 18),  # UTF-8 page bytes read as GBK
    (SIMP, "utf-8", "gbk", 30, 42),
    (SIMP, "gbk", "big5", 10, 18),  # GBK read as Big5
    (SIMP, "gbk", "big5", 2, 12),
    (TRAD, "big5", "gbk", 10, 18),  # Big5 read as GBK
    (TRAD, "big5", "gbk", 30, 40),
    (SIMP, "utf-8", "cp1252", 10, 18),  # UTF-8 read as Windows-1252
])
def test_round_trip_garbles_are_repaired_or_dropped(original, written, read_as, a, b):
    span = original[a:b]
    bad = garble(span, written, read_as)
    text = "第一行正常文字。\n" + original[:a] + bad + original[b:] + "\n最后一行。"
    fixed, warnings = repair_mojibake(text)
    assert len(warnings) == 1 and warnings[0].startswith("line 2: mojibake"), warnings
    middle = fixed.split("\n")[1]
    assert middle.startswith(original[:a]) and middle.endswith(original[b:])
    # The odd characters are gone; a garbled character that happens to be an everyday
    # one (Big5 bytes read as GBK give some) can survive at the edge of a dropped span.
    foreign = set(bad) - set(original) - set("?")
    survivors = foreign & set(middle)
    assert len(survivors) <= 2, survivors
    assert not any(_odd_weight(ch) for ch in survivors)
    if "repaired" in warnings[0]:
        # Bytes the garbling replaced by ? are gone for good; the rest comes back.
        assert sum(ch in middle for ch in span) >= len(span) / 2


def test_shifted_alignment_is_repaired():
    # A lost byte before the span: every following byte pair is read one byte off,
    # until an invalid pair or ASCII realigns the decoder.
    original = "。　切實加強意識形態陣地建設和管理工作"
    bad = garble(original, "gbk", "gbk", shift=1)
    assert "∏" in bad and "陣地" in bad  # odd symbols, then the realigned tail
    text = f"它是觀念、觀點、概念等要素的總和{bad}，僅供參考。"
    fixed, warnings = repair_mojibake(text)
    assert len(warnings) == 1 and "shift 1" in warnings[0], warnings
    assert fixed.endswith("總和！切實加強意識形態陣地建設和管理工作，僅供參考。")


def test_unexplained_garbage_is_dropped():
    junk = "ㄟ∫ЖΩ┦ぇㄥ"
    fixed, warnings = repair_mojibake(f"{SIMP}{junk}{SIMP}")
    assert fixed == SIMP + SIMP
    assert len(warnings) == 1 and "dropped" in warnings[0]


@pytest.mark.parametrize("text", [
    SIMP, TRAD,
    "朱镕基同志和张喆、王淼、李垚参加会议，渚圩汀村、汀泉驿站负责人列席。",  # rare characters in names
    "爲羣衆辦實事，衞生覈查，裏外一致。",  # variant forms of common characters
    "第1季度完成率达到95%，同比增长3.5个百分点（见附表①②）。Ⅰ类、Ⅱ类问题均已整改。",
    "Copyright © 2008-2023 版权所有 京ICP备12345678号 · 网站地图",
    "你知道吗？这是为什么？",
    "你知道吗?这是为什么?我们来看?A计划。",
    "",
])
def test_real_text_is_left_alone(text):
    assert repair_mojibake(text) == (text, [])


def test_naturalness_separates_prose_from_garbage():
    covered, total = naturalness(SIMP)
    assert covered / total > 0.7
    bad = garble(SIMP, "utf-8", "gbk")
    covered, total = naturalness(bad)
    assert total and covered / total < 0.3


def test_warnings_carry_line_numbers():
    bad = garble(SIMP[:10], "utf-8", "gbk")
    text = "\n".join([SIMP, SIMP, bad + SIMP[10:]])
    _fixed, warnings = repair_mojibake(text)
    assert [re.match(r"line (\d+):", w).group(1) for w in warnings] == ["3"]


def test_a_dropped_span_never_takes_markup_along():
    text = f"<p>{SIMP}ㄟ∫Ж<br>Ω┦ぇㄥ{SIMP}</p>"
    fixed, _warnings = repair_mojibake(text)
    assert "<br>" in fixed and fixed.startswith("<p>") and fixed.endswith("</p>")


def test_text_in_another_script_is_not_rewritten():
    japanese = "これは日本語のテキストです。東京都の会議で議論されました。"
    for text in (japanese * 50, (japanese + "\n") * 500):
        fixed, _warnings = repair_mojibake(text)
        assert fixed == text
