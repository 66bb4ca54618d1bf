"""The curation database: one SQLite file holding users, collections, items and the audit log.

WAL mode lets readers (the web pages) run while one writer commits; every write runs in
`BEGIN IMMEDIATE` so concurrent writers queue instead of overwriting each other.
The schema version is SQLite's `user_version`; MIGRATIONS[i] upgrades version i to i+1.
"""
from __future__ import annotations

import contextlib
import sqlite3
import time
from pathlib import Path
from typing import Iterator

BUSY_TIMEOUT_S = 15.0

MIGRATIONS: tuple[str, ...] = (
    # 0 -> 1: the initial schema.
    """
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('librarian', 'admin')),
        active INTEGER NOT NULL DEFAULT 1,
        created_at REAL NOT NULL,
        disabled_at REAL
    );
    CREATE TABLE login_failures (
        key TEXT PRIMARY KEY,          -- 'user:<name>' or 'ip:<addr>'
        count INTEGER NOT NULL,
        first_at REAL NOT NULL,
        locked_until REAL
    );
    CREATE TABLE collections (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        visibility TEXT NOT NULL DEFAULT 'private' CHECK (visibility IN ('public', 'private')),
        owner_id INTEGER REFERENCES users(id),
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        deleted_at REAL,
        deleted_by INTEGER REFERENCES users(id),
        version INTEGER NOT NULL DEFAULT 1   -- bumped by every change: optimistic checks
    );
    CREATE TABLE searches (
        id INTEGER PRIMARY KEY,
        collection_id INTEGER NOT NULL REFERENCES collections(id),
        request TEXT NOT NULL,          -- the SearchRequest as JSON
        total INTEGER NOT NULL,         -- how many reports matched
        added INTEGER NOT NULL,         -- how many were added (capped)
        user_id INTEGER REFERENCES users(id),
        created_at REAL NOT NULL
    );
    CREATE TABLE items (
        collection_id INTEGER NOT NULL REFERENCES collections(id),
        report_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        tags TEXT NOT NULL DEFAULT '[]',  -- JSON list of strings
        -- what the report was when last seen, kept so a vanished report stays listed
        title TEXT,
        source TEXT,
        content_hash TEXT,              -- as added: a different current hash = changed
        added_at REAL NOT NULL,
        added_by INTEGER REFERENCES users(id),
        search_id INTEGER REFERENCES searches(id),
        PRIMARY KEY (collection_id, report_id)
    );
    CREATE INDEX items_by_position ON items (collection_id, position);
    CREATE INDEX items_by_report ON items (report_id);
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        collection_id INTEGER REFERENCES collections(id),
        user_id INTEGER REFERENCES users(id),
        username TEXT,
        at REAL NOT NULL,
        action TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '{}'  -- JSON
    );
    CREATE INDEX audit_by_collection ON audit (collection_id, id);
    """,
    # 1 -> 2: server-side login sessions, so logout and `users disable` end them at once
    # (a signed cookie alone cannot be revoked).
    """
    CREATE TABLE sessions (
        id TEXT PRIMARY KEY,            -- sha256 of the random token kept in the cookie
        user_id INTEGER NOT NULL REFERENCES users(id),
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL
    );
    CREATE INDEX sessions_by_user ON sessions (user_id);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class SchemaError(Exception):
    """The file is not a Dang'an curation database, or is newer than this code."""


def connect(path: str | Path, *, migrate: bool = True) -> sqlite3.Connection:
    """Open (creating if needed) the database, in WAL mode, migrated to SCHEMA_VERSION."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: we issue BEGIN ourselves, so a transaction's extent is explicit.
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None,
                           check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    mode = _to_wal(conn)
    if mode.lower() != "wal":
        raise SchemaError(f"cannot switch {path} to WAL mode (got {mode})")
    conn.execute("PRAGMA synchronous = NORMAL")  # safe in WAL mode, far fewer fsyncs
    if migrate:
        apply_migrations(conn)
    return conn


def _to_wal(conn: sqlite3.Connection) -> str:
    """Switch to WAL unless the file is already in it (the mode is stored in the file).
    Switching needs the database to itself, and SQLite answers "database is locked" at
    once, without its busy handler, while another connection creates or migrates it (the
    workers of `dangan serve` all open it at start): wait for them, up to the timeout."""
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while mode.lower() != "wal":
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)
        else:
            break
    return mode


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def apply_migrations(conn: sqlite3.Connection) -> int:
    """Bring the schema to SCHEMA_VERSION; returns the version found before."""
    with write(conn):
        found = schema_version(conn)
        if found > SCHEMA_VERSION:
            raise SchemaError(f"database schema {found} is newer than this code ({SCHEMA_VERSION})")
        if found == 0 and _has_foreign_tables(conn):
            raise SchemaError("not a Dang'an curation database")
        for version in range(found, SCHEMA_VERSION):
            for statement in _statements(MIGRATIONS[version]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version + 1}")
    return found


def _has_foreign_tables(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0] > 0


def _statements(script: str) -> Iterator[str]:
    # executescript() would COMMIT our transaction; run the statements one by one instead.
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line.split("--", 1)[0] if "--" in line else line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                yield buffer.strip()
            buffer = ""
    if buffer.strip():
        yield buffer.strip()


@contextlib.contextmanager
def write(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction taken up front (BEGIN IMMEDIATE), so that read-modify-write
    sequences inside it cannot interleave with another writer's."""
    if conn.in_transaction:  # nested: the outer transaction already holds the lock
        yield conn
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def now() -> float:
    return time.time()


def get_setting(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def get_or_create_setting(conn: sqlite3.Connection, key: str, make) -> str:
    with write(conn):
        value = get_setting(conn, key)
        if value is None:
            value = make()
            conn.execute("INSERT INTO settings (key, value) VALUES (?, ?)", (key, value))
    return value
