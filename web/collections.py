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


from flask import (Blueprint, Flask, Response, flash, g, jsonify, redirect,
                   render_template, request, url_for)

from indexer import curation as cur
from indexer.curation import export as export_mod
from indexer.search.model import FACETS, MAX_PER_PAGE, SearchRequest

from . import auth
from .index_access import IndexUnavailable, shared_index

bp = Blueprint("collections", __name__)

BULK_CAP = 500  # most reports one "add all results" may add
EXPORT_FORMATS = {"csv": "text/csv; charset=utf-8",
                  "jsonl": "application/x-ndjson; charset=utf-8",
                  "zip": "application/zip"}


def init_app(app: Flask) -> None:
    if "dangan_auth" not in app.extensions:  # no database configured (see web.auth)
        return
    app.register_blueprint(bp)
    app.extensions["dangan_collections"] = search_collections
    app.extensions.setdefault("dangan_facet_labels", {})["collection"] = collection_label
    app.add_template_filter(_utc_time, "utc_time")
    app.context_processor(lambda: {
        "editable_collections": editable_collections, "report_collections": report_collections,
        "bulk_cap": BULK_CAP})


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


# -- errors ----------------------------------------------------------------------------

def _handle(exc: Exception):
    if isinstance(exc, cur.NotFound):
        return auth.error(404, "no such collection or item")
    if isinstance(exc, cur.Conflict):
        return auth.error(409, str(exc), version=exc.current_version)
    if isinstance(exc, PermissionError):
        return auth.error(403, str(exc))
    if isinstance(exc, IndexUnavailable):
        return auth.error(503, str(exc))
    return auth.error(400, str(exc), **getattr(exc, "details", {}))


for _exc in (cur.NotFound, cur.Conflict, cur.CurationError, PermissionError, IndexUnavailable):
    bp.register_error_handler(_exc, _handle)


def _json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise cur.CurationError("expected a JSON object body")
    return data


def _version(data: dict | None = None):
    value = (data or {}).get("version", request.args.get("version"))
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise cur.CurationError("version must be an integer") from None


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
    limit = max(1, min(int(limit), BULK_CAP))
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
    if not isinstance(data, dict):
        raise cur.CurationError("search must be an object")
    args = {}
    for key in ("q", "sort"):
        if key in data:
            if not isinstance(data[key], str):
                raise cur.CurationError(f"search.{key} must be a string")
            args[key] = data[key][:500]
    for facet in FACETS:
        values = data.get(facet, [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise cur.CurationError(f"search.{facet} must be a list of strings")
        args[facet] = values[:20]
    args["collapse"] = bool(data.get("collapse", True))
    return SearchRequest(**args)


def _export(collection: cur.Collection, fmt: str) -> Response:
    if fmt not in EXPORT_FORMATS:
        raise cur.CurationError("format must be csv, jsonl or zip")
    items, _ = items_with_status(collection)
    body = {"csv": lambda: export_mod.to_csv(items),
            "jsonl": lambda: export_mod.to_jsonl(collection, items),
            "zip": lambda: export_mod.to_zip(collection, items)}[fmt]()
    response = Response(body, mimetype=EXPORT_FORMATS[fmt].split(";")[0],
                        content_type=EXPORT_FORMATS[fmt])
    response.headers["Content-Disposition"] = \
        f'attachment; filename="collection-{collection.id}.{fmt}"'
    return response


def _import(collection_id, data: bytes) -> dict:
    entries = export_mod.parse_import(data)
    notes = {e["report_id"]: e for e in entries if "note" in e or "tags" in e}
    return add_reports(collection_id, [e["report_id"] for e in entries], notes=notes)


# -- JSON API ----------------------------------------------------------------------------

@bp.get("/api/collections")
def api_list():
    user = auth.current_user()
    deleted = request.args.get("deleted") in ("1", "true")
    if deleted and not (user and user.is_admin):
        return auth.error(403, "only admins list deleted collections")
    return jsonify(collections=[c.to_json() for c in
                                cur.list_collections(auth.get_db(), user, deleted=deleted)])


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
    collection = _collection(collection_id)
    items, index_ok = items_with_status(collection)
    return jsonify(collection=collection.to_json(), items=[i.to_json() for i in items],
                   index_available=index_ok)


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
        result = add_search(collection_id, _search_request(data["search"]),
                            data.get("limit", BULK_CAP))
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
    collection = _collection(collection_id)
    return jsonify(log=cur.audit_log(auth.get_db(), collection.id,
                                     request.args.get("limit", 500, type=int)))


# -- HTML pages --------------------------------------------------------------------------

def _local_next() -> str | None:
    """The form's `next` when it is a path on this site (never another site, never a
    javascript: URL), else None."""
    return auth.local_path(request.form.get("next", ""))


def _back(default: str):
    return redirect(_local_next() or default, code=303)


def _form_action(view):
    """Run a form post; errors become a flashed message and a redirect back."""
    import functools

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except (cur.CurationError, cur.Conflict, IndexUnavailable) as exc:
            details = getattr(exc, "details", {})
            message = str(exc) + (f"：{', '.join(details['unknown'])}"
                                  if details.get("unknown") else "")
            back = _local_next()
            if back and not back.startswith("/collections"):
                # Back on another feature's page a flashed message would not be shown.
                return render_template("auth/error.html", status=400, message=message,
                                       back=back), 400
            flash(message, "error")
            cid = kwargs.get("collection_id")
            return _back(url_for("collections.detail_page", collection_id=cid) if cid
                         else url_for("collections.list_page"))
    return wrapped


@bp.get("/collections")
def list_page():
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


@bp.get("/collections/<collection_id>")
def detail_page(collection_id):
    collection = _collection(collection_id)
    items, index_ok = items_with_status(collection)
    counts = {s: sum(i.status == s for i in items) for s in ("ok", "changed", "missing")}
    return render_template("collections/detail.html", collection=collection, items=items,
                           index_ok=index_ok, counts=counts, formats=list(EXPORT_FORMATS))


@bp.get("/collections/<collection_id>/log")
def log_page(collection_id):
    collection = _collection(collection_id)
    return render_template("collections/log.html", collection=collection,
                           log=cur.audit_log(auth.get_db(), collection.id))


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


@bp.post("/collections/<collection_id>/delete")
@auth.require_role("librarian")
@_form_action
def delete_form(collection_id):
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
    if not _local_next():  # back on the page of origin, the row says it
        flash(f"已加入「{name}」。" if result["added"] else f"已在「{name}」中。", "ok")
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
    data = {"q": form.get("q", ""), "sort": form.get("sort", "relevance"),
            "collapse": form.get("collapse", "1") not in ("0", "false")}
    for facet in FACETS:
        data[facet] = form.getlist(facet)
    result = add_search(collection_id, _search_request(data), form.get("limit", BULK_CAP, type=int))
    flash(f"检索共 {result['total']} 条，新加入 {len(result['added'])} 条"
          + (f"（上限 {BULK_CAP}）" if result["capped"] else "") + "。", "ok")
    return redirect(url_for("collections.detail_page", collection_id=collection_id), code=303)


@bp.post("/collections/<collection_id>/items")
@auth.require_role("librarian")
@_form_action
def add_ids_form(collection_id):
    ids = request.form.get("report_ids", "").replace(",", "\n").split()
    result = add_reports(collection_id, ids, note=request.form.get("note", ""))
    flash(f"新加入 {len(result['added'])} 条，已存在 {len(result['already'])} 条。", "ok")
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
