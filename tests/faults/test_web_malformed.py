"""Malformed requests get a 4xx with a JSON error, never a 500 (the reliability issue's
"Web" section), and a fuzz test over every operation of the served OpenAPI description."""
from __future__ import annotations

import re
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from e2e_fixtures import pages_index  # noqa: F401  (fixture)
from web_support import Librarian, staff_app


@pytest.fixture(scope="module")
def app(pages_index, tmp_path_factory):
    return staff_app(pages_index, tmp_path_factory.mktemp("malformed") / "c.db")


@pytest.fixture(scope="module")
def alice(app):
    return Librarian(app, "alice")


@pytest.fixture(scope="module")
def collection_id(alice):
    return alice.post("/api/collections", json={"name": "模糊测试"}).get_json()["collection"]["id"]


def assert_json_error(response, status=None):
    assert 400 <= response.status_code < 500, (response.status_code, response.data[:300])
    if status is not None:
        assert response.status_code == status, response.data[:300]
    body = response.get_json()
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and body.get("message")


def test_login_with_json_nested_100k_deep_is_400(app):
    client = app.test_client()
    deep = "[" * 100_000 + "]" * 100_000
    assert_json_error(client.post("/api/login", data=deep, content_type="application/json"), 400)
    deep_object = '{"a":' * 100_000 + "1" + "}" * 100_000
    assert_json_error(client.post("/api/login", data=deep_object, content_type="application/json"), 400)


@pytest.mark.parametrize("body", [
    {"search": {"q": "意识形态"}, "limit": "abc"},
    {"search": {"q": "意识形态"}, "limit": None},
    {"search": {"q": "意识形态"}, "limit": 0},
    {"search": {"q": "意识形态"}, "limit": True},
    {"search": {"q": "意识形态"}, "limit": 10**30},
    {"search": {"q": "意识形态", "sort": "bogus"}},
    {"search": {"q": "意识形态", "page": "x"}},
    {"search": {"q": ["意识形态"]}},
    {"search": {"unknown": "x"}},
    {"search": "意识形态"},
    {"report_ids": "not a list"},
    {"report_ids": [1, 2]},
    {"report_ids": ["ghost"], "version": "abc"},
    {"report_ids": ["ghost"], "version": 10**30},
])
def test_bad_item_requests_are_400(alice, collection_id, body):
    assert_json_error(alice.post(f"/api/collections/{collection_id}/items", json=body), 400)


@pytest.mark.parametrize("cid", ["99999999999999999999999", "-1", "0", "1e5", "%00", "x" * 500])
def test_unknown_collection_ids_are_404(app, alice, cid):
    assert_json_error(app.test_client().get(f"/api/collections/{cid}"), 404)
    assert_json_error(alice.patch(f"/api/collections/{cid}", json={"name": "x"}), 404)


def test_log_limit_is_validated(alice, collection_id):
    assert_json_error(alice.get(f"/api/collections/{collection_id}/log?limit=abc"), 400)
    assert_json_error(alice.get(f"/api/collections/{collection_id}/log?limit=0"), 400)
    assert alice.get(f"/api/collections/{collection_id}/log?limit=5").status_code == 200


def test_anonymous_writes_are_401_not_403(app):
    client = app.test_client()
    for method, url in (("post", "/api/users"), ("patch", "/api/users/alice"),
                        ("post", "/api/collections"), ("delete", "/api/collections/1"),
                        ("post", "/api/logout")):
        response = getattr(client, method)(url, json={"username": "x", "password": "y" * 10})
        assert_json_error(response, 401)
        assert response.get_json()["error"] == "login_required"


def test_me_is_never_cached_and_pages_of_staff_neither(app, alice):
    anonymous = app.test_client().get("/api/me")
    assert anonymous.headers["Cache-Control"] == "no-store"
    assert alice.get("/api/me").headers["Cache-Control"] == "no-store"
    assert alice.get("/search?q=意识形态").headers["Cache-Control"] == "no-store"
    # Readers' pages stay cacheable.
    assert "no-store" not in app.test_client().get("/search?q=意识形态").headers.get("Cache-Control", "")


def test_opensearch_urls_do_not_come_from_the_host_header(pages_index, tmp_path):
    app = staff_app(pages_index, tmp_path / "c.db", DANGAN_PUBLIC_URL="https://dangan.example.org")
    body = app.test_client().get("/opensearch.xml", headers={"Host": "evil.example"}).get_data(as_text=True)
    templates = re.findall(r'template="([^"]+)"', body)
    assert templates and all(t.startswith("https://dangan.example.org/") for t in templates)
    assert "evil.example" not in body
    feed = app.test_client().get("/search.atom?q=意识形态", headers={"Host": "evil.example"})
    assert "evil.example" not in feed.get_data(as_text=True)


# --- fuzz: every operation of the OpenAPI description the app serves ----------------------

def operations(app) -> list[tuple[str, str, dict]]:
    spec = app.test_client().get("/api/openapi.json").get_json()
    return [(method.upper(), path, op) for path, item in spec["paths"].items()
            for method, op in item.items()]


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12)
PARAM_TEXT = st.one_of(st.text(max_size=40), st.integers(-10**25, 10**25).map(str),
                       st.sampled_from(["", "0", "1", "-1", "true", "2021", "2021-13-40", "9" * 30]))


def _body_strategy(op: dict):
    schema = (op.get("requestBody") or {}).get("content", {}).get("application/json", {}).get("schema")
    if not schema:
        return st.one_of(st.none(), JSON_VALUES)
    props = schema.get("properties", {})
    known = st.fixed_dictionaries({}, optional={k: JSON_VALUES for k in props})
    return st.one_of(known, JSON_VALUES)


def test_fuzz_json_api_never_500(app, alice):
    """Hypothesis generates parameters and bodies for each listed operation, sent as a
    logged-in librarian (with the CSRF token) so that writes get past authentication;
    every answer must be < 500, and every 4xx a JSON error."""
    ops = operations(app)
    assert len(ops) >= 15
    path_values = st.one_of(st.just("1"), st.just("2"), st.text(alphabet=string.ascii_letters + string.digits + "-_.~%",
                                                                min_size=1, max_size=30))

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(data=st.data())
    def run(data, method, path, op):
        url = path
        for name in re.findall(r"{(\w+)}", path):
            url = url.replace("{" + name + "}", data.draw(path_values, label=name))
        query = {}
        for param in op.get("parameters", []):
            if param["in"] == "query" and data.draw(st.booleans(), label=f"send {param['name']}"):
                query[param["name"]] = data.draw(st.lists(PARAM_TEXT, min_size=1, max_size=3), label=param["name"])
        kwargs = {"query_string": query}
        if method in ("POST", "PATCH", "PUT", "DELETE"):
            body = data.draw(_body_strategy(op), label="body")
            if body is not None:
                kwargs["json"] = body
        response = getattr(alice, method.lower())(url, **kwargs)
        try:
            assert response.status_code < 500, (method, url, kwargs, response.data[:300])
            if response.status_code >= 400:
                assert_json_error(response)
        finally:
            response.close()

    for method, path, op in ops:
        if path in ("/api/logout",):
            continue  # would end the fuzzing client's own session
        run(method=method, path=path, op=op)
