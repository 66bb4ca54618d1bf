"""Writing a generation into the idle slot of a cluster, and publishing it.

    gen = backend.begin()          # truncates the idle slot's shard indexes
    gen.add(docs); gen.delete(ids); gen.set_groups(groups)
    gen.commit()                   # flush, then check counts per shard and through the
                                   # distributed index (every shard reachable)
    gen.publish()                  # flip the current record: readers switch
    # or gen.drop()

A report goes to shard ``stable_id(report_id) % shards`` (every mirror of that shard); its
document id is ``stable_id(report_id)``, so a delete or a replace finds it without a lookup.
"""
from __future__ import annotations

import json
import time
from typing import Iterable, Mapping


from ....settings import SETTINGS
from ..base import AnalyzedDoc, BackendError, stable_id
from . import forms, layout
from .client import Cluster, quote

COLUMNS = (["id"] + list(layout.FIELDS) + ["rid", "ord", "date", "year", "pdate", "pyear", "tyear", "grp", "secs"]
           + list(layout.CODED) + [f"h_{f}" for f in layout.CODED] + list(layout.LENGTHS))


MAX_STATEMENT_CHARS = 4 << 20  # characters (UTF-8: up to 3 bytes each) of one INSERT



def group_id(members) -> int:
    return stable_id("\x1f".join(sorted(members))) if members else 0


def row(doc: AnalyzedDoc) -> str:
    """The VALUES tuple of one document."""
    fields = {f: forms.key_text(doc.keys.get(f, "")) for f in layout.CHAR_FIELDS}
    fields.update({f: "" for f in layout.SECTION_FIELDS})
    fields.update(forms.section_texts(doc.keys.get("body_c", ""), doc.sections))
    fields.update({f: forms.words_text(doc.words.get(f, {})) for f in layout.WORD_FIELDS})
    fields[layout.ALL_FIELD] = layout.ALL_TOKEN
    year = doc.facets.get("year")
    kinds = sorted({layout.SECTION_KINDS.index(k) for k in doc.section_kinds if k in layout.SECTION_KINDS})
    year = year if isinstance(year, int) and year > 0 else 0
    published = doc.date if doc.date % 10000 else 0  # `date` falls back to the year as yyyy0000
    doc_id = stable_id(doc.report_id)
    values = [str(doc_id)]
    values += [quote(fields[f]) for f in layout.FIELDS]
    # grp: the near-duplicate group, else the document's own id (a group of one), so that
    # "one per group" counts and collapses need no special case
    values += [quote(doc.report_id), str(int(doc.order)), str(int(doc.date)), str(year), str(published),
               str(published // 10000), str(year or published // 10000), str(group_id(doc.group) or doc_id),
               "(" + ",".join(map(str, kinds)) + ")"]
    coded = [doc.facets.get(f) for f in layout.CODED]
    values += [quote("" if v is None else str(v)) for v in coded]
    values += [str(stable_id(str(v))) if v not in (None, "") else "0" for v in coded]
    values += [str(int(doc.lengths.get(f[4:], 0))) for f in layout.LENGTHS]
    return "(" + ", ".join(values) + ")"


class SphinxGeneration:
    def __init__(self, cluster: Cluster, slot: str, number: int, previous: dict | None):
        self.cluster = cluster
        self.slot = slot
        self.number = number
        self.previous = previous
        self.ids: list[set[int]] = [set() for _ in cluster.shards]
        self.published = False
        self._truncate()

    def shard_of(self, report_id: str) -> int:
        return stable_id(report_id) % len(self.cluster.shards)

    def _truncate(self) -> None:
        for node in self.cluster.nodes:
            self.cluster.run(node, [f"TRUNCATE RTINDEX {layout.shard_index(self.slot, node.shard)}"])

    def add(self, docs: Iterable[AnalyzedDoc]) -> int:
        """Route and insert; each shard's INSERTs run in a thread of their own (one in
        flight per shard), so the shards index while the next rows are made."""
        from concurrent.futures import ThreadPoolExecutor

        batch = max(1, SETTINGS.index.engine_insert_batch)
        shards = len(self.cluster.shards)
        pending: list[list[str]] = [[] for _ in range(shards)]
        size = [0] * shards
        inflight: list = [None] * shards
        n = 0
        with ThreadPoolExecutor(max_workers=shards) as pool:
            def flush(shard: int) -> None:
                if inflight[shard] is not None:
                    inflight[shard].result()  # raises the insert's error
                inflight[shard] = pool.submit(self._insert, shard, pending[shard])
                pending[shard], size[shard] = [], 0

            try:
                for doc in docs:
                    shard = self.shard_of(doc.report_id)
                    values = row(doc)
                    pending[shard].append(values)
                    size[shard] += len(values)
                    self.ids[shard].add(stable_id(doc.report_id))
                    n += 1
                    # bounded statements (a packet holds at most max_packet_size, 128 MiB)
                    if len(pending[shard]) >= batch or size[shard] >= MAX_STATEMENT_CHARS:
                        flush(shard)
                for shard in range(shards):
                    if pending[shard]:
                        flush(shard)
            finally:
                for f in inflight:
                    if f is not None:
                        f.result()
        return n

    def _insert(self, shard: int, rows: list[str]) -> None:
        sql = (f"REPLACE INTO {layout.shard_index(self.slot, shard)} ({', '.join(COLUMNS)}) VALUES "
               + ", ".join(rows))
        for node in self.cluster.shards[shard]:
            self.cluster.run(node, [sql])

    def delete(self, report_ids: Iterable[str]) -> int:
        per_shard: list[list[int]] = [[] for _ in self.cluster.shards]
        n = 0
        for rid in report_ids:
            shard = self.shard_of(rid)
            doc_id = stable_id(rid)
            per_shard[shard].append(doc_id)
            self.ids[shard].discard(doc_id)
            n += 1
        for shard, ids in enumerate(per_shard):
            for i in range(0, len(ids), 1000):
                chunk = ",".join(map(str, ids[i:i + 1000]))
                target = layout.shard_index(self.slot, shard)
                for node in self.cluster.shards[shard]:
                    self.cluster.run(node, [f"DELETE FROM {target} WHERE id IN ({chunk})"])
        return n

    def set_groups(self, groups: Mapping[str, list[str]]) -> None:
        """One UPDATE per group and shard (SphinxQL runs only SELECT and SHOW in a
        multi-statement batch)."""
        per_shard: list[dict[int, list[int]]] = [{} for _ in self.cluster.shards]
        for rid, members in groups.items():
            per_shard[self.shard_of(rid)].setdefault(group_id(members), []).append(stable_id(rid))
        for shard, by_group in enumerate(per_shard):
            index = layout.shard_index(self.slot, shard)
            for gid, ids in by_group.items():
                for node in self.cluster.shards[shard]:
                    self.cluster.run(node, [f"UPDATE {index} SET grp={gid} WHERE id IN ({','.join(map(str, ids))})"])

    def commit(self) -> None:
        """Flush every shard (every mirror) and check that each holds what was written,
        and that the distributed index reaches all of them."""
        for node in self.cluster.nodes:
            index = layout.shard_index(self.slot, node.shard)
            self.cluster.run(node, [f"FLUSH RTINDEX {index}"])
            got = self.cluster.run(node, [f"SELECT COUNT(*) FROM {index}"])[0]
            count = int(got[0][0]) if got else 0
            if count != len(self.ids[node.shard]):
                raise BackendError(f"{node}: holds {count} documents of generation {self.number}, "
                                   f"{len(self.ids[node.shard])} were written")
        head = self.cluster.nodes[0]
        got = self.cluster.run(head, [f"SELECT COUNT(*) FROM {layout.dist_index(self.slot)}"], check_agents=True)[0]
        total = int(got[0][0]) if got else 0
        if total != sum(map(len, self.ids)):
            raise BackendError(f"distributed index {layout.dist_index(self.slot)} sees {total} documents, "
                               f"{sum(map(len, self.ids))} were written")

    def publish(self, note: dict | None = None) -> None:
        info = json.dumps({"shards": len(self.cluster.shards), "documents": sum(map(len, self.ids)),
                           **(note or {})}, ensure_ascii=False)
        self.cluster.run(self.cluster.nodes[0], [
            f"REPLACE INTO {layout.META} (id, note, slot, gen, published_at, info) VALUES "
            f"(1, '', {layout.SLOTS.index(self.slot)}, {self.number}, {int(time.time())}, {quote(info)})"])
        self.published = True

    def drop(self) -> None:
        if not self.published:
            self._truncate()
