"""The Sphinx 2.2.11 / Manticore backend (SphinxQL over pymysql): layout.py for the
indexes, forms.py for the tokens, writer.py for generations, backend.py for the search,
rank.py for the ranking, adapter.py for the `Backend` contract (display from our document
store), cluster.py for a local cluster, docs/sphinx-backend.md for the design and the
measurements."""
from .adapter import ClusterBackend
from .backend import SphinxBackend

__all__ = ["ClusterBackend", "SphinxBackend"]
