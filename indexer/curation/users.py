"""Staff accounts (librarian, admin) and login throttling.

Readers are anonymous and have no row. Passwords are stored only as werkzeug hashes
(scrypt) and never logged or echoed.
"""
from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
from dataclasses import dataclass

from werkzeug.security import check_password_hash, generate_password_hash

from .db import get_or_create_setting, now, write

ROLES = ("librarian", "admin")
USERNAME_RE = re.compile(r"^[\w.@-]{1,64}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # hashing cost grows with length: bound it

# Throttling: after MAX_FAILURES failed logins within WINDOW_S, the account (and the
# client address) is locked for LOCK_S; any success clears the account's counter.
MAX_FAILURES = 5
WINDOW_S = 15 * 60
LOCK_S = 15 * 60

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

def throttle_keys(username: str, address: str | None) -> list[str]:
    keys = [f"user:{username.lower()[:64]}"]
    if address:
        keys.append(f"ip:{address}")
    return keys


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


def record_failure(conn: sqlite3.Connection, keys: list[str], at: float | None = None) -> None:
    at = now() if at is None else at
    # The address key tolerates more failures: several staff may share one NAT address.
    limits = {"user": MAX_FAILURES, "ip": MAX_FAILURES * 4}
    with write(conn):
        for key in keys:
            row = conn.execute("SELECT count, first_at FROM login_failures WHERE key = ?",
                               (key,)).fetchone()
            count, first = (row[0], row[1]) if row and at - row[1] < WINDOW_S else (0, at)
            count += 1
            locked = at + LOCK_S if count >= limits[key.split(":", 1)[0]] else None
            conn.execute(
                "INSERT INTO login_failures (key, count, first_at, locked_until) VALUES (?,?,?,?)"
                " ON CONFLICT(key) DO UPDATE SET count=excluded.count,"
                " first_at=excluded.first_at, locked_until=excluded.locked_until",
                (key, count, first, locked))


def clear_failures(conn: sqlite3.Connection, username: str) -> None:
    with write(conn):
        conn.execute("DELETE FROM login_failures WHERE key = ?", (throttle_keys(username, None)[0],))


def secret_key(conn: sqlite3.Connection) -> str:
    """The Flask SECRET_KEY, generated once and kept in the database so sessions survive
    restarts (and backups carry it)."""
    return get_or_create_setting(conn, "secret_key", lambda: secrets.token_hex(32))


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
