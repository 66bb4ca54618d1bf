"""Chrome stripping: a decoded page -> its main-content paragraphs (CleanPage).

Dispatches on the page format; the HTML and text-dump cleaners share the line-level
heuristics in chrome_text.
"""
from __future__ import annotations

from .model import CleanPage, DecodedPage, ExtractError


def clean_page(decoded: DecodedPage) -> CleanPage:
    if decoded.format == "html":
        from .chrome_html import clean_html

        return clean_html(decoded)
    from .chrome_text import clean_text

    return clean_text(decoded)
