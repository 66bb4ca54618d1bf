"""Search core: a jieba/bigram Whoosh index of extracted reports (see model.py for the
contract shared by the CLI, the JSON API and the HTML pages)."""
from __future__ import annotations

from .engine import Index, open_index
from .engines import (BackendError, BackendUnavailable, backend_for, engine_url, get_report, more_like_this,
                      open_engine, search)
from .model import FACETS, MAX_PER_PAGE, MAX_QUERY_CHARS, SORTS, FacetValue, Hit, SearchRequest, SearchResponse
from .store import IndexLocked, NoIndex, default_index_dir

__all__ = [
    "BackendError", "BackendUnavailable", "backend_for", "engine_url", "open_engine", "FACETS", "MAX_PER_PAGE", "MAX_QUERY_CHARS", "SORTS", "FacetValue", "Hit", "Index",
    "IndexLocked", "NoIndex", "SearchRequest", "SearchResponse", "default_index_dir",
    "get_report", "more_like_this", "open_index", "search",
]
