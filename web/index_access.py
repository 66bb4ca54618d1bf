"""The app's one open search backend, shared by every blueprint.

It is the engine named by the app's DANGAN_ENGINE (embedded:DIR or sphinx://…, see
indexer/search/engines.py), else the embedded index in DANGAN_INDEX. An index is
long-lived by design (it caches facet columns and follows a swapped generation by
itself), so it is opened once per app, lazily, and kept in
``app.extensions["dangan_index"]``.
"""
from __future__ import annotations

import threading

from flask import current_app

from indexer.search import BackendError, open_engine
from indexer.search.store import EmptyIndex, IndexUnusable, NoIndex


class IndexUnavailable(Exception):
    """No usable index: not configured, not built yet, or unreadable (message in Chinese,
    shown to readers as it is)."""


def shared_index():
    ext = current_app.extensions
    index = ext.get("dangan_index")
    if index is not None:
        return index
    path = current_app.config.get("DANGAN_INDEX")
    engine = current_app.config.get("DANGAN_ENGINE")
    if not path and not (engine or "").startswith("embedded:"):
        raise IndexUnavailable("未配置索引目录（DANGAN_INDEX 或 dangan serve --index）。")
    with ext.setdefault("dangan_index_lock", threading.Lock()):
        index = ext.get("dangan_index")
        if index is None:
            try:
                index = open_engine(engine, path)
            except EmptyIndex as exc:
                raise IndexUnavailable("索引中还没有任何报告，请稍后再试。") from exc
            except IndexUnusable as exc:
                raise IndexUnavailable("索引无法打开（已损坏或版本不符），请管理员重建索引。") from exc
            except NoIndex as exc:
                raise IndexUnavailable(f"索引尚未建立：{exc}") from exc
            except OSError as exc:
                raise IndexUnavailable(f"无法打开索引：{type(exc).__name__}") from exc
            except (BackendError, ValueError) as exc:
                raise IndexUnavailable(f"无法连接搜索引擎：{exc}") from exc
            ext["dangan_index"] = index
    return index
