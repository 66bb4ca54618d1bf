"""The curation store (indexer.curation) on a real SQLite file: users, throttling,
collections, positions, status after reindexing, concurrency, export/import, backup."""
from __future__ import annotations

import io
import json
import sqlite3
import threading
import zipfile
from pathlib import Path

import pytest

from indexer import curation as cur
from indexer.curation import backup as backup_mod
from indexer.curation import db as db_mod
from indexer.curation import export as export_mod
from indexer.curation import users as users_mod


def report(n: int, **changes) -> dict:
    data = {"report_id": f"r{n:03d}", "title": f"第{n}篇 工作总结", "source": f"site/{n}.html",
            "content_hash": f"h{n}", "body": f"正文 {n}\n第二段"}
    data.update(changes)
    return data


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "index.db"


@pytest.fixture
def conn(db_path):
    c = cur.connect(db_path)
    yield c
    c.close()


@pytest.fixture
def alice(conn):
    return users_mod.add_user(conn, "alice", "correct horse", "librarian")


@pytest.fixture
def root(conn):
    return users_mod.add_user(conn, "root", "admin password", "admin")


# -- schema ----------------------------------------------------------------------------

def test_new_database_is_wal_and_current(conn):
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert cur.schema_version(conn) == cur.SCHEMA_VERSION >= 2


def test_migrates_an_old_schema_keeping_data(db_path):
    old = sqlite3.connect(db_path)
    for statement in db_mod._statements(db_mod.MIGRATIONS[0]):
        old.execute(statement)
    old.execute("PRAGMA user_version = 1")
    old.execute("INSERT INTO users (username, password_hash, role, created_at)"
                " VALUES ('old', 'x', 'librarian', 0)")
    old.commit()
    old.close()
    conn = cur.connect(db_path)
    assert cur.schema_version(conn) == cur.SCHEMA_VERSION
    assert users_mod.get_user_by_name(conn, "old") is not None
    assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0


def test_refuses_foreign_and_newer_databases(tmp_path):
    foreign = tmp_path / "other.db"
    c = sqlite3.connect(foreign)
    c.execute("CREATE TABLE t (x)")
    c.commit()
    c.close()
    with pytest.raises(cur.SchemaError):
        cur.connect(foreign)
    newer = tmp_path / "newer.db"
    c = sqlite3.connect(newer)
    c.execute(f"PRAGMA user_version = {cur.SCHEMA_VERSION + 1}")
    c.close()
    with pytest.raises(cur.SchemaError):
        cur.connect(newer)


def test_default_db_path_is_beside_the_index(tmp_path):
    assert cur.default_db_path(tmp_path / "index") == tmp_path / "index.db"
    assert cur.default_db_path(f"{tmp_path}/index/") == tmp_path / "index.db"


# -- users -----------------------------------------------------------------------------

def test_passwords_are_hashed_and_checked(conn, alice):
    stored = conn.execute("SELECT password_hash FROM users WHERE username='alice'").fetchone()[0]
    assert "correct horse" not in stored and stored.startswith("scrypt:")
    assert users_mod.authenticate(conn, "alice", "correct horse") == alice
    assert users_mod.authenticate(conn, "alice", "wrong horse") is None
    assert users_mod.authenticate(conn, "nobody", "correct horse") is None


def test_user_validation(conn, alice):
    with pytest.raises(users_mod.UserError):
        users_mod.add_user(conn, "alice", "another pw", "librarian")  # duplicate
    with pytest.raises(users_mod.UserError):
        users_mod.add_user(conn, "bob", "short", "librarian")
    with pytest.raises(users_mod.UserError):
        users_mod.add_user(conn, "bob", "long enough", "reader")
    with pytest.raises(users_mod.UserError):
        users_mod.add_user(conn, "bad name", "long enough", "librarian")


def test_disabled_user_cannot_log_in_and_loses_sessions(conn, alice):
    token = users_mod.start_session(conn, alice)
    assert users_mod.session_user(conn, token) == alice
    users_mod.set_active(conn, "alice", False)
    assert users_mod.session_user(conn, token) is None
    assert users_mod.authenticate(conn, "alice", "correct horse") is None


def test_sessions_expire_and_end(conn, alice):
    token = users_mod.start_session(conn, alice, at=1000.0)
    assert users_mod.session_user(conn, token, at=1001.0) == alice
    assert users_mod.session_user(conn, token, at=1000.0 + users_mod.SESSION_S + 1) is None
    token = users_mod.start_session(conn, alice)
    users_mod.end_session(conn, token)
    assert users_mod.session_user(conn, token) is None
    # Only a hash of the token is stored.
    assert not conn.execute("SELECT 1 FROM sessions WHERE id = ?", (token,)).fetchone()


def test_throttle_locks_after_repeated_failures(conn):
    keys = users_mod.throttle_keys("alice", "10.0.0.1")
    for n in range(users_mod.MAX_FAILURES - 1):
        users_mod.record_failure(conn, keys, at=100.0 + n)
    assert users_mod.locked_for(conn, keys, at=110.0) == 0
    users_mod.record_failure(conn, keys, at=110.0)
    assert users_mod.locked_for(conn, keys, at=111.0) > 0
    assert users_mod.locked_for(conn, keys, at=110.0 + users_mod.LOCK_S + 1) == 0
    # Failures spread beyond the window do not accumulate.
    other = users_mod.throttle_keys("bob", None)
    for n in range(users_mod.MAX_FAILURES):
        users_mod.record_failure(conn, other, at=n * (users_mod.WINDOW_S + 1))
    assert users_mod.locked_for(conn, other, at=users_mod.MAX_FAILURES * (users_mod.WINDOW_S + 1)) == 0


def test_session_secret_is_a_0600_file_not_a_database_row(db_path, tmp_path):
    conn = cur.connect(db_path)
    # An older database kept the secret in a row: it moves to the file (sessions survive).
    with conn:
        conn.execute("INSERT INTO settings (key, value) VALUES ('secret_key', ?)", ("k" * 64,))
    first = users_mod.session_secret(conn, db_path)
    secret_file = Path(str(db_path) + ".secret")
    assert first == "k" * 64 and secret_file.stat().st_mode & 0o777 == 0o600
    assert conn.execute("SELECT count(*) FROM settings WHERE key = 'secret_key'").fetchone()[0] == 0
    assert users_mod.session_secret(cur.connect(db_path), db_path) == first
    # A file readable by others is refused; the environment's key wins over any file.
    secret_file.chmod(0o644)
    with pytest.raises(users_mod.SecretError, match="chmod 600"):
        users_mod.session_secret(conn, db_path)
    assert users_mod.session_secret(conn, db_path, key="from-env" * 5) == "from-env" * 5
    own = tmp_path / "own.secret"
    own.write_text("s" * 40)
    own.chmod(0o600)
    assert users_mod.session_secret(conn, db_path, key_file=str(own)) == "s" * 40


# -- collections -----------------------------------------------------------------------

def ids(conn, collection_id) -> list[str]:
    return [i.report_id for i in cur.list_items(conn, collection_id)]


def test_collection_lifecycle_and_visibility(conn, alice, root):
    c = cur.create_collection(conn, alice, "  乡镇总结 ", "说明", "private")
    assert c.name == "乡镇总结" and c.owner == "alice" and c.version == 1
    assert cur.list_collections(conn, None) == []  # private: hidden from readers
    assert [x.id for x in cur.list_collections(conn, alice)] == [c.id]
    with pytest.raises(cur.NotFound):
        cur.get_collection(conn, c.id, None)
    c = cur.update_collection(conn, alice, c.id, visibility="public", name="乡镇")
    assert [x.name for x in cur.list_collections(conn, None)] == ["乡镇"]
    with pytest.raises(cur.Conflict):
        cur.update_collection(conn, alice, c.id, name="stale", expected_version=1)
    cur.delete_collection(conn, alice, c.id)
    assert cur.list_collections(conn, alice) == [] and cur.list_collections(conn, None) == []
    assert [x.id for x in cur.list_collections(conn, root, deleted=True)] == [c.id]
    with pytest.raises(PermissionError):
        cur.restore_collection(conn, alice, c.id)
    cur.restore_collection(conn, root, c.id)
    assert [x.name for x in cur.list_collections(conn, None)] == ["乡镇"]
    actions = [e["action"] for e in cur.audit_log(conn, c.id)]
    assert actions == ["restore", "delete", "update", "create"]
    assert cur.audit_log(conn, c.id)[1]["user"] == "alice"


def test_readers_cannot_write(conn, alice):
    with pytest.raises(PermissionError):
        cur.create_collection(conn, None, "x")
    c = cur.create_collection(conn, alice, "x")
    with pytest.raises(PermissionError):
        cur.add_items(conn, None, c.id, [report(1)])


def test_bad_input_is_rejected(conn, alice):
    with pytest.raises(cur.CurationError):
        cur.create_collection(conn, alice, "   ")
    with pytest.raises(cur.CurationError):
        cur.create_collection(conn, alice, "x" * 201)
    with pytest.raises(cur.CurationError):
        cur.create_collection(conn, alice, "x", visibility="secret")
    c = cur.create_collection(conn, alice, "x")
    cur.add_items(conn, alice, c.id, [report(1)])
    with pytest.raises(cur.CurationError):
        cur.update_item(conn, alice, c.id, "r001", tags=["t"] * 0 + [str(i) for i in range(30)])
    with pytest.raises(cur.CurationError):
        cur.update_item(conn, alice, c.id, "r001", position="first")
    with pytest.raises(cur.NotFound):
        cur.update_item(conn, alice, c.id, "nope", note="x")


def test_add_remove_reorder_keep_positions_dense(conn, alice):
    c = cur.create_collection(conn, alice, "c")
    result = cur.add_items(conn, alice, c.id, [report(n) for n in range(1, 6)], note="初选")
    assert result == {"added": ["r001", "r002", "r003", "r004", "r005"], "already": [], "noted": []}
    assert cur.add_items(conn, alice, c.id, [report(2), report(6)]) == \
        {"added": ["r006"], "already": ["r002"], "noted": []}
    cur.update_item(conn, alice, c.id, "r005", position=0)
    assert ids(conn, c.id) == ["r005", "r001", "r002", "r003", "r004", "r006"]
    cur.update_item(conn, alice, c.id, "r005", position=99)  # clamped to the end
    assert ids(conn, c.id) == ["r001", "r002", "r003", "r004", "r006", "r005"]
    cur.update_item(conn, alice, c.id, "r002", position=3)
    assert ids(conn, c.id) == ["r001", "r003", "r004", "r002", "r006", "r005"]
    cur.remove_item(conn, alice, c.id, "r003")
    items = cur.list_items(conn, c.id)
    assert [i.report_id for i in items] == ["r001", "r004", "r002", "r006", "r005"]
    assert [i.position for i in items] == list(range(5))
    item = cur.update_item(conn, alice, c.id, "r001", note="重点", tags="党建, 乡镇、党建")
    assert (item.note, item.tags) == ("重点", ["党建", "乡镇"])
    assert items[0].note == "初选" and items[0].added_by == "alice"
    log = cur.audit_log(conn, c.id)
    assert log[0]["action"] == "edit_item" and log[0]["detail"]["tags"] == ["党建", "乡镇"]
    assert {"add", "remove", "edit_item", "create"} == {e["action"] for e in log}


def test_status_after_reindex_keeps_everything(conn, alice):
    c = cur.create_collection(conn, alice, "c")
    cur.add_items(conn, alice, c.id, [report(1), report(2), report(3)])
    # After a rebuild: r001 unchanged, r002 re-extracted with new text and title, r003 gone.
    index_now = {"r001": report(1), "r002": report(2, content_hash="h2-new", title="新标题")}
    items = cur.with_status(cur.list_items(conn, c.id), index_now.get)
    assert [(i.report_id, i.status) for i in items] == \
        [("r001", "ok"), ("r002", "changed"), ("r003", "missing")]
    assert items[2].display_title == "第3篇 工作总结" and items[2].source == "site/3.html"
    assert items[1].display_title == "新标题"
    assert cur.refresh_known(conn, items, c.id) == 1
    again = cur.with_status(cur.list_items(conn, c.id), index_now.get)
    assert again[1].title == "新标题" and again[1].status == "changed"  # still flagged
    cur.update_item(conn, alice, c.id, "r002", accept=index_now["r002"])
    again = cur.with_status(cur.list_items(conn, c.id), index_now.get)
    assert [i.status for i in again] == ["ok", "ok", "missing"]


def test_membership_respects_visibility(conn, alice):
    public = cur.create_collection(conn, alice, "pub", visibility="public")
    private = cur.create_collection(conn, alice, "priv")
    cur.add_items(conn, alice, public.id, [report(1), report(2)])
    cur.add_items(conn, alice, private.id, [report(2)])
    assert cur.membership(conn, None) == {str(public.id): {"r001", "r002"}}
    assert cur.membership(conn, alice) == {str(public.id): {"r001", "r002"},
                                           str(private.id): {"r002"}}
    assert [c.id for c in cur.collections_containing(conn, "r002", None)] == [public.id]


# -- concurrency -----------------------------------------------------------------------

def test_concurrent_editors_lose_no_update(db_path, conn, alice):
    """Two librarians, each on their own connection, add, move and annotate items of the
    same collection at the same time: every add lands, positions stay a permutation."""
    bob = users_mod.add_user(conn, "bob", "another password", "librarian")
    c = cur.create_collection(conn, alice, "shared")
    cur.add_items(conn, alice, c.id, [report(0)])
    per_user = 40
    errors = []

    def work(user, offset):
        local = cur.connect(db_path, migrate=False)
        try:
            for n in range(per_user):
                rid = offset + n
                cur.add_items(local, user, c.id, [report(rid)])
                cur.update_item(local, user, c.id, f"r{rid:03d}", position=0,
                                note=f"{user.username} {n}")
                cur.update_item(local, user, c.id, "r000", tags=[f"{user.username}{n}"])
        except Exception as exc:  # surfaced below; a thread's exception is otherwise lost
            errors.append(exc)
        finally:
            local.close()

    threads = [threading.Thread(target=work, args=(alice, 100)),
               threading.Thread(target=work, args=(bob, 200))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    items = cur.list_items(conn, c.id)
    assert len(items) == 1 + 2 * per_user
    assert sorted(i.position for i in items) == list(range(len(items)))
    assert {i.report_id for i in items} == {"r000"} | {f"r{100 + n:03d}" for n in range(per_user)} \
        | {f"r{200 + n:03d}" for n in range(per_user)}
    # Every change is in the log and bumped the version exactly once.
    log = cur.audit_log(conn, c.id, limit=5000)
    assert len(log) == 1 + 1 + 3 * 2 * per_user
    assert cur.get_collection(conn, c.id, alice).version == 1 + 1 + 3 * 2 * per_user


def test_optimistic_version_check_rejects_stale_edits(db_path, conn, alice):
    bob = users_mod.add_user(conn, "bob", "another password", "librarian")
    c = cur.create_collection(conn, alice, "shared")
    seen = c.version  # both editors loaded version 1
    cur.update_collection(conn, alice, c.id, description="alice's text", expected_version=seen)
    with pytest.raises(cur.Conflict) as info:
        cur.update_collection(cur.connect(db_path), bob, c.id, description="bob's text",
                              expected_version=seen)
    assert info.value.current_version == seen + 1
    assert cur.get_collection(conn, c.id, alice).description == "alice's text"


# -- export / import -------------------------------------------------------------------

def _items_with_reports(conn, cid, reports):
    lookup = {r["report_id"]: r for r in reports}.get
    return cur.with_status(cur.list_items(conn, cid), lookup)


def test_export_import_round_trip(conn, alice):
    reports = [report(n) for n in range(1, 5)]
    c = cur.create_collection(conn, alice, "源")
    cur.add_items(conn, alice, c.id, reports)
    cur.update_item(conn, alice, c.id, "r004", position=0, note="第一", tags=["a", "b"])
    items = _items_with_reports(conn, c.id, reports[:3])  # r004 now missing from "index"
    exports = {"csv": export_mod.to_csv(items),
               "jsonl": export_mod.to_jsonl(c, items),
               "zip": export_mod.to_zip(c, items),
               "list": "\n".join(i.report_id for i in items)}
    for fmt, data in exports.items():
        entries = export_mod.parse_import(data if isinstance(data, bytes) else data.encode())
        target = cur.create_collection(conn, alice, f"copy {fmt}")
        notes = {e["report_id"]: e for e in entries if "note" in e}
        cur.add_items(conn, alice, target.id, [report(int(e["report_id"][1:])) for e in entries],
                      notes=notes)
        copied = cur.list_items(conn, target.id)
        assert [i.report_id for i in copied] == ["r004", "r001", "r002", "r003"], fmt
        if fmt != "list":
            assert (copied[0].note, copied[0].tags) == ("第一", ["a", "b"]), fmt


def test_export_contents(conn, alice):
    reports = [report(1), report(2, title="标题，含逗号\"引号\"")]
    c = cur.create_collection(conn, alice, "c")
    cur.add_items(conn, alice, c.id, reports + [report(3)])
    items = _items_with_reports(conn, c.id, reports)
    text = export_mod.to_csv(items)
    assert text.startswith("\ufeffposition,report_id,title,source,status")
    assert '"标题，含逗号""引号"""' in text and ",missing," in text
    lines = [json.loads(x) for x in export_mod.to_jsonl(c, items).splitlines()]
    assert lines[0]["type"] == "collection" and lines[1]["body"] == "正文 1\n第二段"
    assert lines[3]["status"] == "missing" and lines[3]["body"] is None
    with zipfile.ZipFile(io.BytesIO(export_mod.to_zip(c, items))) as zf:
        manifest = json.loads(zf.read("manifest.json"))["items"]
        assert [m["report_id"] for m in manifest] == ["r001", "r002", "r003"]
        import hashlib
        for entry in manifest[:2]:
            data = zf.read(entry["file"])
            assert hashlib.sha256(data).hexdigest() == entry["sha256"]
            assert data.decode("utf-8").startswith(entry["title"])
        assert manifest[2]["file"] is None and manifest[2]["status"] == "missing"
        assert "manifest.csv" in zf.namelist()


def test_csv_cells_cannot_become_formulas(conn, alice):
    c = cur.create_collection(conn, alice, "c")
    cur.add_items(conn, alice, c.id, [report(1, title="=HYPERLINK(\"http://x\")")])
    cur.update_item(conn, alice, c.id, "r001", note="@SUM(A1)", tags=["-1", "ok"])
    items = _items_with_reports(conn, c.id, [report(1, title="=HYPERLINK(\"http://x\")")])
    text = export_mod.to_csv(items)
    assert "'=HYPERLINK" in text and "'@SUM(A1)" in text
    assert export_mod.parse_import(text.encode()) == \
        [{"report_id": "r001", "note": "@SUM(A1)", "tags": ["-1", "ok"]}]


def test_import_rejects_garbage():
    with pytest.raises(cur.CurationError):
        export_mod.parse_import(b"\xff\xfe\x00garbage")
    with pytest.raises(cur.CurationError):
        export_mod.parse_import(b"PK\x03\x04 not a zip")
    with pytest.raises(cur.CurationError):
        export_mod.parse_import(b"")
    with pytest.raises(cur.CurationError):
        export_mod.parse_import(b"x" * (export_mod.MAX_IMPORT_BYTES + 1))
    assert export_mod.parse_import(b'["a", "b", "a"]') == [{"report_id": "a"}, {"report_id": "b"}]


# -- backup / restore ------------------------------------------------------------------

def test_backup_and_restore(tmp_path, conn, alice):
    c = cur.create_collection(conn, alice, "keep me")
    cur.add_items(conn, alice, c.id, [report(1), report(2)])
    target = tmp_path / "backup.db"
    backup_mod.backup(conn, target)
    with pytest.raises(FileExistsError):
        backup_mod.backup(conn, target)
    # Later damage: an item removed, the collection renamed, a user added.
    cur.remove_item(conn, alice, c.id, "r001")
    cur.update_collection(conn, alice, c.id, name="renamed")
    users_mod.add_user(conn, "mallory", "whatever123", "admin")
    assert backup_mod.restore(conn, target) == cur.SCHEMA_VERSION
    assert ids(conn, c.id) == ["r001", "r002"]
    assert cur.get_collection(conn, c.id, alice).name == "keep me"
    assert users_mod.get_user_by_name(conn, "mallory") is None
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # Another connection (the running web app) sees the restored data too.
    assert ids(cur.connect(tmp_path / "index.db"), c.id) == ["r001", "r002"]


def test_restore_refuses_non_backups(tmp_path, conn):
    other = tmp_path / "other.db"
    c = sqlite3.connect(other)
    c.execute("CREATE TABLE t (x)")
    c.commit()
    c.close()
    with pytest.raises(cur.SchemaError):
        backup_mod.restore(conn, other)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(cur.SchemaError):
        backup_mod.restore(conn, junk)


def _open_at_once(path, start, out):
    from indexer.curation.db import connect

    start.wait()
    try:
        connect(path).close()
        out.put("ok")
    except Exception as exc:  # noqa: BLE001 - reported to the test
        out.put(f"{type(exc).__name__}: {exc}")


def test_processes_opening_a_new_database_at_once_all_succeed(tmp_path):
    """`dangan serve`'s workers all open (create, switch to WAL, migrate) the database at
    start: none may fail with "database is locked" (SQLite refuses a journal-mode switch
    without waiting while another connection holds the file)."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    results = []
    for round_ in range(30):
        start, out = ctx.Event(), ctx.Queue()
        procs = [ctx.Process(target=_open_at_once, args=(str(tmp_path / f"c{round_}.db"), start, out))
                 for _ in range(6)]
        for p in procs:
            p.start()
        start.set()
        results += [out.get(timeout=60) for _ in procs]
        for p in procs:
            p.join()
    assert [r for r in results if r != "ok"] == []
