"""Flask front end: app factory; each feature is a blueprint in its own module.

- web.request      the one request parser (URL arguments -> SearchRequest)
- web.urls         page routes with their twins (.json, .csv …) and URL building
- web.errors       one error hierarchy and one handler (HTML or JSON by one rule)
- web.pages        HTML pages (search, reading view, cite, compare, help, opensearch) + twins
- web.exports      /search.csv, /search.jsonl, /search.atom
- web.api          JSON API (/api/search, /api/reports/<id>, /api/openapi.json)
- web.auth         login/logout, sessions, CSRF, roles, throttling
- web.collections  librarian collections (HTML + /api/collections)
- web.admin        /admin/index: the index's generation, counts and skipped inputs
"""
from __future__ import annotations

import importlib
import os

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from indexer.settings import SETTINGS

BLUEPRINT_MODULES = ("web.api", "web.pages", "web.auth", "web.collections", "web.admin")


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, with hostile nesting (a body nested 100,000 deep) refused as a bad
    request instead of a RecursionError (a 500)."""

    ensure_ascii = False

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


class DanganFlask(Flask):
    json_provider_class = JSONProvider


def create_app(config: dict | None = None) -> Flask:
    """Build the app. `config` keys: DANGAN_INDEX (index dir), DANGAN_ENGINE (engine URL,
    default: embedded over DANGAN_INDEX), DANGAN_DB (users and
    collections database), DANGAN_PUBLIC_URL, SECRET_KEY, TESTING ..."""
    app = DanganFlask(__name__)
    app.config.update(
        DANGAN_INDEX=os.environ.get("DANGAN_INDEX"),
        DANGAN_ENGINE=os.environ.get("DANGAN_ENGINE"),  # embedded:DIR or sphinx://… (engines.py)
        DANGAN_DB=os.environ.get("DANGAN_DB"),
        DANGAN_PUBLIC_URL=SETTINGS.serve.public_url,
        MAX_CONTENT_LENGTH=SETTINGS.serve.max_upload_mb * 1024 * 1024,  # bound every upload
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    if config:
        app.config.update(config)
    from . import errors

    errors.init_app(app)
    for name in BLUEPRINT_MODULES:
        module = importlib.import_module(name)
        module.init_app(app)
    return app
