"""Librarian curation: users, collections of reports, the audit log, export/import and
backup, in one embedded SQLite database (see db.py).

The database lives next to the index by default: `default_db_path(index)` is
`<index>.db` (index directory `data/index` -> `data/index.db`); DANGAN_DB overrides it.

For search: `membership(conn, viewer)` gives the `collections` mapping
(collection id -> set of report_ids) that `indexer.search.search` filters and facets on.
"""
from __future__ import annotations

from pathlib import Path

from .collections import (Collection, Conflict, CurationError, Item, NotFound,
                          add_items, audit_log, can_view, collections_containing,
                          create_collection, delete_collection, get_collection,
                          last_used_collection, list_collections, list_items, membership, refresh_known,
                          remove_item, restore_collection, update_collection, update_item,
                          with_status)
from .db import SCHEMA_VERSION, SchemaError, connect, schema_version
from .users import User, UserError


def default_db_path(index_path: str | Path) -> Path:
    """`<index>.db`: beside the index directory, so rebuilding the index (which may wipe
    its directory) never touches the librarians' work."""
    return Path(str(index_path).rstrip("/\\") + ".db")


__all__ = [
    "Collection", "Conflict", "CurationError", "Item", "NotFound", "SCHEMA_VERSION",
    "SchemaError", "User", "UserError", "add_items", "audit_log", "can_view",
    "collections_containing", "connect", "create_collection", "default_db_path",
    "delete_collection", "get_collection", "last_used_collection", "list_collections", "list_items", "membership",
    "refresh_known", "remove_item", "restore_collection", "schema_version",
    "update_collection", "update_item", "with_status",
]
