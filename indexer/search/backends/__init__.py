"""Search backends under one contract (`base.Backend`).

- ``embedded``: today's Whoosh + numpy character index + document store in one directory
  (an adapter over ``indexer/search/engine.py`` and ``build.py``);
- ``sphinx``: a cluster of Sphinx 2.2.11 / Manticore ``searchd`` nodes over SphinxQL,
  rendering hits from our document store (``sphinx/adapter.py``).

Our normalization and segmentation stay above the seam: a backend receives
pre-analyzed documents (`base.AnalyzedDoc`) and parsed queries, and does no Chinese
analysis of its own. Nothing outside ``indexer/search/`` imports a backend: the factory
is ``indexer/search/engines.py`` (``open_engine(url)``).
"""
