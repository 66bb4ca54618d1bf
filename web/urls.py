"""The one place that registers pages with their machine-readable twins and builds URLs.

A page is registered once with `page_route`: ``/rule`` (HTML, endpoint ``E``) and
``/rule.json`` (endpoint ``E_json``), plus any further formats it offers (``.csv``,
``.jsonl``, ``.atom``); the view receives ``fmt``. Each format has its own endpoint, so
`url_for` never picks the JSON route for an HTML link. An HTML route also answers JSON
when the client's Accept header prefers it (the same rule as the error handler).

Absolute URLs (OpenSearch, Atom, citations) are built on the configured public base URL
(`DANGAN_PUBLIC_URL`), never on the request's Host header.
"""
from __future__ import annotations

from flask import current_app, request, url_for

from indexer.search import SearchRequest
from indexer.settings import SETTINGS

from .request import state_args


def page_route(bp, rule: str, endpoint: str, formats: tuple[str, ...] = ("json",), **options):
    """Register a view for `rule` and its twins; the view's first keyword is `fmt`."""
    def decorator(view):
        bp.add_url_rule(rule, endpoint, view, defaults={"fmt": "html"}, **options)
        for fmt in formats:
            bp.add_url_rule(f"{rule}.{fmt}", f"{endpoint}_{fmt}", view, defaults={"fmt": fmt}, **options)
        return view
    return decorator


def negotiated(fmt: str) -> str:
    """`fmt`, or "json" for an HTML route whose client prefers JSON (Accept header)."""
    if fmt != "html":
        return fmt
    accept = request.accept_mimetypes
    best = accept.best_match(["text/html", "application/json"])
    return "json" if best == "application/json" and accept[best] > accept["text/html"] else "html"


def url(endpoint: str, fmt: str = "html", **args) -> str:
    """The URL of a page (`fmt` "html") or of one of its twins."""
    return url_for(endpoint if fmt == "html" else f"{endpoint}_{fmt}", **args)


def search_url(req: SearchRequest, fmt: str = "html", **changes) -> str:
    """The search page (or a twin, export or feed) for `req` with `changes` applied."""
    return url("pages.search_page", fmt, **state_args(req, **changes))


def public_base() -> str:
    base = current_app.config.get("DANGAN_PUBLIC_URL") or SETTINGS.serve.public_url
    return (base or "http://localhost").rstrip("/")


def external(path: str) -> str:
    """`path` (from `url`/`url_for`) as an absolute URL on the public base."""
    return public_base() + path
