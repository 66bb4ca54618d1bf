"""Compose the extraction stages for one input document.

Pure: bytes in (a RawPage), reports or a skip record out. Any failure of one page becomes
a Skip with a reason, so one bad file never stops a run.
"""
from __future__ import annotations

from .chrome import clean_page
from .decode import decode_page
from .model import ExtractError, RawPage, Report, Skip
from .report import build_report, page_script
from .split import split_reports


def extract_page(raw: RawPage) -> list[Report] | Skip:
    try:
        decoded = decode_page(raw)
        clean = clean_page(decoded)
        chunks = split_reports(clean)
        if not chunks:
            raise ExtractError("no_content: no report text found (chrome only)")
        script = page_script(clean)
        return [build_report(clean, chunk, script) for chunk in chunks]
    except ExtractError as exc:
        return Skip(raw.source, exc.reason)
    except RecursionError:
        return Skip(raw.source, "too_deep: document nesting exceeds the parser's limits")
    except MemoryError:
        return Skip(raw.source, "too_large: out of memory while parsing")
    except Exception as exc:  # noqa: BLE001 - one bad page must never stop a run
        return Skip(raw.source, f"error: {type(exc).__name__}: {exc}")
