"""Login, sessions, CSRF, throttling and roles through the Flask test client."""
from __future__ import annotations

import logging
import re

import pytest

from indexer import curation as cur
from indexer.curation import users as users_mod
from web import create_app


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "index.db"
    conn = cur.connect(path)
    users_mod.add_user(conn, "alice", "alice password", "librarian")
    users_mod.add_user(conn, "bob", "bob password", "librarian")
    users_mod.add_user(conn, "root", "root password", "admin")
    conn.close()
    return path


@pytest.fixture
def app(db_path, tmp_path):
    return create_app({"TESTING": True, "DANGAN_DB": str(db_path),
                       "DANGAN_INDEX": str(tmp_path / "no-index")})


def login(client, username, password=None):
    response = client.post("/api/login", json={"username": username,
                                                "password": password or f"{username} password"})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["csrf_token"]


def test_login_returns_token_and_secure_cookie(app):
    client = app.test_client()
    response = client.post("/api/login", json={"username": "alice", "password": "alice password"})
    assert response.status_code == 200
    data = response.get_json()
    assert data["user"] == {"id": 1, "username": "alice", "role": "librarian", "active": True}
    assert len(data["csrf_token"]) >= 32
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "alice password" not in cookie
    assert client.get("/api/me").get_json()["user"]["username"] == "alice"


@pytest.mark.parametrize("body, status", [
    ({"username": "alice", "password": "wrong password"}, 401),
    ({"username": "nobody", "password": "alice password"}, 401),
    ({"username": "alice"}, 400),
    ({"username": 5, "password": "x"}, 400),
    (["alice", "alice password"], 400),
])
def test_bad_logins(app, body, status):
    response = app.test_client().post("/api/login", json=body)
    assert response.status_code == status
    assert "error" in response.get_json()


def test_json_login_must_be_json(app):
    # A cross-site HTML form can post urlencoded data but not application/json.
    response = app.test_client().post("/api/login",
                                      data={"username": "alice", "password": "alice password"})
    assert response.status_code == 415


def test_throttling_after_repeated_failures(app):
    client = app.test_client()
    for _ in range(users_mod.MAX_FAILURES):
        assert client.post("/api/login", json={"username": "alice", "password": "nope nope"}
                           ).status_code == 401
    response = client.post("/api/login", json={"username": "alice", "password": "alice password"})
    assert response.status_code == 429  # even the right password, while locked
    assert int(response.headers["Retry-After"]) > 0
    # Other accounts are not locked by alice's failures.
    assert client.post("/api/login", json={"username": "bob", "password": "bob password"}
                       ).status_code == 200


def test_passwords_never_logged(app, caplog):
    caplog.set_level(logging.DEBUG)
    client = app.test_client()
    client.post("/api/login", json={"username": "alice", "password": "secret wrong pw"})
    client.post("/api/login", json={"username": "alice", "password": "alice password"})
    assert "failed login" in caplog.text  # logging works, so the check below means something
    assert "secret wrong pw" not in caplog.text and "alice password" not in caplog.text


def test_writes_need_login_then_csrf_then_role(app):
    client = app.test_client()
    body = {"name": "新收藏集"}
    assert client.post("/api/collections", json=body).status_code == 401
    token = login(client, "alice")
    assert client.post("/api/collections", json=body).status_code == 403  # no token
    assert client.post("/api/collections", json=body,
                       headers={"X-CSRF-Token": "forged"}).status_code == 403
    response = client.post("/api/collections", json=body, headers={"X-CSRF-Token": token})
    assert response.status_code == 201
    cid = response.get_json()["collection"]["id"]
    for method, url in [("patch", f"/api/collections/{cid}"),
                        ("delete", f"/api/collections/{cid}"),
                        ("post", f"/api/collections/{cid}/items"),
                        ("delete", f"/api/collections/{cid}/items/r1"),
                        ("patch", f"/api/collections/{cid}/items/r1"),
                        ("post", f"/api/collections/{cid}/import")]:
        assert getattr(app.test_client(), method)(url, json={}).status_code == 401, url
        assert getattr(client, method)(url, json={}).status_code == 403, url
    # A token from another session is not valid here.
    other = app.test_client()
    other_token = login(other, "bob")
    assert client.patch(f"/api/collections/{cid}", json={"name": "x"},
                        headers={"X-CSRF-Token": other_token}).status_code == 403
    assert client.patch(f"/api/collections/{cid}", json={"name": "x"},
                        headers={"X-CSRF-Token": token}).status_code == 200


def test_bad_input_is_a_json_400(app):
    client = app.test_client()
    token = login(client, "alice")
    h = {"X-CSRF-Token": token}
    for body in [{"name": ""}, {"name": 3}, {"name": "x", "visibility": "secret"}, ["x"]]:
        response = client.post("/api/collections", json=body, headers=h)
        assert response.status_code == 400 and "error" in response.get_json(), body
    cid = client.post("/api/collections", json={"name": "x"}, headers=h).get_json()["collection"]["id"]
    response = client.patch(f"/api/collections/{cid}", json={"version": "abc"}, headers=h)
    assert response.status_code == 400
    assert client.get("/api/collections/9999").status_code == 404
    assert client.get("/api/collections/abc").status_code == 404


def test_roles_admin_only_restore(app):
    alice, root = app.test_client(), app.test_client()
    a, r = login(alice, "alice"), login(root, "root")
    cid = alice.post("/api/collections", json={"name": "x"},
                     headers={"X-CSRF-Token": a}).get_json()["collection"]["id"]
    assert alice.delete(f"/api/collections/{cid}", headers={"X-CSRF-Token": a}).status_code == 200
    assert alice.get(f"/api/collections/{cid}").status_code == 404
    assert alice.get("/api/collections?deleted=1").status_code == 403
    assert alice.patch(f"/api/collections/{cid}", json={"deleted": False},
                       headers={"X-CSRF-Token": a}).status_code == 403
    listed = root.get("/api/collections?deleted=1").get_json()["collections"]
    assert [c["id"] for c in listed] == [cid]
    assert root.patch(f"/api/collections/{cid}", json={"deleted": False},
                      headers={"X-CSRF-Token": r}).status_code == 200
    assert alice.get(f"/api/collections/{cid}").status_code == 200
    log = root.get(f"/api/collections/{cid}/log").get_json()["log"]
    assert [(e["action"], e["user"]) for e in log] == \
        [("restore", "root"), ("delete", "alice"), ("create", "alice")]


def test_private_collections_hidden_from_readers(app):
    client = app.test_client()
    token = login(client, "alice")
    h = {"X-CSRF-Token": token}
    priv = client.post("/api/collections", json={"name": "内部"}, headers=h).get_json()["collection"]
    pub = client.post("/api/collections", json={"name": "公开", "visibility": "public"},
                      headers=h).get_json()["collection"]
    reader = app.test_client()
    assert [c["name"] for c in reader.get("/api/collections").get_json()["collections"]] == ["公开"]
    assert reader.get(f"/api/collections/{priv['id']}").status_code == 404
    assert reader.get(f"/api/collections/{priv['id']}/export?format=csv").status_code == 404
    assert reader.get(f"/api/collections/{pub['id']}").status_code == 200
    assert "内部" not in reader.get("/collections").get_data(as_text=True)


def test_logout_ends_the_session_server_side(app):
    client = app.test_client()
    token = login(client, "alice")
    stolen = client.get_cookie("session").value
    assert client.post("/api/logout").status_code == 403  # logout needs the token too
    assert client.post("/api/logout", headers={"X-CSRF-Token": token}).status_code == 200
    assert client.get("/api/me").get_json()["user"] is None
    # Replaying the old cookie does not bring the session back.
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/api/me").get_json()["user"] is None
    assert replay.post("/api/collections", json={"name": "x"},
                       headers={"X-CSRF-Token": token}).status_code == 401


def test_disabling_a_user_ends_their_session(app, db_path):
    client = app.test_client()
    token = login(client, "alice")
    users_mod.set_active(cur.connect(db_path), "alice", False)
    assert client.post("/api/collections", json={"name": "x"},
                       headers={"X-CSRF-Token": token}).status_code == 401


def test_sessions_survive_a_restart(db_path, tmp_path):
    config = {"TESTING": True, "DANGAN_DB": str(db_path)}
    first = create_app(config).test_client()
    login(first, "alice")
    cookie = first.get_cookie("session").value
    again = create_app(dict(config)).test_client()  # a new process: key from the database
    again.set_cookie("session", cookie)
    assert again.get("/api/me").get_json()["user"]["username"] == "alice"


def test_html_login_form_with_csrf(app):
    client = app.test_client()
    page = client.get("/login?next=/collections").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"username": "alice", "password": "alice password", "next": "/collections"}
    assert client.post("/login", data=form).status_code == 403  # no token: login CSRF
    wrong = client.post("/login", data={**form, "password": "bad password", "csrf_token": token})
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.get_data(as_text=True)
    ok = client.post("/login", data={**form, "csrf_token": token})
    assert ok.status_code == 303 and ok.headers["Location"].endswith("/collections")
    assert "alice" in client.get("/collections").get_data(as_text=True)


def test_login_redirect_stays_on_site(app):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": "alice", "password": "alice password",
                                           "next": "//evil.example/", "csrf_token": token})
    assert response.status_code == 303 and "evil" not in response.headers["Location"]


def test_html_forms_need_the_token(app):
    client = app.test_client()
    login(client, "alice")
    response = client.post("/collections", data={"name": "x"})
    assert response.status_code == 403
    anonymous = app.test_client().post("/collections", data={"name": "x"})
    assert anonymous.status_code in (302, 401)  # the HTML flavour redirects to the login page


def test_readers_get_no_session_cookie(app):
    response = app.test_client().get("/collections")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers


def test_admin_restores_from_the_html_page(app):
    alice, root = app.test_client(), app.test_client()
    a, r = login(alice, "alice"), login(root, "root")
    cid = alice.post("/api/collections", json={"name": "误删"},
                     headers={"X-CSRF-Token": a}).get_json()["collection"]["id"]
    page = alice.get(f"/collections/{cid}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    assert alice.post(f"/collections/{cid}/delete",
                      data={"csrf_token": token, "version": version, "confirm": "1"}).status_code == 303
    assert "误删" not in alice.get("/collections").get_data(as_text=True)
    assert alice.post(f"/collections/{cid}/restore", data={"csrf_token": token}).status_code == 403
    listing = root.get("/collections").get_data(as_text=True)
    assert "已删除的收藏集" in listing and "误删" in listing
    assert root.post(f"/collections/{cid}/restore", data={"csrf_token": r}).status_code == 303
    assert "误删" in alice.get("/collections").get_data(as_text=True)


def test_stale_html_edit_is_refused_not_applied(app):
    alice, bob = app.test_client(), app.test_client()
    a, b = login(alice, "alice"), login(bob, "bob")
    cid = alice.post("/api/collections", json={"name": "原名"},
                     headers={"X-CSRF-Token": a}).get_json()["collection"]["id"]
    page = bob.get(f"/collections/{cid}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    alice.patch(f"/api/collections/{cid}", json={"name": "甲改"}, headers={"X-CSRF-Token": a})
    response = bob.post(f"/collections/{cid}/edit", data={
        "csrf_token": b, "version": version, "name": "乙改", "description": "",
        "visibility": "private"}, follow_redirects=True)
    assert "collection changed" in response.get_data(as_text=True)
    assert alice.get(f"/api/collections/{cid}").get_json()["collection"]["name"] == "甲改"


def test_admin_manages_users(app, db_path):
    alice, root = app.test_client(), app.test_client()
    a, r = login(alice, "alice"), login(root, "root")
    body = {"username": "carol", "password": "carol password", "role": "librarian"}
    assert alice.post("/api/users", json=body, headers={"X-CSRF-Token": a}).status_code == 403
    assert alice.get("/api/users").status_code == 403
    assert root.post("/api/users", json=body).status_code == 403  # no token
    response = root.post("/api/users", json=body, headers={"X-CSRF-Token": r})
    assert response.status_code == 201 and response.get_json()["user"]["username"] == "carol"
    assert root.post("/api/users", json=body, headers={"X-CSRF-Token": r}).status_code == 400
    carol = app.test_client()
    c = login(carol, "carol")
    assert root.patch("/api/users/carol", json={"active": False},
                      headers={"X-CSRF-Token": r}).status_code == 200
    assert carol.post("/api/collections", json={"name": "x"},
                      headers={"X-CSRF-Token": c}).status_code == 401
    assert root.patch("/api/users/root", json={"active": False},
                      headers={"X-CSRF-Token": r}).status_code == 400  # not yourself
    assert root.patch("/api/users/ghost", json={"active": False},
                      headers={"X-CSRF-Token": r}).status_code == 404
    log = users_mod.user_log(cur.connect(db_path))
    assert [(e["action"], e["user"], e["detail"]["user"]) for e in log] == \
        [("disable", "root", "carol"), ("add_user", "root", "carol")]
    page = root.get("/admin/users").get_data(as_text=True)
    assert "carol" in page and "已停用" in page
    assert "carol password" not in page


def test_secure_cookie_flag_from_the_environment(db_path, monkeypatch):
    monkeypatch.setenv("DANGAN_COOKIE_SECURE", "1")
    app = create_app({"TESTING": True, "DANGAN_DB": str(db_path)})
    response = app.test_client().post("/api/login", json={"username": "alice",
                                                           "password": "alice password"},
                                      base_url="https://localhost")
    assert "Secure" in response.headers["Set-Cookie"]
