"""indexer.extract.decode: codec choice (BOM, header, meta, detection), format sniffing, errors."""
from __future__ import annotations

import codecs
import gzip
import random

import pytest

from indexer.extract.decode import canonical_codec, decode_page
from indexer.extract.model import ExtractError, RawPage

TEXT = ("政协机关2020年意识形态工作总结。在县委的正确领导下，机关坚持以习近平新时代中国特色社会主义思想为指导，"
        "深入贯彻落实中央、省、市宣传部长会议精神，切实加强机关意识形态领域管理和引导，落实意识形态工作责任制。")
TRAD = ("政協機關2020年意識形態工作總結。在縣委的正確領導下，機關堅持以習近平新時代中國特色社會主義思想為指導，"
        "深入貫徹落實中央、省、市宣傳部長會議精神，切實加強機關意識形態領域管理和引導，落實意識形態工作責任制。")


def html(body: str, meta: str | None = None) -> str:
    head = f'<meta http-equiv="Content-Type" content="text/html; charset={meta}">' if meta else ""
    return f"<!DOCTYPE html><html><head>{head}<title>t</title></head><body><p>{body}</p></body></html>"


def page(data: bytes, declared: str | None = None, hint=None) -> RawPage:
    return RawPage(source="x", identity="x", data=data, declared_charset=declared, format_hint=hint)


@pytest.mark.parametrize("bom,codec", [
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
])
def test_bom_wins(bom, codec):
    data = bom + html(TEXT, meta="gbk").encode(codec)
    d = decode_page(page(data))
    assert TEXT in d.text and not d.text.startswith("\ufeff")
    assert d.encoding.startswith(codec.split("-")[0] + "-" + codec.split("-")[1])
    assert d.format == "html"


def test_valid_utf8_wins_over_stale_meta():
    d = decode_page(page(html(TEXT, meta="gb2312").encode("utf-8")))
    assert d.encoding == "utf-8" and TEXT in d.text


@pytest.mark.parametrize("label", ["gb2312", "GBK", "gb18030", "x-gbk"])
def test_gbk_family_decodes_as_gb18030(label):
    # 镕 and 喆 are outside GB2312: pages labelled gb2312 use GBK in practice.
    body = TEXT + "朱镕基 张喆"
    d = decode_page(page(html(body, meta=label).encode("gbk")))
    assert d.encoding == "gb18030" and body in d.text


def test_big5_decodes_as_big5hkscs():
    d = decode_page(page(html(TRAD, meta="big5").encode("big5")))
    assert d.encoding == "big5hkscs" and TRAD in d.text


def test_http_header_charset_beats_missing_meta():
    d = decode_page(page(html(TRAD).encode("big5"), declared="Big5"))
    assert d.encoding == "big5hkscs" and TRAD in d.text


def test_wrong_declared_charset_falls_back_to_detection():
    # GBK bytes labelled Big5: Big5 cannot decode them, detection must find GB18030.
    d = decode_page(page(html(TEXT * 3, meta="big5").encode("gbk")))
    assert d.encoding == "gb18030" and TEXT in d.text
    # Big5 bytes labelled gb2312: GB18030 "decodes" them into rare characters; rejected.
    d = decode_page(page(html(TRAD * 3, meta="gb2312").encode("big5")))
    assert d.encoding == "big5hkscs" and TRAD in d.text


@pytest.mark.parametrize("codec,text", [("gbk", TEXT), ("big5", TRAD)])
def test_detection_without_any_declaration(codec, text):
    d = decode_page(page(html(text * 3).encode(codec)))
    assert text in d.text
    assert d.encoding == ("gb18030" if codec == "gbk" else "big5hkscs")


def test_truncated_page_keeps_its_declared_codec():
    data = html(TEXT * 5, meta="gbk").encode("gbk")[:-1] + b"\xd6"  # cut inside a character
    d = decode_page(page(data))
    assert d.encoding == "gb18030" and TEXT in d.text
    assert any("undecodable bytes" in w for w in d.warnings)


def test_empty_and_whitespace_pages():
    for data in (b"", b"  \n\t \r\n"):
        with pytest.raises(ExtractError) as exc:
            decode_page(page(data))
        assert exc.value.reason == "empty"


def test_binary_junk_is_rejected():
    junk = random.Random(7).randbytes(20000)
    with pytest.raises(ExtractError) as exc:
        decode_page(page(junk, hint="html"))
    assert exc.value.reason.startswith("binary")
    with pytest.raises(ExtractError) as exc:
        decode_page(page(b"\x89PNG\r\n\x1a\n" + b"a" * 100, hint="html"))
    assert exc.value.reason.startswith("binary")


def test_format_sniffing():
    assert decode_page(page("当前位置:首页\n".encode() + TEXT.encode())).format == "txt"
    assert decode_page(page(html(TEXT).encode(), hint="txt")).format == "html"  # HTML saved as .txt
    assert decode_page(page(html(TEXT).encode())).format == "html"
    assert decode_page(page("<p>段落</p>".encode(), hint="html")).format == "html"


def test_line_endings_are_normalised():
    d = decode_page(page("第一行\r\n第二行\r第三行".encode("utf-8"), hint="txt"))
    assert d.text == "第一行\n第二行\n第三行"


def test_canonical_codec():
    assert canonical_codec("GB2312") == "gb18030"
    assert canonical_codec("x-gbk") == "gb18030"
    assert canonical_codec("big5") == "big5hkscs"
    assert canonical_codec("UTF8") == "utf-8"
    assert canonical_codec("no-such-codec") is None


def test_gzip_compressed_page_is_inflated():
    data = gzip.compress(html(TEXT, meta="gbk").encode("gbk"))
    d = decode_page(page(data, hint="html"))
    assert d.encoding == "gb18030" and TEXT in d.text
    assert "decode: page was gzip-compressed" in d.warnings
    with pytest.raises(ExtractError) as exc:
        decode_page(page(b"\x1f\x8b\x08\x00broken", hint="html"))
    assert exc.value.reason.startswith("binary")


def test_text_starting_like_a_magic_number_is_still_text():
    d = decode_page(page("BM公司2023年意识形态工作总结\n正文".encode("utf-8"), hint="txt"))
    assert d.text.startswith("BM公司")


def test_xml_declaration_counts_as_a_declared_encoding():
    data = ('<?xml version="1.0" encoding="big5"?>' + html(TRAD)).encode("big5")
    assert decode_page(page(data)).encoding == "big5hkscs"


def test_badly_damaged_gbk_page_still_reads_as_chinese():
    good = html(TEXT * 4, meta="gbk").encode("gbk")
    # one byte in 50 destroyed: far beyond the tolerance for a declared codec
    damaged = bytes(b if i % 50 else 0xFF for i, b in enumerate(good))
    d = decode_page(page(damaged))
    assert d.encoding == "gb18030"
    assert "意识形态工作" in d.text
    assert any("undecodable bytes replaced" in w for w in d.warnings)


def test_plausibility_looks_past_a_long_head():
    script = "<script>" + "var x = 1;\n" * 4000 + "</script>"  # ~44 KB before any text
    data = f"<html><head><meta charset='gb2312'>{script}</head><body><p>{TRAD * 3}</p></body></html>"
    d = decode_page(page(data.encode("big5")))
    assert d.encoding == "big5hkscs" and TRAD in d.text


@pytest.mark.parametrize("declared", [None, "gb2312"])
def test_a_run_of_stray_bytes_does_not_change_a_utf8_page_codec(declared):
    rng = random.Random(7)
    junk = bytes(rng.randrange(0x80, 0x100) for _ in range(400))
    body = html(TEXT * 3, meta=declared).encode("utf-8")
    at = body.index(TEXT.encode("utf-8")) + 30
    d = decode_page(page(body[:at] + junk + body[at:]))
    assert d.encoding == "utf-8"
    assert TEXT[12:] in d.text  # the text after the junk run reads as it was written
    assert any("undecodable bytes replaced" in w for w in d.warnings)


@pytest.mark.parametrize("hint", ["html", "txt", None])
def test_random_high_bytes_are_undecodable_not_a_report(hint):
    rng = random.Random(3)
    data = bytes(rng.randrange(0x80, 0x100) for _ in range(100_000))
    with pytest.raises(ExtractError) as err:
        decode_page(page(data, hint=hint))
    assert err.value.reason.startswith("undecodable")


def test_gbk_and_big5_pages_are_not_taken_for_damaged_utf8():
    assert decode_page(page(html(TEXT * 5).encode("gb18030"))).encoding == "gb18030"
    assert decode_page(page(html(TRAD * 5).encode("big5"))).encoding == "big5hkscs"
