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
    """`dangan serve` (waitress) and the web layer."""


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
