"""Every tunable number of Dang'an in one place: thresholds, budgets, limits.

One frozen dataclass per part (extraction, per-page budgets, index, server), gathered in
`Settings`. `SETTINGS` is read once at import; a field can be overridden from the
environment as ``DANGAN_<FIELD NAME IN UPPER CASE>`` (e.g. ``DANGAN_SEGMENT_CHARS=4000000``,
``DANGAN_PAGE_TIMEOUT_S=30``). Field names are therefore unique across the groups.

Code reads ``SETTINGS.<group>.<field>``; tests that need other values build their own
``Settings`` (``dataclasses.replace``) or set the environment before the import, never a
module constant of their own.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ExtractSettings:
    """Thresholds of the extraction passes (indexer/extract/)."""


@dataclass(frozen=True)
class BudgetSettings:
    """Hard limits per input page, in `dangan extract` and `dangan index build` alike."""

    page_timeout_s: float = 120.0  # wall time for one page's extraction and analysis


@dataclass(frozen=True)
class IndexSettings:
    """Index building and query execution (indexer/search/)."""

    # A writer starts a new segment when it holds this many characters of key text (a
    # segment's character view is sorted in memory when written: ~25 bytes a character).
    segment_chars: int = 8_000_000
    # Decoded posting arrays kept per generation, in MiB (an LRU).
    term_cache_mb: int = 1024
    # Cluster backend (indexer/search/backends/sphinx): connection and query time limits,
    # the most matches one query may rank exactly (over it the query fails with a message),
    # and the documents sent per INSERT.
    engine_connect_timeout_s: float = 2.0
    engine_query_timeout_s: float = 30.0
    engine_write_timeout_s: float = 600.0  # one INSERT batch (the engine is slow on long reports)
    engine_max_matches: int = 200_000
    engine_max_facet_values: int = 5_000  # distinct values one facet may list
    engine_insert_batch: int = 200


@dataclass(frozen=True)
class ServeSettings:
    """`dangan serve` (waitress) and the web layer (web/, indexer/curation/)."""

    # waitress: worker threads; open connections before new ones wait in the listen
    # backlog; seconds an idle connection is kept (and how often that is checked). Idle
    # or slow clients are a reverse proxy's job in front of a public server (README).
    threads: int = 8
    connection_limit: int = 1000
    channel_timeout_s: int = 30
    cleanup_interval_s: int = 10
    # The proxy's address when behind a reverse proxy (X-Forwarded-* are trusted from it
    # only), and how many proxies (waitress' trusted_proxy_count).
    trusted_proxy: str = ""
    trusted_proxy_count: int = 1
    # The site's public base URL ("https://dangan.example.org"): absolute links in
    # OpenSearch, Atom feeds and citations. Never taken from the Host header; `dangan
    # serve` uses http://HOST:PORT when unset.
    public_url: str = ""
    # Session signing key: DANGAN_SECRET_KEY, else a file (mode 0600) named by
    # DANGAN_SECRET_KEY_FILE, else `<database>.secret` created with mode 0600.
    secret_key: str = field(default="", repr=False)
    secret_key_file: str = ""
    max_upload_mb: int = 2
    # Bounds of a search request: the last page, values of one facet parameter.
    max_page: int = 1000
    max_facet_values: int = 20
    export_max_rows: int = 10_000  # /search.csv, /search.jsonl
    feed_entries: int = 50  # /search.atom
    bulk_add_max: int = 500  # "add all results" to a collection
    admin_skips_per_page: int = 100
    # Login throttling: failures within the window lock an account (from clients it
    # does not know) or a client address for the lock time; a browser that logged in to
    # the account before (device cookie) has its own counter instead.
    login_max_failures: int = 5
    login_address_failures: int = 20
    login_window_s: int = 900
    login_lock_s: int = 900


@dataclass(frozen=True)
class Settings:
    extract: ExtractSettings = field(default_factory=ExtractSettings)
    budgets: BudgetSettings = field(default_factory=BudgetSettings)
    index: IndexSettings = field(default_factory=IndexSettings)
    serve: ServeSettings = field(default_factory=ServeSettings)


def _from_env(group, environ) -> object:
    changes = {}
    for f in dataclasses.fields(group):
        raw = environ.get("DANGAN_" + f.name.upper())
        if raw in (None, ""):
            continue
        kind = type(getattr(group, f.name))
        try:
            changes[f.name] = (raw.lower() in ("1", "true", "yes", "on")) if kind is bool else kind(raw)
        except ValueError as exc:
            raise ValueError(f"DANGAN_{f.name.upper()}={raw!r}: not a {kind.__name__}") from exc
    return dataclasses.replace(group, **changes) if changes else group


def load(environ=None) -> Settings:
    """Defaults, overridden by DANGAN_<FIELD> variables of `environ` (os.environ)."""
    environ = os.environ if environ is None else environ
    base = Settings()
    return Settings(**{f.name: _from_env(getattr(base, f.name), environ) for f in dataclasses.fields(base)})


SETTINGS = load()
