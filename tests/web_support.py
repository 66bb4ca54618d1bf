"""Helpers for web tests with staff accounts: an app over the test archive's index with
a fresh curation database (librarian alice, admin root), and a logged-in client."""
from __future__ import annotations

from pathlib import Path

from indexer import curation as cur
from indexer.curation import users as users_mod
from web import create_app

STAFF = {"alice": "librarian", "bob": "librarian", "root": "admin"}


def staff_app(index: Path, db: Path, **config):
    conn = cur.connect(db)
    for name, role in STAFF.items():
        users_mod.add_user(conn, name, f"{name} password", role)
    conn.close()
    return create_app({"TESTING": True, "DANGAN_INDEX": str(index), "DANGAN_DB": str(db), **config})


class Librarian:
    """A logged-in test client that sends its CSRF token with every write."""

    def __init__(self, app, name):
        self.client = app.test_client()
        response = self.client.post("/api/login", json={"username": name,
                                                         "password": f"{name} password"})
        assert response.status_code == 200, response.data
        self.token = response.get_json()["csrf_token"]
        self.headers = {"X-CSRF-Token": self.token}

    def __getattr__(self, method):  # get/post/patch/delete with the token
        def call(url, **kwargs):
            kwargs.setdefault("headers", {}).update(self.headers)
            return getattr(self.client, method)(url, **kwargs)
        return call

    def new(self, name="测试收藏集", **extra) -> str:
        response = self.post("/api/collections", json={"name": name, **extra})
        assert response.status_code == 201
        return response.get_json()["collection"]["id"]

    def items(self, cid) -> list[dict]:
        return self.get(f"/api/collections/{cid}").get_json()["items"]
