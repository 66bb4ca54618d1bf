"""Full and incremental index builds.

One documented sequence, the same for `build` and `update`:

1. read: sources (`indexer.extract.sources`: files, folders, zip, WARC) or `.jsonl` files
   written by `dangan extract` -> pages (`PageWork`) or skips;
2. prepare: every page goes through the one ingestion runner (`indexer.extract.runner`):
   extraction, normalization, segmentation and MinHash in disposable worker processes,
   each page under the time and memory budgets of the settings (an overrunning page's
   worker is killed, the page becomes a `timeout`/`too_large` skip, the run goes on);
3. write: the prepared documents (pickled once, in the worker) go to `jobs` segment
   writer processes that never run page code, so killing a page never loses another
   page's documents; a writer starts a new segment every `segment_chars` characters;
4. check: report ids unique (a clash stops the build with the sources that share an id),
   an update does not delete more than `max_delete_share` of the index (else `--force`),
   the new generation opens like a server opens it, holds exactly the reports added and
   kept, and is not empty (else `--allow-empty`);
5. publish (`store.publish`): fsync, rename, swap the `current` symlink.

A build that fails or is refused leaves the current generation as it was.
"""
from __future__ import annotations

from contextlib import contextmanager

import hashlib
import json
import multiprocessing
import os
import pickle
import queue
import select
import shutil
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from whoosh import index as whoosh_index
from whoosh.index import TOC

from ..extract import extraction_version
from ..normalize import normalization_version
from ..settings import SETTINGS, BudgetSettings
from . import analysis, charindex, dedup, expand, kernels, schema, store
from .backends.base import BackendError
from .writer import Committer, LeanWriter


class BuildFailed(BackendError):
    """The build could not finish: one of its own processes failed or died (not an input:
    a bad input is a skip). Nothing was published; the index in use is unchanged. The
    CLI reports it like every backend error (exit 1)."""

    def __init__(self, reason: str):
        super().__init__(f"{reason}: nothing was published, the index in use is unchanged")


class BuildRefused(Exception):
    """The new generation was not published (ids clash, too many deletions, empty, or
    it failed validation). `summary` says what the run saw."""

    def __init__(self, message: str, summary: "Summary"):
        super().__init__(message)
        self.summary = summary


@dataclass
class PageWork:
    source: str
    page_hash: str
    raw: object = None  # RawPage, extracted in the worker
    reports: list[dict] | None = None  # already extracted (.jsonl input)
    key: str = ""  # what identifies the page from build to build (default: its source)

    def __post_init__(self):
        self.key = self.key or self.source


@dataclass
class PageResult:
    source: str
    page_hash: str
    docs: list[dict] = field(default_factory=list)  # report_id and _minhash of each report
    skip: str | None = None
    blob: bytes | None = None  # the prepared documents, pickled, for a segment writer
    key: str = ""

    def __post_init__(self):
        self.key = self.key or self.source


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
    deleted_reports: int = 0
    duplicate_pages: int = 0
    skipped: list[dict] = field(default_factory=list)
    skipped_file: str | None = None
    duplicate_groups: int = 0
    dictionary_version: str = ""
    synonyms_version: str | None = None
    seconds: float = 0.0
    slowest_pages: list[dict] = field(default_factory=list)  # [{seconds, source}], slowest first

    def skip_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for skip in self.skipped:
            reason = skip["reason"].split(":", 1)[0]
            counts[reason] = counts.get(reason, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def to_json(self) -> dict:
        data = dict(self.__dict__)
        data["skipped_count"] = len(self.skipped)
        data["skipped_by_reason"] = self.skip_counts()
        data["pages_per_s"] = round(self.pages / self.seconds, 1) if self.seconds else None
        return data


# ---------------------------------------------------------------- sources


def _jsonl_pages(path: Path) -> Iterator[PageWork | PageResult]:
    """Reports of a `dangan extract` output, grouped into pages by their source; a line
    that is not a report record is a skip (it never stops the build)."""
    source, lines, reports = None, [], []
    try:
        fh = open(path, encoding="utf-8", errors="surrogateescape")
    except OSError as exc:
        yield PageResult(str(path), "", skip=f"unreadable: {exc.strerror or exc}")
        return
    with fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                if not isinstance(rec, dict):
                    raise ValueError("not a JSON object")
                line.encode("utf-8")
            except (ValueError, UnicodeEncodeError) as exc:
                yield PageResult(f"{path}:{number}", "", skip=f"bad_record: line {number}: {exc}"[:300])
                continue
            if rec.get("type", "report") != "report":
                continue  # skip records are the extractor's business (it listed them)
            if not isinstance(rec.get("report_id"), str) or not rec["report_id"]:
                yield PageResult(f"{path}:{number}", "", skip=f"bad_record: line {number}: no report_id")
                continue
            if rec.get("source") != source and reports:
                yield PageWork(source, _hash_lines(lines), reports=reports)
                lines, reports = [], []
            source = rec.get("source") or f"{path}:{number}"
            lines.append(line)
            reports.append(rec)
    if reports:
        yield PageWork(source, _hash_lines(lines), reports=reports)


def _hash_lines(lines: list[str]) -> str:
    digest = hashlib.sha1()
    for line in lines:
        digest.update(line.encode("utf-8"))
    return digest.hexdigest()


def plan(sources: Iterable[str], recorded: dict[str, str] | None = None):
    """(archive roots, their skips, .jsonl inputs) of a run's SOURCE arguments."""
    from ..extract.sources import plan_roots

    sources = [str(s) for s in sources]
    jsonl = [s for s in sources if s.endswith(".jsonl")]
    roots, skips = plan_roots([s for s in sources if not s.endswith(".jsonl")], recorded)
    return roots, skips, jsonl


def iter_work(sources: Iterable[str], recorded: dict[str, str] | None = None,
              planned=None) -> Iterator[PageWork | PageResult]:
    """Pages to process; unreadable inputs come out as PageResult skips."""
    from ..extract.model import Skip
    from ..extract.sources import iter_raw_pages

    roots, skips, jsonl = planned or plan(sources, recorded)
    for skip in skips:
        yield PageResult(skip.source, "", skip=skip.reason)
    for item in iter_raw_pages([], roots=roots):
        if isinstance(item, Skip):
            yield PageResult(item.source, "", skip=item.reason)
        else:
            # The page's identity, not its path: an archive moved, or named from another
            # working directory, is still the same pages for `update`.
            yield PageWork(item.source, hashlib.sha1(item.data).hexdigest(), raw=item, key=item.identity)
    for path in jsonl:
        yield from _jsonl_pages(Path(path))


# ---------------------------------------------------------------- workers


def process(work: PageWork | PageResult, user_dict: str | None) -> PageResult:
    """Extract (if needed) and prepare one page's reports. Runs in a runner worker; the
    documents travel pickled (`blob`), the rest of the result stays small."""
    if isinstance(work, PageResult):
        return work
    if work.reports is None:
        from ..extract.model import Skip
        from ..extract.pipeline import extract_page

        out = extract_page(work.raw)
        if isinstance(out, Skip):
            return PageResult(work.source, work.page_hash, skip=out.reason, key=work.key)
        reports = [r.to_json() for r in out]
    else:
        reports = work.reports
    docs = []
    for rep in reports:
        try:
            doc = schema.prepare(rep, work.page_hash, work.key, user_dict)
            doc["_minhash"] = dedup.signature(doc.pop("_key"))
            charindex.encode_word_fields(doc)
        except MemoryError:
            raise  # the runner turns it into a too_large skip
        except Exception as exc:  # noqa: BLE001 - one bad report must not stop a build
            return PageResult(work.source, work.page_hash, key=work.key,
                              skip=f"index_error: {type(exc).__name__}: {exc}")
        docs.append(doc)
    light = [{"report_id": d["report_id"], "_minhash": d.pop("_minhash")} for d in docs]
    return PageResult(work.source, work.page_hash, docs=light, key=work.key,
                      blob=pickle.dumps(docs, protocol=pickle.HIGHEST_PROTOCOL) if docs else None)


def _failed(work: PageWork | PageResult, reason: str) -> PageResult:
    return PageResult(work.source, work.page_hash, skip=reason, key=work.key)


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

    def add_page(self, docs: list[dict]) -> None:
        """One page's prepared documents; then a new segment when this one is full."""
        for doc in docs:
            self.writer.add_document(**{k: v for k, v in doc.items() if not k.startswith("_")})
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


def _segment_writer(gen: str, limitmb: int, inbox, outbox, parent_pid: int, from_main: bool) -> None:
    """Writer process: add prepared documents (pickled lists, one per page, read from its
    own pipe; an empty message ends the stream) to a series of segments; report each
    segment written, and finally that it is done."""
    import signal

    from ..extract.runner import die_with_parent, keep_inherited_shared

    die_with_parent(parent_pid, from_main)
    keep_inherited_shared()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        series = SegmentSeries(whoosh_index.open_dir(gen), limitmb, lambda seg: outbox.put(("segment", seg)))
        while blob := inbox.recv_bytes():
            series.add_page(pickle.loads(blob))
            store.failpoint("build.writer_page")
        series.close()
        outbox.put(("done", None))
    except BaseException:  # noqa: BLE001 - reported to the main process, which fails the build
        outbox.put(("error", traceback.format_exc()))


WRITER_PIPE_BYTES = 1 << 20  # what each writer's pipe buffers (Linux default 64 KiB: a few pages)


def _grow_pipe(conn) -> None:
    """Ask the kernel for a larger pipe buffer (Linux F_SETPIPE_SZ); keep the default if
    it refuses (the limit is /proc/sys/fs/pipe-max-size)."""
    try:
        import fcntl
    except ImportError:
        return
    if hasattr(fcntl, "F_SETPIPE_SZ"):  # Linux only
        try:
            fcntl.fcntl(conn.fileno(), fcntl.F_SETPIPE_SZ, WRITER_PIPE_BYTES)
        except OSError:
            pass


class SegmentWriters:
    """Where prepared pages go: `n` writer processes, or this process when n == 0.

    Each writer reads its own pipe (bytes written straight from this thread, no feeder
    thread and no second pickling as with a multiprocessing queue); a page goes to the
    next writer whose pipe has room."""

    def __init__(self, ix, gen: Path, n: int):
        self.segments: list = []
        self.procs: list = []
        self.pipes: list = []
        self.series = None
        self._done = 0
        self._turn = 0
        if n <= 0:
            self.series = SegmentSeries(ix, 256, self.segments.append)
            return
        import threading

        ctx = multiprocessing.get_context("fork")
        self.outbox = ctx.Queue()
        from_main = threading.current_thread() is threading.main_thread()
        limitmb = max(64, 256 // n)
        for _ in range(n):
            # One pipe per writer, made just before its process: only that writer holds the
            # reading end (we close ours), so a writer that dies breaks our side at once.
            reader, writer = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_segment_writer, name="dangan-segment-writer", daemon=True,
                               args=(str(gen), limitmb, reader, self.outbox, os.getpid(), from_main))
            proc.start()
            reader.close()
            _grow_pipe(writer)
            self.procs.append(proc)
            self.pipes.append(writer)

    def add(self, blob: bytes) -> None:
        if self.series is not None:
            self.series.add_page(pickle.loads(blob))
            return
        while True:
            self.poll()
            _r, ready, _x = select.select([], self.pipes, [], 0.5)
            if not ready:
                continue
            pipe = ready[self._turn % len(ready)]  # turn about among those with room
            self._turn += 1
            try:
                pipe.send_bytes(blob)
            except OSError:
                self._died()
            return

    def _died(self):
        self.poll()  # a writer's own error report says more than a broken pipe
        raise BuildFailed("a segment writer process died")

    def poll(self, block: bool = False) -> None:
        """Take the writers' messages; fail when one of them failed or died."""
        while True:
            try:
                kind, payload = self.outbox.get(block, 1.0 if block else 0)
            except queue.Empty:
                if any(p.exitcode not in (None, 0) for p in self.procs):
                    raise BuildFailed("a segment writer process died") from None
                return
            if kind == "segment":
                self.segments.append(payload)
                store.failpoint("build.segments_written")
            elif kind == "done":
                self._done += 1
            else:
                raise BuildFailed(f"a segment writer failed:\n{payload}")
            if block:
                return

    def close(self) -> list:
        """Finish the last segments; return every segment written."""
        if self.series is not None:
            self.series.close()
            return self.segments
        for pipe in self.pipes:
            try:
                pipe.send_bytes(b"")
            except OSError:
                self._died()
            pipe.close()
        while self._done < len(self.procs):
            self.poll(block=True)
        for proc in self.procs:
            proc.join()
        return self.segments

    def abort(self) -> None:
        for pipe in self.pipes:
            pipe.close()
        for proc in self.procs:
            if proc.is_alive():
                proc.kill()
            proc.join()


class _Ids:
    """Report ids of the new generation must be unique: one id, one page (pages are
    named by their key: identity, or source for .jsonl input)."""

    def __init__(self, known: dict):
        self.old_owner = {rid: key for key, (_hash, rids) in known.items() for rid in rids}
        self.new_owner: dict[str, str] = {}
        self.source_of: dict[str, str] = {}
        self.replaced: set[str] = set()  # old pages whose reports are deleted
        self.clashes: list[tuple[str, str, str]] = []

    def claim(self, key: str, source: str, rids: list[str]) -> bool:
        """Record a page's ids; False when this very page was already indexed in this run
        (given twice), so it must not be added again."""
        if rids and self.new_owner.get(rids[0]) == key:
            return False
        self.source_of[key] = source
        for rid in rids:
            other = self.new_owner.setdefault(rid, key)
            if other != key:
                self.clashes.append((rid, self.source_of.get(other, other), source))
        return True

    def problems(self) -> list[tuple[str, str, str]]:
        found = list(self.clashes)
        for rid, key in self.new_owner.items():
            old = self.old_owner.get(rid)
            if old is not None and old != key and old not in self.replaced:
                found.append((rid, f"{old} (already in the index)", self.source_of.get(key, key)))
        return found


def _clash_message(clashes: list[tuple[str, str, str]]) -> str:
    lines = [f"report ids clash: {len(clashes)} report id(s) come from two different pages, so "
             "one would hide the other; nothing was published. Give each archive once, and archives "
             "that share names as separate folders (their identities then differ):"]
    lines += [f"  {rid}: {a}  <->  {b}" for rid, a, b in clashes[:10]]
    if len(clashes) > 10:
        lines.append(f"  … and {len(clashes) - 10} more")
    return "\n".join(lines)


def _write(ix, gen: Path, items, jobs: int, user_dict: str | None, progress: bool,
           summary: Summary, signatures, known: dict, deleting, budgets: BudgetSettings,
           aliases: dict[str, str] | None = None) -> None:
    """Index `items` (new or changed pages); `known` pages are replaced, their old
    reports deleted; `deleting` lists vanished page keys to delete afterwards; `aliases`:
    page key -> the key the index knows it by, when they differ."""
    aliases = {} if aliases is None else aliases  # filled while the input is read
    from ..extract import runner

    # Warm everything once here, imports included: forked workers inherit it instead of
    # building it again, and lazily mapped libraries do not eat into a page's budget.
    analysis.tokenizer(user_dict)
    analysis.words(analysis.key("預熱工作"), user_dict)
    kernels.load()  # the compiled MinHash and packing loops (numba), before the fork
    dedup.signature("預熱工作總結")
    runner.warm_up()
    committer = Committer(ix, codec=schema.codec())
    writers = SegmentWriters(ix, gen, jobs)
    ids = _Ids(known)
    stats = runner.RunStats()

    def work(item):
        return process(item, user_dict)

    try:
        for _item, result in runner.run(items, work, max(1, jobs), _failed, budgets=budgets,
                                        ordered=False, progress=progress, stats=stats):
            summary.pages += 1
            if summary.pages == 1:
                store.failpoint("build.extracting")
            old_key = result.key if result.key in known else aliases.get(result.key)
            if old_key is not None and old_key not in ids.replaced:
                summary.changed_pages += 1
                ids.replaced.add(old_key)
                _delete_page(committer, known[old_key][1], signatures)
            elif result.skip is None:
                summary.added_pages += 1
            if result.skip is not None:
                summary.skipped.append({"source": result.source, "reason": result.skip})
                continue
            rids = [d["report_id"] for d in result.docs]
            if not ids.claim(result.key, result.source, rids):
                summary.duplicate_pages += 1
                summary.skipped.append({"source": result.source,
                                        "reason": "duplicate_input: this page was already read from another input"})
                continue
            for doc in result.docs:
                signatures[doc["report_id"]] = doc["_minhash"]
            if result.blob is not None:
                writers.add(result.blob)
            if jobs > 0:
                writers.poll()
        for source in deleting or ():
            summary.deleted_pages += 1
            ids.replaced.add(source)
            _delete_page(committer, known[source][1], signatures)
        summary.slowest_pages = stats.to_json()
        clashes = ids.problems()
        if clashes:
            summary.skipped_file = str(_write_skips(gen.parent / "refused-skipped.jsonl", summary))
            raise BuildRefused(_clash_message(clashes), summary)
        committer.commit_segments(writers.close())
    except BaseException:
        writers.abort()
        committer.cancel()
        raise


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


def _recorded_roots(current: Path | None) -> dict[str, str]:
    """Archive roots of the current generation: resolved path -> identity (ids stay)."""
    if current is None:
        return {}
    roots = store.read_meta(current).get("roots") or []
    return {r["path"]: r["identity"] for r in roots if isinstance(r, dict) and r.get("path") and r.get("identity")}


def _validate(gen: Path, expected: set[str], allow_empty: bool) -> None:
    """Open the new generation the way a server opens it and check it holds exactly the
    reports expected; raise ValueError saying what is wrong."""
    from .engine import Index
    from .model import SearchRequest

    try:
        index = Index(gen)
    except store.EmptyIndex:
        if expected or not allow_empty:
            raise ValueError("the new generation holds no reports") from None
        return
    except Exception as exc:  # noqa: BLE001 - whatever breaks, it is not published
        raise ValueError(f"the new generation does not open: {type(exc).__name__}: {exc}") from exc
    with index:
        from .engine import search

        st = index.state()
        found = {rid for rid, live in zip(st.cols.report_ids, st.cols.live) if live and rid}
        if found != expected:
            raise ValueError(f"the new generation holds {len(found)} reports, {len(expected)} expected "
                             f"({len(expected - found)} missing, {len(found - expected)} unexpected)")
        total = search(index, SearchRequest(per_page=1, collapse=False)).total
        if total != len(expected):
            raise ValueError(f"a search over the new generation finds {total} reports, {len(expected)} expected")


def _conclude(root: Path, gen: Path, ix, signatures, summary: Summary, user_dict: str | None,
              roots: list, allow_empty: bool, old_ids: set[str] | None, force: bool) -> None:
    """Steps 4 and 5: check the new generation, then publish it (or refuse, saying why)."""
    expected = set(signatures)
    summary.reports = len(expected)
    try:
        if old_ids:
            gone = old_ids - expected
            summary.deleted_reports = len(gone)
            share = len(gone) / len(old_ids)
            limit = SETTINGS.index.max_delete_share
            if share > limit and not force:
                raise BuildRefused(
                    f"this update would delete {len(gone)} of the index's {len(old_ids)} reports "
                    f"({share:.0%}, more than the {limit:.0%} allowed): are the sources complete (a "
                    "truncated archive, a folder not mounted)? Rerun with --force if it is intended.", summary)
        if not expected and not allow_empty:
            raise BuildRefused("nothing to index: every input was skipped (see the reasons), so the "
                               "index was left as it was. Use --allow-empty to publish an empty index.", summary)
        groups = dedup.groups(signatures)
        signatures.save()
        store.write_json_atomic(gen / "dups.json", groups)
        summary.duplicate_groups = len({tuple(g) for g in groups.values()})
        store.write_json_atomic(gen / store.META, {
            "dictionary_version": summary.dictionary_version,
            "user_dict": "user_dict.txt" if user_dict else None,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "reports": summary.reports,
            "schema": schema.FORMAT,
            "normalization": normalization_version(),
            "extraction": extraction_version(),
            "synonyms": "synonyms.txt" if summary.synonyms_version else None,
            "synonyms_version": summary.synonyms_version,
            "roots": [r.to_json() for r in roots],
        })
        try:
            _validate(gen, expected, allow_empty)
        except ValueError as exc:
            raise BuildRefused(f"the new index failed validation and was not published: {exc}", summary) from exc
    except BuildRefused:
        summary.skipped_file = str(_write_skips(root / "refused-skipped.jsonl", summary))
        raise
    _write_skips(gen / "skipped.jsonl", summary)
    final = store.publish(root, gen)
    summary.generation = final.name
    summary.skipped_file = str(final / "skipped.jsonl")


def _write_skips(path: Path, summary: Summary) -> Path:
    with open(path, "w", encoding="utf-8", errors="backslashreplace") as fh:
        for skip in summary.skipped:
            fh.write(json.dumps({"type": "skipped", **skip}, ensure_ascii=False) + "\n")
    return path


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
          progress: bool = False, synonyms: str | None = None, *, allow_empty: bool = False,
          force: bool = False, budgets: BudgetSettings | None = None) -> Summary:
    """Full build into a fresh generation, published when it validated."""
    started = time.perf_counter()
    summary = Summary(index=str(root), dictionary_version=analysis.dictionary_version(user_dict))
    with store.WriterLock(root, SETTINGS.index.lock_stale_wait_s), _fresh_generation(root) as gen:
        planned = plan(sources, _recorded_roots(store.current_generation(root)))
        kept_dict = _copy_dictionaries(gen, user_dict)
        _copy_synonyms(gen, synonyms, summary)
        ix = whoosh_index.create_in(str(gen), schema.make_schema())
        signatures = dedup.SignatureStore(gen)
        _write(ix, gen, iter_work(sources, planned=planned), jobs, kept_dict, progress, summary, signatures,
               known={}, deleting=None, budgets=budgets or SETTINGS.budgets)
        _conclude(root, gen, ix, signatures, summary, kept_dict, planned[0], allow_empty, None, force)
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def indexed_pages(ix) -> dict[str, tuple[str, list[str]]]:
    """page key (identity, or source for .jsonl input) -> (page hash, report ids), from
    the compact meta column."""
    pages: dict[str, tuple[str, list[str]]] = {}
    with ix.searcher() as s:
        reader = s.reader()
        if not reader.doc_count_all():
            return pages
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
        if not item.is_file() or item.name == "skipped.jsonl":
            continue
        if segment_file.match(item.name):
            try:
                os.link(item, gen / item.name)
                continue
            except OSError:
                pass  # a file system without hard links
        shutil.copy2(item, gen / item.name)


def update(sources: list[str], root: Path, jobs: int = 2, user_dict: str | None = None,
           progress: bool = False, synonyms: str | None = None, *, allow_empty: bool = False,
           force: bool = False, budgets: BudgetSettings | None = None) -> Summary:
    """Incremental: reprocess new and changed pages (by content hash), delete vanished
    ones; all pages when the dictionaries changed. Checked and published like a build;
    deleting more than `max_delete_share` of the reports needs `force`."""
    started = time.perf_counter()
    current = store.current_generation(root)
    meta = store.read_meta(current) if current is not None else {}
    if meta.get("schema") != schema.FORMAT or meta.get("normalization") != normalization_version():
        # nothing to update in place (no index, or keys of another layout or normalization)
        return build(sources, root, jobs, user_dict, progress, synonyms, allow_empty=allow_empty,
                     force=force, budgets=budgets)
    summary = Summary(index=str(root), dictionary_version=analysis.dictionary_version(user_dict))
    with store.WriterLock(root, SETTINGS.index.lock_stale_wait_s), _fresh_generation(root) as gen:
        current = store.current_generation(root)
        _clone_generation(current, gen)
        if (gen / "user_dict.txt").exists() and not user_dict:
            (gen / "user_dict.txt").unlink()
        kept_dict = _copy_dictionaries(gen, user_dict)
        _copy_synonyms(gen, synonyms, summary)
        recorded = store.read_meta(current)
        # new dictionaries or another extractor: every page is analysed again
        force_all = (recorded.get("dictionary_version") != summary.dictionary_version
                     or recorded.get("extraction") != extraction_version())
        planned = plan(sources, _recorded_roots(current))
        ix = whoosh_index.open_dir(str(gen))
        known = indexed_pages(ix)
        old_ids = {rid for _hash, rids in known.values() for rid in rids}
        signatures = dedup.SignatureStore(gen)
        seen: set[str] = set()
        aliases: dict[str, str] = {}

        def todo() -> Iterator[PageWork | PageResult]:
            for item in iter_work(sources, planned=planned):
                key = item.key
                if key not in known and item.source in known:
                    # An index written when pages were known by their path: same page.
                    key = aliases[item.key] = item.source
                seen.add(key)
                old = known.get(key)
                if old and not force_all and isinstance(item, PageWork) and old[0] == item.page_hash:
                    summary.unchanged_pages += 1
                    continue
                yield item

        class Vanished:  # evaluated after the input is exhausted
            def __iter__(self):
                return iter(sorted(set(known) - seen))

        _write(ix, gen, todo(), jobs, kept_dict, progress, summary, signatures,
               known=known, deleting=Vanished(), budgets=budgets or SETTINGS.budgets, aliases=aliases)
        _conclude(root, gen, ix, signatures, summary, kept_dict, planned[0], allow_empty, old_ids, force)
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def _delete_page(writer, report_ids: list[str], signatures) -> None:
    for rid in report_ids:
        writer.delete_by_term("report_id", rid)
        signatures.pop(rid, None)
