"""The embedded backend: one index directory, no server (the default engine).

An adapter over today's Whoosh + character index + document store code (engine.py,
build.py, stats.py): it adds nothing to how they match, rank or render, so the embedded
backend answers exactly as `indexer.search.engine` does. Its methods are the `Backend`
contract (base.py); `state()`, `root` and `generation` are the open `Index`'s, for the
code that reads a generation's files (stats, skip records, exports' build time).
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

from ..model import SearchRequest


class EmbeddedBackend:
    def __init__(self, root: str | Path, index=None):
        self.root = Path(root)
        self.url = f"embedded:{self.root}"
        self._index = index

    @property
    def index(self):
        """The open `engine.Index` (opened on first use: a build needs none)."""
        if self._index is None:
            from ..engine import Index

            self._index = Index(self.root)
        return self._index

    def check(self) -> "EmbeddedBackend":
        """Open now: raises store.NoIndex / IndexUnusable / EmptyIndex with the reason."""
        self.index  # noqa: B018 - opening is the check
        return self

    # ------------------------------------------------------------ the Index's view

    def state(self):
        return self.index.state()

    @property
    def generation(self) -> str:
        return self.index.generation

    # ------------------------------------------------------------ reading

    def search(self, request: SearchRequest, collections: Mapping[str, set[str]] | None = None):
        from ..engine import search

        return search(self.index, request, collections)

    def get_report(self, report_id: str) -> dict | None:
        from ..engine import get_report

        return get_report(self.index, report_id)

    def more_like_this(self, report_id: str, limit: int = 10) -> list:
        from ..engine import more_like_this

        return more_like_this(self.index, report_id, limit)

    def report_ids(self) -> list[str]:
        cols = self.state().cols
        return [cols.report_ids[d] for d in range(cols.n) if cols.live[d]]

    def warm(self) -> None:
        self.index.warm()

    def stats(self) -> dict:
        from ..stats import index_stats

        return {"engine": self.url, **index_stats(self.index)}

    # ------------------------------------------------------------ writing

    def build(self, sources: list[str], **options):
        from .. import build

        return build.build(sources, self.root, **options)

    def update(self, sources: list[str], **options):
        from .. import build

        return build.update(sources, self.root, **options)

    def close(self) -> None:
        if self._index is not None:
            self._index.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
