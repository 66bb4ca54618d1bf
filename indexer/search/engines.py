"""Choosing a backend: the one factory everything above `indexer/search/` uses.

Engine URLs (`--engine URL`, else `$DANGAN_ENGINE`, else the embedded index directory):

    embedded:DIR                          the embedded backend (Whoosh + character index +
                                          document store in DIR; no server). The default:
                                          `--index DIR` alone means embedded:DIR.
    sphinx://HOST:PORT[,HOST:PORT…]       a Sphinx 2.2.11 / Manticore cluster: the SphinxQL
                                          endpoints of the shard nodes, the first one also
                                          serving the distributed index (`a|b` for a shard's
                                          mirrors: docs/sphinx-backend.md). Its document
                                          store and build staging area is the index directory
                                          (`--index DIR` / `$DANGAN_INDEX`).

`backend_for()` only names a backend (a build needs no index yet); `open_engine()` also
opens it and raises the reason it cannot answer (store.NoIndex and subclasses, or
backends.base.BackendError / BackendUnavailable).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

from .backends.base import Backend, BackendError, BackendUnavailable
from .model import SearchRequest, SearchResponse

SCHEMES = ("embedded:", "sphinx://")


def engine_url(url: str | None = None, index_dir: str | Path | None = None) -> str:
    """The engine URL in force: `url`, else $DANGAN_ENGINE, else embedded:<index dir>."""
    from .store import default_index_dir

    url = url or os.environ.get("DANGAN_ENGINE") or ""
    if not url:
        return f"embedded:{index_dir or default_index_dir()}"
    if not url.startswith(SCHEMES):
        raise ValueError(f"engine URL {url!r}: expected embedded:DIR or sphinx://HOST:PORT[,HOST:PORT…]")
    return url


def backend_for(url: str | None = None, index_dir: str | Path | None = None) -> Backend:
    """The backend an engine URL names, not opened yet."""
    from .store import default_index_dir

    url = engine_url(url, index_dir)
    if url.startswith("embedded:"):
        from .backends.embedded import EmbeddedBackend

        return EmbeddedBackend(url[len("embedded:"):] or (index_dir or default_index_dir()))
    from .backends.sphinx.adapter import ClusterBackend

    return ClusterBackend(url, index_dir or default_index_dir())


def open_engine(url: str | None = None, index_dir: str | Path | None = None) -> Backend:
    """The backend an engine URL names, open and able to answer."""
    return backend_for(url, index_dir).check()


def as_backend(index) -> Backend:
    """A backend for what a caller holds: a backend as it is, an open `engine.Index` (the
    embedded backend over it)."""
    if hasattr(index, "search"):
        return index
    from .backends.embedded import EmbeddedBackend

    return EmbeddedBackend(index.root, index)


def search(index, request: SearchRequest, collections: Mapping[str, set[str]] | None = None) -> SearchResponse:
    """The one search function, whichever backend (model.py)."""
    return as_backend(index).search(request, collections)


def get_report(index, report_id: str) -> dict | None:
    return as_backend(index).get_report(report_id)


def more_like_this(index, report_id: str, limit: int = 10) -> list:
    return as_backend(index).more_like_this(report_id, limit)


__all__ = ["Backend", "BackendError", "BackendUnavailable", "as_backend", "backend_for", "engine_url",
           "get_report", "more_like_this", "open_engine", "search"]
