"""/admin/index (staff only): the current generation, when it was built, what it holds,
and every input its build skipped with the reason, paginated; JSON twin /admin/index.json.
"""
from __future__ import annotations

import math

from flask import Blueprint, Flask, jsonify, render_template, request

from indexer.search.stats import index_stats, skipped_inputs
from indexer.settings import SETTINGS

from . import auth
from .errors import BadRequest
from .index_access import shared_index
from .urls import negotiated, page_route

bp = Blueprint("admin", __name__)


def init_app(app: Flask) -> None:
    if "dangan_auth" in app.extensions:  # staff pages need accounts (web.auth)
        app.register_blueprint(bp)


@page_route(bp, "/admin/index", "index_page")
@auth.require_role("librarian")
def index_page(fmt: str):
    fmt = negotiated(fmt)
    raw = request.args.get("page", "1")
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 10**6:
        raise BadRequest("page 须为正整数（page must be a positive integer）。")
    page, per_page = int(raw), SETTINGS.serve.admin_skips_per_page
    index = shared_index()
    stats = index_stats(index)
    skipped = skipped_inputs(index)
    reasons: dict[str, int] = {}
    for row in skipped:
        reasons[row["reason"].split(":")[0]] = reasons.get(row["reason"].split(":")[0], 0) + 1
    pages = max(1, math.ceil(len(skipped) / per_page))
    shown = skipped[(page - 1) * per_page: page * per_page]
    if fmt == "json":
        return jsonify(index=stats, skipped_total=len(skipped), skipped_reasons=reasons,
                       page=page, per_page=per_page, pages=pages, skipped=shown)
    return render_template("admin_index.html", stats=stats, skipped=shown, total=len(skipped),
                           reasons=sorted(reasons.items(), key=lambda kv: -kv[1]),
                           page=page, pages=pages, per_page=per_page)
