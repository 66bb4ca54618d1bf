"""Full and incremental index builds.

The main process reads sources and writes the index; worker processes do everything
between (decode, extraction, normalization, segmentation, MinHash) and return
pre-tokenized documents. At most `2 * jobs + 8` pages are in flight, so memory stays
bounded however large the archive is.

Sources are the inputs of `dangan extract` (files, folders, zip, WARC) or `.jsonl`
files written by it (reports already extracted: reindexing without re-extraction).
"""
from __future__ import annotations

from contextlib import contextmanager

import hashlib
import json
import multiprocessing
import os
import queue
import shutil
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np
from whoosh import index as whoosh_index
from whoosh.index import TOC

from ..normalize import normalization_version
from ..settings import SETTINGS
from . import analysis, dedup, expand, schema, store
from .writer import Committer, LeanWriter


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
    synonyms_version: str | None = None
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
    from ..extract.model import Skip
    from ..extract.sources import iter_raw_pages

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
        from ..extract.model import Skip
        from ..extract.pipeline import extract_page

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


# A segment is closed, and a new one started, when it holds this many characters of key
# text (settings: bounds a writer's memory).
SEGMENT_CHARS = SETTINGS.index.segment_chars


class SegmentSeries:
    """Adds documents to a series of segments of at most ~SEGMENT_CHARS characters each,
    handing every finished segment to `on_segment` (a worker process's writer, or the
    in-process build's)."""

    def __init__(self, ix, limitmb: int, on_segment: Callable):
        self.ix, self.limitmb, self.on_segment = ix, limitmb, on_segment
        self.writer = self._new()

    def _new(self) -> LeanWriter:
        return LeanWriter(self.ix, _lk=False, limitmb=self.limitmb, codec=schema.codec(), compound=False)

    def add_document(self, **fields) -> None:
        self.writer.add_document(**fields)

    def page_done(self) -> None:
        """Between pages: start a new segment when this one is full."""
        if self.writer.chars.occurrences >= SEGMENT_CHARS:
            self.close()
            self.writer = self._new()

    def close(self) -> None:
        # Not writer._finish()/cancel(): they delete the temporary directory shared with
        # the main writer, which removes it when it commits.
        if self.writer.docnum:
            self.on_segment(self.writer._finalize_segment())
        else:
            self.writer._close_segment()


def _segment_worker(gen: str, user_dict: str | None, limitmb: int, jobs, results) -> None:
    """Worker process: extract, analyse and write segments; report each page's outcome
    (without the documents), each segment written, and finally that it is done."""
    try:
        series = SegmentSeries(whoosh_index.open_dir(gen), limitmb, lambda seg: results.put(("segment", seg)))
        while (work := jobs.get()) is not None:
            result = process(work, user_dict)
            for doc in result.docs:
                doc["_minhash"] = doc["_minhash"].tobytes()
                series.add_document(**{k: v for k, v in doc.items() if not k.startswith("_")})
            result.docs = [{"report_id": d["report_id"], "_minhash": d["_minhash"]} for d in result.docs]
            results.put(("page", result))
            series.page_done()
        series.close()
        results.put(("done", None))
    except BaseException:  # noqa: BLE001 - reported to the main process, which fails the build
        results.put(("error", traceback.format_exc()))


def run_writers(gen: Path, items: Iterable[PageWork | PageResult], jobs: int,
                user_dict: str | None, on_result: Callable[[PageResult], None]) -> list:
    """Process pages in `jobs` worker processes that each write a segment; return the
    segments. At most 2 * jobs + 4 pages wait in the queue: memory stays bounded."""
    analysis.tokenizer(user_dict)
    analysis.index_form("預熱")  # warm once here: forked workers inherit the tables
    ctx = multiprocessing.get_context("fork")
    jobs_q = ctx.Queue(2 * jobs + 4)
    results_q = ctx.Queue()
    limitmb = max(64, 256 // jobs)
    procs = [ctx.Process(target=_segment_worker, args=(str(gen), user_dict, limitmb, jobs_q, results_q),
                         daemon=True) for _ in range(jobs)]
    for proc in procs:
        proc.start()
    segments: list = []
    done = 0

    def handle(block: bool) -> bool:
        nonlocal done
        try:
            kind, payload = results_q.get(block, 1.0 if block else 0)
        except queue.Empty:
            if any(p.exitcode not in (None, 0) for p in procs):
                raise RuntimeError("an index worker died") from None
            return False
        if kind == "page":
            for doc in payload.docs:
                doc["_minhash"] = np.frombuffer(doc["_minhash"], dtype=np.uint64)
            on_result(payload)
        elif kind == "segment":
            segments.append(payload)
        elif kind == "done":
            done += 1
        else:
            raise RuntimeError(f"index worker failed:\n{payload}")
        return True

    try:
        for item in items:
            if isinstance(item, PageResult):
                on_result(item)
                continue
            while True:
                try:
                    jobs_q.put(item, timeout=0.2)
                    break
                except queue.Full:
                    while handle(False):
                        pass
            while handle(False):
                pass
        for _ in procs:
            jobs_q.put(None)
        while done < jobs:
            handle(True)
    finally:
        for proc in procs:
            if proc.is_alive() and done < jobs:
                proc.terminate()
            proc.join()
    return segments


# ---------------------------------------------------------------- writing


def _copy_dictionaries(gen: Path, user_dict: str | None) -> str | None:
    """Keep the user dictionary with the index, so queries segment like documents."""
    if not user_dict:
        return None
    target = gen / "user_dict.txt"
    shutil.copyfile(user_dict, target)
    return str(target)


def _copy_synonyms(gen: Path, synonyms: str | None, summary: Summary) -> None:
    """Keep the librarian's synonym file with the index (query expansion reads it)."""
    target = gen / "synonyms.txt"
    if target.exists():
        target.unlink()  # an update's clone: the options of this write decide
    if synonyms:
        expand.read_synonyms(synonyms)  # unreadable: fail before anything is published
        shutil.copyfile(synonyms, target)
        summary.synonyms_version = expand.synonyms_version(target)


def _finish(gen: Path, ix, signatures: dict, summary: Summary, user_dict: str | None) -> None:
    groups = dedup.groups(signatures)
    signatures.save()
    store.write_json_atomic(gen / "dups.json", groups)
    summary.duplicate_groups = len({tuple(g) for g in groups.values()})
    with ix.searcher() as s:
        summary.reports = s.doc_count()
    store.write_json_atomic(gen / store.META, {
        "dictionary_version": summary.dictionary_version,
        "user_dict": "user_dict.txt" if user_dict else None,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "reports": summary.reports,
        "schema": schema.FORMAT,
        "normalization": normalization_version(),
        "synonyms": "synonyms.txt" if summary.synonyms_version else None,
        "synonyms_version": summary.synonyms_version,
    })


def _progress(enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(unit="page", desc="indexing", dynamic_ncols=True)


@contextmanager
def _fresh_generation(root: Path) -> Iterator[Path]:
    """A new generation directory, removed again if anything fails before it is
    published: an interrupted build leaves the current index untouched."""
    gen = store.new_generation(root)
    try:
        yield gen
    except BaseException:
        shutil.rmtree(gen, ignore_errors=True)
        raise


def build(sources: list[str], root: Path, jobs: int = 2, user_dict: str | None = None,
          progress: bool = False, synonyms: str | None = None) -> Summary:
    """Full build into a fresh generation, published atomically at the end."""
    started = time.perf_counter()
    summary = Summary(index=str(root), dictionary_version=analysis.dictionary_version(user_dict))
    with store.WriterLock(root), _fresh_generation(root) as gen:
        kept_dict = _copy_dictionaries(gen, user_dict)
        _copy_synonyms(gen, synonyms, summary)
        ix = whoosh_index.create_in(str(gen), schema.make_schema())
        signatures = dedup.SignatureStore(gen)
        _write(ix, gen, iter_work(sources), jobs, kept_dict, progress, summary, signatures,
               known={}, deleting=None)
        _finish(gen, ix, signatures, summary, kept_dict)
        summary.generation = store.publish(root, gen).name
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def _write(ix, gen: Path, items, jobs: int, user_dict: str | None, progress: bool,
           summary: Summary, signatures: dict, known: dict, deleting) -> None:
    """Index `items` (new or changed pages); `known` pages are replaced, their old
    reports deleted; `deleting` lists vanished page sources to delete afterwards."""
    writer = Committer(ix, codec=schema.codec())
    bar = _progress(progress)

    def on_result(result: PageResult, series: SegmentSeries | None) -> None:
        summary.pages += 1
        if result.source in known:
            summary.changed_pages += 1
            _delete_page(writer, known[result.source][1], signatures)
        else:
            summary.added_pages += 1
        _add(series, result, signatures, summary)
        if series is not None:
            series.page_done()
        if bar is not None:
            bar.update(1)

    try:
        if jobs <= 0:  # in this process (tests, debugging)
            segments = []
            series = SegmentSeries(ix, 256, segments.append)
            for item in items:
                on_result(item if isinstance(item, PageResult) else process(item, user_dict), series)
            series.close()
        else:
            segments = run_writers(gen, items, jobs, user_dict, lambda r: on_result(r, None))
        for source in deleting or ():
            summary.deleted_pages += 1
            _delete_page(writer, known[source][1], signatures)
        writer.commit_segments(segments)
    except BaseException:
        writer.cancel()
        raise
    finally:
        if bar is not None:
            bar.close()


def _add(writer, result: PageResult, signatures: dict, summary: Summary) -> None:
    """Record a page's reports (and add them, when `writer` is given: in-process mode)."""
    if result.skip is not None:
        summary.skipped.append({"source": result.source, "reason": result.skip})
        return
    for doc in result.docs:
        sig = doc.pop("_minhash")
        if doc["report_id"] in signatures:
            summary.duplicate_ids += 1  # the same report twice (a page given twice)
            if writer is not None:
                continue
        signatures[doc["report_id"]] = sig
        if writer is not None:
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


def _clone_generation(current: Path, gen: Path) -> None:
    """Start a generation from the current one. Segment files (Whoosh's and the
    character view's, named ``<index>_<segment id>.<ext>``) are never written again once
    their segment is committed: they are hard-linked, not copied (gigabytes at 50,000
    pages). Everything else is copied: it is rewritten in the new generation."""
    segment_file = TOC._segment_pattern(whoosh_index._DEF_INDEX_NAME)
    for item in current.iterdir():
        if not item.is_file():
            continue
        if segment_file.match(item.name):
            try:
                os.link(item, gen / item.name)
                continue
            except OSError:
                pass  # a file system without hard links
        shutil.copy2(item, gen / item.name)


def update(sources: list[str], root: Path, jobs: int = 2, user_dict: str | None = None,
           progress: bool = False, synonyms: str | None = None) -> Summary:
    """Incremental: reprocess new and changed pages (by content hash), delete vanished
    ones; all pages when the dictionaries changed. Published like a build."""
    started = time.perf_counter()
    current = store.current_generation(root)
    meta = store.read_meta(current) if current is not None else {}
    if meta.get("schema") != schema.FORMAT or meta.get("normalization") != normalization_version():
        # nothing to update in place (no index, or keys of another layout or normalization)
        return build(sources, root, jobs, user_dict, progress, synonyms)
    summary = Summary(index=str(root), dictionary_version=analysis.dictionary_version(user_dict))
    with store.WriterLock(root), _fresh_generation(root) as gen:
        current = store.current_generation(root)
        _clone_generation(current, gen)
        if (gen / "user_dict.txt").exists() and not user_dict:
            (gen / "user_dict.txt").unlink()
        kept_dict = _copy_dictionaries(gen, user_dict)
        _copy_synonyms(gen, synonyms, summary)
        force = store.read_meta(current).get("dictionary_version") != summary.dictionary_version
        ix = whoosh_index.open_dir(str(gen))
        known = indexed_pages(ix)
        signatures = dedup.SignatureStore(gen)
        seen: set[str] = set()

        def todo() -> Iterator[PageWork | PageResult]:
            for item in iter_work(sources):
                seen.add(item.source)
                old = known.get(item.source)
                if old and not force and isinstance(item, PageWork) and old[0] == item.page_hash:
                    summary.unchanged_pages += 1
                    continue
                yield item

        class Vanished:  # evaluated after the input is exhausted
            def __iter__(self):
                return iter(sorted(set(known) - seen))

        _write(ix, gen, todo(), jobs, kept_dict, progress, summary, signatures,
               known=known, deleting=Vanished())
        _finish(gen, ix, signatures, summary, kept_dict)
        summary.generation = store.publish(root, gen).name
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def _delete_page(writer, report_ids: list[str], signatures: dict) -> None:
    for rid in report_ids:
        writer.delete_by_term("report_id", rid)
        signatures.pop(rid, None)
