"""The one normalization path shared by documents and queries.

`normalize(text)` turns text into its *index form*:

1. NFKC width folding (全角 ＡＢＣ１２３ → ABC123, compatibility ideographs → unified);
2. punctuation folding (。→. 、→, “”→" 【】→[] …) and whitespace folding (any space → " ");
3. OpenCC Traditional → Simplified (``t2s``), skipped when no character would change;
4. variant folding for characters ``t2s`` leaves alone (著→着, 衞→卫, 幷→并 …): both
   documents and queries go through it, so the choice of form does not matter, only that
   it is the same on both sides.

`normalize_with_offsets(text)` also returns, for every character of the index form, the
index of the original character it came from, so highlights computed on the index form
land on the original characters in the original script.

Steps 1, 2 and 4 are per-character and length-preserving for almost every character, so
they run as one `str.translate`; the few characters whose NFKC form is longer (㈠ → (一))
take a slower per-character path that keeps the offset map exact.
"""
from __future__ import annotations

import functools
import re
import sys
import unicodedata
from pathlib import Path

# Punctuation folded to one ASCII form each; NFKC already maps the full-width ASCII block.
_PUNCT_FOLD = {
    "。": ".", "｡": ".", "、": ",", "､": ",", "，": ",", "：": ":", "；": ";",
    "“": '"', "”": '"', "„": '"', "‟": '"', "「": '"', "」": '"', "『": '"', "』": '"',
    "‘": "'", "’": "'", "‛": "'", "〝": '"', "〞": '"', "＂": '"',
    "【": "[", "】": "]", "〔": "[", "〕": "]", "［": "[", "］": "]", "〖": "[", "〗": "]",
    "《": "<", "》": ">", "〈": "<", "〉": ">", "«": "<", "»": ">",
    "（": "(", "）": ")", "—": "-", "–": "-", "―": "-", "‐": "-", "‑": "-", "－": "-",
    "～": "~", "〜": "~", "・": "·", "•": "·", "…": ".", "‥": ".", "！": "!", "？": "?",
}

# Variants that OpenCC t2s keeps (or keeps in some phrases): one form for the search key.
_VARIANT_FOLD = {
    "著": "着", "衞": "卫", "衛": "卫", "幷": "并", "並": "并", "麪": "面", "麵": "面",
    "裏": "里", "裡": "里", "爲": "为", "為": "为", "眞": "真", "羣": "群", "戶": "户",
    "戸": "户", "敎": "教", "僞": "伪", "峯": "峰", "綫": "线", "線": "线", "鍊": "炼",
    "煉": "炼", "鑪": "炉", "啓": "启", "啟": "启", "於": "于", "兒": "儿", "嚮": "向",
    "瞭": "了", "徵": "征", "祕": "秘", "吿": "告", "姸": "妍", "喫": "吃",
    "牀": "床", "甦": "苏", "綵": "彩", "鬥": "斗", "鬭": "斗", "佔": "占", "檯": "台",
    "臺": "台", "颱": "台", "纔": "才", "餘": "余", "幹": "干", "髮": "发",
    "發": "发", "鐘": "钟", "鍾": "钟", "製": "制", "複": "复", "隻": "只",
    "祇": "只", "衹": "只", "範": "范", "鬆": "松", "係": "系", "繫": "系",
    "麼": "么", "麽": "么", "歷": "历", "曆": "历", "嶽": "岳", "醜": "丑", "薑": "姜",
    "蘋": "苹", "捨": "舍", "穀": "谷", "準": "准", "樸": "朴", "蔔": "卜", "鹹": "咸",
    "鬱": "郁", "彙": "汇", "匯": "汇", "瀋": "沈", "闆": "板", "週": "周", "遊": "游",
    "衝": "冲", "噁": "恶", "迴": "回", "蒐": "搜", "採": "采", "鬚": "须",
    "須": "须", "籲": "吁", "嚐": "尝", "嘗": "尝", "託": "托", "壇": "坛", "罈": "坛",
    "傢": "家", "夥": "伙", "併": "并",
}

_WHITESPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004" \
    "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"


def _fold_char(ch: str) -> str:
    """Steps 1, 2 and 4 for one character (t2s happens in between, on whole strings)."""
    if ch in _WHITESPACE:
        return " "
    if ch in _INVISIBLE:
        return ""
    if ch in _PUNCT_FOLD:
        return _PUNCT_FOLD[ch]
    out = unicodedata.normalize("NFKC", ch)
    return "".join(_PUNCT_FOLD.get(c, c) for c in out)


@functools.lru_cache(maxsize=1)
def _tables() -> tuple[dict[int, str], re.Pattern[str]]:
    """(1:1 translate table, pattern of characters that expand or vanish)."""
    table: dict[int, str] = {}
    irregular: list[str] = []
    for cp in range(sys.maxunicode + 1):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        if cp < 0x80 and ch not in _WHITESPACE:
            continue
        folded = _fold_char(ch)
        if len(folded) == 1:
            if folded != ch:
                table[cp] = folded
        else:
            irregular.append(ch)
    pattern = re.compile("[" + "".join(re.escape(c) for c in irregular) + "]")
    return table, pattern


@functools.lru_cache(maxsize=1)
def _t2s():
    from opencc import OpenCC  # imported lazily: loading the dictionaries takes ~0.3 s

    return OpenCC("t2s")


@functools.lru_cache(maxsize=2)
def opencc_characters(name: str) -> dict[str, tuple[str, ...]]:
    """Single-character entries of one of OpenCC's dictionaries (``TSCharacters.txt``,
    ``STCharacters.txt``): character -> its conversions, preferred first. The one reader
    of those files; script detection and the cue/mojibake folds use it too."""
    import opencc

    path = Path(opencc.__file__).parent / "dictionary" / name
    table: dict[str, tuple[str, ...]] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            key, _, values = line.rstrip("\n").partition("\t")
            if len(key) == 1 and values:
                table[key] = tuple(values.split(" "))
    return table


@functools.lru_cache(maxsize=1)
def t2s_char_table() -> dict[int, str]:
    """`str.translate` table: Traditional character -> preferred Simplified character.
    Character level only (no phrase rules): for cue matching and text scoring, a hundred
    times faster than OpenCC; the index form itself goes through `normalize`."""
    return {ord(k): v[0] for k, v in opencc_characters("TSCharacters.txt").items() if v[0] != k}


def traditional_chars() -> frozenset[str]:
    """Characters that OpenCC t2s changes on their own. Phrase rules only refine how
    such characters convert, so text without any of them is already Simplified."""
    return frozenset(chr(cp) for cp in t2s_char_table())


@functools.lru_cache(maxsize=1)
def _traditional_pattern() -> re.Pattern[str]:
    chars = sorted(traditional_chars())
    return re.compile("[" + "".join(re.escape(c) for c in chars) + "]")


def _fold(text: str) -> tuple[str, list[int] | None]:
    """Width/punctuation/whitespace folding; offsets are None when length-preserving."""
    table, irregular = _tables()
    if not irregular.search(text):
        return text.translate(table), None
    # Translate the runs between irregular characters in bulk; only those take the slow path.
    out: list[str] = []
    offsets: list[int] = []
    pos = 0
    for m in irregular.finditer(text):
        start = m.start()
        if start > pos:
            out.append(text[pos:start].translate(table))
            offsets.extend(range(pos, start))
        folded = _fold_char(m.group())
        out.append(folded)
        offsets.extend([start] * len(folded))
        pos = start + 1
    if pos < len(text):
        out.append(text[pos:].translate(table))
        offsets.extend(range(pos, len(text)))
    return "".join(out), offsets


@functools.lru_cache(maxsize=65536)
def _convert_segment(segment: str) -> str:
    if not _traditional_pattern().search(segment):
        return segment
    cc = _t2s()
    return cc._convert(segment, cc._dict_chain_data)


def _convert(text: str) -> str:
    """`OpenCC.convert`, segment by segment with a cache: OpenCC itself splits the text at
    its separators (no dictionary entry spans one) and converts each part on its own,
    and report text repeats the same clauses across pages (boilerplate, reused
    paragraphs), so the slow pure-Python phrase matching runs once per distinct clause."""
    cc = _t2s()
    if not hasattr(cc, "_dict_chain_data") or not hasattr(cc, "split_chars_re"):
        return cc.convert(text)  # a different opencc build: no shortcut
    cc.convert("")  # make sure the dictionaries are loaded
    parts = cc.split_chars_re.split(text)
    return "".join(_convert_segment(p) if i % 2 == 0 else p for i, p in enumerate(parts))


def _to_simplified(text: str) -> str:
    """t2s that keeps the length, so the offset map stays valid."""
    if not _traditional_pattern().search(text):
        return text  # most pages are Simplified: nothing would change
    converted = _convert(text)
    if len(converted) == len(text):
        return converted
    # A phrase rule changed the length somewhere: convert character by character instead.
    cc = _t2s()
    return "".join(c if len(c := cc.convert(ch)) == 1 else ch for ch in text)


def _finish(text: str) -> str:
    table, _ = _tables()
    # t2s output may contain characters the first fold maps (著 from phrase tables, …).
    return text.translate(table)


def normalize(text: str) -> str:
    """Index form of `text` (documents and queries alike)."""
    folded, _ = _fold(text)
    return _finish(_to_simplified(folded))


def normalize_with_offsets(text: str) -> tuple[str, list[int]]:
    """Index form plus `offsets`, where ``offsets[i]`` is the index in `text` of the
    character that produced index-form character ``i``; ``offsets`` has one extra final
    entry, ``len(text)``, so a span ``[a, b)`` maps to ``text[offsets[a]:offsets[b]]``
    (for b == len(norm) this is the end of the text)."""
    folded, offsets = _fold(text)
    norm = _finish(_to_simplified(folded))
    if offsets is None:
        offsets = list(range(len(norm)))
    offsets.append(len(text))
    return norm, offsets


def search_key(text: str) -> str:
    """Index form with all whitespace removed: the key for substring (phrase) matching,
    as the corpus' judgments define it."""
    return normalize(text).replace(" ", "")


def _init_variant_fold() -> None:
    """Variant folding runs inside the same translate table as width folding."""
    for src, dst in _VARIANT_FOLD.items():
        _PUNCT_FOLD.setdefault(src, dst)


_init_variant_fold()
