"""HTML pages and their twins: search (+ .json, .csv, .jsonl, .atom), reading view (+ cite,
compare), extracted-vs-original, advanced search, syntax help, OpenSearch.

Every page renders what `indexer.search` returns (`search`, `get_report`,
`more_like_this`): there is no second search path here. Search arguments are parsed by
`web.request.search_request` (the one parser), URLs built by `web.urls`, errors raised as
`web.errors` types and answered by the one handler. The whole search state lives in the
URL, so back/forward and shared links restore it without JavaScript.

Archive text is escaped by Jinja's autoescape everywhere; the only markup taken from the
search core as-is is `Hit.snippet`, which the core builds escaped with `<mark>` tags.
"""
from __future__ import annotations

import math
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, jsonify, redirect, render_template, request
from werkzeug.datastructures import MultiDict

from indexer.curation import cite
from indexer.search import FACETS, MAX_QUERY_CHARS, SearchRequest, get_report, more_like_this, search
from indexer.settings import SETTINGS

from . import compare as compare_mod
from . import exports, reading
from .errors import BadRequest, NotFound
from .index_access import shared_index
from .request import no_filters, search_request, selected_filters, state_args, toggled
from .urls import external, negotiated, page_route, search_url, url

bp = Blueprint("pages", __name__)

FACET_LABELS = {
    "unit_type": "单位类型", "section": "章节", "year": "年份", "publish_year": "发布年份",
    "timeline": "时间", "genre": "文种", "site": "网站", "script": "字体", "collection": "收藏集",
}
SCRIPT_LABELS = {"hans": "简体", "hant": "繁体", "mixed": "简繁混合"}
SORT_LABELS = {"relevance": "按相关度", "date": "按日期"}
# The relaxation ladder's steps (indexer/search/ladder.py), as the notice above results says them.
RELAXED_LABELS = {"punctuation": "以下是忽略标点后包含这些字的结果",
                  "near": "以下是包含所有词语、且词语彼此靠近的结果",
                  "words": "以下是包含所有词语的结果"}
SIDEBAR_SKIP = ("timeline",)  # shown as the timeline chart, not as a list
FACETS_SHOWN = 12  # values shown before "more" in the sidebar
VERSIONS_PER_HIT = 5  # collapsed copies listed under a result

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


@bp.after_request
def _vary_on_accept(response: Response) -> Response:
    response.vary.add("Accept")  # the same URL answers HTML or JSON (content negotiation)
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.after_request(_security_headers)
    app.jinja_env.globals.update(
        facet_label=facet_label, value_label=value_label, SCRIPT_LABELS=SCRIPT_LABELS,
        RELAXED_LABELS=RELAXED_LABELS,
        page_url=url, display_title=cite.display_title, part_label=cite.part_label,
        search_state=state_args,
    )
    # Other features (collections) register labels for their facet values here:
    # app.extensions["dangan_facet_labels"]["collection"] = lambda value: name
    app.extensions.setdefault("dangan_facet_labels", {})


def _security_headers(response: Response) -> Response:
    # Scraped pages carry scripts; even if an escape were missed, no inline script runs.
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def facet_label(facet: str) -> str:
    return FACET_LABELS.get(facet, facet)


def value_label(facet: str, value) -> str:
    custom = current_app.extensions.get("dangan_facet_labels", {}).get(facet)
    if custom is not None:
        return str(custom(value))
    if facet == "script":
        return SCRIPT_LABELS.get(str(value), str(value))
    return str(value)


# --- the search function every endpoint calls ------------------------------------------

def run_search(req: SearchRequest):
    """`indexer.search.search` for this reader (with the collections they may see)."""
    membership = current_app.extensions.get("dangan_collections")
    collections = membership() if membership else None
    if req.collection and collections is None:
        raise BadRequest("收藏集功能未启用（collections are not available）。")
    return search(shared_index(), req, collections=collections)


def search_payload(req: SearchRequest, response) -> dict:
    """The JSON of a search: /search.json and /api/search alike."""
    data = response.to_json()
    data["request"] = state_args(req)
    return data


# --- search ----------------------------------------------------------------------------

@page_route(bp, "/search", "search_page", formats=("json", "csv", "jsonl", "atom"))
def search_page(fmt: str):
    fmt = negotiated(fmt)
    if fmt in ("csv", "jsonl"):
        return exports.search_export(search_request(request.args), fmt)
    if fmt == "atom":
        return exports.search_feed(search_request(request.args))
    req = search_request(request.args)
    response = run_search(req)
    if fmt == "json":
        return jsonify(search_payload(req, response))
    with_dups = [h for h in response.results if h.duplicates]
    index = shared_index()
    # Collapsed copies are listed by title and site (bounded: a few per hit).
    versions = {hit.report_id: reading.version_titles(index, get_report, hit.duplicates,
                                                      limit=VERSIONS_PER_HIT) for hit in with_dups}
    pages = max(1, math.ceil(response.total / req.per_page)) if response.total else 1
    pages = min(pages, SETTINGS.serve.max_page)
    facets = [(f, response.facets[f]) for f in FACETS
              if response.facets.get(f) and f not in SIDEBAR_SKIP]
    return render_template(
        "search.html", req=req, res=response, selected=selected_filters(req), facets=facets,
        pages=pages, page_window=_page_window(req.page, pages), search_url=search_url,
        toggled=toggled, no_filters=no_filters(), sorts=SORT_LABELS, facets_shown=FACETS_SHOWN,
        show_understood=bool(req.q and response.understood), versions=versions,
        timeline=timeline_chart(req, response.facets.get("timeline") or []),
    )


bp.add_url_rule("/", "home", search_page, defaults={"fmt": "html"})


def _page_window(page: int, pages: int, width: int = 3) -> list[int]:
    low, high = max(1, page - width), min(pages, page + width)
    window = list(range(low, high + 1))
    if 1 not in window:
        window.insert(0, 1)
    if pages not in window:
        window.append(pages)
    return window


# Timeline chart geometry (SVG user units; the chart stretches to its box, the year
# labels are HTML below it).
CHART_W, CHART_H, MAX_YEARS = 600, 90, 60


def timeline_chart(req: SearchRequest, values) -> dict | None:
    """Bars of the matching reports per year (the report's year, else its publish year),
    each a link that filters to its year; server-rendered SVG, no script."""
    counts = {int(fv.value): fv.count for fv in values if str(fv.value).isdigit()}
    if not counts:
        return None
    low, high = min(counts), max(counts)
    years = list(range(low, high + 1)) if high - low < MAX_YEARS else sorted(counts)
    if len(years) > MAX_YEARS:
        years = years[-MAX_YEARS:]
    peak = max(counts.get(y, 0) for y in years) or 1
    step = CHART_W / len(years)
    bars = []
    for i, year in enumerate(years):
        n = counts.get(year, 0)
        height = round((CHART_H - 4) * n / peak, 1) if n else 0
        on = str(year) in req.timeline
        bars.append({
            "year": year, "count": n, "x": round(i * step + step * 0.1, 1),
            "width": round(step * 0.8, 1), "height": height, "y": round(CHART_H - height, 1),
            "on": on,
            "href": search_url(req, page=1, timeline=toggled(req, "timeline", str(year))) if n else None,
        })
    label_every = max(1, math.ceil(len(years) / 12))
    return {"bars": bars, "width": CHART_W, "chart_h": CHART_H, "label_every": label_every,
            "total": sum(counts.values())}


# --- reading view, citation, comparison ------------------------------------------------

DISPLAYS = {"orig": "原文字体", "hans": "简体", "hant": "繁体"}


def _display_arg() -> str:
    display = request.args.get("display", "orig")
    if display not in DISPLAYS:
        raise BadRequest("display 只能是 orig、hans 或 hant（display must be orig, hans or hant）。")
    return display


def _query_arg() -> str:
    q = request.args.get("q", "").strip()
    if len(q) > MAX_QUERY_CHARS:
        raise BadRequest(f"查询超过 {MAX_QUERY_CHARS} 个字符（q: at most {MAX_QUERY_CHARS} characters）。")
    return q


def load_report(report_id: str) -> dict:
    report = get_report(shared_index(), report_id) if len(report_id) <= 200 else None
    if report is None:
        raise NotFound(f"没有编号为 {report_id[:100]} 的报告（no report with this id）。")
    return report


@page_route(bp, "/reports/<report_id>", "report_page")
def report_page(fmt: str, report_id: str):
    fmt = negotiated(fmt)
    q, display = _query_arg(), _display_arg()
    report = load_report(report_id)
    index = shared_index()
    similar = more_like_this(index, report_id, 10)
    versions = reading.version_titles(index, get_report, reading.duplicate_ids(report))
    view = reading.reading_view(report, q, display)
    citation = _citation(report)
    if fmt == "json":
        return jsonify(report=report, display=display, q=q, terms=view["terms"],
                       converted={"title": view["title"], "sections": view["sections_text"]},
                       similar_versions=versions, more_like_this=[asdict(h) for h in similar],
                       cite={f: _cite_json(citation, f) for f in cite.FORMATS})
    return render_template("report.html", report=report, view=view, q=q, display=display,
                           displays=DISPLAYS, versions=versions, similar=similar,
                           gbt7714=cite.gbt7714(citation), cite_formats=cite.FORMATS,
                           script_label=SCRIPT_LABELS.get(report.get("script"), report.get("script")))


def _citation(report: dict) -> cite.Citation:
    """The report's citation: its original URL when it has one, else our reading view."""
    target = cite.cite_url(report, external(url("pages.report_page", report_id=report["report_id"])))
    return cite.citation(report, target, datetime.now(timezone.utc).date())


def _cite_json(citation: cite.Citation, fmt: str):
    return cite.csl_json(citation) if fmt == "csl-json" else cite.render(citation, fmt)


@page_route(bp, "/reports/<report_id>/cite", "cite_page")
def cite_page(fmt: str, report_id: str):
    """`?format=gbt7714|ris|bibtex|csl-json` gives that format as a file; without it, a
    page (or JSON) with every format."""
    fmt = negotiated(fmt)
    report = load_report(report_id)
    citation = _citation(report)
    chosen = request.args.get("format", "")
    if chosen:
        if chosen not in cite.FORMATS:
            raise BadRequest(f"format 只能是 {'、'.join(cite.FORMATS)}（format must be one of: "
                             f"{', '.join(cite.FORMATS)}）。")
        body = cite.render(citation, chosen)
        mimetype = cite.MEDIA_TYPES[chosen]
        response = Response(body, mimetype=mimetype, content_type=f"{mimetype}; charset=utf-8")
        if request.args.get("download"):
            response.headers["Content-Disposition"] = \
                f'attachment; filename="{report_id[:40]}.{cite.EXTENSIONS[chosen]}"'
        return response
    texts = {f: _cite_json(citation, f) for f in cite.FORMATS}
    if fmt == "json":
        return jsonify(report_id=report_id, cite=texts)
    return render_template("cite.html", report=report, texts=texts,
                           shown={f: cite.render(citation, f) for f in cite.FORMATS})


@page_route(bp, "/compare/<report_a>/<report_b>", "compare_page")
def compare_page(fmt: str, report_a: str, report_b: str):
    """Two versions side by side, the differing passages marked (web/compare.py)."""
    fmt = negotiated(fmt)
    a, b = load_report(report_a), load_report(report_b)
    result = compare_mod.compare(a.get("body") or "", b.get("body") or "")
    same_group = report_b in (a.get("duplicate_group") or [])

    def meta(r: dict) -> dict:
        return {k: r.get(k) for k in ("report_id", "title", "part", "parts", "site", "url",
                                      "script", "publish_date", "source")}
    if fmt == "json":
        return jsonify(a=meta(a), b=meta(b), same_group=same_group, counts=result.counts,
                       identical=result.identical, truncated=result.truncated,
                       paragraphs=[row.to_json() for row in result.rows])
    return render_template("compare.html", a=a, b=b, result=result, same_group=same_group)


@page_route(bp, "/original/<report_id>", "original_page")
def original_page(fmt: str, report_id: str):
    fmt = negotiated(fmt)
    report = load_report(report_id)
    original = reading.original_text(report, search_roots=_source_roots())
    if fmt == "json":
        return jsonify(report_id=report_id, source=report.get("source"),
                       kept=report.get("body", ""), original=original)
    return render_template("original.html", report=report, original=original)


def _source_roots() -> list:
    """Where originals may be read: the archive roots the index was built from (recorded
    in it), and an optional DANGAN_SOURCE_ROOT (e.g. for an index built from `dangan
    extract` output). `reading` never opens a file outside them."""
    roots = list(shared_index().state().meta.get("roots") or [])
    extra = current_app.config.get("DANGAN_SOURCE_ROOT")
    if extra:
        roots.append(Path(extra))
    return roots


# --- advanced search, help, OpenSearch -------------------------------------------------

ADVANCED_FIELDS = ("words", "title", "unit", "year_from", "year_to", "section", "genre",
                   "date_from", "date_to")


def build_advanced_query(form) -> str:
    """The query-syntax string for the advanced form (title: unit: year:a..b)."""
    parts = []
    words = " ".join(form.get("words", "").split())
    if words:
        parts.append(words)
    for field in ("title", "unit"):
        value = form.get(field, "").replace('"', " ").strip()
        if value:
            parts.append(f'{field}:"{value}"' if any(c.isspace() for c in value)
                         else f"{field}:{value}")
    years = [form.get("year_from", "").strip(), form.get("year_to", "").strip()]
    years = [y if y.isdigit() and len(y) == 4 else "" for y in years]
    if years[0] and years[1]:
        low, high = sorted(years)
        parts.append(f"year:{low}..{high}" if low != high else f"year:{low}")
    elif years[0] or years[1]:
        parts.append(f"year:{years[0]}..{years[1]}")
    return " ".join(parts)


@page_route(bp, "/advanced", "advanced_page")
def advanced_page(fmt: str):
    """The form; submitted (any field filled), a 303 to the search it describes."""
    fmt = negotiated(fmt)
    if any(request.args.get(f, "").strip() for f in ADVANCED_FIELDS):
        q = build_advanced_query(request.args)
        args = MultiDict([("q", q)] + [(k, v) for k in ("section", "genre", "date_from", "date_to")
                                       for v in request.args.getlist(k)])
        req = search_request(args)  # the same validation as every search (400 if bad)
        target = search_url(req)
        if fmt == "json":
            return jsonify(q=req.q, request=state_args(req), search_url=target)
        return redirect(target, code=303)
    options = _facet_options()
    if fmt == "json":
        return jsonify(fields=list(ADVANCED_FIELDS), options=options)
    return render_template("advanced.html", options=options)


def _facet_options() -> dict[str, list[str]]:
    """Choices for the advanced form's selects: the values present in the index."""
    response = search(shared_index(), SearchRequest(per_page=1))
    return {f: [fv.value for fv in response.facets.get(f, [])] for f in ("section", "genre")}


HELP_SYNTAX = [
    ("两学一做", "连续输入的汉字按短语匹配，简体繁体均可（兩學一做 与 两学一做 等同）。"),
    ("意识形态 责任制", "空格分隔的词必须全部出现。"),
    ('"网络 舆情"', "引号内的内容按原样作为短语。"),
    ("宣传 OR 教育", "OR 表示任一出现即可。"),
    ("总结 -述职", "减号或 NOT 排除包含该词的报告。"),
    ("title:工作总结", "只在标题中查找。"),
    ("unit:宣传部", "只在单位名称中查找。"),
    ("year:2019..2023", "年份范围；year:2020 表示单一年份。"),
    ("網路安全", "台湾、香港用语与大陆用语互相查找（网络/網路、信息/資訊、通过/透過），并列出“也搜索了”，可以关闭。"),
    ("消息据彭", "找不到完整短语时，依次放宽：忽略标点（消息，据彭）→ 各词相互靠近 → 各词都出现，并注明用了哪一步。"),
    ("-18万元", "只有单独的、后面还有其他检索词的“-词”才表示排除；数字前的减号和单独粘贴的文字按原文查找。"),
    ("ysxt", "拼音（yishixingtai）、拼音首字母或同音错字（意识形太）会给出“您是不是要找”的建议链接，不会自动替换。"),
]


@page_route(bp, "/help", "help_page")
def help_page(fmt: str):
    if negotiated(fmt) == "json":
        return jsonify(syntax=[{"example": e, "meaning": m} for e, m in HELP_SYNTAX],
                       facets=FACET_LABELS, sorts=SORT_LABELS)
    return render_template("help.html", syntax=HELP_SYNTAX,
                           config_export_max=SETTINGS.serve.export_max_rows)


@bp.route("/opensearch.xml")
def opensearch():
    body = render_template("opensearch.xml", base=external(""))
    return Response(body, mimetype="application/opensearchdescription+xml")
