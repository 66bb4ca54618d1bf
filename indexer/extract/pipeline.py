"""The extraction passes, in the one order they run, for one input document.

Pure: bytes in (a RawPage), reports or a skip record out. Each pass is a pure function of
the previous pass's output (plain dataclasses of model.py); any failure of one page
becomes a Skip with a reason, so one bad file never stops a run.

    pass           in -> out                        modules
    decode         RawPage -> DecodedPage           decode.py (BOM, HTTP/WARC charset, <meta>,
                                                    detection; damaged UTF-8; binary and
                                                    undecodable input), mojibake.py
    strip_chrome   DecodedPage -> CleanPage         chrome.py, then for HTML chrome_html.py:
                                                      parse (tolerant: markup before <html>,
                                                      unclosed tags, framesets, bombs)
                                                      -> drop invisible and furniture
                                                      -> main heading -> paragraph blocks
                                                      -> main block (prose after the heading,
                                                         text/link density, comment threads)
                                                      -> line selection (chrome_lines.py,
                                                         lines.py) -> prose-less fallback;
                                                    for text dumps chrome_text.py; site.py
    split          CleanPage -> [ReportChunk]       split.py (【篇N】 markers, titles)
    report         CleanPage, ReportChunk -> Report report.py: sections.py, metadata.py,
                                                    script.py (once per page), ids and hashes

Thresholds: `indexer.settings.SETTINGS.extract` (ExtractSettings).
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from ..settings import SETTINGS
from .chrome import clean_page
from .decode import decode_page
from .model import CleanPage, ExtractError, RawPage, Report, ReportChunk, Skip
from .report import build_report, page_script
from .split import split_reports


@lru_cache(maxsize=1)
def extraction_version() -> str:
    """A fingerprint of the passes (this package's code) and their thresholds. An index
    records it; `index update` re-extracts every page when it differs, so no report keeps
    metadata that an older extractor derived."""
    digest = hashlib.sha256(repr(SETTINGS.extract).encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def build_reports(clean: CleanPage, chunks: list[ReportChunk]) -> list[Report]:
    """The report pass: one record per chunk, the page's script computed once."""
    if not chunks:
        raise ExtractError("no_content: no report text found (chrome only)")
    script = page_script(clean)
    return [build_report(clean, chunk, script) for chunk in chunks]


def extract_page(raw: RawPage) -> list[Report] | Skip:
    try:
        decoded = decode_page(raw)  # decode
        clean = clean_page(decoded)  # strip_chrome
        chunks = split_reports(clean)  # split
        return build_reports(clean, chunks)  # report
    except ExtractError as exc:
        return Skip(raw.source, exc.reason)
    except RecursionError:
        return Skip(raw.source, "too_deep: document nesting exceeds the parser's limits")
    except MemoryError:
        return Skip(raw.source, "too_large: out of memory while parsing")
    except Exception as exc:  # noqa: BLE001 - one bad page must never stop a run
        return Skip(raw.source, f"error: {type(exc).__name__}: {exc}")
