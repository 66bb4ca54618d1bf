"""The OpenAPI 3.0 description of the JSON API, served at /api/openapi.json (and used by the
fuzz test, which sends generated requests to every operation listed here).

The search parameters are generated from `SearchRequest` (web.request.request_fields),
so a field added there is documented here at once.
"""
from __future__ import annotations

from indexer.search import MAX_PER_PAGE, MAX_QUERY_CHARS, SORTS
from indexer.settings import SETTINGS

from .request import INT_BOUNDS, MAX_VALUE_CHARS, YEAR_FACETS, request_fields

ERROR = {"$ref": "#/components/schemas/Error"}


def _search_parameters() -> list[dict]:
    params = []
    for name, base, default in request_fields():
        if base is list:
            item = {"type": "string", "maxLength": MAX_VALUE_CHARS}
            if name in YEAR_FACETS:
                item["pattern"] = "^[0-9]{4}$"
            schema = {"type": "array", "items": item, "maxItems": SETTINGS.serve.max_facet_values}
            params.append({"name": name, "in": "query", "schema": schema, "style": "form",
                           "explode": True})
            continue
        schema = {bool: {"type": "boolean"}, int: {"type": "integer"}, str: {"type": "string"}}.get(base)
        if schema is None:
            continue
        schema = dict(schema, default=default)
        if name in INT_BOUNDS:
            schema["minimum"], schema["maximum"] = INT_BOUNDS[name]
        if name == "q":
            schema["maxLength"] = MAX_QUERY_CHARS
        if name == "sort":
            schema["enum"] = list(SORTS)
        if name in ("date_from", "date_to"):
            schema["pattern"] = "^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"
        params.append({"name": name, "in": "query", "schema": schema})
    return params


def _op(summary: str, *, params=(), body=None, ok="200", auth=False) -> dict:
    op = {"summary": summary, "parameters": list(params),
          "responses": {ok: {"description": "OK"},
                        "4XX": {"description": "Bad request, login, role, not found, conflict",
                                "content": {"application/json": {"schema": ERROR}}}}}
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if auth:
        op["security"] = [{"session": [], "csrf": []}]
    return op


def _path_param(name: str, schema=None) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": schema or {"type": "string"}}


STRINGS = {"type": "array", "items": {"type": "string"}}


def spec() -> dict:
    cid = _path_param("collection_id", {"type": "string", "pattern": "^[0-9]+$"})
    rid = _path_param("report_id")
    search_object = {"type": "object", "properties": {
        "q": {"type": "string"}, "sort": {"type": "string", "enum": list(SORTS)},
        "collapse": {"type": "boolean"},
        **{name: STRINGS for name, base, _ in request_fields() if base is list}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Dang'an (档案) JSON API", "version": "1",
                 "description": "Search scraped Chinese official reports; librarians' collections. "
                                "Every page of the site also has a JSON twin (append .json)."},
        "components": {
            "schemas": {"Error": {"type": "object", "required": ["error", "message"], "properties": {
                "error": {"type": "string"}, "message": {"type": "string"}}}},
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"}}},
        "paths": {
            "/api/search": {"get": _op(f"Search (per_page <= {MAX_PER_PAGE}; collapse defaults to on)",
                                       params=_search_parameters())},
            "/api/reports/{report_id}": {"get": _op("One report as extracted", params=[rid])},
            "/api/openapi.json": {"get": _op("This description")},
            "/api/login": {"post": _op("Log in; returns the CSRF token", body={
                "type": "object", "required": ["username", "password"],
                "properties": {"username": {"type": "string"}, "password": {"type": "string"}}})},
            "/api/logout": {"post": _op("Log out", auth=True)},
            "/api/me": {"get": _op("The logged-in user and the CSRF token (never cached)")},
            "/api/users": {
                "get": _op("List accounts (admin)", auth=True),
                "post": _op("Add an account (admin)", ok="201", auth=True, body={
                    "type": "object", "properties": {"username": {"type": "string"},
                                                     "password": {"type": "string"},
                                                     "role": {"type": "string", "enum": ["librarian", "admin"]}}})},
            "/api/users/{username}": {"patch": _op("Enable or disable an account (admin)", auth=True,
                                                   params=[_path_param("username")], body={
                "type": "object", "properties": {"active": {"type": "boolean"}}})},
            "/api/collections": {
                "get": _op("Collections this user may see"),
                "post": _op("Create a collection", ok="201", auth=True, body={
                    "type": "object", "properties": {"name": {"type": "string"}, "description": {"type": "string"},
                                                     "visibility": {"type": "string", "enum": ["public", "private"]}}})},
            "/api/collections/{collection_id}": {
                "get": _op("A collection and its items", params=[cid]),
                "patch": _op("Rename, describe, change visibility; deleted=false restores (admin)", auth=True,
                             params=[cid], body={"type": "object", "properties": {
                                 "name": {"type": "string"}, "description": {"type": "string"},
                                 "visibility": {"type": "string"}, "version": {"type": "integer"},
                                 "deleted": {"type": "boolean"}}}),
                "delete": _op("Delete (admins can restore)", auth=True, params=[cid])},
            "/api/collections/{collection_id}/items": {"post": _op(
                "Add reports by id, or the results of a search (limit <= bulk cap)", auth=True, params=[cid],
                body={"type": "object", "properties": {
                    "report_ids": STRINGS, "note": {"type": "string"}, "tags": STRINGS,
                    "version": {"type": "integer"}, "search": search_object,
                    "limit": {"type": "integer", "minimum": 1, "maximum": SETTINGS.serve.bulk_add_max}}})},
            "/api/collections/{collection_id}/items/{report_id}": {
                "patch": _op("Note, tags, position, accept a changed text", auth=True, params=[cid, rid], body={
                    "type": "object", "properties": {"note": {"type": "string"}, "tags": STRINGS,
                                                     "position": {"type": "integer"},
                                                     "accept_change": {"type": "boolean"}}}),
                "delete": _op("Remove an item", auth=True, params=[cid, rid])},
            "/api/collections/{collection_id}/import": {"post": _op(
                "Import report ids from an export (CSV, JSONL, ZIP) or a list", auth=True, params=[cid])},
            "/api/collections/{collection_id}/export": {"get": _op("Export", params=[cid, {
                "name": "format", "in": "query",
                "schema": {"type": "string", "enum": ["csv", "jsonl", "zip", "ris", "bibtex"]}}])},
            "/api/collections/{collection_id}/log": {"get": _op("The change log", params=[cid, {
                "name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 5000}}])},
        },
    }
