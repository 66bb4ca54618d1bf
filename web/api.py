"""JSON API: GET /api/search and GET /api/reports/<id>, over `indexer.search`.

Repeated parameters give several values of one facet (OR); facets combine with AND.
Every parameter is validated and bounded: a bad one gets a 400 with a JSON error.
`collapse` defaults to 0 here (every matching report listed and counted).
"""
from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify, request

from indexer.search import (FACETS, MAX_PER_PAGE, MAX_QUERY_CHARS, SORTS, SearchRequest,
                            get_report, search)

from .index_access import IndexUnavailable, shared_index

bp = Blueprint("api", __name__, url_prefix="/api")

MAX_PAGE = 10_000
MAX_VALUES = 50  # values per facet parameter
MAX_VALUE_CHARS = 200
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


class BadRequest(Exception):
    pass


def _int(name: str, default: int, lo: int, hi: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be an integer") from None
    if not lo <= value <= hi:
        raise BadRequest(f"{name} must be between {lo} and {hi}")
    return value


def parse_request() -> SearchRequest:
    args = request.args
    q = args.get("q", "")
    if len(q) > MAX_QUERY_CHARS:
        raise BadRequest(f"q is longer than {MAX_QUERY_CHARS} characters")
    sort = args.get("sort", "relevance") or "relevance"
    if sort not in SORTS:
        raise BadRequest(f"sort must be one of: {', '.join(SORTS)}")
    collapse = args.get("collapse", "0").strip().lower()
    if collapse not in _TRUE | _FALSE:
        raise BadRequest("collapse must be 0 or 1")
    expand = args.get("expand", "1").strip().lower()
    if expand not in _TRUE | _FALSE:
        raise BadRequest("expand must be 0 or 1")
    filters = {}
    for facet in FACETS:
        values = [v.strip() for v in args.getlist(facet) if v.strip()]
        if len(values) > MAX_VALUES or any(len(v) > MAX_VALUE_CHARS for v in values):
            raise BadRequest(f"too many or too long values for {facet}")
        if facet == "year" and any(not (v.isdigit() and len(v) == 4) for v in values):
            raise BadRequest("year must be a four-digit year")
        filters[facet] = values
    return SearchRequest(
        q=q, sort=sort, page=_int("page", 1, 1, MAX_PAGE),
        per_page=_int("per_page", 20, 1, MAX_PER_PAGE), collapse=collapse in _TRUE,
        expand=expand in _TRUE, **filters,
    )


@bp.get("/search")
def api_search():
    req = parse_request()
    membership = current_app.extensions.get("dangan_collections")
    collections = membership() if membership else None
    if req.collection and collections is None:
        raise BadRequest("collections are not available")
    response = search(shared_index(), req, collections=collections)
    return jsonify(response.to_json())


@bp.get("/reports/<report_id>")
def api_report(report_id: str):
    if len(report_id) > MAX_VALUE_CHARS:
        raise BadRequest("report id too long")
    report = get_report(shared_index(), report_id)
    if report is None:
        return jsonify(error="not_found", message=f"no report {report_id}"), 404
    return jsonify(report)


@bp.errorhandler(BadRequest)
def _bad_request(exc: BadRequest):
    return jsonify(error="bad_request", message=str(exc)), 400


@bp.errorhandler(IndexUnavailable)
def _unavailable(exc: IndexUnavailable):
    return jsonify(error="index_unavailable", message=str(exc)), 503


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
