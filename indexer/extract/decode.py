"""Bytes -> text: pick the codec, decide html/txt, repair mojibake.

Codec order (issue 2): byte-order mark, then the HTTP/WARC header charset, then the
page's own <meta charset>/http-equiv, then detection. Two refinements keep wrong labels
from winning:

- bytes that are valid UTF-8 (with non-ASCII content) are UTF-8 whatever a stale meta
  tag says: GBK or Big5 text is practically never valid UTF-8 by accident;
- a declared codec must decode (almost) cleanly AND give plausible Chinese text: every
  Big5 byte pair is also a valid GB18030 pair, so "it decoded" alone proves nothing.

Legacy labels are widened to their supersets (gb2312/gbk -> gb18030, big5 -> big5hkscs):
pages labelled gb2312 routinely contain GBK-only characters.
"""
from __future__ import annotations

import codecs
import dataclasses
import functools
import itertools
import re
import zlib

from .model import DecodedPage, ExtractError, Format, RawPage
from .mojibake import repair_mojibake
from ..settings import SETTINGS

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Superset codecs for legacy labels (WHATWG encoding standard does the same for GBK).
_WIDEN = {
    "gb2312": "gb18030", "gbk": "gb18030", "gb18030": "gb18030",
    "big5": "big5hkscs", "big5hkscs": "big5hkscs", "cp950": "big5hkscs",
    "ascii": "utf-8", "utf_8": "utf-8", "latin_1": "cp1252", "iso8859_1": "cp1252",
}

# Labels browsers accept (WHATWG encoding standard) that Python's codec registry lacks.
_WEB_LABELS = {
    "x-gbk": "gbk", "windows-936": "gbk", "ms936": "gbk", "csgb2312": "gb2312", "chinese": "gb2312",
    "iso-ir-58": "gb2312", "gb_2312-80": "gb2312", "csiso58gb231280": "gb2312", "x-euc-cn": "gb2312",
    "x-x-big5": "big5", "csbig5": "big5", "cn-big5": "big5", "big5-hkscs": "big5hkscs",
    "unicode-1-1-utf-8": "utf-8", "unicode11utf8": "utf-8", "unicode20utf8": "utf-8", "x-unicode20utf8": "utf-8",
}

_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.I)
_CJK_CODECS = ("utf-8", "gb18030", "big5hkscs")
_LETTER = re.compile(r"[^\W_]")
_HTML_START = re.compile(r"<\s*(!doctype\s+html|html|head|body|meta|title)[\s>/]", re.I)
_HTML_TAGS = re.compile(r"<\s*/?\s*(p|div|br|span|table|td|a|h[1-6])[\s>/]", re.I)

# Bytes that do not occur in text: C0 controls other than \t \n \f \r and ESC (ISO-2022).
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))
# Formats recognisable by their first bytes (short, text-like signatures such as "BM"
# are left to the control-byte test: a text dump may start with those letters).
_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"%PDF-", b"PK\x03\x04",
          b"\x7fELF", b"Rar!", b"7z\xbc\xaf", b"\xd0\xcf\x11\xe0", b"OggS", b"wOFF")
_GZIP = b"\x1f\x8b"
_ASCII_BYTES = bytes(range(128))


def canonical_codec(label: str | None) -> str | None:
    """Python codec name for a charset label, widened to its superset; None if unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _WEB_LABELS.get(label, label)
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    name = name.replace("-", "_")
    return _WIDEN.get(name, name.replace("_", "-"))


@functools.lru_cache(maxsize=1)
def _common_ideographs() -> frozenset[str]:
    """The everyday characters of both scripts: GB2312 level 1 and Big5 level 1.

    Mis-decoded bytes land mostly outside these sets (GBK extension rows, Big5 level 2,
    symbols), so the share of decoded ideographs inside them tells real text from garbage.
    """
    chars: set[str] = set()
    for lead in range(0xB0, 0xD8):  # GB2312 level 1: 3755 characters
        for trail in range(0xA1, 0xFF):
            try:
                chars.add(bytes((lead, trail)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    for lead in range(0xA4, 0xC7):  # Big5 常用字: 5401 characters
        for trail in list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF)):
            try:
                chars.add(bytes((lead, trail)).decode("big5"))
            except UnicodeDecodeError:
                pass
    return frozenset(chars)


_IDEOGRAPH = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _ideograph_counts(text: str, sample: int) -> tuple[int, int]:
    """(common, all) among the first `sample` ideographs (wherever the markup ends)."""
    ideographs = [m.group() for m in itertools.islice(_IDEOGRAPH.finditer(text), sample)]
    common = _common_ideographs()
    return sum(ch in common for ch in ideographs), len(ideographs)


def plausibility(text: str, sample: int = 3000) -> float:
    """Share of common characters among the ideographs of (a sample of) the text.

    1.0 when there are no ideographs at all (nothing to judge by).
    """
    common, total = _ideograph_counts(text, sample)
    return common / total if total else 1.0


def _chinese_score(text: str, sample: int = 3000) -> int:
    """Common ideographs minus twice the rare ones: ranks readings of the same bytes.

    A single-byte reading (cp1252) of Chinese bytes has no ideographs at all, a crossed
    CJK reading (Big5 bytes as GB18030) has many rare ones; the right one wins.
    """
    common, total = _ideograph_counts(text, sample)
    return common - 2 * (total - common)


def is_binary(data: bytes) -> bool:
    if data.startswith(_MAGIC):
        return True
    sample = data[:SETTINGS.extract.binary_sample_bytes]
    controls = len(sample) - len(sample.translate(None, _CONTROL))
    return controls > SETTINGS.extract.max_control_share * len(sample)


def _try(data: bytes, codec: str) -> str | None:
    """Decode, tolerating a few bad bytes (truncation); None when it is not this codec."""
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        pass
    except LookupError:
        return None
    text = data.decode(codec, errors="replace")
    bad = text.count("\ufffd")
    if bad <= max(2, SETTINGS.extract.max_replacement_share * len(text)):
        return text
    return None


def _xml_encoding(data: bytes) -> str | None:
    m = _XML_ENCODING.match(data[:200])
    return m.group(1).decode("ascii", "replace") if m else None


def _meta_charset(data: bytes) -> str | None:
    m = _META_CHARSET.search(data[:SETTINGS.extract.meta_scan_bytes])
    return m.group(1).decode("ascii", "replace") if m else None


def _detect(data: bytes) -> list[str]:
    """Candidate codecs from detection, best first (charset-normalizer, then CJK usuals)."""
    from charset_normalizer import from_bytes

    found: list[str] = []
    try:
        # A sample is enough to identify a codec, and keeps 5 MB pages fast.
        best = from_bytes(data[:200_000]).best()
    except Exception:  # noqa: BLE001 - detection is a heuristic; fall back below
        best = None
    if best is not None and best.encoding:
        codec = canonical_codec(best.encoding)
        if codec:
            found.append(codec)
    for codec in ("utf-8", "gb18030", "big5hkscs"):
        if codec not in found:
            found.append(codec)
    return found


def choose_codec(raw: RawPage) -> tuple[str, str]:
    """(codec, text) for a page's bytes, following the order in the module docstring."""
    data = raw.data
    for bom, codec in _BOMS:
        if data.startswith(bom):
            text = _try(data[len(bom):], codec)
            if text is not None:
                return ("utf-8-sig" if codec == "utf-8" else codec), text
    if data.isascii():
        return "ascii", data.decode("ascii")
    try:
        return "utf-8", data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    damaged = _damaged_utf8(data)
    if damaged is not None:  # a bad byte run in a UTF-8 page does not change its codec
        return "utf-8", damaged
    declared = [canonical_codec(raw.declared_charset), canonical_codec(_meta_charset(data)),
                canonical_codec(_xml_encoding(data))]
    tried: list[tuple[float, str, str]] = []
    for codec in declared:
        if not codec or any(codec == t[1] for t in tried):
            continue
        text = _try(data, codec)
        if text is None:
            continue
        if plausibility(text) >= SETTINGS.extract.min_plausible_share:
            return codec, text
        tried.append((float(_chinese_score(text)), codec, text))
    # Detection: every codec that decodes, ranked by how much everyday Chinese it yields
    # (charset-normalizer's own guess first, so it wins ties, e.g. on non-Chinese pages).
    for codec in _detect(data):
        if any(codec == t[1] for t in tried):
            continue
        text = _try(data, codec)
        if text is not None:
            tried.append((float(_chinese_score(text)), codec, text))
        elif codec in _CJK_CODECS:
            # A damaged page in a CJK codec still beats a clean single-byte misreading
            # (cp1252 "decodes" anything): keep it, each lost byte counting against it.
            text = data.decode(codec, errors="replace")
            tried.append((float(_chinese_score(text) - 4 * text.count("\ufffd")), codec, text))
    if tried:
        best = max(tried, key=lambda t: t[0])  # max keeps the first of equal scores
        common, total = _ideograph_counts(best[2], 3000)
        if total >= SETTINGS.extract.min_judged_ideographs and common < SETTINGS.extract.min_readable_share * total:
            raise ExtractError(f"undecodable: no codec gives readable text (best {best[1]}: "
                               f"{common} of {total} ideographs in everyday use)")
        return best[1], best[2]
    raise ExtractError("undecodable: no codec decodes these bytes")


def _damaged_utf8(data: bytes) -> str | None:
    """The text of a UTF-8 page with some bad bytes (a pasted binary run, a truncated
    character): most of its non-ASCII bytes form valid UTF-8 and read as everyday
    Chinese. GBK or Big5 bytes seldom form valid UTF-8, random bytes read as rare
    characters: both give None."""
    high = len(data.translate(None, _ASCII_BYTES))
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    valid = len(text.encode("utf-8")) - 3 * bad - (len(data) - high)
    common, total = _ideograph_counts(text, 3000)
    cfg = SETTINGS.extract
    if valid < cfg.min_valid_utf8_share * high or total < cfg.min_judged_ideographs:
        return None
    if common < cfg.min_plausible_share * total:
        return None
    return text


def sniff_format(text: str, hint: Format | None) -> Format:
    head = text[:4096].lstrip("\ufeff \t\r\n")
    if hint == "html":
        return "html"
    if _HTML_START.match(head) or (head.startswith("<") and _HTML_TAGS.search(head)):
        return "html"  # an HTML page saved as .txt or without extension
    return "txt"


def _gunzip(data: bytes) -> bytes:
    """Pages saved with their gzip Content-Encoding: inflate, bounded (gzip bombs)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, SETTINGS.extract.max_inflated_bytes + 1)
    except zlib.error as exc:
        raise ExtractError(f"binary: broken gzip data ({exc})") from exc
    if len(out) > SETTINGS.extract.max_inflated_bytes:
        raise ExtractError(f"too_large: inflates to over {SETTINGS.extract.max_inflated_bytes} bytes")
    if not out and not inflater.eof:
        raise ExtractError("binary: truncated gzip data")
    return out  # a truncated stream still gives the page's beginning


def decode_page(raw: RawPage) -> DecodedPage:
    data = raw.data
    warnings: list[str] = []
    if data.startswith(_GZIP):
        data = _gunzip(data)
        raw = dataclasses.replace(raw, data=data)
        warnings.append("decode: page was gzip-compressed")
    if not data.strip():
        raise ExtractError("empty")
    if not data.startswith(tuple(bom for bom, _ in _BOMS)) and is_binary(data):  # UTF-16/32 hold NULs
        raise ExtractError("binary: not a text document")
    codec, text = choose_codec(raw)
    if not _LETTER.search(text, 0, SETTINGS.extract.binary_sample_bytes):
        raise ExtractError("binary: no text")
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    if "\ufffd" in text:
        warnings.append(f"decode: {text.count(chr(0xFFFD))} undecodable bytes replaced ({codec})")
    text, fixes = repair_mojibake(text)
    warnings.extend(fixes)
    return DecodedPage(raw=raw, text=text, encoding=codec, format=sniff_format(text, raw.format_hint),
                       warnings=tuple(warnings))
