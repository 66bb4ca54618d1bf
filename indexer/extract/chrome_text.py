"""Text dumps (a scraped page saved as plain text, one paragraph or page element a line)."""
from __future__ import annotations

from . import lines as L
from .chrome_lines import Item, select
from .model import CleanPage, DecodedPage, ExtractError
from .site import site_from_page, site_from_url


def clean_text(decoded: DecodedPage) -> CleanPage:
    raw_lines = [ln for ln in (s.strip() for s in decoded.text.splitlines()) if ln]
    if not raw_lines:
        raise ExtractError("no_content: empty text")
    items = [Item(ln) for ln in raw_lines]
    # the publish date sits in a meta line that the selection drops, so read it first
    date = next((d for it in items[:40] if len(it.f) < 120 and (d := L.find_date(it.f))), None)
    sel = select(items, join_broken=True)
    if not sel.lines:
        raise ExtractError("no_content: no report text found (chrome only)")
    page_title = sel.title_line or sel.heading
    return CleanPage(
        decoded=decoded,
        lines=sel.lines,
        heading=sel.heading,
        page_title=page_title,
        publish_date=date,
        url=decoded.raw.url,
        site=site_from_url(decoded.raw.url) or site_from_page([], None, raw_lines[-12:]),
        warnings=decoded.warnings,
    )
