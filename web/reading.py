"""Pure helpers for the reading view: script display, query-term highlighting, and the
"extracted vs original" comparison.

Highlights are computed on the index form (`indexer.normalize`) and mapped back through
its offset map, so a Traditional query marks Simplified text and vice versa. Results are
lists of ``(text, marked)`` segments: templates escape every segment, no markup is built
from archive text here.
"""
from __future__ import annotations

import functools
from pathlib import Path

from indexer.normalize import search_key
from indexer.search.analysis import index_form_with_offsets
from indexer.search.query import parse as parse_query
from indexer.search.snippets import find_spans, merge

MAX_TERMS = 20
MAX_ORIGINAL_BYTES = 5 * 1024 * 1024
MAX_ORIGINAL_LINES = 3000
MAX_ORIGINAL_CHARS = 200_000


def query_terms(q: str) -> list[str]:
    """Keys of the query's positive terms, parsed by the search core's own parser (so
    the reading view marks what the search matched): operators, excluded terms and
    `year:` ranges are left out."""
    keys: list[str] = []
    for term in parse_query(q or "").positive_terms():
        if term.key not in keys:
            keys.append(term.key)
    return keys[:MAX_TERMS]


def highlight(text: str, keys: list[str]) -> list[tuple[str, bool]]:
    """Split `text` into segments, marking every occurrence of any key on the original
    characters (located in the index form, mapped back through its offset map)."""
    if not text or not keys:
        return [(text, False)] if text else []
    norm, offsets = index_form_with_offsets(text)
    spans = merge([(a, b) for a, b, _ in find_spans(norm, keys)])
    if not spans:
        return [(text, False)]
    segments, pos = [], 0
    for a, b in spans:
        begin = max(offsets[a], pos)
        end = max(offsets[b - 1] + 1, offsets[b])  # b may fall inside an expansion (㈠)
        if begin > pos:
            segments.append((text[pos:begin], False))
        if end > begin:
            segments.append((text[begin:end], True))
        pos = max(pos, end)
    if pos < len(text):
        segments.append((text[pos:], False))
    return segments


@functools.lru_cache(maxsize=2)
def _converter(config: str):
    from opencc import OpenCC

    return OpenCC(config)


def convert(text: str | None, display: str) -> str | None:
    """Text in the requested script: ``orig`` unchanged, ``hans`` (t2s), ``hant`` (s2t)."""
    if not text or display == "orig":
        return text
    return _converter("t2s" if display == "hans" else "s2t").convert(text)


def reading_view(report: dict, q: str, display: str) -> dict:
    """Everything the reading template shows, converted to `display` and highlighted."""
    keys = query_terms(q)
    sections = report.get("sections") or []
    if not sections and report.get("body"):
        sections = [{"heading": "", "level": 0, "kind": "", "text": report["body"]}]
    out, texts = [], []
    for number, section in enumerate(sections, 1):
        heading = convert(section.get("heading") or "", display)
        text = convert(section.get("text") or "", display)
        texts.append({"heading": heading, "text": text})
        out.append({
            "anchor": f"sec-{number}",
            "heading": highlight(heading, keys),
            "heading_text": heading,
            "kind": section.get("kind") or "",
            "level": section.get("level", 1),
            "paragraphs": [highlight(p, keys) for p in text.split("\n") if p.strip()],
        })
    title = convert(report.get("title") or "", display)
    marks = sum(1 for s in out for p in s["paragraphs"] for _, m in p if m)
    return {"title": title, "title_segments": highlight(title, keys), "sections": out,
            "sections_text": texts, "terms": keys, "marks": marks,
            "terms_shown": [convert(k, display) for k in keys]}


def duplicate_ids(report: dict) -> list[str]:
    """Report ids of the other members of this report's near-duplicate group
    (`get_report` gives them as ``duplicates``)."""
    own = report.get("report_id")
    return [str(rid) for rid in report.get("duplicates") or [] if rid and rid != own]


def version_titles(index, get_report, ids: list[str], limit: int = 20) -> list[dict]:
    versions = []
    for rid in ids[:limit]:
        other = get_report(index, rid)
        if other is not None:
            versions.append({"report_id": rid, "title": other.get("title"),
                             "part": other.get("part"), "parts": other.get("parts"),
                             "site": other.get("site"), "script": other.get("script")})
    return versions


# --- extracted vs original -------------------------------------------------------------

def _read_raw(source: str, roots: list):
    """The RawPage of `source` read again through `indexer.extract.sources.read_source`,
    which only opens files inside the archive roots: None when it is no longer there, a
    Skip when it is unreadable or outside the roots."""
    from indexer.extract.sources import read_source

    return read_source(source, roots, max_bytes=MAX_ORIGINAL_BYTES)


def _visible_lines(text: str, fmt: str) -> list[str]:
    if fmt == "html":
        from bs4 import BeautifulSoup

        soup = BeautifulSoup(text, "lxml")
        for tag in soup(["script", "style", "noscript", "template"]):
            tag.decompose()
        text = soup.get_text("\n")
    return [line.strip() for line in text.splitlines() if line.strip()]


def original_text(report: dict, search_roots: list[Path]) -> dict:
    """The page's visible text as scraped, line by line, each flagged by what extraction
    kept of it for this report: ``body``, ``title`` (kept as the title) or None."""
    source = report.get("source") or ""
    result = {"available": False, "reason": None, "encoding": None, "lines": [],
              "truncated": False}
    try:
        raw = _read_raw(source, search_roots)
    except OSError as exc:
        result["reason"] = f"无法读取原始文件（{type(exc).__name__}）。"
        return result
    if raw is None:
        result["reason"] = "原始文件已不在原处，无法对照。"
        return result
    if not hasattr(raw, "data"):  # a Skip: the reader refused the file again
        result["reason"] = ("原始文件不在本索引的档案目录内，不予显示。" if raw.reason.startswith("outside_root")
                            else f"无法读取原始文件（{raw.reason}）。")
        return result
    try:
        from indexer.extract.decode import decode_page

        decoded = decode_page(raw)
        lines = _visible_lines(decoded.text, decoded.format)
    except Exception as exc:  # noqa: BLE001 - a hostile page must not break the view
        result["reason"] = f"无法解码原始文件（{type(exc).__name__}）。"
        return result
    body_key = search_key(report.get("body") or "")
    title_key = search_key(report.get("title") or "")
    shown, chars = [], 0
    for line in lines:
        if len(shown) >= MAX_ORIGINAL_LINES or chars >= MAX_ORIGINAL_CHARS:
            result["truncated"] = True
            break
        key = search_key(line)
        kept = "body" if key and key in body_key else "title" if key and key == title_key else None
        shown.append({"text": line, "kept": kept})
        chars += len(line)
    result.update(available=True, encoding=decoded.encoding, lines=shown)
    return result
