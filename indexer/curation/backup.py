"""Online backup and restore of the curation database (SQLite's backup API: a consistent
copy even while the web app is writing)."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from .db import SCHEMA_VERSION, SchemaError, apply_migrations, connect, schema_version, write


def backup(conn: sqlite3.Connection, target: str | Path) -> Path:
    """Copy the live database to `target` (a new self-contained file, no WAL sidecars)."""
    target = Path(target)
    if target.exists():
        raise FileExistsError(f"{target} exists; choose a new file")
    target.parent.mkdir(parents=True, exist_ok=True)
    dest = sqlite3.connect(str(target))
    try:
        conn.backup(dest)
        dest.execute("PRAGMA journal_mode = DELETE")  # one file, easy to move around
    finally:
        dest.close()
    return target


def check_backup(path: str | Path) -> int:
    """The schema version of a backup file; SchemaError if it is not one of ours."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(path)
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        version = schema_version(src)
        tables = {r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        ok = src.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise SchemaError(f"{path} is not a SQLite database: {exc}") from None
    finally:
        src.close()
    if ok != "ok":
        raise SchemaError(f"{path} is damaged: {ok}")
    if not 1 <= version <= SCHEMA_VERSION or not {"users", "collections", "items"} <= tables:
        raise SchemaError(f"{path} is not a Dang'an curation backup (schema {version})")
    return version


def restore(conn: sqlite3.Connection, source: str | Path) -> int:
    """Replace the live database's content with the backup's, then migrate it to the
    current schema. Returns the backup's schema version."""
    version = check_backup(source)
    src = sqlite3.connect(f"file:{Path(source)}?mode=ro", uri=True)
    try:
        src.backup(conn)  # page-level copy into the live database, under its lock
    finally:
        src.close()
    conn.execute("PRAGMA journal_mode = WAL")
    apply_migrations(conn)
    return version


__all__ = ["backup", "restore", "check_backup", "connect", "write"]
