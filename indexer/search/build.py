"""Full and incremental index builds.

The main process reads sources and writes the index; worker processes do everything
between (decode, extraction, normalization, segmentation, MinHash) and return
pre-tokenized documents. At most `2 * jobs + 8` pages are in flight, so memory stays
bounded however large the archive is.

Sources are the inputs of `dangan extract` (files, folders, zip, WARC) or `.jsonl`
files written by it (reports already extracted: reindexing without re-extraction).
"""
from __future__ import annotations

import hashlib
import json
import multiprocessing
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from whoosh import index as whoosh_index

from . import analysis, dedup, schema, store


@dataclass
class PageWork:
    source: str
    page_hash: str
    raw: object = None  # RawPage, extracted in the worker
    reports: list[dict] | None = None  # already extracted (.jsonl input)


@dataclass
class PageResult:
    source: str
    page_hash: str
    docs: list[dict] = field(default_factory=list)
    skip: str | None = None


@dataclass
class Summary:
    index: str = ""
    generation: str = ""
    pages: int = 0
    reports: int = 0
    added_pages: int = 0
    changed_pages: int = 0
    unchanged_pages: int = 0
    deleted_pages: int = 0
    duplicate_ids: int = 0
    skipped: list[dict] = field(default_factory=list)
    duplicate_groups: int = 0
    dictionary_version: str = ""
    seconds: float = 0.0

    def to_json(self) -> dict:
        data = dict(self.__dict__)
        data["skipped_count"] = len(self.skipped)
        data["pages_per_s"] = round(self.pages / self.seconds, 1) if self.seconds else None
        return data


# ---------------------------------------------------------------- sources


def _jsonl_pages(path: Path) -> Iterator[PageWork]:
    """Reports of a `dangan extract` output, grouped into pages by their source."""
    source, lines, reports = None, [], []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            rec = json.loads(line)
            if rec.get("type", "report") != "report" or "report_id" not in rec:
                continue  # skip records are the extractor's business
            if rec.get("source") != source and reports:
                yield PageWork(source, _hash_lines(lines), reports=reports)
                lines, reports = [], []
            source = rec.get("source")
            lines.append(line)
            reports.append(rec)
    if reports:
        yield PageWork(source, _hash_lines(lines), reports=reports)


def _hash_lines(lines: list[str]) -> str:
    digest = hashlib.sha1()
    for line in lines:
        digest.update(line.encode("utf-8"))
    return digest.hexdigest()


def iter_work(sources: Iterable[str]) -> Iterator[PageWork | PageResult]:
    """Pages to process; unreadable inputs come out as PageResult skips."""
    from ..model import Skip
    from ..sources import iter_raw_pages

    archives: list[str] = []

    def flush() -> Iterator[PageWork | PageResult]:
        for item in iter_raw_pages(list(archives)):
            if isinstance(item, Skip):
                yield PageResult(item.source, "", skip=item.reason)
            else:
                yield PageWork(item.source, hashlib.sha1(item.data).hexdigest(), raw=item)
        archives.clear()

    for src in sources:
        if str(src).endswith(".jsonl"):
            yield from flush()
            yield from _jsonl_pages(Path(src))
        else:
            archives.append(str(src))
    yield from flush()


# ---------------------------------------------------------------- workers


def process(work: PageWork, user_dict: str | None) -> PageResult:
    """Extract (if needed) and prepare one page's reports. Runs in a worker."""
    if work.reports is None:
        from ..model import Skip
        from ..pipeline import extract_page

        out = extract_page(work.raw)
        if isinstance(out, Skip):
            return PageResult(work.source, work.page_hash, skip=out.reason)
        reports = [r.to_json() for r in out]
    else:
        reports = work.reports
    docs = []
    for rep in reports:
        try:
            doc = schema.prepare(rep, work.page_hash, work.source, user_dict)
            doc["_minhash"] = dedup.signature(doc.pop("_key"))
        except Exception as exc:  # noqa: BLE001 - one bad report must not stop a build
            return PageResult(work.source, work.page_hash,
                              skip=f"index_error: {type(exc).__name__}: {exc}")
        docs.append(doc)
    return PageResult(work.source, work.page_hash, docs=docs)


_WORKER_USER_DICT: str | None = None


def _init_worker(user_dict: str | None) -> None:
    global _WORKER_USER_DICT  # per-process configuration, set once at worker start
    _WORKER_USER_DICT = user_dict
    analysis.tokenizer(user_dict)
    analysis.index_form("預熱")  # build the normalization tables once per worker


def _work(work: PageWork) -> PageResult:
    return process(work, _WORKER_USER_DICT)


def run_pipeline(items: Iterable[PageWork | PageResult], jobs: int,
                 user_dict: str | None) -> Iterator[PageResult]:
    """Results in input order. jobs=0 processes in this process (tests, debugging)."""
    if jobs <= 0:
        for item in items:
            yield item if isinstance(item, PageResult) else process(item, user_dict)
        return
    # Bound the pages in flight: Pool.imap would otherwise read the whole input ahead.
    slots = threading.BoundedSemaphore(2 * jobs + 8)
    passthrough: dict[int, PageResult] = {}

    def feed() -> Iterator[PageWork | None]:
        for i, item in enumerate(items):
            slots.acquire()
            if isinstance(item, PageResult):
                passthrough[i] = item
                yield None
            else:
                yield item

    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(jobs, initializer=_init_worker, initargs=(user_dict,)) as pool:
        for i, result in enumerate(pool.imap(_work_or_none, feed(), chunksize=1)):
            slots.release()
            yield passthrough.pop(i) if result is None else result


def _work_or_none(work: PageWork | None) -> PageResult | None:
    return None if work is None else _work(work)


# ---------------------------------------------------------------- writing


def _copy_dictionaries(gen: Path, user_dict: str | None) -> str | None:
    """Keep the user dictionary with the index, so queries segment like documents."""
    if not user_dict:
        return None
    target = gen / "user_dict.txt"
    shutil.copyfile(user_dict, target)
    return str(target)


def _finish(gen: Path, ix, signatures: dict, summary: Summary, user_dict: str | None) -> None:
    groups = dedup.groups(signatures)
    dedup.save_signatures(gen / "minhash.npz", signatures)
    store.write_json_atomic(gen / "dups.json", groups)
    summary.duplicate_groups = len({tuple(g) for g in groups.values()})
    with ix.searcher() as s:
        summary.reports = s.doc_count()
    store.write_json_atomic(gen / store.META, {
        "dictionary_version": summary.dictionary_version,
        "user_dict": "user_dict.txt" if user_dict else None,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "reports": summary.reports,
        "schema": 1,
    })


def _progress(enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(unit="page", desc="indexing", dynamic_ncols=True)


def build(sources: list[str], root: Path, jobs: int = 2, user_dict: str | None = None,
          progress: bool = False) -> Summary:
    """Full build into a fresh generation, published atomically at the end."""
    started = time.perf_counter()
    summary = Summary(index=str(root), dictionary_version=analysis.dictionary_version(user_dict))
    with store.WriterLock(root):
        gen = store.new_generation(root)
        try:
            kept_dict = _copy_dictionaries(gen, user_dict)
            ix = whoosh_index.create_in(str(gen), schema.make_schema())
            writer = ix.writer(limitmb=256)
            signatures: dict = {}
            bar = _progress(progress)
            try:
                for result in run_pipeline(iter_work(sources), jobs, kept_dict):
                    summary.pages += 1
                    summary.added_pages += 1
                    _add(writer, result, signatures, summary)
                    if bar is not None:
                        bar.update(1)
            finally:
                if bar is not None:
                    bar.close()
            writer.commit()
            _finish(gen, ix, signatures, summary, kept_dict)
            summary.generation = store.publish(root, gen).name
        except BaseException:
            shutil.rmtree(gen, ignore_errors=True)
            raise
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def _add(writer, result: PageResult, signatures: dict, summary: Summary) -> None:
    if result.skip is not None:
        summary.skipped.append({"source": result.source, "reason": result.skip})
        return
    for doc in result.docs:
        sig = doc.pop("_minhash")
        if doc["report_id"] in signatures:
            summary.duplicate_ids += 1  # the same page given twice: keep the first
            continue
        signatures[doc["report_id"]] = sig
        writer.add_document(**doc)


def indexed_pages(ix) -> dict[str, tuple[str, list[str]]]:
    """page source -> (page hash, report ids), from the compact meta column."""
    pages: dict[str, tuple[str, list[str]]] = {}
    with ix.searcher() as s:
        reader = s.reader()
        col = reader.column_reader("meta")
        for docnum in reader.all_doc_ids():
            meta = json.loads(col[docnum])
            entry = pages.setdefault(meta["page"], (meta["page_hash"], []))
            entry[1].append(meta["id"])
    return pages


def update(sources: list[str], root: Path, jobs: int = 2, user_dict: str | None = None,
           progress: bool = False) -> Summary:
    """Incremental: reprocess new and changed pages (by content hash), delete vanished
    ones; all pages when the dictionaries changed. Published like a build."""
    started = time.perf_counter()
    current = store.current_generation(root)
    if current is None:
        return build(sources, root, jobs, user_dict, progress)
    summary = Summary(index=str(root), dictionary_version=analysis.dictionary_version(user_dict))
    with store.WriterLock(root):
        current = store.current_generation(root)
        gen = store.new_generation(root)
        try:
            for item in current.iterdir():
                if item.is_file():
                    shutil.copy2(item, gen / item.name)
            if (gen / "user_dict.txt").exists() and not user_dict:
                (gen / "user_dict.txt").unlink()
            kept_dict = _copy_dictionaries(gen, user_dict)
            force = store.read_meta(current).get("dictionary_version") != summary.dictionary_version
            ix = whoosh_index.open_dir(str(gen))
            known = indexed_pages(ix)
            signatures = dedup.load_signatures(gen / "minhash.npz")
            writer = ix.writer(limitmb=256)
            seen: set[str] = set()

            def todo() -> Iterator[PageWork | PageResult]:
                for item in iter_work(sources):
                    seen.add(item.source)
                    old = known.get(item.source)
                    if old and not force and isinstance(item, PageWork) and old[0] == item.page_hash:
                        summary.unchanged_pages += 1
                        continue
                    yield item

            bar = _progress(progress)
            try:
                for result in run_pipeline(todo(), jobs, kept_dict):
                    summary.pages += 1
                    if result.source in known:
                        summary.changed_pages += 1
                        _delete_page(writer, known[result.source][1], signatures)
                    else:
                        summary.added_pages += 1
                    _add(writer, result, signatures, summary)
                    if bar is not None:
                        bar.update(1)
            finally:
                if bar is not None:
                    bar.close()
            for source in set(known) - seen:
                summary.deleted_pages += 1
                _delete_page(writer, known[source][1], signatures)
            writer.commit()
            _finish(gen, ix, signatures, summary, kept_dict)
            summary.generation = store.publish(root, gen).name
        except BaseException:
            shutil.rmtree(gen, ignore_errors=True)
            raise
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def _delete_page(writer, report_ids: list[str], signatures: dict) -> None:
    for rid in report_ids:
        writer.delete_by_term("report_id", rid)
        signatures.pop(rid, None)
