"""Find and repair garbled spans (mojibake) inside otherwise well-decoded text.

Scraped pages often carry a span that went through a wrong codec round trip before
the page was saved: UTF-8 bytes read as GBK (鍦ㄥ叏闈…), GBK read as Big5, Big5 read as
GBK, GBK read with a one-byte shift (∫韵率切【幷…), UTF-8 read as cp1252 (å·¥ä½œ…).

Method, with no knowledge of any particular page:

1. *Detect*: characters that do not belong in Chinese prose - ideographs outside the
   everyday repertoire of both scripts (GB2312, Big5 level 1, and the Traditional forms
   of GB2312 characters), kana, bopomofo, Greek/Cyrillic letters, Latin-1 accented
   letters, math and box-drawing symbols, U+FFFD, controls. Two or more of them close
   together on one line make a suspicious span.
2. *Repair*: re-encode windows around the span with the codec that probably misread
   it, optionally drop 1-3 leading bytes (shifted alignment), decode with the codec the
   bytes were written in. A candidate is accepted when it contains no odd character and
   reads as Chinese: most of its adjacent character pairs occur inside words of jieba's
   dictionary (Traditional folded to Simplified), clearly more than the garbled span.
3. Otherwise *drop* the span: garbage in a report body only pollutes search.

Every repair or drop is reported as a warning; nothing changes silently.
"""
from __future__ import annotations

import functools
import os
import re
from collections import Counter

from ..normalize import t2s_char_table
from ..settings import SETTINGS

# (codec that misread the bytes, codec the bytes were written in)
_ROUND_TRIPS = (
    ("gb18030", "utf-8"),
    ("gb18030", "big5hkscs"),
    ("big5hkscs", "gb18030"),
    ("gb18030", "gb18030"),  # same codec: only useful with a byte shift
    ("big5hkscs", "big5hkscs"),
    ("cp1252", "utf-8"),
    ("latin-1", "utf-8"),
)

# cp1252 punctuation that never occurs in Chinese text (the typical å·¥ä½œ debris)
_CP1252_DEBRIS = "€‚ƒ„†‡ˆ‰Š‹ŒŽ˜™š›œžŸ"


def _codec_chars(codec: str, leads: range, trails: list[int]) -> set[str]:
    out = set()
    for lead in leads:
        for trail in trails:
            try:
                out.add(bytes((lead, trail)).decode(codec))
            except UnicodeDecodeError:
                pass
    return out


@functools.lru_cache(maxsize=1)
def known_ideographs() -> frozenset[str]:
    """Ideographs that ordinary Chinese prose in either script is made of."""
    gb2312 = _codec_chars("gb2312", range(0xB0, 0xF8), list(range(0xA1, 0xFF)))
    big5 = _codec_chars("big5", range(0xA4, 0xC7), list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF)))
    traditional = {chr(t) for t, s in t2s_char_table().items() if s in gb2312}
    return frozenset(gb2312 | big5 | traditional)


_CERTAIN_DEBRIS = r"(?<=[\u3400-\u9fff])\?[,.;:!'][A-Za-z]?(?=[\u3400-\u9fff])|^\?(?=[\u3400-\u9fff0-9])"
_CERTAIN_DEBRIS_IN_TEXT = re.compile(_CERTAIN_DEBRIS, re.M)


@functools.lru_cache(maxsize=1)
def _odd_pattern() -> re.Pattern[str]:
    """Odd characters and ASCII debris next to them (see _odd_class for the first)."""
    # ASCII debris: a ? (lost byte) next to non-ASCII text, a lone letter or symbol
    # wedged between non-ASCII characters or ?s (a byte read as ASCII mid-character);
    # first the certain kinds: a ? with a stray mark and letter between two ideographs
    # (工作?,F將: 。現 lost), a ? opening a line.
    debris = (_CERTAIN_DEBRIS
              + r"|(?<=[^\x00-\x7f])\?|(?<=[^\x00-\x7f].)\?|\?(?=[^\x00-\x7f])"
              r"|(?<=[^\x00-\x7f?])[A-Za-z@~^`|\\](?=[^\x00-\x7f?])"
              r"|(?<=\?)[A-Za-z@~^`|\\](?=[?\u0080-\uffff])|(?<=[\u0080-\uffff])[A-Za-z@~^`|\\](?=\?)")
    return re.compile(_odd_class().pattern + "|" + debris)


@functools.lru_cache(maxsize=1)
def _odd_class() -> re.Pattern[str]:
    """One character class for every odd character: a fast scan of whole pages."""
    known = known_ideographs()
    ranges: list[str] = []
    for block in (range(0x3400, 0xA000), range(0xF900, 0xFB00)):
        start = None
        for cp in [*block, None]:  # None closes the last run of the block
            odd = cp is not None and chr(cp) not in known
            if odd and start is None:
                start = cp
            elif not odd and start is not None:
                end = (cp or block.stop) - 1
                ranges.append(f"\\u{start:04x}-\\u{end:04x}" if end > start else f"\\u{start:04x}")
                start = None
    fixed = (
        "\ufffd\x00-\x08\x0b\x0e-\x1f\x7f-\x9f"  # replacement char, controls
        "\ue000-\uf8ff"  # private use (unmapped GBK/Big5 positions)
        "\u3040-\u30ff\u3100-\u312f\u31a0-\u31bf\uff61-\uff9f"  # kana, bopomofo
        "\uac00-\ud7af\u3130-\u318f"  # Hangul: UTF-8 or GBK bytes read as a Korean codec
        "\u0370-\u03ff\u0400-\u04ff"  # Greek, Cyrillic (GBK rows 6-7)
        "\u00a2-\u00a6\u00a8-\u00af\u00b2-\u00b6\u00b8-\u00d6\u00d8-\u00f6\u00f8-\u036f"  # Latin-1 letters...
        "\u2200-\u22ff\u2500-\u257f\u3300-\u33ff"  # math, box drawing, CJK squared words
        + re.escape(_CP1252_DEBRIS)
    )
    return re.compile("[" + fixed + "".join(ranges) + "]")


@functools.lru_cache(maxsize=1)
def _dictionary() -> tuple[frozenset[str], frozenset[str]]:
    """From jieba's dictionary: adjacent character pairs inside its words (what real
    Chinese is made of) and the single characters common as words of their own (的, 是)."""
    import jieba

    path = os.path.join(os.path.dirname(jieba.__file__), "dict.txt")
    pairs: set[str] = set()
    singles: set[str] = set()
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            word, _, rest = line.partition(" ")
            freq = rest.split(" ", 1)[0]
            if not freq.isdigit():
                continue
            # Rare entries include scraping debris themselves; common words are clean.
            if len(word) > 1 and int(freq) >= 3:
                pairs.update(word[i:i + 2] for i in range(len(word) - 1))
            elif len(word) == 1 and int(freq) >= SETTINGS.extract.mojibake_common_single_freq:
                singles.add(word)
    return frozenset(pairs), frozenset(singles)


def _word_bigrams() -> frozenset[str]:
    return _dictionary()[0]


def unexplained(text: str) -> int:
    """Ideographs that neither form a dictionary word with a neighbour nor are a common
    word by themselves: in a repaired span, the mark of bytes read at the wrong place."""
    bigrams, singles = _dictionary()
    folded = text.translate(t2s_char_table())
    out = 0
    for i, ch in enumerate(folded):
        if not _is_ideograph(ch) or ch in singles:
            continue
        if not (folded[max(0, i - 1):i + 1] in bigrams or folded[i:i + 2] in bigrams):
            out += 1
    return out


def _weight(ch: str, at: int = -1) -> float:
    """Evidence of garbling: a rare ideograph or a ? is weak (names use rare characters,
    questions end in ?), kana, box drawing, U+FFFD and the like are strong, and so is
    certain ASCII debris (a ? with a stray mark and letter, a ? opening a line: `at` 0)."""
    if len(ch) > 1 or (ch == "?" and at == 0):
        return SETTINGS.extract.mojibake_certain_weight
    return 0.5 if ch.isascii() or _is_ideograph(ch) else 1.0


def _odd_weight(text: str) -> float:
    return sum(_weight(m.group()) for m in _odd_pattern().finditer(text))


def naturalness(text: str) -> tuple[int, int]:
    """(ideographs that form a dictionary-word pair with a neighbour, ideographs).

    Real prose covers ~75-100% of its characters this way; codec garbage almost none.
    Traditional characters are folded to Simplified first (jieba's words are Simplified).
    """
    bigrams = _word_bigrams()
    folded = text.translate(t2s_char_table())
    cjk = [_is_ideograph(ch) for ch in folded]
    covered = 0
    for i, is_cjk in enumerate(cjk):
        if not is_cjk:
            continue
        left = i > 0 and cjk[i - 1] and folded[i - 1:i + 1] in bigrams
        right = i + 1 < len(folded) and cjk[i + 1] and folded[i:i + 2] in bigrams
        covered += left or right
    return covered, sum(cjk)


def _is_ideograph(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


def _decode_candidates(window: str):
    """(text, lost, method, garbled): the window re-read through each plausible codec
    round trip.

    A ? or U+FFFD in a garbled span stands for bytes the first wrong decoding lost; the
    alignment after it is unknown, so the pieces between them are re-read separately,
    each with the byte shift that reads best. Lost bytes cannot come back: they are
    dropped and counted in `lost`. `garbled` counts the characters inside a piece that no
    word explains (see `unexplained`; a piece's first and last character may be half of
    a word whose other half was lost).
    """
    pieces = [p for p in re.split("[?\ufffd]+", window) if p]
    lost = len(window) - sum(map(len, pieces))
    for wrong, right in _ROUND_TRIPS:
        try:
            encoded = [p.encode(wrong) for p in pieces]
        except UnicodeEncodeError:
            continue
        out = [_read_piece(data, right) for data in encoded]
        text = "".join(t for t, _, _ in out)
        if text:
            shifts = sorted({shift for _, shift, _ in out if shift})
            garbled = sum(unexplained(t[1:-1]) for t, _, _ in out)
            yield text, lost + sum(bad for _, _, bad in out), (
                f"{wrong}→{right}" + (f" shift {','.join(map(str, shifts))}" if shifts else "")), garbled


@functools.lru_cache(maxsize=4096)  # windows around one span share most of their pieces
def _read_piece(data: bytes, codec: str) -> tuple[str, int, int]:
    """Best reading of one piece's bytes over the byte shifts: (text, shift, bytes lost)."""
    best: tuple[float, str, int, int] | None = None
    # Shift 0 of a same-codec round trip is the text itself: right for the sound pieces
    # of a window, and never a repair on its own (see the gain test in _best_repair).
    for shift in range(SETTINGS.extract.mojibake_max_shift + 1):
        part = data[shift:]
        if not part:
            break
        text = part.decode(codec, errors="replace")
        bad = text.count("\ufffd") + shift
        text = text.replace("\ufffd", "")
        hits, _total = naturalness(text)
        score = 2 * hits - 3 * _odd_weight(text) - bad
        if best is None or score > best[0]:
            best = (score, text, shift, bad)
    return best[1:] if best else ("", 0, len(data))


# What a repaired span may contain: ideographs, ASCII letters/digits and the punctuation
# of Chinese prose. A candidate with anything else (÷, ﹝, box drawing) is still garbage.
_REPAIRED = re.compile(r"[\u3400-\u9fff\uf900-\ufaff0-9A-Za-z%.,:;()\-，。、；：？！“”‘’（）《》〈〉【】—…·\s]*")


_JUNK = re.compile(r"[A-Za-z?~^`|\\{}\[\]@#$&*_<>=+\ufffd]")


def _best_repair(line: str, s: int, e: int) -> tuple[int, int, str, str] | None:
    """(start, end, replacement, method) for the garbled span line[s:e], or None."""
    base_hits, base_total = naturalness(line[s:e])
    base = base_hits / base_total if base_total else 0.0
    best: tuple[float, int, int, str, str] | None = None
    for a in range(max(0, s - SETTINGS.extract.mojibake_context_before), s + 1):
        for b in range(e, min(len(line), e + SETTINGS.extract.mojibake_context_after) + 1):
            for text, lost, method, garbled in _decode_candidates(line[a:b]):
                # partial garbage (小编枕的 for 小编整理的) is no repair
                if garbled or _odd_weight(text) or not _REPAIRED.fullmatch(text):
                    continue
                hits, total = naturalness(text)
                if hits < SETTINGS.extract.mojibake_min_hits or hits / total < SETTINGS.extract.mojibake_min_natural:
                    continue
                # A repair reads better than the odd span and brings characters back;
                # sound text around a stray symbol, re-read as itself, is not a repair.
                if hits / total < base + 0.2 or _new_ideographs(text, line[a:b]) < 3:
                    continue
                context = line[max(0, a - 1):a] + text + line[b:b + 1]
                junk = len(_JUNK.findall(context)) - len(_JUNK.findall(line[max(0, a - 1):a]))
                # Reaching past the odd characters is sometimes needed (a garbled span
                # can start with ordinary-looking characters) but costs: it re-reads
                # text that may be sound.
                score = hits - (total - hits) - 2 * junk - lost - 0.5 * ((s - a) + (b - e))
                if best is None or score > best[0]:
                    best = (score, a, b, text, method)
    return best[1:] if best else None


def _new_ideographs(text: str, window: str) -> int:
    """Ideographs of a candidate reading that the window did not already show."""
    return sum((Counter(filter(_is_ideograph, text)) - Counter(window)).values())


_MARKUP = re.compile("[<>]")


def _spans(line: str) -> list[tuple[int, int, float]]:
    """Clusters of odd characters on one line: (start, end, weight)."""
    spans: list[list] = []
    cfg = SETTINGS.extract
    for m in _odd_pattern().finditer(line):
        w = _weight(m.group(), m.start())
        # A span never reaches across markup: dropping it must not take a tag along.
        if spans and m.start() - spans[-1][1] <= cfg.mojibake_gap and not _MARKUP.search(line, spans[-1][1], m.start()):
            spans[-1][1] = m.end()
            spans[-1][2] += w
        else:
            spans.append([m.start(), m.end(), w])
    # A garbled span is a phrase or two; a long run of "odd" characters is text in
    # another script (Japanese kana, a box-drawn table): never ours to rewrite.
    return [(s, e, w) for s, e, w in spans if w >= cfg.mojibake_min_odd and e - s <= cfg.mojibake_max_span_chars]


def repair_line(line: str) -> tuple[str, list[str]]:
    """One line with its garbled spans repaired or dropped, and a note per span."""
    out: list[str] = []
    notes: list[str] = []
    pos = 0
    for s, e, w in _spans(line):
        if s < pos:  # already covered by the previous repair's window
            continue
        lo = max(pos, s - SETTINGS.extract.mojibake_line_scan)
        seg = line[lo:min(len(line), e + SETTINGS.extract.mojibake_line_scan)]
        fix = _best_repair(seg, s - lo, e - lo)
        if fix:
            a, b, text, method = fix
            a, b = a + lo, b + lo
            out.append(line[pos:a] + text)
            notes.append(f"mojibake repaired at {a} ({method}): {line[a:b]!r} -> {text!r}")
        elif w >= SETTINGS.extract.mojibake_min_drop:
            a, b = s, e
            out.append(line[pos:a])
            notes.append(f"mojibake dropped at {a}: {line[a:b]!r}")
        else:  # weak evidence and no reading that makes sense: leave the text alone
            continue
        pos = b
    out.append(line[pos:])
    return "".join(out), notes


def repair_mojibake(text: str) -> tuple[str, list[str]]:
    """Text with garbled spans repaired or dropped, and a warning per span."""
    odd = _odd_class()
    if not odd.search(text) and not _CERTAIN_DEBRIS_IN_TEXT.search(text):
        return text, []
    lines = text.split("\n")
    suspects = [(n, spans) for n, line in enumerate(lines)
                if (odd.search(line) or _CERTAIN_DEBRIS_IN_TEXT.search(line)) and (spans := _spans(line))]
    count = sum(len(spans) for _, spans in suspects)
    if count > SETTINGS.extract.mojibake_max_spans:
        # Mojibake is a few spans in a page; this many odd clusters means another
        # language or script throughout (or a page of garbage): not ours to rewrite.
        return text, [f"mojibake: {count} suspicious spans, too many to be mojibake; left as is"]
    warnings: list[str] = []
    for n, _spans_of_line in suspects:
        fixed, notes = repair_line(lines[n])
        if notes:
            lines[n] = fixed
            warnings.extend(f"line {n + 1}: {note}" for note in notes)
    return "\n".join(lines), warnings
