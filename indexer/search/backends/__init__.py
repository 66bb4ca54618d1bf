"""Search backends under one contract (`base.Backend`).

- the embedded backend: today's Whoosh + numpy character index (``indexer/search/``; it
  moves here once the performance rework of ``indexer/search/`` has landed);
- ``sphinx``: a cluster of Sphinx 2.2.11 / Manticore ``searchd`` nodes over SphinxQL.

Our normalization and segmentation stay above the seam: a backend receives
pre-analyzed documents (`base.AnalyzedDoc`) and parsed queries, and does no Chinese
analysis of its own. Nothing outside ``indexer/search/`` imports a backend.
"""
