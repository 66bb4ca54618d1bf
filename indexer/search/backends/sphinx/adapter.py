"""The cluster backend under the `Backend` contract: a Sphinx/Manticore cluster
(`SphinxBackend`) decides what matches, the order, the scores, the duplicate groups and
the facet counts; our document store renders the hits.

The document store is the one of an embedded generation in the engine's *store
directory* (`--index DIR` / `DANGAN_INDEX` beside `--engine sphinx://…`). That
generation is also the build's staging area: `build`/`update` extract, analyse, validate
and publish it as the embedded backend does (skip records, budgets, validation: the same
code), then copy its reports into a fresh cluster generation and publish that. Display
(hits, snippets, `get_report`), did-you-mean candidates and more-like-this read that
generation with our own code (engine.py), so a cluster answers with the same hits, byte
for byte, as the embedded backend over the same reports.

Each cluster generation is published with the name of the store generation it was
copied from, and hits are rendered from that one: while a build has published the new
store generation but not yet the cluster's, searches keep answering from the previous
pair (a build keeps the previous store generation on disk).

One exception to "the cluster matches": a query that finds nothing as typed and reaches
a relaxation step the engine has no form for (punctuation-insensitive phrases, words
close together: ladder.py) is answered by the store's generation, which is the same
reports (counted in `stats()["cluster"]["store_answers"]`).
"""
from __future__ import annotations

from typing import Mapping

from ...model import FacetValue, SearchRequest, SearchResponse
from ..base import BackendError
from ..embedded import EmbeddedBackend
from .backend import SphinxBackend, StepUnsupported


class ClusterBackend:
    def __init__(self, url: str, store_dir):
        self.url = url
        self.cluster = SphinxBackend(url)
        self.store = EmbeddedBackend(store_dir)
        self.root = self.store.root
        self.store_answers = 0  # searches answered by the store (ladder steps without engine form)
        self._pinned: EmbeddedBackend | None = None  # a store generation other than the current one

    def check(self) -> "ClusterBackend":
        """The store opens and the cluster has a current generation (else a clear error)."""
        self.store.check()
        if self.cluster.current(refresh=True) is None:
            raise BackendError(f"no generation published on {self.url} (build one with "
                               f"`dangan index build --engine {self.url}`)")
        return self

    def state(self):
        return self.store.state()

    @property
    def generation(self) -> str:
        cur = self.cluster.current()
        return f"{self.store.generation}+cluster-{cur.number if cur else 0}"

    # ------------------------------------------------------------ reading

    def _display(self, note: dict) -> EmbeddedBackend:
        """The store generation a cluster generation was copied from (its note)."""
        name = note.get("store")
        if not name or self.store.generation == name:
            return self.store
        pinned = self._pinned
        if pinned is None or pinned.root.name != name:
            path = self.root / name
            if not path.is_dir():
                raise BackendError(f"the generation published on {self.url} was copied from store generation "
                                   f"{name}, which {self.root} no longer holds: rebuild with "
                                   f"`dangan index build --engine {self.url}`")
            pinned = self._pinned = EmbeddedBackend(path)
        return pinned

    def search(self, request: SearchRequest, collections: Mapping[str, set[str]] | None = None) -> SearchResponse:
        from ... import engine

        request = engine.clamp_request(request)
        display = self._display(self.cluster.note(self.cluster.current()))
        st = display.state()
        try:
            res = self.cluster.search(request, collections, st.user_dict, st.tables)
        except StepUnsupported:
            self.store_answers += 1
            return display.search(request, collections)
        if res.note.get("store") not in (None, st.gen.name):  # a publish in between
            display = self._display(res.note)
            st = display.state()
        keys = engine.highlight_keys(res.parsed)
        sections = list(request.section)
        hits = []
        for h in res.hits:
            doc = st.cols.doc_of.get(h.report_id)
            if doc is None or not st.cols.live[doc]:
                # The store and the cluster hold different generations (a build copying
                # into the cluster failed after the store was published): say so.
                raise BackendError(f"report {h.report_id} found on {self.url} is not in the document store "
                                   f"{st.gen}: rebuild with `dangan index build --engine {self.url}`")
            hits.append(engine.render_hit(st, int(doc), h.score, keys, sections, h.duplicates))
        return SearchResponse(
            query=request.q, understood=res.understood, total=res.total, page=request.page,
            per_page=request.per_page, results=hits,
            facets={f: [FacetValue(v, c) for v, c in pairs] for f, pairs in res.facets.items()},
            relaxed=res.relaxed, expansions=res.parsed.expansions() if res.parsed else [],
            suggestions=engine.suggestions_for(st, request, res.matched) if res.relaxed is None else
            engine.suggestions_for(st, request, 0),
        )

    def get_report(self, report_id: str) -> dict | None:
        return self.store.get_report(report_id)

    def more_like_this(self, report_id: str, limit: int = 10) -> list:
        return self.store.more_like_this(report_id, limit)

    def report_ids(self) -> list[str]:
        return self.cluster.report_ids()

    def warm(self) -> None:
        self.store.warm()  # suggestions, snippets and display come from the store

    def stats(self) -> dict:
        out = self.store.stats()
        out["engine"] = self.url
        out["cluster"] = {**self.cluster.stats(), "store_answers": self.store_answers}
        return out

    # ------------------------------------------------------------ writing

    def publish_store(self, jobs: int = 1) -> dict:
        """Copy the store's current generation into a fresh cluster generation and
        publish it (what build and update do once the store validated): counts, timings."""
        from ..transfer import copy_index

        self.store.close()
        self.store = EmbeddedBackend(self.root)
        return copy_index(self.store.index, self.cluster, {"store": self.store.generation}, jobs=jobs)

    def build(self, sources: list[str], **options):
        summary = self.store.build(sources, **options)
        summary.cluster = self.publish_store(options.get("jobs", 1))
        return summary

    def update(self, sources: list[str], **options):
        summary = self.store.update(sources, **options)
        summary.cluster = self.publish_store(options.get("jobs", 1))
        return summary

    def close(self) -> None:
        self.store.close()
        self.cluster.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
