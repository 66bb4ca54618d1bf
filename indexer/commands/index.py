"""`dangan index build|update|stats`, `dangan search`, `dangan serve`.

Exit codes: 0 success; 1 failure (the new index was refused: nothing to index, ids clash,
too many deletions, failed validation; or an unexpected error);
2 bad usage (click); 3 another writer holds the index lock; 4 no index at the location;
5 the search engine cannot answer (a cluster shard or node down: the message names it).

`--engine URL` (or $DANGAN_ENGINE) picks the backend (indexer/search/engines.py):
embedded:DIR (the default, what `--index DIR` alone means) or sphinx://HOST:PORT[,…]
(a Sphinx/Manticore cluster; `--index` is then its document store and build staging).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

EXIT_FAILED, EXIT_LOCKED, EXIT_NO_INDEX, EXIT_UNAVAILABLE = 1, 3, 4, 5


def _engine_option(f):
    return click.option(
        "--engine", "engine", envvar="DANGAN_ENGINE", default=None, metavar="URL",
        help="Search backend: embedded:DIR (default: the --index directory) or "
             "sphinx://HOST:PORT[,HOST:PORT…] (a cluster; --index holds its document store).",
    )(f)


def _backend_failed(exc: Exception, as_json: bool = False):
    """Exit with the reason a backend gave and its documented code: 5 when it cannot
    answer now (a shard down), else 1; with --json the reason goes to stdout too."""
    from indexer.search import BackendUnavailable

    if as_json:
        click.echo(json.dumps({"error": str(exc)}, ensure_ascii=False))
    click.echo(f"error: {exc}", err=True)
    sys.exit(EXIT_UNAVAILABLE if isinstance(exc, BackendUnavailable) else EXIT_FAILED)


def _open_engine(engine, index_dir):
    """The backend, open; exits with the documented code and the reason when it cannot answer."""
    from indexer.search import BackendError, NoIndex, open_engine

    try:
        return open_engine(engine, _resolve(index_dir))
    except NoIndex as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_NO_INDEX)
    except (BackendError, ValueError) as exc:
        _backend_failed(exc)


def _index_option(f):
    return click.option(
        "--index", "index_dir", type=click.Path(file_okay=False, path_type=Path), envvar="DANGAN_INDEX",
        default=None, help="Index directory [default: $DANGAN_INDEX, else the per-user data dir].",
    )(f)


def _resolve(index_dir: Path | None) -> Path:
    from indexer.search.store import default_index_dir

    return index_dir or default_index_dir()


def _emit(data: dict, as_json: bool, lines: list[str]) -> None:
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
    else:
        for line in lines:
            click.echo(line)


def _write(kind: str, sources, index_dir, jobs, user_dict, synonyms, as_json, allow_empty=False,
           force=False, engine=None) -> None:
    from indexer.search import BackendError, backend_for
    from indexer.search import build as builder
    from indexer.search.store import IndexLocked

    root = _resolve(index_dir)
    try:
        backend = backend_for(engine, root)
    except ValueError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_FAILED)
    run = backend.build if kind == "build" else backend.update
    # This process and the workers it forks read pages of every size for a long time:
    # keep their heaps from growing with the number of pages (heap.py). Set here, for
    # the command's own process, not in the library (a server keeps glibc's default).
    from indexer import heap
    from indexer.settings import SETTINGS

    heap.release_above(SETTINGS.index.build_heap_release_kb)
    try:
        summary = run([str(s) for s in sources], jobs=jobs, user_dict=user_dict,
                      progress=sys.stderr.isatty() and not as_json, synonyms=synonyms,
                      allow_empty=allow_empty, force=force)
    except IndexLocked as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_LOCKED)
    except BackendError as exc:  # build.BuildFailed too (a writer process died)
        _backend_failed(exc, as_json)
    except builder.BuildRefused as exc:
        if as_json:
            click.echo(json.dumps({**exc.summary.to_json(), "error": str(exc)}, ensure_ascii=False))
        click.echo(f"error: {exc}", err=True)
        click.echo(_skip_line(exc.summary), err=True)
        sys.exit(EXIT_FAILED)
    backend.close()
    data = summary.to_json()
    lines = [
        f"{kind}: {summary.reports} reports in index {root} ({summary.generation})",
        f"  pages processed {summary.pages} (added {summary.added_pages}, changed "
        f"{summary.changed_pages}, unchanged {summary.unchanged_pages}, deleted {summary.deleted_pages})",
        f"  near-duplicate groups {summary.duplicate_groups}, {summary.seconds:.1f} s ({data['pages_per_s']} pages/s)"
        + (f"; slowest page {summary.slowest_pages[0]['seconds']:.1f} s ({summary.slowest_pages[0]['source']})"
           if summary.slowest_pages else ""),
        _skip_line(summary),
    ]
    if data.get("cluster"):
        lines.append(f"  copied to {backend.url}: {data['cluster']}")
    _emit(data, as_json, lines)


def _skip_line(summary) -> str:
    """Counts by reason; the full list is in the file named (`--json` has it too)."""
    counts = summary.skip_counts()
    if not counts:
        return "  skipped 0"
    by_reason = ", ".join(f"{reason} {n}" for reason, n in counts.items())
    return f"  skipped {len(summary.skipped)} ({by_reason}); every skip with its reason: {summary.skipped_file}"


def register(cli: click.Group) -> None:
    @cli.group("index")
    def index_group() -> None:
        """Build, update and inspect the search index."""

    common = [
        click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True)),
        _index_option,
        click.option("--jobs", "-j", type=click.IntRange(0, 64), default=2, show_default=True,
                     help="Worker processes for extraction and analysis, and as many segment "
                          "writers (0: one worker, segments written in this process)."),
        click.option("--user-dict", type=click.Path(exists=True, dir_okay=False),
                     help="Extra jieba dictionary (word [freq] [tag] per line)."),
        click.option("--synonyms", type=click.Path(exists=True, dir_okay=False),
                     help="Synonyms a librarian maintains, searched as query expansion "
                          "(one group a line: A = B = C, or A => B)."),
        _engine_option,
        click.option("--json", "as_json", is_flag=True, help="Print a JSON summary (with every skip)."),
        click.option("--allow-empty", is_flag=True,
                     help="Publish the new index even when it holds no report."),
        click.option("--force", is_flag=True,
                     help="Publish an update even when it deletes more than max_delete_share "
                          "(DANGAN_MAX_DELETE_SHARE, default 0.5) of the reports."),
    ]

    def with_common(f):
        for deco in reversed(common):
            f = deco(f)
        return f

    @index_group.command("build")
    @with_common
    def build_cmd(sources, index_dir, jobs, user_dict, synonyms, engine, as_json, allow_empty, force):
        """Full build of SOURCE... (archives, folders, or `dangan extract` .jsonl) into a
        fresh generation, swapped in atomically once it validated."""
        _write("build", sources, index_dir, jobs, user_dict, synonyms, as_json, allow_empty, force, engine)

    @index_group.command("update")
    @with_common
    def update_cmd(sources, index_dir, jobs, user_dict, synonyms, engine, as_json, allow_empty, force):
        """Incremental update: add new and changed pages, delete vanished ones (on a
        cluster engine: the updated reports are published as a new cluster generation)."""
        _write("update", sources, index_dir, jobs, user_dict, synonyms, as_json, allow_empty, force, engine)

    @index_group.command("stats")
    @_index_option
    @_engine_option
    @click.option("--json", "as_json", is_flag=True)
    def stats_cmd(index_dir, engine, as_json):
        """Reports, facet values, size and dictionary version of the index (and, on a
        cluster engine, documents and bytes per shard)."""
        from indexer.search import BackendError

        backend = _open_engine(engine, index_dir)
        try:
            with backend:
                data = backend.stats()
        except BackendError as exc:
            _backend_failed(exc)
        lines = [f"{k}: {v}" for k, v in data.items() if not isinstance(v, dict)]
        lines.append("size by component:")
        lines += [f"  {part}: {n / 2**20:.1f} MiB" for part, n in data.get("size_by_component", {}).items()]
        for facet, values in data.get("facets", {}).items():
            shown = ", ".join(f"{v} {c}" for v, c in list(values.items())[:12])
            lines.append(f"{facet}: {shown}")
        if data.get("cluster"):
            lines.append(f"cluster generation {data['cluster'].get('generation')}: "
                         f"{data['cluster'].get('documents')} reports")
            lines += [f"  {s['node']} {s['index']}: {s['documents']} reports, {s['disk_bytes'] / 2**20:.1f} MiB disk, "
                      f"{s['ram_bytes'] / 2**20:.1f} MiB RAM" for s in data["cluster"].get("shards", [])]
        _emit(data, as_json, lines)

    @cli.command("search")
    @click.argument("query", nargs=-1)
    @_index_option
    @_engine_option
    @click.option("--unit-type", multiple=True)
    @click.option("--section", multiple=True)
    @click.option("--year", multiple=True)
    @click.option("--genre", multiple=True)
    @click.option("--site", multiple=True)
    @click.option("--script", multiple=True, type=click.Choice(["hans", "hant", "mixed"]))
    @click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance", show_default=True)
    @click.option("--page", type=click.IntRange(1, 10_000), default=1)
    @click.option("--per-page", type=click.IntRange(1, 100), default=None,
                  help="Results per page [default: the same as the web and the API, 20].")
    @click.option("--collapse/--no-collapse", default=True, show_default=True,
                  help="Fold near-duplicates into their best hit.")
    @click.option("--expand/--no-expand", default=True, show_default=True,
                  help="Also search regional wording (网络/網路) and the index's synonyms.")
    @click.option("--json", "as_json", is_flag=True)
    def search_cmd(query, index_dir, engine, unit_type, section, year, genre, site, script, sort, page,
                   per_page, collapse, expand, as_json):
        """Search the index (same syntax as the web: "phrase", OR, -term, title:, year:2019..2023)."""
        import re

        from indexer.search import BackendError, SearchRequest, search

        index = _open_engine(engine, index_dir)
        if per_page is None:
            per_page = SearchRequest.per_page  # one default for the CLI, the web and the API
        req = SearchRequest(q=" ".join(query), unit_type=list(unit_type), section=list(section),
                            year=list(year), genre=list(genre), site=list(site), script=list(script),
                            sort=sort, page=page, per_page=per_page, collapse=collapse, expand=expand)
        try:
            with index:
                resp = search(index, req)
        except BackendError as exc:
            _backend_failed(exc)
        if as_json:
            click.echo(json.dumps(resp.to_json(), ensure_ascii=False))
            return
        click.echo(f"{resp.total} reports for {resp.understood or '(all)'}"
                   + (f" (relaxed: {resp.relaxed})" if resp.relaxed else ""))
        if resp.expansions:
            click.echo(f"also searched: {', '.join(resp.expansions)} (--no-expand to turn off)")
        for s in resp.suggestions:
            click.echo(f"did you mean: {s.q} ({s.total} reports)")
        for i, hit in enumerate(resp.results, (page - 1) * per_page + 1):
            snippet = re.sub(r"</?mark>", "", hit.snippet).replace("\n", " ")
            from html import unescape

            click.echo(f"{i:3}. {hit.title or '(untitled)'}  [{hit.report_id}] {hit.year or ''} "
                       f"{hit.unit_type or ''} {hit.genre or ''}"
                       + (f" (+{len(hit.duplicates)} similar)" if hit.duplicates else ""))
            click.echo(f"     {unescape(snippet)[:160]}")

    @cli.command("serve")
    @_index_option
    @_engine_option
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", type=click.IntRange(0, 65535), default=5000, show_default=True)
    @click.option("--threads", type=click.IntRange(1, 256), default=None,
                  help="Worker threads per process [default: DANGAN_THREADS, 8].")
    @click.option("--processes", type=click.IntRange(0, 64), default=None,
                  help="Server processes sharing the port, 0: one per CPU [default: DANGAN_SERVE_PROCESSES, 0].")
    @click.option("--public-url", default=None,
                  help="Public base URL for absolute links (feeds, OpenSearch, citations) "
                       "[default: DANGAN_PUBLIC_URL, else http://HOST:PORT].")
    def serve_cmd(index_dir, engine, host, port, threads, processes, public_url):
        """Serve the web app and JSON API under waitress (a production WSGI server), in
        several processes so that searches use every core.

        Limits (connections, idle timeout, proxy) come from the settings: DANGAN_CONNECTION_LIMIT,
        DANGAN_CHANNEL_TIMEOUT_S, DANGAN_TRUSTED_PROXY … (see the README)."""
        import dataclasses

        from indexer.commands.serving import bind, serve
        from indexer.settings import SETTINGS
        from web import create_app

        root = _resolve(index_dir)
        settings = SETTINGS.serve if threads is None else dataclasses.replace(SETTINGS.serve, threads=threads)
        processes = settings.serve_processes if processes is None else processes
        # The socket is bound first (with --port 0 the system picks the port), the app made
        # (in each server process) once the address, part of its public URL, is known.
        sock = bind(host, port)
        port = sock.getsockname()[1]
        base = public_url or settings.public_url or f"http://{host}:{port}"

        def make_app():
            from web.index_access import IndexUnavailable, shared_index

            app = create_app({"DANGAN_INDEX": str(root), "DANGAN_ENGINE": engine, "DANGAN_PUBLIC_URL": base})
            with app.app_context():
                try:
                    shared_index()  # each process opens the index now, not in its first request
                except IndexUnavailable:
                    pass  # shown to readers; opened once it exists
            return app

        click.echo(f"serving {engine or 'index ' + str(root)} on http://{host}:{port}/ ({processes or 'one per CPU'} processes, "
                   f"{settings.threads} threads each, at most {settings.connection_limit} connections each)",
                   err=True)
        serve(make_app, sock, settings, processes)
