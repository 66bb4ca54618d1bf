"""Assemble the Report record for one chunk of a cleaned page."""
from __future__ import annotations

import hashlib

from .metadata import extract_metadata
from .model import CleanPage, Report, ReportChunk
from ..normalize import normalize
from .script import detect_script
from .sections import parse_sections


def make_report_id(identity: str, part: int) -> str:
    """Stable across runs and machines: the source's identity and the report's position."""
    return hashlib.sha1(f"{identity}#{part}".encode("utf-8")).hexdigest()[:16]


def content_hash(body: str) -> str:
    return hashlib.sha256(normalize(body).encode("utf-8")).hexdigest()


def page_script(clean: CleanPage) -> str:
    """Script is a property of the page: a partly converted page may show its leftover
    Simplified words in one report only."""
    return detect_script("\n".join(filter(None, (clean.heading, *clean.lines))))


def build_report(clean: CleanPage, chunk: ReportChunk, script: str | None = None) -> Report:
    """The record of one chunk; `script` is the page's (page_script), computed once per
    page by the caller of a page with many reports."""
    body = "\n".join(chunk.lines)
    raw = clean.decoded.raw
    meta = extract_metadata(chunk.title, body, clean.publish_date)
    return Report(
        report_id=make_report_id(raw.identity, chunk.part),
        source=raw.source,
        part=chunk.part,
        url=clean.url,
        site=clean.site,
        page_title=clean.page_title,
        title=chunk.title,
        unit_name=meta.unit_name,
        unit_type=meta.unit_type,
        year=meta.year,
        genre=meta.genre,
        publish_date=clean.publish_date,
        script=script or page_script(clean),
        encoding=clean.decoded.encoding,
        sections=parse_sections(chunk.lines),
        body=body,
        content_hash=content_hash(body),
        warnings=list(dict.fromkeys([*clean.decoded.warnings, *clean.warnings])),
    )
