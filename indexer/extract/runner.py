"""The one ingestion runner: every page of `dangan extract` and `dangan index build|update`
goes through `run()`, each in a disposable worker process under a hard budget.

    items --> run(items, work, jobs) --> (item, result), in input order (or as they finish)

- Workers are forked once (warm: they inherit the parent's tables) and reused; there is
  no process spawn per page. A worker runs `work(item)` for one item at a time.
- Time: the parent gives every item `page_timeout_s` of wall time from the moment its
  worker starts on it; a worker that overruns is killed (SIGKILL: a C parser cannot be
  interrupted otherwise) and the item becomes ``timeout``.
- Memory: a worker's address space may grow by at most `page_memory_mb` above what it
  had when it started (RLIMIT_AS, enforced by the kernel): an allocation past it raises
  MemoryError (the item becomes ``too_large``) or kills the worker (same outcome). A
  worker that has grown by half its budget retires after its item and is replaced, so
  budgets do not shrink over a long run.
- A worker that dies for any other reason turns its item into an ``error`` skip; the run
  goes on with a fresh worker. Nothing else is lost: a worker holds one item at a time.
- Workers die with their parent (PR_SET_PDEATHSIG on Linux, else a watcher thread), so a
  killed run leaves no orphans holding files or locks.

`work` runs in the workers and must return a picklable result; `failed(item, reason)`
runs in the parent and turns an item whose worker was killed into a result. Both see
the same items in the same order whatever `jobs` is, so outputs do not depend on it.
"""
from __future__ import annotations

import ctypes
import multiprocessing
import os
import resource
import signal
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from typing import Any, Callable, Iterable, Iterator

from ..settings import SETTINGS, BudgetSettings

_PR_SET_PDEATHSIG = 1
_MB = 1024 * 1024


_WARM_UP_PAGE = (
    "<html><head><meta charset='utf-8'><title>某局2023年意识形态工作总结</title></head><body>"
    "<div>首页 &gt; 工作总结</div><h1>某局2023年意识形态工作总结</h1>"
    "<p>今年以来，局党组認真落實意識形態工作責任制，鍦ㄥ共閮ㄥ钩现将有关情况报告如下：</p>"
    "<p>一、主要工作</p><p>（一）加强组织领导。全年专题研究意识形态工作4次。</p>"
    "<p>二、存在问题</p><p>理论学习还不够深入。</p><p>三、下一步打算</p><p>继续加强理论武装。</p>"
    "<div>Copyright 2024 版权所有</div></body></html>"
).encode("utf-8")


def warm_up() -> None:
    """Build the extraction pipeline's lazy tables (OpenCC, jieba, codec sets) once, in
    the parent, before `run` forks: workers inherit them instead of each spending seconds
    building its own (and a worker that replaces a killed one starts warm)."""
    from ..normalize import normalize
    from .model import RawPage
    from .pipeline import extract_page

    normalize("預熱")  # its tables take seconds; not every page needs them early
    extract_page(RawPage(source="warm-up", identity="warm-up", data=_WARM_UP_PAGE, format_hint="html"))


# ---------------------------------------------------------------- worker side


def keep_inherited_shared() -> None:
    """Call early in a forked child: the objects it inherited from its parent (warm
    tables, the parent's bookkeeping) are left out of its garbage collections. A
    collection writes into every object it examines, which copies the parent's pages
    into the child one by one; the larger the parent (a build's main process grows with
    its input), the more each child would copy."""
    import gc

    gc.freeze()


def die_with_parent(parent_pid: int, forked_from_main_thread: bool = True) -> None:
    """Call first thing in a forked child: it is killed when `parent_pid` dies.

    PR_SET_PDEATHSIG fires when the forking *thread* exits, so it is used only for
    children forked from the main thread; otherwise (or off Linux) a daemon thread polls
    the parent. Either way a child whose parent is already gone exits at once.
    """
    armed = False
    if forked_from_main_thread and sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
    if os.getppid() != parent_pid:
        os._exit(1)
    if not armed:
        def watch() -> None:
            while os.getppid() == parent_pid:
                time.sleep(0.5)
            os._exit(1)

        threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _vm_bytes() -> int:
    """This process's address-space size (what RLIMIT_AS limits), 0 when unknown."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _peak_vm_bytes() -> int:
    """The largest address-space size this process has had (VmPeak), 0 when unknown."""
    try:
        with open("/proc/self/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmPeak:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _worker_main(conn, inherited, parent_pid: int, from_main: bool, work: Callable,
                 memory_mb: int) -> None:
    die_with_parent(parent_pid, from_main)
    keep_inherited_shared()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    # Rust code (rjieba) that runs out of the budget prints a backtrace when asked to, and
    # printing one needs memory: it deadlocks instead of aborting. Abort plainly.
    os.environ["RUST_BACKTRACE"] = "0"
    for other in inherited:  # the parent's ends of the pipes: not ours to hold open
        other.close()
    base = _vm_bytes()
    retire_at = limit = 0
    limit_margin = max(16 * _MB, memory_mb * _MB // 20)
    if memory_mb > 0 and base:
        limit = base + memory_mb * _MB
        try:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            retire_at = base + memory_mb * _MB // 2
        except (ValueError, OSError):
            pass  # e.g. a hard limit set lower by the operator: it applies instead
    while True:
        try:
            item = conn.recv()
        except (EOFError, OSError):
            return
        except MemoryError:  # the item itself did not fit in the budget
            _reply(conn, "memory", None, True)
            return
        try:
            status, payload = "ok", work(item)
        except MemoryError:
            status, payload = "memory", None
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - e.g. a Rust panic (pyo3's PanicException)
            # Native code that runs out of memory often fails some other way than with a
            # MemoryError: near the limit, that is what happened.
            if retire_at and _peak_vm_bytes() >= limit - limit_margin:
                status, payload = "memory", None
            else:
                status, payload = "error", f"{type(exc).__name__}: {exc}"[:500]
        del item
        # Retire after a MemoryError, or when grown by half the budget: the parent starts
        # a fresh worker with the whole budget.
        retiring = status == "memory" or bool(retire_at and _vm_bytes() > retire_at)
        if not _reply(conn, status, payload, retiring) or retiring:
            return


def _reply(conn, status: str, payload, retiring: bool) -> bool:
    try:
        conn.send((status, payload, retiring))
        return True
    except MemoryError:  # the result itself is over the budget
        try:
            conn.send(("memory", None, True))
        except (OSError, MemoryError):
            pass
        return False
    except OSError:
        return False


# ---------------------------------------------------------------- parent side


@dataclass
class RunStats:
    """What a run measured: the slowest pages (wall time in a worker), for summaries."""

    keep: int = 5
    slowest: list = field(default_factory=list)  # [(seconds, source)], slowest first

    def record(self, seconds: float, item: Any) -> None:
        if len(self.slowest) < self.keep or seconds > self.slowest[-1][0]:
            self.slowest.append((round(seconds, 2), str(getattr(item, "source", item))))
            self.slowest.sort(key=lambda pair: -pair[0])
            del self.slowest[self.keep:]

    def to_json(self) -> list[dict]:
        return [{"seconds": sec, "source": src} for sec, src in self.slowest]


@dataclass
class _Task:
    seq: int
    item: Any
    sent_at: float = 0.0


class _Worker:
    """One worker process and its pipe, holding at most one task."""

    def __init__(self, ctx, work: Callable, memory_mb: int, others: list):
        self.conn, child = ctx.Pipe(duplex=True)
        from_main = threading.current_thread() is threading.main_thread()
        # The child closes its copies of the parent's ends (its own pipe's and the other
        # workers'): it sees EOF when the parent closes or dies.
        self.proc = ctx.Process(target=_worker_main, name="dangan-page-worker",
                                args=(child, [self.conn, *others], os.getpid(), from_main, work, memory_mb))
        self.proc.start()
        child.close()
        self.task: _Task | None = None
        self.killed_for: str | None = None

    def submit(self, task: _Task) -> None:
        task.sent_at = time.monotonic()
        self.task = task
        self.conn.send(task.item)

    def kill(self, why: str) -> None:
        self.killed_for = why
        try:
            os.kill(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def close(self, timeout: float = 2.0) -> None:
        try:
            self.conn.close()
        except OSError:
            pass
        self.proc.join(timeout)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()


def _death_reason(worker: _Worker, budgets: BudgetSettings) -> str:
    if worker.killed_for == "timeout":
        return f"timeout: page took over {budgets.page_timeout_s:g} s (worker killed)"
    code = worker.proc.exitcode
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        if -code == signal.SIGKILL:  # the kernel's OOM killer, or an operator
            return f"too_large: worker killed ({name}) while processing the page"
        if -code == signal.SIGABRT and budgets.page_memory_mb > 0:
            # Native code (Rust, C++) aborts when an allocation fails: the budget ran out.
            return (f"too_large: worker aborted ({name}), out of its {budgets.page_memory_mb} MB "
                    "memory budget")
        return f"error: worker crashed ({name}) on this page"
    return f"error: worker exited (code {code}) on this page"


def run(items: Iterable, work: Callable[[Any], Any], jobs: int,
        failed: Callable[[Any, str], Any], *, budgets: BudgetSettings | None = None,
        ordered: bool = True, window: int | None = None, progress: bool = False,
        progress_label: str = "page", stats: RunStats | None = None) -> Iterator[tuple[Any, Any]]:
    """Yield ``(item, result)`` for every item: `work(item)` computed in one of `jobs`
    worker processes, or `failed(item, reason)` when the item overran its budget or its
    worker died. `ordered`: in input order (else as they finish). At most `window` items
    are in flight or waiting for an earlier one: memory stays bounded.
    """
    budgets = budgets or SETTINGS.budgets
    jobs = max(1, int(jobs))
    window = window or max(8, 16 * jobs)
    timeout = float(budgets.page_timeout_s)
    ctx = multiprocessing.get_context("fork")
    workers: list[_Worker] = []
    source = iter(items)
    exhausted = False
    next_seq = 0  # sequence number of the next item read
    emitted = 0  # items yielded so far
    done: dict[int, tuple[Any, Any]] = {}
    requeued: deque[_Task] = deque()  # tasks whose worker exited before starting them
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(unit=progress_label, file=sys.stderr, dynamic_ncols=True)

    def next_task() -> _Task | None:
        nonlocal exhausted, next_seq
        if requeued:
            return requeued.popleft()
        if exhausted or next_seq - emitted >= window:
            return None
        try:
            item = next(source)
        except StopIteration:
            exhausted = True
            return None
        next_seq += 1
        return _Task(next_seq - 1, item)

    def idle_worker() -> _Worker | None:
        for worker in workers:
            if worker.task is None:
                return worker
        if len(workers) < jobs:
            workers.append(_Worker(ctx, work, budgets.page_memory_mb, [w.conn for w in workers]))
            return workers[-1]
        return None

    def remove(worker: _Worker) -> None:
        """The worker is gone: its task (if it had started) becomes a skip."""
        task, worker.task = worker.task, None
        workers.remove(worker)
        worker.close(0.5)
        if task is None:
            return
        if worker.proc.exitcode == 0 and worker.killed_for is None:
            requeued.append(task)  # it retired before reading the task: not the page's fault
        else:
            finish(task, failed(task.item, _death_reason(worker, budgets)))

    def finish(task: _Task, result: Any) -> None:
        if stats is not None:
            stats.record(time.monotonic() - task.sent_at, task.item)
        done[task.seq] = (task.item, result)

    def receive(worker: _Worker) -> None:
        try:
            status, payload, retiring = worker.conn.recv()
        except (EOFError, OSError):
            worker.proc.join(1.0)
            remove(worker)
            return
        task, worker.task = worker.task, None
        if status == "ok":
            result = payload
        elif status == "memory":
            result = failed(task.item, f"too_large: page needed over {budgets.page_memory_mb} MB "
                                       "(memory budget)")
        else:
            result = failed(task.item, f"error: {payload}")
        finish(task, result)
        if retiring:
            remove(worker)

    try:
        while True:
            while (worker := idle_worker()) is not None and (task := next_task()) is not None:
                try:
                    worker.submit(task)
                except (OSError, ValueError):  # exited while idle: try the next worker
                    worker.task = None
                    requeued.appendleft(task)
                    remove(worker)
            while done:
                seq = emitted if ordered else next(iter(done))
                if seq not in done:
                    break
                yield done.pop(seq)
                emitted += 1
                if bar is not None:
                    bar.update(1)
            busy = [w for w in workers if w.task is not None]
            if not busy:
                if exhausted and not requeued and not done:
                    return
                continue
            now = time.monotonic()
            deadline = min(w.task.sent_at for w in busy) + timeout
            ready = set(wait([w.conn for w in busy] + [w.proc.sentinel for w in busy],
                             timeout=min(max(0.0, deadline - now), 1.0)))
            for worker in busy:
                if worker.conn in ready:
                    receive(worker)
                elif worker.proc.sentinel in ready:
                    worker.proc.join(1.0)
                    remove(worker)
            now = time.monotonic()
            for worker in list(workers):
                if worker.task is not None and now - worker.task.sent_at > timeout:
                    worker.kill("timeout")
                    worker.proc.join(5)
                    remove(worker)
    finally:
        for worker in workers:
            if worker.task is not None:
                worker.kill("stopped")
            worker.close()
        if bar is not None:
            bar.close()
