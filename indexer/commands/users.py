"""`dangan users …` (staff accounts) and `dangan collections …` (backup, restore, list,
check against the index). The database is --db / $DANGAN_DB, else <index>.db beside
--index / $DANGAN_INDEX (default: the search core's default index directory)."""
from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from ..curation import (SchemaError, UserError, connect, default_db_path, list_collections,
                        list_items, refresh_known, with_status)
from ..curation import backup as backup_mod
from ..curation import users as users_mod


def _db_options(f):
    f = click.option("--index", "index", envvar="DANGAN_INDEX", type=click.Path(),
                     help="Index directory; the database defaults to <index>.db.")(f)
    f = click.option("--db", "db", envvar="DANGAN_DB", type=click.Path(dir_okay=False),
                     help="Curation database (users, collections). [env DANGAN_DB]")(f)
    return f


def _db_path(db: str | None, index: str | None) -> Path:
    if db:
        return Path(db)
    if index:
        return default_db_path(index)
    try:  # the search core's default index location ($XDG_DATA_HOME/dangan/index)
        from ..search import default_index_dir
    except ImportError:
        raise click.UsageError("give --db or --index (or set DANGAN_DB / DANGAN_INDEX)") from None
    return default_db_path(default_index_dir())


def _open(db, index):
    try:
        return connect(_db_path(db, index))
    except SchemaError as exc:
        raise click.ClickException(str(exc)) from None


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M") if ts else "-"


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        # First line only, without its newline: `printf '%s\n' "$PW" | dangan users add …`.
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@click.group("users")
def users_group() -> None:
    """Staff accounts (librarian, admin). Readers need no account."""


@users_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(users_mod.ROLES), default="librarian", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin's first line.")
@_db_options
def users_add(name, role, password_stdin, db, index):
    """Create a user; the password is prompted for (never an argument: shell history)."""
    conn = _open(db, index)
    try:
        user = users_mod.add_user(conn, name, _read_password(password_stdin), role)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    users_mod.log_user_change(conn, None, "add_user", user.username, role=role)
    click.echo(f"added {user.username} ({user.role})")


@users_group.command("list")
@_db_options
def users_list(db, index):
    """List users: name, role, status, created."""
    conn = _open(db, index)
    for user in users_mod.list_users(conn):
        state = "active" if user.active else "disabled"
        click.echo(f"{user.username}\t{user.role}\t{state}\t{_when(user.created_at)}")


def _set_active(name: str, active: bool, db, index) -> None:
    conn = _open(db, index)
    try:
        users_mod.set_active(conn, name, active)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    action = "enable" if active else "disable"
    users_mod.log_user_change(conn, None, action, name)
    click.echo(f"{action}d {name}")


@users_group.command("disable")
@click.argument("name")
@_db_options
def users_disable(name, db, index):
    """Disable a user: their sessions stop working at the next request."""
    _set_active(name, False, db, index)


@users_group.command("enable")
@click.argument("name")
@_db_options
def users_enable(name, db, index):
    """Re-enable a disabled user."""
    _set_active(name, True, db, index)


@users_group.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True)
@_db_options
def users_passwd(name, password_stdin, db, index):
    """Set a user's password."""
    conn = _open(db, index)
    try:
        users_mod.set_password(conn, name, _read_password(password_stdin))
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    users_mod.log_user_change(conn, None, "set_password", name)
    click.echo(f"password set for {name}")


@click.group("collections")
def collections_group() -> None:
    """Librarians' collections: list, check against the index, backup, restore."""


@collections_group.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
@_db_options
def collections_backup(file, db, index):
    """Write a consistent copy of the database (users, collections, log) to FILE."""
    conn = _open(db, index)
    try:
        backup_mod.backup(conn, file)
    except FileExistsError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"backup written to {file}")


@collections_group.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@_db_options
def collections_restore(file, yes, db, index):
    """Replace the database's content with the backup FILE (checked first)."""
    path = _db_path(db, index)
    try:
        backup_mod.check_backup(file)
    except SchemaError as exc:
        raise click.ClickException(str(exc)) from None
    if not yes:
        click.confirm(f"replace everything in {path} with {file}?", abort=True)
    conn = _open(db, index)
    version = backup_mod.restore(conn, file)
    click.echo(f"restored {file} (schema {version}) into {path}")


@collections_group.command("list")
@click.option("--deleted", is_flag=True, help="List soft-deleted collections instead.")
@_db_options
def collections_list(deleted, db, index):
    """All collections: id, items, visibility, name."""
    conn = _open(db, index)
    admin = users_mod.User(0, "(cli)", "admin", True, 0)  # the CLI user sees everything
    for c in list_collections(conn, admin, deleted=deleted):
        click.echo(f"{c.id}\t{c.item_count}\t{c.visibility}\t{c.name}")


@collections_group.command("check")
@_db_options
def collections_check(db, index):
    """Compare every collection with the index: count items missing from it or changed,
    and remember current titles/sources. Exit status 1 when any item is missing."""
    from ..search import default_index_dir, get_report, open_index  # loaded only here

    index = index or str(default_index_dir())

    conn = _open(db, index)
    admin = users_mod.User(0, "(cli)", "admin", True, 0)
    missing_total = 0
    with open_index(index) as idx:
        for c in list_collections(conn, admin):
            items = with_status(list_items(conn, c.id), lambda rid: get_report(idx, rid))
            refresh_known(conn, items, c.id)
            counts = {s: sum(i.status == s for i in items) for s in ("ok", "changed", "missing")}
            missing_total += counts["missing"]
            click.echo(f"{c.id}\t{c.name}\tok={counts['ok']}\tchanged={counts['changed']}"
                       f"\tmissing={counts['missing']}")
            for i in items:
                if i.status != "ok":
                    click.echo(f"  {i.status}\t{i.report_id}\t{i.title or ''}\t{i.source or ''}")
    if missing_total:
        sys.exit(1)


def register(cli: click.Group) -> None:
    cli.add_command(users_group)
    cli.add_command(collections_group)
