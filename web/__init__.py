"""Flask front end: app factory; each feature is a blueprint in its own module.

- web.api          JSON API for search and reports (/api/search, /api/reports/<id>)
- web.pages        HTML pages (search, reading view, help, opensearch) and their JSON twins
- web.auth         login/logout, sessions, CSRF, roles
- web.collections  librarian collections (HTML + /api/collections)
"""
from __future__ import annotations

import importlib
import os

from flask import Flask

BLUEPRINT_MODULES = ("web.api", "web.pages", "web.auth", "web.collections")


def create_app(config: dict | None = None) -> Flask:
    """Build the app. `config` keys: DANGAN_INDEX (index dir), DANGAN_DB (users and
    collections database), SECRET_KEY, TESTING ..."""
    app = Flask(__name__)
    app.config.update(
        DANGAN_INDEX=os.environ.get("DANGAN_INDEX"),
        DANGAN_DB=os.environ.get("DANGAN_DB"),
        JSON_AS_ASCII=False,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,  # bound every upload
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    if config:
        app.config.update(config)
    app.json.ensure_ascii = False
    for name in BLUEPRINT_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # feature not built yet
        module.init_app(app)
    return app
