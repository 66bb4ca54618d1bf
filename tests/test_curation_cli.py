"""`dangan users …` and `dangan collections backup|restore|list` through the real CLI."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from indexer import cli as cli_mod
from indexer import curation as cur
from indexer.curation import users as users_mod


@pytest.fixture
def run(tmp_path):
    cli_mod._register()
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(cli_mod.cli, [*args], input=input, catch_exceptions=False,
                             env={"DANGAN_DB": str(tmp_path / "index.db"), "DANGAN_INDEX": None})
    return invoke


def test_users_add_list_disable(run, tmp_path):
    result = run("users", "add", "alice", "--role", "admin", "--password-stdin",
                 input="s3cret pass phrase\n")
    assert result.exit_code == 0 and "added alice (admin)" in result.output
    assert "s3cret" not in result.output
    # Prompted twice (with confirmation) when not from stdin.
    result = run("users", "add", "bob", input="bob password\nbob password\n")
    assert result.exit_code == 0, result.output
    listed = run("users", "list").output.splitlines()
    assert [line.split("\t")[:3] for line in listed] == \
        [["alice", "admin", "active"], ["bob", "librarian", "active"]]
    assert run("users", "disable", "bob").exit_code == 0
    assert run("users", "list").output.splitlines()[1].split("\t")[2] == "disabled"
    conn = cur.connect(tmp_path / "index.db")
    assert users_mod.authenticate(conn, "alice", "s3cret pass phrase") is not None
    assert users_mod.authenticate(conn, "bob", "bob password") is None  # disabled
    assert [(e["user"], e["action"], e["detail"]["user"]) for e in users_mod.user_log(conn)] == \
        [("(cli)", "disable", "bob"), ("(cli)", "add_user", "bob"), ("(cli)", "add_user", "alice")]


@pytest.mark.parametrize("args, stdin, message", [
    (("users", "add", "x", "--password-stdin"), "short\n", "password must be"),
    (("users", "add", "x", "--role", "reader", "--password-stdin"), "long enough\n", "Invalid value"),
    (("users", "disable", "ghost"), None, "no user"),
])
def test_users_errors(run, args, stdin, message):
    result = run(*args, input=stdin)
    assert result.exit_code != 0 and message in result.output


def test_db_defaults_to_beside_the_index(tmp_path):
    cli_mod._register()
    result = CliRunner().invoke(cli_mod.cli, ["users", "add", "a", "--password-stdin",
                                              "--index", str(tmp_path / "idx")],
                                input="long enough\n", env={"DANGAN_DB": None})
    assert result.exit_code == 0, result.output
    assert (tmp_path / "idx.db").is_file()


def test_backup_restore_cli(run, tmp_path):
    run("users", "add", "alice", "--password-stdin", input="alice password\n")
    conn = cur.connect(tmp_path / "index.db")
    alice = users_mod.get_user_by_name(conn, "alice")
    c = cur.create_collection(conn, alice, "乡镇党建")
    cur.add_items(conn, alice, c.id, [{"report_id": "r1", "title": "t", "source": "s",
                                       "content_hash": "h"}])
    backup = tmp_path / "backups" / "b.db"
    assert run("collections", "backup", str(backup)).exit_code == 0
    assert run("collections", "backup", str(backup)).exit_code != 0  # never overwrites
    cur.remove_item(conn, alice, c.id, "r1")
    cur.delete_collection(conn, alice, c.id)
    assert run("collections", "list").output == ""
    assert run("collections", "restore", str(backup), input="n\n").exit_code != 0  # declined
    result = run("collections", "restore", str(backup), "--yes")
    assert result.exit_code == 0, result.output
    assert run("collections", "list").output.split("\t") == [str(c.id), "1", "private", "乡镇党建\n"]
    not_backup = tmp_path / "x.db"
    not_backup.write_bytes(b"hello")
    result = run("collections", "restore", str(not_backup), "--yes")
    assert result.exit_code != 0 and "not a SQLite database" in result.output
