"""Extraction: scraped pages -> reports (or skip records with a reason).

The stages, in order (see `pipeline.py` for the documented sequence of passes):
sources -> decode (+ mojibake) -> chrome (html / text, lines) -> split -> sections ->
metadata, script, site -> report.
"""
from __future__ import annotations

from .model import CleanPage, DecodedPage, ExtractError, RawPage, Report, ReportChunk, Section, Skip
from .pipeline import extract_page, extraction_version

__all__ = ["CleanPage", "DecodedPage", "ExtractError", "RawPage", "Report", "ReportChunk", "Section",
           "Skip", "extract_page", "extraction_version"]
