"""`dangan extract PATH... [--out FILE.jsonl] [--jobs N]`: pages -> JSONL reports.

Pages go through the one ingestion runner (`indexer.extract.runner`): worker processes,
each page under the time and memory budgets of the settings; results come back in input
order, so the output is the same whatever --jobs is. Output goes to a temporary file next
to --out and is renamed into place only when the run completed: a failed run never leaves
a half-written file.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections import Counter
from typing import IO, Iterable

import click

from ..extract import runner
from ..extract.model import RawPage, Skip
from ..extract.sources import iter_raw_pages
from ..settings import SETTINGS, BudgetSettings


def process(item: RawPage | Skip) -> tuple[list[str], int, list[str]]:
    """One input -> (JSON lines, reports written, skip reasons). Runs in a worker."""
    if isinstance(item, Skip):
        return skipped(item, item.reason)
    from ..extract.pipeline import extract_page

    result = extract_page(item)
    if isinstance(result, Skip):
        return skipped(item, result.reason)
    return [_dumps(r.to_json()) for r in result], len(result), []


def skipped(item: RawPage | Skip, reason: str) -> tuple[list[str], int, list[str]]:
    """The output of an input that ends as a skip record (also: its worker was killed)."""
    return [_dumps(Skip(item.source, reason).to_json())], 0, [reason]


def _dumps(obj: dict) -> str:
    line = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate somewhere: escape it, keep the line valid
        line = json.dumps(obj, ensure_ascii=True, separators=(",", ":"))
    return line


def run_extract(paths: Iterable[str], out: IO[str], jobs: int, progress: bool = False,
                budgets: BudgetSettings | None = None) -> dict:
    """Extract every page under `paths` into `out` (JSONL); return the run's counts."""
    started = time.monotonic()
    counts = {"files": 0, "reports": 0, "skipped": Counter()}
    stats = runner.RunStats()
    runner.warm_up()
    for _item, (lines, n_reports, reasons) in runner.run(
            iter_raw_pages(paths), process, jobs, skipped, budgets=budgets or SETTINGS.budgets,
            progress=progress, stats=stats):
        counts["files"] += 1
        counts["reports"] += n_reports
        for reason in reasons:
            counts["skipped"][reason.split(":", 1)[0]] += 1
        for line in lines:
            out.write(line)
            out.write("\n")
    counts["seconds"] = round(time.monotonic() - started, 2)
    counts["slowest"] = stats.slowest
    return counts


def _summary(counts: dict) -> str:
    skipped = counts["skipped"]
    by_reason = ", ".join(f"{k}: {v}" for k, v in sorted(skipped.items()))
    secs = counts["seconds"]
    rate = counts["files"] / secs if secs else 0.0
    return (f"dangan extract: {counts['files']} files, {counts['reports']} reports, "
            f"{sum(skipped.values())} skipped" + (f" ({by_reason})" if by_reason else "")
            + f", {secs:.2f} s ({rate:.1f} files/s)"
            + (f"; slowest page {counts['slowest'][0][0]:.1f} s ({counts['slowest'][0][1]})"
               if counts.get("slowest") else ""))


def register(cli: click.Group) -> None:
    """Add `dangan extract` to the `dangan` group."""

    @cli.command("extract")
    @click.argument("paths", nargs=-1, required=True,
                    type=click.Path(exists=True, dir_okay=True, readable=True))
    @click.option("--out", "out_path", type=click.Path(dir_okay=False, writable=False),
                  help="Write JSONL here (atomically) instead of standard output.")
    @click.option("--jobs", type=click.IntRange(min=1), default=None,
                  help="Worker processes (default: CPU count).")
    def extract_cmd(paths: tuple[str, ...], out_path: str | None, jobs: int | None) -> None:
        """Extract reports from pages: files, folders, .zip archives, WARC files.

        Writes one JSON object per line: a report, or a skip record with its reason.
        """
        jobs = jobs or os.cpu_count() or 1
        progress = sys.stderr.isatty()
        if out_path is None:
            try:
                counts = run_extract(paths, sys.stdout, jobs, progress)
                sys.stdout.flush()
            except BrokenPipeError:
                # The reader went away (e.g. `| head`): stop quietly, like other filters;
                # point stdout at devnull so the interpreter's final flush cannot fail.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                sys.exit(1)
        else:
            counts = _extract_to_file(paths, out_path, jobs, progress)
        click.echo(_summary(counts), err=True)


def _extract_to_file(paths: Iterable[str], out_path: str, jobs: int, progress: bool) -> dict:
    target = os.path.abspath(out_path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".dangan-extract-", suffix=".tmp",
                                   dir=os.path.dirname(target))
    except OSError as exc:
        raise _write_error(out_path, exc) from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            counts = run_extract(paths, out, jobs, progress)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except OSError as exc:
        _remove_quietly(tmp)
        raise _write_error(out_path, exc) from exc
    except BaseException:
        _remove_quietly(tmp)
        raise
    return counts


def _write_error(out_path: str, exc: OSError) -> click.ClickException:
    err = click.ClickException(f"cannot write {out_path}: {exc.strerror or exc}")
    err.exit_code = 1
    return err


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
