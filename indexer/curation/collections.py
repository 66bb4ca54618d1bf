"""Collections of reports: the store operations behind both the JSON API and the HTML pages.

Every change runs in one write transaction that also bumps the collection's `version`
and appends to the audit log, so the log and the data cannot disagree and two editors
never overwrite each other (writes queue on SQLite's lock; `expected_version` lets a
client refuse to apply an edit made against a stale view).

Items reference the stable report_id and keep the title, source and content_hash seen
when added, so a report that vanishes from the index stays listed ("missing") and one
whose text changed is flagged ("changed"). Nothing here deletes an item except an
explicit remove.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

from .db import now, write
from .users import User

VISIBILITIES = ("public", "private")
MAX_NAME = 200
MAX_DESCRIPTION = 5000
MAX_NOTE = 5000
MAX_TAGS = 20
MAX_TAG = 50
MAX_ITEMS = 10_000  # per collection
MAX_IDS_PER_REQUEST = 1000
MAX_REPORT_ID = 200

STATUS_OK, STATUS_MISSING, STATUS_CHANGED = "ok", "missing", "changed"


class CurationError(ValueError):
    """Bad input; the message is safe to show. `details` carries e.g. unknown ids."""

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.details = details


class NotFound(LookupError):
    pass


class Conflict(Exception):
    """The collection changed since the client's version."""

    def __init__(self, current_version: int):
        super().__init__(f"collection changed (now version {current_version}); reload and retry")
        self.current_version = current_version


@dataclass
class Collection:
    id: int
    name: str
    description: str
    visibility: str
    owner: str | None
    created_at: float
    updated_at: float
    deleted_at: float | None
    version: int
    item_count: int = 0

    def to_json(self) -> dict:
        return {"id": str(self.id), "name": self.name, "description": self.description,
                "visibility": self.visibility, "owner": self.owner,
                "created_at": self.created_at, "updated_at": self.updated_at,
                "deleted": self.deleted_at is not None, "version": self.version,
                "item_count": self.item_count}


@dataclass
class Item:
    report_id: str
    position: int
    note: str
    tags: list[str]
    title: str | None  # last known
    source: str | None  # last known
    content_hash: str | None  # as added
    added_at: float
    added_by: str | None
    search_id: int | None
    status: str = STATUS_OK
    current: dict | None = field(default=None, repr=False)  # the report as indexed now

    @property
    def display_title(self) -> str:
        if self.current and self.current.get("title"):
            return self.current["title"]
        return self.title or self.report_id

    def to_json(self) -> dict:
        cur = self.current or {}
        return {"report_id": self.report_id, "position": self.position, "note": self.note,
                "tags": self.tags, "title": cur.get("title", self.title),
                "source": cur.get("source", self.source), "status": self.status,
                "last_known_title": self.title, "last_known_source": self.source,
                "content_hash_added": self.content_hash,
                "content_hash_now": cur.get("content_hash"),
                "added_at": self.added_at, "added_by": self.added_by,
                "search_id": self.search_id}


# -- visibility ------------------------------------------------------------------------

def can_view(collection: Collection, viewer: User | None) -> bool:
    """Readers see public collections; staff see every live one; admins also deleted ones."""
    if collection.deleted_at is not None:
        return bool(viewer and viewer.active and viewer.is_admin)
    return collection.visibility == "public" or bool(viewer and viewer.can_curate)


def _require_curator(user: User | None) -> User:
    if not (user and user.can_curate):
        raise PermissionError("a librarian login is needed")
    return user


# -- validation ------------------------------------------------------------------------

def _text(value, name: str, limit: int, *, required: bool = False) -> str:
    if not isinstance(value, str):
        raise CurationError(f"{name} must be a string")
    value = value.strip()
    if required and not value:
        raise CurationError(f"{name} must not be empty")
    if len(value) > limit:
        raise CurationError(f"{name} is longer than {limit} characters")
    return value


def clean_tags(tags) -> list[str]:
    if isinstance(tags, str):  # form input: comma / 、 / whitespace separated
        tags = [t for t in tags.replace("、", ",").replace("，", ",").split(",")]
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise CurationError("tags must be a list of strings")
    out: list[str] = []
    for tag in tags:
        tag = tag.strip()
        if tag and tag not in out:
            if len(tag) > MAX_TAG:
                raise CurationError(f"a tag is longer than {MAX_TAG} characters")
            out.append(tag)
    if len(out) > MAX_TAGS:
        raise CurationError(f"at most {MAX_TAGS} tags per item")
    return out


def clean_report_ids(ids) -> list[str]:
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise CurationError("report_ids must be a list of strings")
    out = list(dict.fromkeys(i.strip() for i in ids if i.strip()))
    if not out:
        raise CurationError("report_ids is empty")
    if len(out) > MAX_IDS_PER_REQUEST:
        raise CurationError(f"at most {MAX_IDS_PER_REQUEST} report ids per request")
    if any(len(i) > MAX_REPORT_ID for i in out):
        raise CurationError("a report id is too long")
    return out


# -- reading ---------------------------------------------------------------------------

_COLLECTION_SQL = """
    SELECT c.*, u.username AS owner_name,
           (SELECT count(*) FROM items i WHERE i.collection_id = c.id) AS item_count
    FROM collections c LEFT JOIN users u ON u.id = c.owner_id
"""


def _collection(row: sqlite3.Row) -> Collection:
    return Collection(row["id"], row["name"], row["description"], row["visibility"],
                      row["owner_name"], row["created_at"], row["updated_at"],
                      row["deleted_at"], row["version"], row["item_count"])


def get_collection(conn: sqlite3.Connection, collection_id, viewer: User | None = None,
                   *, check_view: bool = True) -> Collection:
    """The collection, or NotFound (also when the viewer may not see it: no leak)."""
    try:
        cid = int(collection_id)
    except (TypeError, ValueError, OverflowError):
        raise NotFound(collection_id) from None
    if not 1 <= cid < 2**63:  # SQLite's integer range: a longer id names nothing
        raise NotFound(collection_id)
    row = conn.execute(_COLLECTION_SQL + " WHERE c.id = ?", (cid,)).fetchone()
    if row is None:
        raise NotFound(collection_id)
    collection = _collection(row)
    if check_view and not can_view(collection, viewer):
        raise NotFound(collection_id)
    return collection


def list_collections(conn: sqlite3.Connection, viewer: User | None,
                     *, deleted: bool = False) -> list[Collection]:
    """Collections the viewer may see; `deleted=True` lists the soft-deleted ones instead."""
    where = "c.deleted_at IS NOT NULL" if deleted else "c.deleted_at IS NULL"
    rows = conn.execute(_COLLECTION_SQL + f" WHERE {where} ORDER BY c.name, c.id")
    return [c for c in map(_collection, rows) if can_view(c, viewer)]


def list_items(conn: sqlite3.Connection, collection_id: int) -> list[Item]:
    rows = conn.execute(
        "SELECT i.*, u.username AS added_by_name FROM items i"
        " LEFT JOIN users u ON u.id = i.added_by"
        " WHERE i.collection_id = ? ORDER BY i.position, i.added_at", (collection_id,))
    return [Item(r["report_id"], r["position"], r["note"], json.loads(r["tags"]),
                 r["title"], r["source"], r["content_hash"], r["added_at"],
                 r["added_by_name"], r["search_id"]) for r in rows]


def with_status(items: list[Item], lookup) -> list[Item]:
    """Attach each item's current report (lookup: report_id -> dict | None) and status."""
    for item in items:
        item.current = lookup(item.report_id)
        if item.current is None:
            item.status = STATUS_MISSING
        elif item.content_hash and item.current.get("content_hash") != item.content_hash:
            item.status = STATUS_CHANGED
        else:
            item.status = STATUS_OK
    return items


def audit_log(conn: sqlite3.Connection, collection_id: int, limit: int = 500) -> list[dict]:
    rows = conn.execute(
        "SELECT * FROM audit WHERE collection_id = ? ORDER BY id DESC LIMIT ?",
        (collection_id, max(1, min(limit, 5000))))
    return [{"id": r["id"], "at": r["at"], "user": r["username"], "action": r["action"],
             "detail": json.loads(r["detail"])} for r in rows]


def last_used_collection(conn: sqlite3.Connection, user: User | None) -> str | None:
    """Id of the live collection this user last added reports to (the add form's default)."""
    if user is None:
        return None
    row = conn.execute(
        "SELECT a.collection_id FROM audit a JOIN collections c ON c.id = a.collection_id"
        " WHERE a.user_id = ? AND a.action IN ('add', 'create', 'edit_item') AND c.deleted_at IS NULL"
        " ORDER BY a.id DESC LIMIT 1", (user.id,)).fetchone()
    return str(row[0]) if row else None


def membership(conn: sqlite3.Connection, viewer: User | None) -> dict[str, set[str]]:
    """collection id -> member report_ids, for the collections the viewer may see: the
    `collections` argument of indexer.search.search (filter and facet)."""
    visible = {str(c.id) for c in list_collections(conn, viewer)}
    out: dict[str, set[str]] = {cid: set() for cid in visible}
    for cid, report_id in conn.execute("SELECT collection_id, report_id FROM items"):
        if str(cid) in out:
            out[str(cid)].add(report_id)
    return out


def collections_containing(conn: sqlite3.Connection, report_id: str,
                           viewer: User | None) -> list[Collection]:
    ids = {r[0] for r in conn.execute("SELECT collection_id FROM items WHERE report_id = ?",
                                      (report_id,))}
    return [c for c in list_collections(conn, viewer) if c.id in ids]


# -- writing ---------------------------------------------------------------------------

def _audit(conn, collection_id: int, user: User | None, action: str, **detail) -> None:
    conn.execute(
        "INSERT INTO audit (collection_id, user_id, username, at, action, detail)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (collection_id, user.id if user else None, user.username if user else None, now(),
         action, json.dumps(detail, ensure_ascii=False)))


def _touch(conn, collection_id: int) -> None:
    conn.execute("UPDATE collections SET version = version + 1, updated_at = ? WHERE id = ?",
                 (now(), collection_id))


def _live(conn, collection_id, expected_version=None) -> Collection:
    """Inside a write transaction: the live collection, with the optional version check."""
    collection = get_collection(conn, collection_id, check_view=False)
    if collection.deleted_at is not None:
        raise NotFound(collection_id)
    if expected_version is not None and int(expected_version) != collection.version:
        raise Conflict(collection.version)
    return collection


def create_collection(conn: sqlite3.Connection, user: User, name: str,
                      description: str = "", visibility: str = "private") -> Collection:
    _require_curator(user)
    name = _text(name, "name", MAX_NAME, required=True)
    description = _text(description, "description", MAX_DESCRIPTION)
    if visibility not in VISIBILITIES:
        raise CurationError("visibility must be public or private")
    with write(conn):
        at = now()
        cur = conn.execute(
            "INSERT INTO collections (name, description, visibility, owner_id, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            (name, description, visibility, user.id, at, at))
        _audit(conn, cur.lastrowid, user, "create", name=name, visibility=visibility)
    return get_collection(conn, cur.lastrowid, check_view=False)


def update_collection(conn: sqlite3.Connection, user: User, collection_id, *,
                      name: str | None = None, description: str | None = None,
                      visibility: str | None = None,
                      expected_version: int | None = None) -> Collection:
    _require_curator(user)
    changes = {}
    if name is not None:
        changes["name"] = _text(name, "name", MAX_NAME, required=True)
    if description is not None:
        changes["description"] = _text(description, "description", MAX_DESCRIPTION)
    if visibility is not None:
        if visibility not in VISIBILITIES:
            raise CurationError("visibility must be public or private")
        changes["visibility"] = visibility
    with write(conn):
        collection = _live(conn, collection_id, expected_version)
        changes = {k: v for k, v in changes.items() if getattr(collection, k) != v}
        if changes:
            sets = ", ".join(f"{k} = ?" for k in changes)
            conn.execute(f"UPDATE collections SET {sets} WHERE id = ?",
                         (*changes.values(), collection.id))
            before = {k: getattr(collection, k) for k in changes}
            _audit(conn, collection.id, user, "update", before=before, after=changes)
            _touch(conn, collection.id)
    return get_collection(conn, collection.id, check_view=False)


def delete_collection(conn: sqlite3.Connection, user: User, collection_id,
                      expected_version: int | None = None) -> None:
    """Soft delete: hidden from everyone but admins, items and log kept."""
    _require_curator(user)
    with write(conn):
        collection = _live(conn, collection_id, expected_version)
        conn.execute("UPDATE collections SET deleted_at = ?, deleted_by = ? WHERE id = ?",
                     (now(), user.id, collection.id))
        _audit(conn, collection.id, user, "delete", name=collection.name)
        _touch(conn, collection.id)


def restore_collection(conn: sqlite3.Connection, user: User, collection_id) -> Collection:
    if not (user and user.active and user.is_admin):
        raise PermissionError("only an admin can restore a deleted collection")
    with write(conn):
        collection = get_collection(conn, collection_id, check_view=False)
        if collection.deleted_at is None:
            raise CurationError("collection is not deleted")
        conn.execute("UPDATE collections SET deleted_at = NULL, deleted_by = NULL WHERE id = ?",
                     (collection.id,))
        _audit(conn, collection.id, user, "restore", name=collection.name)
        _touch(conn, collection.id)
    return get_collection(conn, collection.id, check_view=False)


def record_search(conn: sqlite3.Connection, user: User, collection_id, request: dict,
                  total: int) -> int:
    """Remember the search behind a bulk add; returns its id (stored on each item)."""
    _require_curator(user)
    with write(conn):
        collection = _live(conn, collection_id)
        cur = conn.execute(
            "INSERT INTO searches (collection_id, request, total, added, user_id, created_at)"
            " VALUES (?, ?, ?, 0, ?, ?)",
            (collection.id, json.dumps(request, ensure_ascii=False), total, user.id, now()))
        # Logged on its own line so the log says which search a bulk add came from.
        _audit(conn, collection.id, user, "search", search_id=cur.lastrowid, request=request,
               total=total)
    return cur.lastrowid


def add_items(conn: sqlite3.Connection, user: User, collection_id, reports: list[dict], *,
              note: str = "", tags=None, notes: dict[str, dict] | None = None,
              search_id: int | None = None, expected_version: int | None = None) -> dict:
    """Append reports (dicts with report_id, title, source, content_hash) at the end.

    Reports already in the collection are left where they are and reported back in
    "already"; when a `note` is given, their note becomes it (reported in "noted": adding
    a report again with a note means that note). `notes` optionally maps report_id ->
    {"note", "tags"} (import).
    """
    _require_curator(user)
    note = _text(note, "note", MAX_NOTE)
    tags = clean_tags(tags or [])
    per_item = {rid: {"note": _text(v.get("note", ""), "note", MAX_NOTE),
                      "tags": clean_tags(v.get("tags", []))}
                for rid, v in (notes or {}).items()}
    added, already = [], []
    with write(conn):
        collection = _live(conn, collection_id, expected_version)
        present = {r[0] for r in conn.execute(
            "SELECT report_id FROM items WHERE collection_id = ?", (collection.id,))}
        fresh = [r for r in reports if r["report_id"] not in present]
        already = [r["report_id"] for r in reports if r["report_id"] in present]
        if len(present) + len(fresh) > MAX_ITEMS:
            raise CurationError(f"a collection holds at most {MAX_ITEMS} items")
        position = conn.execute("SELECT coalesce(max(position) + 1, 0) FROM items"
                                " WHERE collection_id = ?", (collection.id,)).fetchone()[0]
        at = now()
        for report in fresh:
            extra = per_item.get(report["report_id"], {})
            conn.execute(
                "INSERT INTO items (collection_id, report_id, position, note, tags, title,"
                " source, content_hash, added_at, added_by, search_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (collection.id, report["report_id"], position, extra.get("note") or note,
                 json.dumps(extra.get("tags") or tags, ensure_ascii=False),
                 report.get("title"), report.get("source"), report.get("content_hash"),
                 at, user.id, search_id))
            position += 1
            added.append(report["report_id"])
        noted = []
        if note:
            for rid in already:
                cur = conn.execute("UPDATE items SET note = ? WHERE collection_id = ? AND report_id = ?"
                                   " AND note != ?", (note, collection.id, rid, note))
                if cur.rowcount:
                    noted.append(rid)
                    _audit(conn, collection.id, user, "edit_item", report_id=rid, note=note)
        if search_id is not None:
            conn.execute("UPDATE searches SET added = ? WHERE id = ?", (len(added), search_id))
        if added:
            _audit(conn, collection.id, user, "add", report_ids=added, search_id=search_id)
        if added or noted:
            _touch(conn, collection.id)
    return {"added": added, "already": already, "noted": noted}


def _item_row(conn, collection_id: int, report_id: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM items WHERE collection_id = ? AND report_id = ?",
                       (collection_id, report_id)).fetchone()
    if row is None:
        raise NotFound(report_id)
    return row


def remove_item(conn: sqlite3.Connection, user: User, collection_id, report_id: str,
                expected_version: int | None = None) -> None:
    _require_curator(user)
    with write(conn):
        collection = _live(conn, collection_id, expected_version)
        row = _item_row(conn, collection.id, report_id)
        conn.execute("DELETE FROM items WHERE collection_id = ? AND report_id = ?",
                     (collection.id, report_id))
        # Close the gap so positions stay 0..n-1.
        conn.execute("UPDATE items SET position = position - 1"
                     " WHERE collection_id = ? AND position > ?", (collection.id, row["position"]))
        _audit(conn, collection.id, user, "remove", report_id=report_id, title=row["title"])
        _touch(conn, collection.id)


def update_item(conn: sqlite3.Connection, user: User, collection_id, report_id: str, *,
                note: str | None = None, tags=None, position: int | None = None,
                accept: dict | None = None, expected_version: int | None = None) -> Item:
    """Change an item's note, tags and/or position (moving it; others shift). `accept`,
    the report as indexed now, acknowledges a "changed" flag: its content_hash becomes
    the item's reference."""
    _require_curator(user)
    if note is not None:
        note = _text(note, "note", MAX_NOTE)
    if tags is not None:
        tags = clean_tags(tags)
    if position is not None and (isinstance(position, bool) or not isinstance(position, int)):
        raise CurationError("position must be an integer")
    with write(conn):
        collection = _live(conn, collection_id, expected_version)
        row = _item_row(conn, collection.id, report_id)
        detail = {"report_id": report_id}
        if note is not None and note != row["note"]:
            conn.execute("UPDATE items SET note = ? WHERE collection_id = ? AND report_id = ?",
                         (note, collection.id, report_id))
            detail["note"] = note
        if tags is not None and tags != json.loads(row["tags"]):
            conn.execute("UPDATE items SET tags = ? WHERE collection_id = ? AND report_id = ?",
                         (json.dumps(tags, ensure_ascii=False), collection.id, report_id))
            detail["tags"] = tags
        if accept is not None and accept.get("content_hash") != row["content_hash"]:
            conn.execute("UPDATE items SET content_hash = ?, title = ?, source = ?"
                         " WHERE collection_id = ? AND report_id = ?",
                         (accept.get("content_hash"), accept.get("title"), accept.get("source"),
                          collection.id, report_id))
            detail["accepted_change"] = {"from": row["content_hash"],
                                         "to": accept.get("content_hash")}
        if position is not None:
            count = conn.execute("SELECT count(*) FROM items WHERE collection_id = ?",
                                 (collection.id,)).fetchone()[0]
            old, new = row["position"], max(0, min(position, count - 1))
            if new != old:
                _move(conn, collection.id, report_id, old, new)
                detail.update(position_from=old, position_to=new)
        if len(detail) > 1:
            _audit(conn, collection.id, user, "edit_item", **detail)
            _touch(conn, collection.id)
    return next(i for i in list_items(conn, collection.id) if i.report_id == report_id)


def _move(conn, collection_id: int, report_id: str, old: int, new: int) -> None:
    if new < old:
        conn.execute("UPDATE items SET position = position + 1 WHERE collection_id = ?"
                     " AND position >= ? AND position < ?", (collection_id, new, old))
    else:
        conn.execute("UPDATE items SET position = position - 1 WHERE collection_id = ?"
                     " AND position > ? AND position <= ?", (collection_id, old, new))
    conn.execute("UPDATE items SET position = ? WHERE collection_id = ? AND report_id = ?",
                 (new, collection_id, report_id))


def refresh_known(conn: sqlite3.Connection, items: list[Item], collection_id: int) -> int:
    """Remember the current title and source of items still in the index, so that if they
    vanish later the page shows what they were last. Not a curation change: no audit, no
    version bump, and the added content_hash is kept (it is what "changed" compares to)."""
    stale = [(i.current.get("title"), i.current.get("source"), collection_id, i.report_id)
             for i in items if i.current is not None
             and (i.current.get("title"), i.current.get("source")) != (i.title, i.source)]
    if stale:
        with write(conn):
            conn.executemany("UPDATE items SET title = ?, source = ?"
                             " WHERE collection_id = ? AND report_id = ?", stale)
    return len(stale)
