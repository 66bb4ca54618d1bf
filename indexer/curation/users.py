"""Staff accounts (librarian, admin) and login throttling.

Readers are anonymous and have no row. Passwords are stored only as werkzeug hashes
(scrypt) and never logged or echoed.
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from ..settings import SETTINGS
from .db import now, write

ROLES = ("librarian", "admin")
USERNAME_RE = re.compile(r"^[\w.@-]{1,64}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # hashing cost grows with length: bound it

# Throttling (the numbers are settings: DANGAN_LOGIN_MAX_FAILURES …): see `begin_attempt`.
MAX_FAILURES = SETTINGS.serve.login_max_failures
ADDRESS_FAILURES = SETTINGS.serve.login_address_failures
WINDOW_S = SETTINGS.serve.login_window_s
LOCK_S = SETTINGS.serve.login_lock_s

# A hash that check_password_hash can verify against, so unknown users cost as much
# time as known ones (no user enumeration by timing).
_DUMMY_HASH = generate_password_hash(secrets.token_urlsafe(16))


class UserError(ValueError):
    """Bad input for an account operation (message safe to show)."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    active: bool
    created_at: float

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def can_curate(self) -> bool:  # admins can do everything librarians can
        return self.active and self.role in ROLES

    def to_json(self) -> dict:
        return {"id": self.id, "username": self.username, "role": self.role,
                "active": self.active}


def _user(row: sqlite3.Row | None) -> User | None:
    if row is None:
        return None
    return User(row["id"], row["username"], row["role"], bool(row["active"]), row["created_at"])


def validate_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise UserError(f"password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters")


def add_user(conn: sqlite3.Connection, username: str, password: str, role: str) -> User:
    if not USERNAME_RE.match(username):
        raise UserError("username: 1-64 letters, digits, or . _ @ -")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    validate_password(password)
    hashed = generate_password_hash(password, method="scrypt")
    with write(conn):
        if conn.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
            raise UserError(f"user {username!r} already exists")
        cur = conn.execute(
            "INSERT INTO users (username, password_hash, role, created_at) VALUES (?, ?, ?, ?)",
            (username, hashed, role, now()))
    return get_user(conn, cur.lastrowid)


def set_password(conn: sqlite3.Connection, username: str, password: str) -> None:
    validate_password(password)
    hashed = generate_password_hash(password, method="scrypt")
    with write(conn):
        cur = conn.execute("UPDATE users SET password_hash = ? WHERE username = ?",
                           (hashed, username))
        if cur.rowcount == 0:
            raise UserError(f"no user {username!r}")


def set_active(conn: sqlite3.Connection, username: str, active: bool) -> User:
    with write(conn):
        cur = conn.execute(
            "UPDATE users SET active = ?, disabled_at = ? WHERE username = ?",
            (int(active), None if active else now(), username))
        if cur.rowcount == 0:
            raise UserError(f"no user {username!r}")
        if not active:  # end their sessions now, not when the cookie expires
            conn.execute("DELETE FROM sessions WHERE user_id ="
                         " (SELECT id FROM users WHERE username = ?)", (username,))
    return get_user_by_name(conn, username)


def get_user(conn: sqlite3.Connection, user_id: int) -> User | None:
    return _user(conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone())


def get_user_by_name(conn: sqlite3.Connection, username: str) -> User | None:
    return _user(conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone())


def list_users(conn: sqlite3.Connection) -> list[User]:
    return [_user(r) for r in conn.execute("SELECT * FROM users ORDER BY username")]


def authenticate(conn: sqlite3.Connection, username: str, password: str) -> User | None:
    """The active user with this name and password, else None (same cost either way)."""
    row = conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
    if len(password) > MAX_PASSWORD:
        return None
    ok = check_password_hash(row["password_hash"] if row else _DUMMY_HASH, password)
    user = _user(row)
    return user if ok and user and user.active else None


# -- throttling ------------------------------------------------------------------------
#
# Counters are kept per key, each with its own limit:
#   user:<name>    attempts on an account from clients it does not know   MAX_FAILURES
#   ip:<address>   attempts from one address on accounts it does not know ADDRESS_FAILURES
#   device:<id>    attempts from a browser that logged in to the account  MAX_FAILURES
# A browser that logged in before carries a signed device cookie for that account
# (OWASP's "device cookies"): its attempts count only against its own device key, so
# someone guessing passwords behind the same proxy locks neither the account for its
# owner nor the shared address for the staff behind it.
#
# An attempt is counted *before* the password is checked, in one write transaction with
# the lock check (`begin_attempt`), so simultaneous wrong passwords get exactly the limit
# of checks, never more; a success gives the attempt back (`attempt_succeeded`).


def throttle_keys(username: str, address: str | None, device: str | None = None) -> list[str]:
    if device:
        return [f"device:{device}"]
    keys = [f"user:{username.lower()[:64]}"]
    if address:
        keys.append(f"ip:{address}")
    return keys


def _limit(key: str) -> int:
    return ADDRESS_FAILURES if key.startswith("ip:") else MAX_FAILURES


def locked_for(conn: sqlite3.Connection, keys: list[str], at: float | None = None) -> float:
    """Seconds until the most restrictive of these keys unlocks (0 when not locked)."""
    at = now() if at is None else at
    wait = 0.0
    for key in keys:
        row = conn.execute("SELECT locked_until FROM login_failures WHERE key = ?",
                           (key,)).fetchone()
        if row and row[0] and row[0] > at:
            wait = max(wait, row[0] - at)
    return wait


def _count(conn: sqlite3.Connection, keys: list[str], at: float, delta: int) -> None:
    for key in keys:
        row = conn.execute("SELECT count, first_at FROM login_failures WHERE key = ?",
                           (key,)).fetchone()
        count, first = (row[0], row[1]) if row and at - row[1] < WINDOW_S else (0, at)
        count = max(0, count + delta)
        locked = at + LOCK_S if count >= _limit(key) else None
        conn.execute(
            "INSERT INTO login_failures (key, count, first_at, locked_until) VALUES (?,?,?,?)"
            " ON CONFLICT(key) DO UPDATE SET count=excluded.count,"
            " first_at=excluded.first_at, locked_until=excluded.locked_until",
            (key, count, first, locked))


def begin_attempt(conn: sqlite3.Connection, keys: list[str], at: float | None = None) -> float:
    """Atomically: the seconds to wait when any key is locked (nothing counted), else 0
    with the attempt counted against every key (as a failure until it succeeds)."""
    at = now() if at is None else at
    with write(conn):
        wait = locked_for(conn, keys, at)
        if wait > 0:
            return wait
        _count(conn, keys, at, +1)
    return 0.0


def attempt_succeeded(conn: sqlite3.Connection, keys: list[str], at: float | None = None) -> None:
    """The attempt begun with `keys` was a success: the account's (or device's) counter
    is cleared, the address gets its attempt back."""
    at = now() if at is None else at
    with write(conn):
        for key in keys:
            if key.startswith("ip:"):
                _count(conn, [key], at, -1)
            else:
                conn.execute("DELETE FROM login_failures WHERE key = ?", (key,))


def record_failure(conn: sqlite3.Connection, keys: list[str], at: float | None = None) -> None:
    """Count one failure against `keys` (what `begin_attempt` does for an attempt)."""
    with write(conn):
        _count(conn, keys, now() if at is None else at, +1)


class SecretError(RuntimeError):
    """The session secret cannot be read safely (message says how to fix it)."""


def _read_secret_file(path: Path) -> str:
    mode = path.stat().st_mode
    if mode & 0o077:
        raise SecretError(f"{path} is readable by others (mode {oct(mode & 0o777)}): chmod 600 {path}")
    secret = path.read_text(encoding="utf-8").strip()
    if len(secret) < 32:
        raise SecretError(f"{path}: the session secret must be at least 32 characters")
    return secret


def session_secret(conn: sqlite3.Connection, db_path: str | Path,
                   key: str = "", key_file: str = "") -> str:
    """The key that signs session cookies, never kept in the database:

    `key` (DANGAN_SECRET_KEY), else the file `key_file` (DANGAN_SECRET_KEY_FILE), else
    ``<database>.secret`` beside the database, created once with mode 0600. A secret file
    readable by group or others is refused. A secret that older versions kept in the
    database is moved to the file (sessions stay valid) and removed from the database."""
    if key:
        return key
    if key_file:
        return _read_secret_file(Path(key_file))
    path = Path(str(db_path) + ".secret")
    if not path.exists():
        legacy = conn.execute("SELECT value FROM settings WHERE key = 'secret_key'").fetchone()
        secret = legacy[0] if legacy else secrets.token_hex(32)
        # Written whole under a temporary name, then linked into place: a reader never
        # sees a half-written secret, and of two processes starting at once one wins.
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(secret + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
        finally:
            tmp.unlink(missing_ok=True)
    secret = _read_secret_file(path)
    with write(conn):
        conn.execute("DELETE FROM settings WHERE key = 'secret_key'")
    return secret


# -- login sessions --------------------------------------------------------------------

SESSION_S = 12 * 3600


def _token_id(token: str) -> str:
    # Only a hash is stored: a leaked database (or backup) holds no usable session.
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(conn: sqlite3.Connection, user: User, at: float | None = None) -> str:
    """A new session token for `user` (goes in the signed cookie)."""
    at = now() if at is None else at
    token = secrets.token_urlsafe(32)
    with write(conn):
        conn.execute("DELETE FROM sessions WHERE expires_at < ?", (at,))
        conn.execute("INSERT INTO sessions (id, user_id, created_at, expires_at)"
                     " VALUES (?, ?, ?, ?)", (_token_id(token), user.id, at, at + SESSION_S))
    return token


def session_user(conn: sqlite3.Connection, token: str, at: float | None = None) -> User | None:
    """The active user of a live session, else None."""
    at = now() if at is None else at
    row = conn.execute(
        "SELECT u.* FROM sessions s JOIN users u ON u.id = s.user_id"
        " WHERE s.id = ? AND s.expires_at > ? AND u.active = 1",
        (_token_id(token), at)).fetchone()
    return _user(row)


def end_session(conn: sqlite3.Connection, token: str) -> None:
    with write(conn):
        conn.execute("DELETE FROM sessions WHERE id = ?", (_token_id(token),))


def log_user_change(conn: sqlite3.Connection, by: User | None, action: str, username: str,
                    **detail) -> None:
    """Account changes go to the audit log too (collection_id NULL)."""
    import json

    with write(conn):
        conn.execute(
            "INSERT INTO audit (collection_id, user_id, username, at, action, detail)"
            " VALUES (NULL, ?, ?, ?, ?, ?)",
            (by.id if by else None, by.username if by else "(cli)", now(), action,
             json.dumps({"user": username, **detail}, ensure_ascii=False)))


def user_log(conn: sqlite3.Connection, limit: int = 200) -> list[dict]:
    import json

    rows = conn.execute("SELECT * FROM audit WHERE collection_id IS NULL ORDER BY id DESC"
                        " LIMIT ?", (limit,))
    return [{"at": r["at"], "user": r["username"], "action": r["action"],
             "detail": json.loads(r["detail"])} for r in rows]
