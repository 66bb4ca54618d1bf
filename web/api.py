"""JSON API: GET /api/search (the same parser, defaults and payload as /search.json),
GET /api/reports/<id>, and GET /api/openapi.json describing the whole JSON API.

Errors are the app's one handler's (web.errors): a JSON body ``{"error", "message"}``
with a 4xx status for every malformed request.
"""
from __future__ import annotations

from flask import Blueprint, Flask, jsonify, request

from .openapi import spec
from .pages import load_report, run_search, search_payload
from .request import search_request

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/search")
def api_search():
    req = search_request(request.args)
    return jsonify(search_payload(req, run_search(req)))


@bp.get("/reports/<report_id>")
def api_report(report_id: str):
    return jsonify(load_report(report_id))


@bp.get("/openapi.json")
def openapi():
    return jsonify(spec())


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
