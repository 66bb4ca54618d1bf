"""Librarian collections: HTML pages and the /api/collections JSON API, both thin layers
over `indexer.curation` (same store functions, same checks).

Reads: anyone may read public collections; staff also private ones; admins deleted ones.
Writes: a logged-in librarian/admin plus the CSRF token (web.auth enforces the token for
every unsafe request; here the role). Reports are checked against the index before
they are added: unknown ids are reported back (400), never skipped silently.

For search, `search_collections()` returns the `collections` mapping (collection id ->
report_ids visible to the current user) that `indexer.search.search` takes; it is also
published as app.extensions["dangan_collections"].
"""
from __future__ import annotations


import functools

from flask import (Blueprint, Flask, Response, flash, g, jsonify, redirect,
                   render_template, request, url_for)
from werkzeug.datastructures import MultiDict

from indexer import curation as cur
from indexer.curation import export as export_mod
from indexer.search.model import MAX_PER_PAGE, SearchRequest
from indexer.settings import SETTINGS

from . import auth
from .errors import BadRequest
from .index_access import IndexUnavailable, shared_index
from .request import request_fields, search_request
from .urls import external, negotiated, page_route, url

bp = Blueprint("collections", __name__)

BULK_CAP = SETTINGS.serve.bulk_add_max  # most reports one "add all results" may add
EXPORT_FORMATS = {"csv": "text/csv; charset=utf-8",
                  "jsonl": "application/x-ndjson; charset=utf-8",
                  "zip": "application/zip",
                  "ris": "application/x-research-info-systems; charset=utf-8",
                  "bibtex": "application/x-bibtex; charset=utf-8"}
EXTENSIONS = {"csv": "csv", "jsonl": "jsonl", "zip": "zip", "ris": "ris", "bibtex": "bib"}
# The change log's actions, as librarians read them.
ACTION_LABELS = {"create": "新建收藏集", "update": "修改收藏集", "delete": "删除收藏集",
                 "restore": "恢复收藏集", "add": "加入报告", "remove": "移除报告",
                 "edit_item": "修改条目", "search": "按检索批量加入", "import": "导入"}
DETAIL_LABELS = {"name": "名称", "description": "说明", "visibility": "可见性", "report_ids": "报告",
                 "report_id": "报告", "title": "标题", "note": "备注", "tags": "标签",
                 "position_from": "原位置", "position_to": "新位置", "search_id": "检索编号",
                 "request": "检索条件", "total": "结果总数", "accepted_change": "确认新版本",
                 "user": "用户", "role": "角色"}


def init_app(app: Flask) -> None:
    if "dangan_auth" not in app.extensions:  # no database configured (see web.auth)
        return
    app.register_blueprint(bp)
    app.extensions["dangan_collections"] = search_collections
    app.extensions.setdefault("dangan_facet_labels", {})["collection"] = collection_label
    app.add_template_filter(_utc_time, "utc_time")
    app.context_processor(lambda: {
        "editable_collections": editable_collections, "report_collections": report_collections,
        "last_collection": last_collection, "bulk_cap": BULK_CAP})


def _utc_time(ts) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M:%S") if ts else ""


# -- helpers shared by the pages of other features ------------------------------------

def search_collections() -> dict[str, set[str]]:
    """collection id -> member report_ids, for the collections the current user sees."""
    if "dangan_membership" not in g:
        g.dangan_membership = cur.membership(auth.get_db(), auth.current_user())
    return g.dangan_membership


def _visible_names() -> dict[str, str]:
    if "dangan_collection_names" not in g:
        g.dangan_collection_names = {str(c.id): c.name for c in
                                     cur.list_collections(auth.get_db(), auth.current_user())}
    return g.dangan_collection_names


def collection_label(value) -> str:
    return _visible_names().get(str(value), str(value))


def editable_collections() -> list[cur.Collection]:
    """Collections the current user may add to (cached: one query per page, not per row)."""
    if "dangan_editable" not in g:
        user = auth.current_user()
        g.dangan_editable = cur.list_collections(auth.get_db(), user) \
            if user and user.can_curate else []
    return g.dangan_editable


def last_collection() -> str | None:
    """The collection the current user last added to: the add form's preselected choice."""
    if "dangan_last_collection" not in g:
        g.dangan_last_collection = cur.last_used_collection(auth.get_db(), auth.current_user())
    return g.dangan_last_collection


def report_collections(report_id: str) -> list[tuple[str, str]]:
    """(id, name) of the visible collections holding this report."""
    names = _visible_names()
    return [(cid, names[cid]) for cid, members in search_collections().items()
            if report_id in members and cid in names]


# -- the index -------------------------------------------------------------------------

def _index():
    return shared_index()


def lookup(report_id: str) -> dict | None:
    from indexer.search import get_report

    return get_report(_index(), report_id)


def resolve(report_ids: list[str]) -> tuple[list[dict], list[str]]:
    """(reports found, ids unknown to the index)."""
    found, unknown = [], []
    for rid in report_ids:
        report = lookup(rid)
        (found.append(report) if report is not None else unknown.append(rid))
    return found, unknown


def items_with_status(collection: cur.Collection) -> tuple[list[cur.Item], bool]:
    """Items with their current report and status; (items, False) with status "unknown"
    when the index cannot be opened (nothing is called missing on a guess)."""
    conn = auth.get_db()
    items = cur.list_items(conn, collection.id)
    try:
        cur.with_status(items, lookup)
    except IndexUnavailable:
        for item in items:
            item.status = "unknown"
        return items, False
    cur.refresh_known(conn, items, collection.id)
    return items, True


# -- request bodies ----------------------------------------------------------------------
# Errors (curation errors, NotFound, Conflict …) go to the app's one handler (web.errors).

def _json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise cur.CurationError("expected a JSON object body")
    return data


def _version(data: dict | None = None):
    value = (data or {}).get("version", request.args.get("version"))
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)) or \
            isinstance(value, str) and not (value.isascii() and value.isdigit() and len(value) < 19):
        raise BadRequest("version 须为整数（version must be an integer）。")
    value = int(value)
    if not 0 <= value < 2**63:
        raise BadRequest("version 超出范围（version out of range）。")
    return value


def _limit(value, default: int, high: int, name: str = "limit") -> int:
    """A positive integer no larger than `high` (JSON number or form/query string)."""
    if value is None and default is not None:
        return default
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() and len(value.strip()) < 10:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
        raise BadRequest(f"{name} 须为 1 到 {high} 之间的整数（{name} must be an integer from 1 to {high}）。")
    return value


def _collection(collection_id) -> cur.Collection:
    return cur.get_collection(auth.get_db(), collection_id, auth.current_user())


# -- operations shared by the API and the forms ---------------------------------------

def add_reports(collection_id, report_ids, *, note="", tags=None, notes=None,
                expected_version=None) -> dict:
    ids = cur.collections.clean_report_ids(report_ids)
    _collection(collection_id)  # 404 before touching the index
    reports, unknown = resolve(ids)
    if unknown:
        raise cur.CurationError("unknown report ids", unknown=unknown)
    return cur.add_items(auth.get_db(), auth.current_user(), collection_id, reports, note=note,
                         tags=tags, notes=notes, expected_version=expected_version)


def add_search(collection_id, req: SearchRequest, limit: int) -> dict:
    """Add the first `limit` (capped at BULK_CAP) results of a search; the search is
    recorded with its total and its id kept on each added item."""
    from indexer.search import search

    _collection(collection_id)
    limit = _limit(limit, BULK_CAP, BULK_CAP)
    ids: list[str] = []
    total, page = 0, 1
    req.per_page = MAX_PER_PAGE
    while len(ids) < limit:
        req.page = page
        response = search(_index(), req, collections=search_collections())
        total = response.total
        ids.extend(h.report_id for h in response.results if h.report_id not in ids)
        if not response.results or page * req.per_page >= total:
            break
        page += 1
    ids = ids[:limit]
    record = {k: v for k, v in vars(req).items() if k not in ("page", "per_page")}
    conn, user = auth.get_db(), auth.current_user()
    search_id = cur.collections.record_search(conn, user, collection_id, record, total)
    reports, unknown = resolve(ids)  # a hit always resolves, unless reindexed meanwhile
    result = cur.add_items(conn, user, collection_id, reports, search_id=search_id)
    result.update(total=total, capped=total > limit, search_id=search_id, unknown=unknown)
    return result


def _search_request(data) -> SearchRequest:
    """A JSON search object through the one request parser (web.request): the same
    fields, defaults and 400s as the search page's URL."""
    if not isinstance(data, dict):
        raise BadRequest("search 须为 JSON 对象（search must be an object）。")
    types = {name: base for name, base, _ in request_fields()}
    pairs = []
    for key, value in data.items():
        base = types.get(key)
        if base is None:
            raise BadRequest(f"search 没有参数 {key}（search.{key}: unknown field）。")
        if base is list and isinstance(value, list) and all(isinstance(v, str) for v in value):
            pairs += [(key, v) for v in value]
        elif base is bool and isinstance(value, bool):
            pairs.append((key, "1" if value else "0"))
        elif base is int and isinstance(value, int) and not isinstance(value, bool):
            pairs.append((key, str(value)))
        elif base is str and isinstance(value, str):
            pairs.append((key, value))
        else:
            kind = {list: "a list of strings", bool: "true or false", int: "an integer", str: "a string"}[base]
            raise BadRequest(f"search.{key} 类型不对（search.{key} must be {kind}）。")
    return search_request(MultiDict(pairs))


def _export(collection: cur.Collection, fmt: str) -> Response:
    if fmt not in EXPORT_FORMATS:
        raise BadRequest(f"format 只能是 {'、'.join(EXPORT_FORMATS)}（format must be one of: "
                         f"{', '.join(EXPORT_FORMATS)}）。")
    items, _ = items_with_status(collection)

    def reading_url(report_id: str) -> str:
        return external(url("pages.report_page", report_id=report_id))
    body = {"csv": lambda: export_mod.to_csv(items),
            "jsonl": lambda: export_mod.to_jsonl(collection, items),
            "zip": lambda: export_mod.to_zip(collection, items),
            "ris": lambda: export_mod.to_citations(items, "ris", reading_url),
            "bibtex": lambda: export_mod.to_citations(items, "bibtex", reading_url)}[fmt]()
    response = Response(body, mimetype=EXPORT_FORMATS[fmt].split(";")[0],
                        content_type=EXPORT_FORMATS[fmt])
    response.headers["Content-Disposition"] = \
        f'attachment; filename="collection-{collection.id}.{EXTENSIONS[fmt]}"'
    return response


def _import(collection_id, data: bytes) -> dict:
    entries = export_mod.parse_import(data)
    notes = {e["report_id"]: e for e in entries if "note" in e or "tags" in e}
    return add_reports(collection_id, [e["report_id"] for e in entries], notes=notes)


# -- JSON API ----------------------------------------------------------------------------

def _list_json():
    user = auth.current_user()
    deleted = request.args.get("deleted") in ("1", "true")
    if deleted and not (user and user.is_admin):
        return auth.error(403, "only admins list deleted collections")
    return jsonify(collections=[c.to_json() for c in
                                cur.list_collections(auth.get_db(), user, deleted=deleted)])


def _detail_json(collection: cur.Collection):
    items, index_ok = items_with_status(collection)
    return jsonify(collection=collection.to_json(), items=[i.to_json() for i in items],
                   index_available=index_ok)


def _log_json(collection: cur.Collection):
    limit = _limit(request.args.get("limit"), 500, 5000)
    return jsonify(log=cur.audit_log(auth.get_db(), collection.id, limit))


@bp.get("/api/collections")
def api_list():
    return _list_json()


@bp.post("/api/collections")
@auth.require_role("librarian")
def api_create():
    data = _json_body()
    collection = cur.create_collection(
        auth.get_db(), auth.current_user(), data.get("name", ""),
        data.get("description", ""), data.get("visibility", "private"))
    return jsonify(collection=collection.to_json()), 201


@bp.get("/api/collections/<collection_id>")
def api_get(collection_id):
    return _detail_json(_collection(collection_id))


@bp.patch("/api/collections/<collection_id>")
@auth.require_role("librarian")
def api_update(collection_id):
    data = _json_body()
    conn, user = auth.get_db(), auth.current_user()
    if data.get("deleted") is False:  # restore: admins only
        collection = cur.restore_collection(conn, user, collection_id)
    elif data.get("deleted") is True:
        cur.delete_collection(conn, user, collection_id, expected_version=_version(data))
        collection = cur.get_collection(conn, collection_id, check_view=False)
    else:
        collection = cur.update_collection(
            conn, user, collection_id, name=data.get("name"),
            description=data.get("description"), visibility=data.get("visibility"),
            expected_version=_version(data))
    return jsonify(collection=collection.to_json())


@bp.delete("/api/collections/<collection_id>")
@auth.require_role("librarian")
def api_delete(collection_id):
    cur.delete_collection(auth.get_db(), auth.current_user(), collection_id,
                          expected_version=_version())
    return jsonify(ok=True)


@bp.post("/api/collections/<collection_id>/items")
@auth.require_role("librarian")
def api_add(collection_id):
    data = _json_body()
    if "search" in data:
        limit = _limit(data["limit"], None, BULK_CAP) if "limit" in data else BULK_CAP
        result = add_search(collection_id, _search_request(data["search"]), limit)
    else:
        result = add_reports(collection_id, data.get("report_ids"),
                             note=data.get("note", ""), tags=data.get("tags"),
                             expected_version=_version(data))
    result["collection"] = _collection(collection_id).to_json()
    return jsonify(result)


@bp.delete("/api/collections/<collection_id>/items/<path:report_id>")
@auth.require_role("librarian")
def api_remove(collection_id, report_id):
    cur.remove_item(auth.get_db(), auth.current_user(), collection_id, report_id,
                    expected_version=_version())
    return jsonify(ok=True, collection=_collection(collection_id).to_json())


@bp.patch("/api/collections/<collection_id>/items/<path:report_id>")
@auth.require_role("librarian")
def api_edit_item(collection_id, report_id):
    data = _json_body()
    accept = None
    if data.get("accept_change"):
        accept = lookup(report_id)
        if accept is None:
            raise cur.CurationError("the report is missing from the index", unknown=[report_id])
    item = cur.update_item(auth.get_db(), auth.current_user(), collection_id, report_id,
                           note=data.get("note"), tags=data.get("tags"),
                           position=data.get("position"), accept=accept,
                           expected_version=_version(data))
    return jsonify(item=item.to_json(), collection=_collection(collection_id).to_json())


@bp.get("/api/collections/<collection_id>/export")
def api_export(collection_id):
    return _export(_collection(collection_id), request.args.get("format", "csv"))


@bp.post("/api/collections/<collection_id>/import")
@auth.require_role("librarian")
def api_import(collection_id):
    upload = request.files.get("file")
    data = upload.read(export_mod.MAX_IMPORT_BYTES + 1) if upload else request.get_data()
    result = _import(collection_id, data)
    result["collection"] = _collection(collection_id).to_json()
    return jsonify(result)


@bp.get("/api/collections/<collection_id>/log")
def api_log(collection_id):
    return _log_json(_collection(collection_id))


# -- HTML pages --------------------------------------------------------------------------

def _local_next() -> str | None:
    """The form's `next` when it is a path on this site (never another site, never a
    javascript: URL), else None."""
    return auth.local_path(request.form.get("next", ""))


def _back(default: str):
    return redirect(_local_next() or default, code=303)


def _form_action(view):
    """Run a form post; errors become a flashed message and a redirect back (every page
    shows flashed messages)."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except (cur.CurationError, cur.Conflict, IndexUnavailable, BadRequest) as exc:
            details = getattr(exc, "details", {})
            message = str(exc) + (f"：{', '.join(details['unknown'])}"
                                  if details.get("unknown") else "")
            back = _local_next()
            if back:
                flash(message, "error")
                return redirect(back, code=303)
            flash(message, "error")
            cid = kwargs.get("collection_id")
            return _back(url_for("collections.detail_page", collection_id=cid) if cid
                         else url_for("collections.list_page"))
    return wrapped


@page_route(bp, "/collections", "list_page")
def list_page(fmt: str):
    if negotiated(fmt) == "json":
        return _list_json()
    user = auth.current_user()
    conn = auth.get_db()
    deleted = cur.list_collections(conn, user, deleted=True) if user and user.is_admin else []
    return render_template("collections/list.html",
                           collections=cur.list_collections(conn, user), deleted=deleted)


@bp.post("/collections")
@auth.require_role("librarian")
@_form_action
def create_form():
    collection = cur.create_collection(
        auth.get_db(), auth.current_user(), request.form.get("name", ""),
        request.form.get("description", ""), request.form.get("visibility", "private"))
    return redirect(url_for("collections.detail_page", collection_id=collection.id), code=303)


@page_route(bp, "/collections/<collection_id>", "detail_page")
def detail_page(fmt: str, collection_id):
    collection = _collection(collection_id)
    if negotiated(fmt) == "json":
        return _detail_json(collection)
    items, index_ok = items_with_status(collection)
    counts = {s: sum(i.status == s for i in items) for s in ("ok", "changed", "missing")}
    return render_template("collections/detail.html", collection=collection, items=items,
                           index_ok=index_ok, counts=counts, formats=list(EXPORT_FORMATS))


@page_route(bp, "/collections/<collection_id>/log", "log_page")
def log_page(fmt: str, collection_id):
    collection = _collection(collection_id)
    if negotiated(fmt) == "json":
        return _log_json(collection)
    log = cur.audit_log(auth.get_db(), collection.id)
    return render_template("collections/log.html", collection=collection,
                           log=[_log_entry(e) for e in log])


def _log_entry(entry: dict) -> dict:
    """A change-log entry as librarians read it: the action in words and its details as
    labelled values (titles for report ids when the index knows them)."""
    detail = entry.get("detail") or {}
    shown = []
    for key, value in detail.items():
        label = DETAIL_LABELS.get(key, key)
        if key in ("report_ids", "report_id"):
            ids = value if isinstance(value, list) else [value]
            value = "、".join(_report_label(str(i)) for i in ids[:20]) + \
                (f" 等 {len(ids)} 篇" if len(ids) > 20 else "")
        elif key == "visibility":
            value = {"public": "公开", "private": "内部"}.get(value, value)
        elif key == "request" and isinstance(value, dict):
            value = "；".join(f"{k}={v}" for k, v in value.items() if v not in ("", [], None))
        elif key in ("position_from", "position_to") and isinstance(value, int):
            value = value + 1
        elif isinstance(value, list):
            value = "、".join(map(str, value))
        elif isinstance(value, dict):
            value = "；".join(f"{k}={v}" for k, v in value.items())
        shown.append((label, "" if value is None else str(value)))
    return {**entry, "action_label": ACTION_LABELS.get(entry["action"], entry["action"]),
            "shown": shown}


def _report_label(report_id: str) -> str:
    try:
        report = lookup(report_id)
    except IndexUnavailable:
        report = None
    if report is None:
        return report_id
    from indexer.curation.cite import display_title

    return display_title(report.get("title"), report.get("part"), report.get("parts"))


@bp.get("/collections/<collection_id>/export")
def export_page(collection_id):
    return _export(_collection(collection_id), request.args.get("format", "csv"))


@bp.post("/collections/<collection_id>/edit")
@auth.require_role("librarian")
@_form_action
def edit_form(collection_id):
    cur.update_collection(auth.get_db(), auth.current_user(), collection_id,
                          name=request.form.get("name"),
                          description=request.form.get("description"),
                          visibility=request.form.get("visibility"),
                          expected_version=_version(request.form))
    flash("已保存。", "ok")
    return redirect(url_for("collections.detail_page", collection_id=collection_id), code=303)


@bp.get("/collections/<collection_id>/delete")
@auth.require_role("librarian")
def delete_confirm_page(collection_id):
    """Asks before deleting (works without JavaScript)."""
    collection = _collection(collection_id)
    return render_template("collections/delete.html", collection=collection)


@bp.post("/collections/<collection_id>/delete")
@auth.require_role("librarian")
@_form_action
def delete_form(collection_id):
    if request.form.get("confirm") != "1":  # not confirmed yet: ask first
        return redirect(url_for("collections.delete_confirm_page", collection_id=collection_id), code=303)
    cur.delete_collection(auth.get_db(), auth.current_user(), collection_id,
                          expected_version=_version(request.form))
    flash("收藏集已删除（管理员可恢复）。", "ok")
    return redirect(url_for("collections.list_page"), code=303)


@bp.post("/collections/<collection_id>/restore")
@auth.require_role("admin")
@_form_action
def restore_form(collection_id):
    cur.restore_collection(auth.get_db(), auth.current_user(), collection_id)
    flash("收藏集已恢复。", "ok")
    return redirect(url_for("collections.detail_page", collection_id=collection_id), code=303)


@bp.post("/collections/add")
@auth.require_role("librarian")
@_form_action
def add_form():
    """From a result row or the reading view: add one report to a chosen collection, or
    to a new one named in `new_name`."""
    conn, user = auth.get_db(), auth.current_user()
    new_name = request.form.get("new_name", "").strip()
    if new_name:
        collection_id = cur.create_collection(conn, user, new_name).id
    else:
        collection_id = request.form.get("collection_id", "")
        if not collection_id:
            raise cur.CurationError("choose a collection or name a new one")
    report_ids = request.form.getlist("report_id")
    result = add_reports(collection_id, report_ids, note=request.form.get("note", ""))
    name = _collection(collection_id).name
    if result["added"]:
        flash(f"已加入「{name}」。", "ok")
    elif result["noted"]:
        flash(f"已在「{name}」中，备注已更新。", "ok")
    else:
        flash(f"已在「{name}」中，未作改动。", "ok")
    return _back(url_for("collections.detail_page", collection_id=collection_id))


@bp.post("/collections/add-search")
@auth.require_role("librarian")
@_form_action
def add_search_form():
    """"Add all N results of this search" (capped at BULK_CAP)."""
    form = request.form
    collection_id = form.get("collection_id", "")
    if form.get("new_name", "").strip():
        collection_id = cur.create_collection(auth.get_db(), auth.current_user(),
                                              form["new_name"]).id
    elif not collection_id:
        raise cur.CurationError("choose a collection or name a new one")
    # The form carries the search state as the page's URL does: the same parser.
    result = add_search(collection_id, search_request(form), _limit(form.get("limit"), BULK_CAP, BULK_CAP))
    flash(f"检索共 {result['total']} 条，新加入 {len(result['added'])} 条"
          + (f"（上限 {BULK_CAP}）" if result["capped"] else "") + "。", "ok")
    return redirect(url_for("collections.detail_page", collection_id=collection_id), code=303)


@bp.post("/collections/<collection_id>/items")
@auth.require_role("librarian")
@_form_action
def add_ids_form(collection_id):
    ids = request.form.get("report_ids", "").replace(",", "\n").split()
    result = add_reports(collection_id, ids, note=request.form.get("note", ""))
    flash(f"新加入 {len(result['added'])} 条，已存在 {len(result['already'])} 条"
          + (f"（其中 {len(result['noted'])} 条更新了备注）" if result["noted"] else "") + "。", "ok")
    return _back(url_for("collections.detail_page", collection_id=collection_id))


@bp.post("/collections/<collection_id>/import")
@auth.require_role("librarian")
@_form_action
def import_form(collection_id):
    upload = request.files.get("file")
    if upload is None:
        raise cur.CurationError("choose a file to import")
    result = _import(collection_id, upload.read(export_mod.MAX_IMPORT_BYTES + 1))
    flash(f"导入：新加入 {len(result['added'])} 条，已存在 {len(result['already'])} 条。", "ok")
    return redirect(url_for("collections.detail_page", collection_id=collection_id), code=303)


@bp.post("/collections/<collection_id>/items/<path:report_id>/edit")
@auth.require_role("librarian")
@_form_action
def edit_item_form(collection_id, report_id):
    form = request.form
    conn, user = auth.get_db(), auth.current_user()
    position = None
    if form.get("move") in ("up", "down", "top", "bottom"):
        item = next((i for i in cur.list_items(conn, int(_collection(collection_id).id))
                     if i.report_id == report_id), None)
        if item is None:
            raise cur.NotFound(report_id)
        position = {"up": item.position - 1, "down": item.position + 1, "top": 0,
                    "bottom": cur.collections.MAX_ITEMS}[form["move"]]
        position = max(0, position)
    accept = lookup(report_id) if form.get("accept_change") else None
    cur.update_item(conn, user, collection_id, report_id,
                    note=form.get("note"), tags=form.get("tags"), position=position,
                    accept=accept, expected_version=_version(form))
    return redirect(url_for("collections.detail_page", collection_id=collection_id)
                    + f"#item-{report_id}", code=303)


@bp.post("/collections/<collection_id>/items/<path:report_id>/remove")
@auth.require_role("librarian")
@_form_action
def remove_item_form(collection_id, report_id):
    cur.remove_item(auth.get_db(), auth.current_user(), collection_id, report_id)
    flash("已移除。", "ok")
    return redirect(url_for("collections.detail_page", collection_id=collection_id), code=303)
