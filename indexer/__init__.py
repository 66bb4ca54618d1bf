"""Dang'an indexer: scraped pages -> structured reports -> Whoosh index."""

__version__ = "0.1.0"
