"""Login throttling under concurrency, per account and per address separately."""
from __future__ import annotations

import threading

import pytest

from e2e_fixtures import pages_index  # noqa: F401  (fixture)
from indexer.curation import users as users_mod
from web_support import staff_app


@pytest.fixture
def app(pages_index, tmp_path):
    return staff_app(pages_index, tmp_path / "c.db")


def login(client, username, password, address="10.0.0.1"):
    return client.post("/api/login", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_simultaneous_wrong_passwords_get_exactly_the_limit(app):
    """30 wrong passwords at once: exactly MAX_FAILURES are checked (401), the rest 429."""
    statuses: list[int] = []
    barrier = threading.Barrier(30)

    def attempt(n):
        client = app.test_client()
        barrier.wait()
        statuses.append(login(client, "alice", f"wrong password {n}", f"10.0.{n}.1").status_code)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(statuses) == 30
    assert statuses.count(401) == users_mod.MAX_FAILURES, sorted(statuses)
    assert statuses.count(429) == 30 - users_mod.MAX_FAILURES
    # Locked: even the right password is refused now, with Retry-After.
    response = login(app.test_client(), "alice", "alice password", "10.9.9.9")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0


def test_address_lock_does_not_lock_out_staff_known_to_their_browser(app):
    admin = app.test_client()
    assert login(admin, "root", "root password").status_code == 200  # earlier visit: device cookie
    admin.post("/api/logout", headers={"X-CSRF-Token": admin.get("/api/me").get_json()["csrf_token"]},
               environ_base={"REMOTE_ADDR": "10.0.0.1"})
    # Someone behind the same proxy address tries many user names.
    guesser = app.test_client()
    codes = [login(guesser, f"user{n}", "guess password").status_code
             for n in range(users_mod.ADDRESS_FAILURES + 3)]
    assert codes[:users_mod.ADDRESS_FAILURES] == [401] * users_mod.ADDRESS_FAILURES
    assert set(codes[users_mod.ADDRESS_FAILURES:]) == {429}  # the address is locked for them
    # A browser that never logged in here is locked with the address …
    assert login(app.test_client(), "bob", "bob password").status_code == 429
    # … but the admin's browser (device cookie for root) still logs in, from the same address.
    assert login(admin, "root", "root password").status_code == 200


def test_account_lock_spares_the_owners_known_browser(app):
    owner = app.test_client()
    assert login(owner, "alice", "alice password").status_code == 200
    attacker = app.test_client()
    for n in range(users_mod.MAX_FAILURES):
        assert login(attacker, "alice", f"wrong {n}", f"10.1.{n}.1").status_code == 401
    assert login(attacker, "alice", "alice password", "10.2.0.1").status_code == 429
    assert login(owner, "alice", "alice password").status_code == 200
    # The device key has its own limit: a stolen device cookie cannot guess forever.
    for n in range(users_mod.MAX_FAILURES):
        assert login(owner, "alice", f"wrong {n}").status_code == 401
    assert login(owner, "alice", "alice password").status_code == 429


def test_store_counts_before_checking(tmp_path):
    """The store primitive: begin_attempt counts and locks atomically; success gives back."""
    from indexer import curation as cur

    conn = cur.connect(tmp_path / "t.db")
    keys = users_mod.throttle_keys("alice", "10.0.0.1")
    for n in range(users_mod.MAX_FAILURES):
        assert users_mod.begin_attempt(conn, keys, at=100.0 + n) == 0
    assert users_mod.begin_attempt(conn, keys, at=110.0) > 0
    assert users_mod.begin_attempt(conn, keys, at=110.0 + users_mod.LOCK_S + 1) == 0
    users_mod.attempt_succeeded(conn, keys, at=111.0 + users_mod.LOCK_S)
    assert users_mod.locked_for(conn, keys, at=112.0 + users_mod.LOCK_S) == 0
