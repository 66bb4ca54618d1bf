"""Login/logout, sessions, CSRF and roles.

- Readers are anonymous; librarians and admins log in (accounts: `dangan users add`).
- The Flask session cookie (signed, HttpOnly, SameSite=Lax) holds a random session token
  whose hash is stored server-side, so logout and `dangan users disable` end it at once.
  SECRET_KEY comes from the config, else DANGAN_SECRET_KEY, DANGAN_SECRET_KEY_FILE (mode
  0600) or `<database>.secret` (created once, mode 0600): never from the database.
- CSRF: every state-changing request (POST/PUT/PATCH/DELETE, any blueprint) must carry
  the session's token in the `X-CSRF-Token` header (JSON) or a `csrf_token` form field.
  The JSON login is exempt but must be `application/json` (a cross-site form cannot send
  that, and a cross-site fetch of it needs a CORS preflight we never grant).
- Throttling (indexer.curation.users): attempts are counted before the password is
  checked, atomically, per account and per client address; a browser that logged in to
  the account before counts against its own device key only. Locked: 429 + Retry-After.

Config: DANGAN_DB (database; default `<DANGAN_INDEX>.db`), SECRET_KEY (optional),
SESSION_COOKIE_SECURE (set True, or the environment variable DANGAN_COOKIE_SECURE=1,
when served over HTTPS).
"""
from __future__ import annotations

import functools
import hmac
import os
import secrets
import threading
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from flask import (Blueprint, Flask, current_app, g, jsonify, redirect,
                   render_template, request, session, url_for)
from itsdangerous import BadSignature, URLSafeSerializer

from indexer.curation import connect, default_db_path
from indexer.curation import users as users_mod
from indexer.settings import SETTINGS

from . import errors

bp = Blueprint("auth", __name__)

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Endpoints that check their own request instead of the CSRF token (see module doc).
CSRF_EXEMPT = {"auth.api_login"}
# The only unsafe requests anonymous clients may make (logging in); every other write
# needs a login, so anonymous gets 401 before the CSRF check (and before any role check).
ANONYMOUS_WRITES = {"auth.api_login", "auth.login_form", "auth.logout_form", "auth.api_logout"}
DEVICE_COOKIE = "dangan_device"
DEVICE_MAX_AGE = 365 * 24 * 3600


def db_path(app: Flask) -> Path | None:
    if app.config.get("DANGAN_DB"):
        return Path(app.config["DANGAN_DB"])
    if app.config.get("DANGAN_INDEX"):
        return default_db_path(app.config["DANGAN_INDEX"])
    return None


def init_app(app: Flask) -> None:
    path = db_path(app)
    if path is None:
        app.logger.warning("no DANGAN_DB or DANGAN_INDEX: login and collections disabled")
        return
    conn = connect(path)  # creates and migrates once, before any request
    try:
        if not app.config.get("SECRET_KEY"):
            app.config["SECRET_KEY"] = users_mod.session_secret(
                conn, path, SETTINGS.serve.secret_key, SETTINGS.serve.secret_key_file)
    finally:
        conn.close()
    app.config["DANGAN_DB_PATH"] = str(path)
    if os.environ.get("DANGAN_COOKIE_SECURE", "").lower() in ("1", "true", "yes"):
        app.config["SESSION_COOKIE_SECURE"] = True  # served over HTTPS (`dangan serve` has no config file)
    if app.config.get("PERMANENT_SESSION_LIFETIME") == timedelta(days=31):  # Flask's default
        # The cookie lives as long as the server-side session it points to.
        app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=users_mod.SESSION_S)
    app.extensions["dangan_auth"] = True
    app.register_blueprint(bp)
    app.before_request(_load_user)
    app.before_request(_csrf_protect)
    app.after_request(_no_store)
    app.teardown_appcontext(_close_db)
    app.context_processor(lambda: {"current_user": current_user(), "csrf_token": csrf_token})


# -- per-request database and user ---------------------------------------------------

def get_db():
    """This request's connection to the curation database: the serving thread's own,
    opened on its first request and kept (opening one per request, with its PRAGMAs,
    cost ~0.6 ms, a tenth of a search; closing the last one also checkpoints the WAL).
    Statements run in autocommit and writes in their own transactions, so a kept
    connection sees every commit, as a new one would. Not shared across threads (a
    thread-local per app) or a fork (keyed by process id)."""
    if "dangan_db" not in g:
        local = current_app.extensions.setdefault("dangan_db_threads", threading.local())
        conns = local.__dict__.setdefault("conns", {})
        conn = conns.get(os.getpid())
        if conn is None:
            # (one a fork inherited stays as it is: closing it here could checkpoint or
            # unlock on behalf of the process that opened it)
            conn = conns[os.getpid()] = connect(current_app.config["DANGAN_DB_PATH"], migrate=False)
        g.dangan_db = conn
    return g.dangan_db


def _close_db(_exc=None) -> None:
    """End of request: the thread keeps its connection, never an open transaction."""
    conn = g.pop("dangan_db", None)
    if conn is not None and conn.in_transaction:
        conn.rollback()


def current_user() -> users_mod.User | None:
    return g.get("dangan_user")


def _load_user() -> None:
    g.dangan_user = None
    token = session.get("sid")
    if token:
        user = users_mod.session_user(get_db(), token)
        if user is None:  # logged out elsewhere, expired or disabled
            session.pop("sid", None)
        g.dangan_user = user


# -- CSRF ------------------------------------------------------------------------------

def csrf_token() -> str:
    """The session's CSRF token (created on first use)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def csrf_ok() -> bool:
    expected = session.get("csrf")
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
    return bool(expected) and hmac.compare_digest(str(sent), expected)


def _csrf_protect():
    if request.method not in UNSAFE_METHODS or request.endpoint in CSRF_EXEMPT \
            or request.routing_exception is not None:  # no such route or method: 404/405
        return None
    if current_user() is None and request.endpoint not in ANONYMOUS_WRITES:
        return error(401, "login required")
    if request.endpoint == "auth.api_logout" and current_user() is None:
        return error(401, "login required")
    if not csrf_ok():
        return error(403, "missing or invalid CSRF token (X-CSRF-Token header or csrf_token field)")
    return None


# -- roles -----------------------------------------------------------------------------

def _no_store(response):
    """Nothing a logged-in user sees (nor the CSRF token) is kept by any cache."""
    if current_user() is not None or request.endpoint in ("auth.api_me", "auth.api_login",
                                                          "auth.login_page", "auth.login_form"):
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Cookie")
    return response


ERROR_CODES = {400: "bad_request", 401: "login_required", 403: "forbidden", 404: "not_found",
               409: "conflict", 415: "unsupported_media_type", 429: "too_many_requests"}
MESSAGES_ZH = {"login required": "请先登录", "wrong username or password": "用户名或密码错误",
               "too many failed logins; try again later": "登录失败次数过多，请稍后再试",
               "send application/json": "请以 application/json 发送",
               "expected a JSON object": "请求体须为 JSON 对象"}


def error(status: int, message: str, **extra):
    """The app's one error response (web.errors): JSON for the API, a page otherwise
    (a login redirect for 401); the message in Chinese with the English kept."""
    zh = MESSAGES_ZH.get(message)
    text = f"{zh}（{message}）。" if zh else message
    return errors.error_response(status, ERROR_CODES.get(status, "error"), text, **extra)


def require_role(role: str = "librarian"):
    """401 without a login, 403 without the role (admin includes librarian)."""
    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user is None:
                return error(401, "login required")
            if role == "admin" and not user.is_admin or not user.can_curate:
                return error(403, f"the {role} role is required")
            return view(*args, **kwargs)
        return wrapped
    return decorator


# -- login / logout --------------------------------------------------------------------

def _device_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="dangan-device")


def _device_for(username: str) -> str | None:
    """The id of this browser's device cookie when it was issued for `username`."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        data = _device_serializer().loads(raw)
    except BadSignature:
        return None
    if isinstance(data, dict) and data.get("u") == username.lower() and isinstance(data.get("d"), str):
        return data["d"]
    return None


def _attempt_login(username: str, password: str):
    """(user, None) or (None, (status, message, retry_after))."""
    conn = get_db()
    if not username or not password or len(username) > 64:
        return None, (400, "username and password are required", None)
    keys = users_mod.throttle_keys(username, request.remote_addr, _device_for(username))
    wait = users_mod.begin_attempt(conn, keys)
    if wait > 0:
        return None, (429, "too many failed logins; try again later", int(wait) + 1)
    user = users_mod.authenticate(conn, username, password)
    if user is None:
        current_app.logger.info("failed login for %r from %s", username[:64], request.remote_addr)
        return None, (401, "wrong username or password", None)
    users_mod.attempt_succeeded(conn, keys)
    g.dangan_new_device = {"u": user.username.lower(), "d": _device_for(username) or secrets.token_urlsafe(16)}
    old = session.get("sid")
    if old:
        users_mod.end_session(conn, old)
    session.clear()  # new token and CSRF value: nothing carried over from before login
    session.permanent = True
    session["sid"] = users_mod.start_session(conn, user)
    session["csrf"] = secrets.token_urlsafe(32)
    g.dangan_user = user
    current_app.logger.info("login %s", user.username)
    return user, None


def _logout() -> None:
    token = session.get("sid")
    if token:
        users_mod.end_session(get_db(), token)
    session.clear()
    g.dangan_user = None


@bp.post("/api/login")
def api_login():
    if not request.is_json:
        return error(415, "send application/json")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return error(400, "expected a JSON object")
    username, password = data.get("username"), data.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        return error(400, "username and password must be strings")
    user, failure = _attempt_login(username.strip(), password)
    if failure:
        status, message, retry = failure
        response = error(status, message)
        if retry:
            response.headers["Retry-After"] = str(retry)
        return response
    return _with_device_cookie(jsonify(csrf_token=session["csrf"], user=user.to_json()))


def _with_device_cookie(response):
    """After a login: this browser is known to the account from now on (see throttling)."""
    device = g.get("dangan_new_device")
    if device:
        response.set_cookie(DEVICE_COOKIE, _device_serializer().dumps(device), max_age=DEVICE_MAX_AGE,
                            httponly=True, samesite="Lax", path="/",
                            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
    return response


@bp.post("/api/logout")
def api_logout():
    _logout()
    return jsonify(ok=True)


@bp.get("/api/me")
def api_me():
    """Who is logged in, and the CSRF token a script must send with writes."""
    user = current_user()
    return jsonify(user=user.to_json() if user else None, csrf_token=csrf_token())


def local_path(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: redirects and back links never
    lead to another site (browsers drop tabs/newlines and read "\\" as "/", so
    "/\t/evil" or "/\\evil" would)."""
    if not target or not target.startswith("/") or "\\" in target \
            or any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in target):
        return None
    parts = urlsplit(target)
    if target.startswith("//") or parts.scheme or parts.netloc:
        return None
    return target


def _safe_next(target: str | None) -> str:
    return local_path(target) or url_for("collections.list_page")


@bp.get("/login")
def login_page():
    if current_user():
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", next=request.args.get("next", ""), message=None)


@bp.post("/login")
def login_form():
    username = request.form.get("username", "").strip()
    user, failure = _attempt_login(username, request.form.get("password", ""))
    if failure:
        status, message, retry = failure
        messages = {400: "请输入用户名和密码。", 401: "用户名或密码错误。",
                    429: "登录失败次数过多，请稍后再试。"}
        response = current_app.make_response((render_template(
            "auth/login.html", next=request.form.get("next", ""), username=username,
            message=messages.get(status, message)), status))
        if retry:
            response.headers["Retry-After"] = str(retry)
        return response
    return _with_device_cookie(redirect(_safe_next(request.form.get("next")), code=303))


@bp.post("/logout")
def logout_form():
    _logout()
    return redirect(url_for("pages.search_page") if "pages" in current_app.blueprints
                    else url_for("auth.login_page"), code=303)


# -- user management (admins; the CLI does the same) ----------------------------------

def _user_action(username: str, action: str) -> users_mod.User:
    """Enable/disable; an admin cannot disable themselves (no lock-out by mistake)."""
    conn, me = get_db(), current_user()
    if action == "disable" and username == me.username:
        raise users_mod.UserError("you cannot disable your own account")
    user = users_mod.set_active(conn, username, action == "enable")
    users_mod.log_user_change(conn, me, action, username)
    return user


def _user_create(username, password, role) -> users_mod.User:
    if not all(isinstance(v, str) for v in (username, password, role)):
        raise users_mod.UserError("username, password and role must be strings")
    conn = get_db()
    user = users_mod.add_user(conn, username.strip(), password, role)
    users_mod.log_user_change(conn, current_user(), "add_user", user.username, role=role)
    return user


@bp.get("/api/users")
@require_role("admin")
def api_users():
    return jsonify(users=[u.to_json() for u in users_mod.list_users(get_db())])


@bp.post("/api/users")
@require_role("admin")
def api_add_user():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return error(400, "expected a JSON object")
    try:
        user = _user_create(data.get("username"), data.get("password"),
                            data.get("role", "librarian"))
    except users_mod.UserError as exc:
        return error(400, str(exc))
    return jsonify(user=user.to_json()), 201


@bp.patch("/api/users/<username>")
@require_role("admin")
def api_edit_user(username):
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("active"), bool):
        return error(400, 'expected {"active": true|false}')
    try:
        user = _user_action(username, "enable" if data["active"] else "disable")
    except users_mod.UserError as exc:
        return error(404 if "no user" in str(exc) else 400, str(exc))
    return jsonify(user=user.to_json())


@bp.get("/admin/users")
@require_role("admin")
def users_page():
    return render_template("auth/users.html", users=users_mod.list_users(get_db()),
                           roles=users_mod.ROLES)


@bp.post("/admin/users")
@require_role("admin")
def users_form():
    form = request.form
    try:
        if form.get("action") in ("enable", "disable"):
            _user_action(form.get("username", ""), form["action"])
        else:
            _user_create(form.get("username", ""), form.get("password", ""),
                         form.get("role", "librarian"))
    except users_mod.UserError as exc:
        return render_template("auth/users.html", users=users_mod.list_users(get_db()),
                               roles=users_mod.ROLES, message=str(exc)), 400
    return redirect(url_for("auth.users_page"), code=303)
