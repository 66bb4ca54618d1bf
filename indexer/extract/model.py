"""Plain data passed between the pipeline stages.

read bytes (sources) -> RawPage
decode               -> DecodedPage
strip chrome         -> CleanPage      (main-content paragraphs, page-level metadata)
split reports        -> ReportChunk    (one per report on the page)
parse sections       -> list[Section]
metadata             -> Report         (the record written by `dangan extract`)

Every stage is a pure function of its input; I/O happens only in `sources` and the CLI.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Format = Literal["html", "txt"]


class ExtractError(Exception):
    """A page that cannot yield reports; `reason` becomes the skip record's reason.

    Reasons are short machine-readable slugs (``empty``, ``binary``, ``undecodable``,
    ``no_content`` ...), optionally followed by ``: detail``.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class RawPage:
    """Bytes of one input document and what its container said about it."""

    source: str  # input path as given; inner path joined with "!" for zip/WARC members
    identity: str  # stable identity: path relative to the archive root, or URL for WARC
    data: bytes
    url: str | None = None  # from WARC headers, when known
    declared_charset: str | None = None  # from HTTP/WARC Content-Type header
    format_hint: Format | None = None  # from the file extension or content type


@dataclass(frozen=True)
class DecodedPage:
    raw: RawPage
    text: str
    encoding: str  # the codec actually used, e.g. "utf-8", "gb18030", "big5hkscs"
    format: Format
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class CleanPage:
    """The main content of a page, chrome removed.

    `lines` holds one paragraph per line, in page order, with the page's main heading
    (h1 / first title line, and any repeat of it) removed and kept in `heading`.
    Split markers such as 【篇一】 and the report titles that follow them stay in
    `lines`: splitting is the next stage's job.
    """

    decoded: DecodedPage
    lines: tuple[str, ...]
    heading: str | None = None  # the visible main heading (h1, or title line of a dump)
    page_title: str | None = None  # <title> (HTML) or the first title line (dump)
    publish_date: str | None = None  # YYYY-MM-DD
    url: str | None = None  # canonical / og:url / WARC URL
    site: str | None = None  # host name
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportChunk:
    part: int  # 1-based position on the page
    title: str | None
    lines: tuple[str, ...]  # body paragraphs; title and 【篇N】 marker excluded


@dataclass
class Section:
    heading: str
    level: int  # 0 for the 前言 block, 1 for level-1 headings
    kind: str  # 前言 总体情况 工作做法 存在问题 下步打算 结语
    text: str

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class Report:
    report_id: str
    source: str
    part: int
    url: str | None
    site: str | None
    page_title: str | None
    title: str | None
    unit_name: str | None
    unit_type: str | None
    year: int | None
    genre: str | None
    publish_date: str | None
    script: str  # hans | hant | mixed
    encoding: str
    sections: list[Section]
    body: str
    content_hash: str
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        data = {"type": "report", **asdict(self)}
        data["sections"] = [s.to_json() for s in self.sections]
        return data


@dataclass(frozen=True)
class Skip:
    source: str
    reason: str

    def to_json(self) -> dict:
        return {"type": "skipped", "source": self.source, "reason": self.reason}
