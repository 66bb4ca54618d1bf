"""Chrome stripping: a decoded page -> its main-content paragraphs (CleanPage).

Dispatches on the page format. Both cleaners end in the same line selection
(chrome_lines.select, built on the line roles of lines.py): the HTML cleaner first drops
invisible and structural elements and narrows the page to the element holding its prose;
the text-dump cleaner passes every line. A page with no report-like text left raises
ExtractError("no_content: …").
"""
from __future__ import annotations

from .model import CleanPage, DecodedPage


def clean_page(decoded: DecodedPage) -> CleanPage:
    if decoded.format == "html":
        from .chrome_html import clean_html

        return clean_html(decoded)
    from .chrome_text import clean_text

    return clean_text(decoded)
