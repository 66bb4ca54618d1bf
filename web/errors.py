"""One error type hierarchy and one handler for the whole app.

Every view raises a `WebError` subclass (or lets a werkzeug `HTTPException`, an unavailable
index or a curation error propagate); the handler answers with JSON or an HTML page by
one rule, the same everywhere (as datasette does):

- JSON when the path is under ``/api/``, ends with a machine format suffix (``.json``,
  ``.jsonl``, ``.csv``, ``.atom``, ``.xml``), or the client's Accept header prefers
  ``application/json`` over ``text/html``;
- an HTML page otherwise (a 401 on a page becomes a redirect to the login form).

JSON errors are ``{"error": <code>, "message": <text>, ...details}`` with the status code;
messages are Chinese with the English in brackets, so a curl user and a reader both
understand them.
"""
from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

MACHINE_SUFFIXES = (".json", ".jsonl", ".csv", ".atom", ".xml")


class WebError(Exception):
    status = 500
    code = "error"
    title = "出错了"

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.message = message
        self.details = details


class BadRequest(WebError):
    status, code, title = 400, "bad_request", "请求有误"


class Unauthorized(WebError):
    status, code, title = 401, "login_required", "需要登录"


class Forbidden(WebError):
    status, code, title = 403, "forbidden", "没有权限"


class NotFound(WebError):
    status, code, title = 404, "not_found", "未找到"


class Conflict(WebError):
    status, code, title = 409, "conflict", "内容已被他人修改"


class TooManyRequests(WebError):
    status, code, title = 429, "too_many_requests", "请求过多"


class Unavailable(WebError):
    status, code, title = 503, "index_unavailable", "索引不可用"


# Titles and bilingual messages of the HTTP errors werkzeug raises for us (unknown URL,
# wrong method, body too large …).
HTTP_MESSAGES = {
    400: ("请求有误", "请求无法解析（bad request）。"),
    404: ("未找到", "没有这个页面（no such page）。"),
    405: ("方法不允许", "此地址不接受这种请求方法（method not allowed）。"),
    413: ("内容过大", "上传或请求的内容过大（request entity too large）。"),
    415: ("格式不支持", "请求的内容格式不受支持（unsupported media type）。"),
}


def wants_json() -> bool:
    path = request.path
    if path.startswith("/api/") or path.endswith(MACHINE_SUFFIXES):
        return True
    accept = request.accept_mimetypes
    best = accept.best_match(["text/html", "application/json"])
    return best == "application/json" and accept[best] > accept["text/html"]


def error_response(status: int, code: str, message: str, title: str | None = None, **details):
    if wants_json():
        response = jsonify(error=code, message=message, **details)
        response.status_code = status
    else:
        if status == 401:  # back to the page after login (a form post's page is the referrer)
            back = request.full_path if request.method == "GET" else None
            return redirect(url_for("auth.login_page", next=back))
        response = current_app.make_response((render_template(
            "error.html", title=title or HTTP_MESSAGES.get(status, ("出错了",))[0],
            message=message, status=status, back=details.get("back")), status))
    if status == 429 and details.get("retry_after"):
        response.headers["Retry-After"] = str(int(details["retry_after"]))
    return response


def _web_error(exc: WebError):
    return error_response(exc.status, exc.code, exc.message, exc.title, **exc.details)


def _http_error(exc: HTTPException):
    status = exc.code or 500
    title, message = HTTP_MESSAGES.get(status, (exc.name, exc.description or exc.name))
    response = error_response(status, exc.name.lower().replace(" ", "_"), message, title)
    if status == 405 and getattr(exc, "valid_methods", None):
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def _index_unavailable(exc: Exception):
    return _web_error(Unavailable(str(exc)))


def _engine_unavailable(exc: Exception):
    """A search backend that cannot answer correctly (a cluster shard down, over a
    limit): 503 with its message, which names the shard; never partial results."""
    log.warning("search engine unavailable on %s: %s", request.path, exc)
    return _web_error(Unavailable(f"搜索引擎暂时无法完整回答，请稍后再试（{exc}）。"))


def _curation_error(exc: Exception):
    from indexer import curation as cur

    if isinstance(exc, cur.NotFound):
        err: WebError = NotFound("没有这个收藏集或条目，或者您无权查看（no such collection or item）。")
    elif isinstance(exc, cur.Conflict):
        err = Conflict(f"收藏集已被他人修改，请刷新后重试（{exc}）。", version=exc.current_version)
    elif isinstance(exc, PermissionError):
        err = Forbidden(f"没有权限（{exc}）。")
    else:
        err = BadRequest(str(exc), **getattr(exc, "details", {}))
    return _web_error(err)


def _internal_error(exc: Exception):
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(500, "internal_error", "服务器内部错误，已记录（internal server error）。",
                          "服务器错误")


def init_app(app: Flask) -> None:
    from indexer import curation as cur

    from .index_access import IndexUnavailable

    app.register_error_handler(WebError, _web_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(IndexUnavailable, _index_unavailable)
    from indexer.search import BackendError

    app.register_error_handler(BackendError, _engine_unavailable)
    for exc in (cur.NotFound, cur.Conflict, cur.CurationError, PermissionError):
        app.register_error_handler(exc, _curation_error)
    if not app.config.get("TESTING") or app.config.get("DANGAN_HANDLE_500"):
        app.register_error_handler(Exception, _internal_error)
