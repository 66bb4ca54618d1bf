"""Answers unchanged: the fixed query mix gives the stored answers (same ids in the same
order, totals, facet counts, snippets and their marks, hit sections), and reports and
more-like-this lists are the stored ones. After an intended change of answers,
regenerate with `scripts/search_expectation` (see tests/search_answers.py)."""
from __future__ import annotations

import json

import pytest

import search_answers as sa
from indexer.search import open_index


@pytest.mark.parametrize("name", ["builtin", pytest.param("dev", marks=pytest.mark.corpus)])
def test_answers_unchanged(name, tmp_path):
    if name == "dev" and not sa.DEV_GOLD.exists():
        pytest.skip("../shared is not present: dev corpus answers skipped")
    expected = json.loads(sa.expectation_path(name).read_text(encoding="utf-8"))
    with open_index(sa.build(tmp_path, name)) as index:
        problems = sa.compare(expected, index)
    assert not problems, f"{len(problems)} differences:\n" + "\n".join(problems[:15])


def test_warmed_index_gives_the_same_answers(tmp_path):
    """`Index.warm` decodes the commonest tokens' positions ahead of queries (a server's
    start): the cache it fills gives exactly the stored answers."""
    expected = json.loads(sa.expectation_path("builtin").read_text(encoding="utf-8"))
    with open_index(sa.build(tmp_path, "builtin")) as index:
        index.warm()
        post = index.state().executor.post
        hot = [token for token, _n in post.hot_tokens("body_c")]
        assert hot and post.frequency("body_c", hot[0]) >= post.frequency("body_c", hot[-1])
        assert post.cached("body_c", hot[0])
        problems = sa.compare(expected, index)
    assert not problems, f"{len(problems)} differences:\n" + "\n".join(problems[:15])


def test_parallel_searches_give_the_sequential_answers(tmp_path):
    """No global lock: threads searching one index at once (shared posting cache and
    document store) get exactly the answers of one thread alone."""
    import random
    import threading

    from indexer.search import engine

    expected = json.loads(sa.expectation_path("builtin").read_text(encoding="utf-8"))
    items = expected["queries"]
    with open_index(sa.build(tmp_path, "builtin")) as index:
        state = index.state()
        failures: list[str] = []

        def worker(seed: int) -> None:
            order = list(range(len(items)))
            random.Random(seed).shuffle(order)
            for i in order:
                with state.cache_lock:
                    state.cache.clear()  # match again, concurrently, rather than reuse
                if seed % 2:
                    state.executor.post.clear_cache()
                got = sa.answer(index, items[i]["request"], items[i]["snippets"])
                if any(got[k] != items[i]["answer"][k] for k in ("total", "ids", "facets", "hits")):
                    failures.append(f"{items[i]['request']}")

        threads = [threading.Thread(target=worker, args=(s,)) for s in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert index.state() is state and isinstance(state, engine._State)
    assert failures == []
