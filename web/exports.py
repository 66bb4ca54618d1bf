"""Result lists as files and feeds: /search.csv, /search.jsonl (every matching report, up
to `export_max_rows`, the cap stated in the file) and /search.atom (the newest matching
reports). Same parameters and the same search function as /search (pages.run_search);
exports stream page by page, so memory stays bounded whatever the result size.
"""
from __future__ import annotations

import dataclasses
import json
import re
from datetime import datetime, timezone
from html import unescape

from flask import Response, render_template, stream_with_context

from indexer.curation.cite import display_title
from indexer.curation.export import csv_lines
from indexer.search import MAX_PER_PAGE, SearchRequest
from indexer.settings import SETTINGS

from .request import state_args
from .urls import external, search_url, url

EXPORT_FIELDS = ("rank", "report_id", "title", "unit_name", "unit_type", "year", "genre",
                 "publish_date", "site", "script", "source", "part", "parts",
                 "similar_versions", "url")


def _plain(snippet: str) -> str:
    return unescape(re.sub(r"</?mark>", "", snippet or ""))


def _rows(req: SearchRequest, cap: int):
    """(total, iterator of hit rows) for the whole result list up to `cap` rows."""
    from .pages import run_search

    page_req = dataclasses.replace(req, page=1, per_page=MAX_PER_PAGE)
    first = run_search(page_req)

    def rows():
        response, rank = first, 0
        while True:
            for hit in response.results:
                rank += 1
                if rank > cap:
                    return
                yield {
                    "rank": rank, "report_id": hit.report_id,
                    "title": display_title(hit.title, hit.part, hit.parts),
                    "unit_name": hit.unit_name, "unit_type": hit.unit_type, "year": hit.year,
                    "genre": hit.genre, "publish_date": hit.publish_date, "site": hit.site,
                    "script": hit.script, "source": hit.source, "part": hit.part,
                    "parts": hit.parts, "similar_versions": len(hit.duplicates),
                    "url": external(url("pages.report_page", report_id=hit.report_id)),
                    "snippet": _plain(hit.snippet), "duplicates": hit.duplicates,
                }
            if not response.results or rank >= min(cap, response.total):
                return
            page_req.page += 1
            response = run_search(page_req)

    return first.total, rows()


def search_export(req: SearchRequest, fmt: str) -> Response:
    cap = SETTINGS.serve.export_max_rows
    total, rows = _rows(req, cap)
    exported = min(total, cap)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    note = (f"档案检索导出 {stamp}：共 {total} 篇，本文件 {exported} 篇"
            + (f"（每次导出上限 {cap} 篇，已截断）" if total > cap else "")
            + f"。Dang'an export: {exported} of {total} reports (cap {cap} rows). "
            + f"Search: {external(search_url(req))}")
    if fmt == "csv":
        body = csv_lines(EXPORT_FIELDS, rows, comments=[note])
        mimetype = "text/csv"
    else:
        header = {"type": "export", "total": total, "exported": exported, "cap": cap,
                  "truncated": total > cap, "exported_at": stamp, "request": state_args(req),
                  "search_url": external(search_url(req)), "note": note}

        def lines():
            yield json.dumps(header, ensure_ascii=False) + "\n"
            for row in rows:
                yield json.dumps({"type": "hit", **row}, ensure_ascii=False) + "\n"
        body = lines()
        mimetype = "application/x-ndjson"
    response = Response(stream_with_context(body), mimetype=mimetype,
                        content_type=f"{mimetype}; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="dangan-search.{fmt}"'
    return response


def search_feed(req: SearchRequest) -> Response:
    """Atom feed of the newest matching reports (publish date, else the report's year;
    reports without either by the index's build time), for readers to follow a search."""
    from .pages import run_search
    from indexer.search.stats import index_stats
    from .index_access import shared_index

    feed_req = dataclasses.replace(req, sort="date", page=1, per_page=min(SETTINGS.serve.feed_entries, MAX_PER_PAGE))
    response = run_search(feed_req)
    built = index_stats(shared_index()).get("built_at") or "1970-01-01T00:00:00Z"
    entries = []
    for hit in response.results:
        date = hit.publish_date if hit.publish_date and re.fullmatch(r"\d{4}-\d{2}-\d{2}", hit.publish_date[:10]) else None
        updated = f"{date[:10]}T00:00:00Z" if date else (f"{hit.year}-01-01T00:00:00Z" if hit.year else built)
        link = external(url("pages.report_page", report_id=hit.report_id))
        entries.append({"id": link, "link": link, "updated": updated,
                        "title": display_title(hit.title, hit.part, hit.parts),
                        "author": hit.unit_name or hit.site or "档案", "summary": _plain(hit.snippet),
                        "categories": [c for c in (hit.unit_type, hit.genre) if c]})
    updated = max([e["updated"] for e in entries] + [built])
    body = render_template("feed.atom.xml", req=req, entries=entries, updated=updated,
                           self_url=external(search_url(req, "atom")),
                           html_url=external(search_url(req)), total=response.total)
    return Response(body, mimetype="application/atom+xml",
                    content_type="application/atom+xml; charset=utf-8")
