"""HTML pages — search, reading view, extracted-vs-original, advanced search, syntax help,
OpenSearch — and their JSON twins (same URL + ``.json``, or ``Accept: application/json``).

Every page renders what `indexer.search` returns (`search`, `get_report`, `more_like_this`):
there is no second search path here. The whole search state lives in the URL, so
back/forward and shared links restore it without JavaScript.

Archive text is escaped by Jinja's autoescape everywhere; the only markup taken from the
search core as-is is `Hit.snippet`, which the core builds escaped with `<mark>` tags.
"""
from __future__ import annotations

import math
from dataclasses import asdict
from contextlib import contextmanager
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, jsonify, redirect, \
    render_template, request, url_for

from indexer.search import (FACETS, MAX_PER_PAGE, MAX_QUERY_CHARS, SORTS, SearchRequest,
                            get_report, more_like_this, search)

from . import reading
from .index_access import IndexUnavailable, shared_index

bp = Blueprint("pages", __name__)

FACET_LABELS = {
    "unit_type": "单位类型", "section": "章节", "year": "年份", "genre": "文种",
    "site": "网站", "script": "字体", "collection": "收藏集",
}
SCRIPT_LABELS = {"hans": "简体", "hant": "繁体", "mixed": "简繁混合"}
SORT_LABELS = {"relevance": "按相关度", "date": "按日期"}
# The relaxation ladder's steps (indexer/search/ladder.py), as the notice above results says them.
RELAXED_LABELS = {"punctuation": "以下是忽略标点后包含这些字的结果",
                  "near": "以下是包含所有词语、且词语彼此靠近的结果",
                  "words": "以下是包含所有词语的结果"}
# Bounds on what a URL may ask for: hostile links must not make us do unbounded work.
MAX_VALUES_PER_FACET = 20
MAX_FACET_VALUE_CHARS = 100
MAX_PAGE = 500
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


# --- request state ---------------------------------------------------------------------

def wants_json(suffix: bool = False) -> bool:
    if suffix:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > \
        request.accept_mimetypes["text/html"]


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(request.args.get(name, default))
    except (TypeError, ValueError):
        return default
    return max(low, min(high, value))


def parse_search_request() -> tuple[SearchRequest, list[str]]:
    """The search state from the URL, bounded; notices say what was adjusted."""
    notices = []
    q = request.args.get("q", "").strip()
    if len(q) > MAX_QUERY_CHARS:
        q = q[:MAX_QUERY_CHARS]
        notices.append(f"查询过长，只使用了前 {MAX_QUERY_CHARS} 个字符。")
    filters = {}
    for facet in FACETS:
        values = []
        for value in request.args.getlist(facet):
            value = value.strip()[:MAX_FACET_VALUE_CHARS]
            if value and value not in values:
                values.append(value)
        if len(values) > MAX_VALUES_PER_FACET:
            values = values[:MAX_VALUES_PER_FACET]
            notices.append(f"{facet_label(facet)}的筛选值过多，只使用了前 {MAX_VALUES_PER_FACET} 个。")
        filters[facet] = values
    sort = request.args.get("sort", "relevance")
    if sort not in SORTS:
        sort = "relevance"
    per_page = _int_arg("per_page", 20, 1, MAX_PER_PAGE)
    page = _int_arg("page", 1, 1, MAX_PAGE)
    collapse = request.args.get("collapse", "1") not in ("0", "false", "no")
    expand = request.args.get("expand", "1") not in ("0", "false", "no")
    return SearchRequest(q=q, sort=sort, page=page, per_page=per_page, collapse=collapse,
                         expand=expand, **filters), notices


def state_args(req: SearchRequest, **changes) -> dict:
    """URL parameters for `req` with `changes` applied; defaults are left out so links
    stay short and equal states have equal URLs."""
    args = {"q": req.q, "sort": req.sort, "page": req.page, "per_page": req.per_page,
            "collapse": req.collapse, "expand": req.expand}
    args.update({f: list(getattr(req, f)) for f in FACETS})
    args.update(changes)
    out = {}
    for key, value in args.items():
        if key in ("collapse", "expand"):
            if not value:
                out[key] = 0
        elif key == "sort" and value == "relevance":
            continue
        elif key == "page" and value == 1:
            continue
        elif key == "per_page" and value == 20:
            continue
        elif value not in ("", [], None):
            out[key] = value
    return out


def search_url(req: SearchRequest, **changes) -> str:
    return url_for("pages.search_page", **state_args(req, **changes))


def toggled(req: SearchRequest, facet: str, value: str) -> list[str]:
    values = list(getattr(req, facet))
    return [v for v in values if v != value] if value in values else values + [value]


# --- index access ----------------------------------------------------------------------

@contextmanager
def opened_index():
    yield shared_index()


@bp.errorhandler(IndexUnavailable)
def _index_unavailable(exc: IndexUnavailable):
    if wants_json(request.path.endswith(".json")):
        return jsonify(error="index_unavailable", message=str(exc)), 503
    return render_template("error.html", title="索引不可用", message=str(exc)), 503


def _not_found(message: str):
    if wants_json(request.path.endswith(".json")):
        return jsonify(error="not_found", message=message), 404
    return render_template("error.html", title="未找到", message=message), 404


# --- search ----------------------------------------------------------------------------

@bp.route("/")
@bp.route("/search")
def search_page():
    return _search(json_suffix=False)


@bp.route("/search.json")
def search_json():
    return _search(json_suffix=True)


def _search(json_suffix: bool):
    req, notices = parse_search_request()
    # The collections feature (when enabled) tells the core which collections exist for
    # this reader, for the `collection` filter and facet.
    membership = current_app.extensions.get("dangan_collections")
    collections = membership() if membership else None
    with opened_index() as index:
        response = search(index, req, collections=collections)
        if wants_json(json_suffix):
            data = response.to_json()
            data["request"] = state_args(req)
            data["notices"] = notices
            return jsonify(data)
        # Collapsed copies are listed by title and site (bounded: a few per hit).
        versions = {hit.report_id: reading.version_titles(index, get_report, hit.duplicates,
                                                          limit=VERSIONS_PER_HIT)
                    for hit in response.results if hit.duplicates}
    pages = max(1, math.ceil(response.total / req.per_page)) if response.total else 1
    selected = [(f, v) for f in FACETS for v in getattr(req, f)]
    facets = [(f, response.facets[f]) for f in FACETS if response.facets.get(f)]
    return render_template(
        "search.html", req=req, res=response, notices=notices, selected=selected,
        facets=facets, pages=min(pages, MAX_PAGE), page_window=_page_window(req.page, pages),
        search_url=search_url, toggled=toggled, sorts=SORT_LABELS, facets_shown=FACETS_SHOWN,
        show_understood=bool(req.q and response.understood), versions=versions,
        json_url=url_for("pages.search_json", **state_args(req)),
    )


def _page_window(page: int, pages: int, width: int = 3) -> list[int]:
    pages = min(pages, MAX_PAGE)
    low, high = max(1, page - width), min(pages, page + width)
    window = list(range(low, high + 1))
    if 1 not in window:
        window.insert(0, 1)
    if pages not in window:
        window.append(pages)
    return window


# --- reading view ----------------------------------------------------------------------

DISPLAYS = {"orig": "原文字体", "hans": "简体", "hant": "繁体"}


def _display_arg() -> str:
    display = request.args.get("display", "orig")
    return display if display in DISPLAYS else "orig"


def _query_arg() -> str:
    return request.args.get("q", "").strip()[:MAX_QUERY_CHARS]


@bp.route("/reports/<path:report_id>")
def report_page(report_id: str):
    json_suffix = False
    if report_id.endswith(".json"):
        report_id, json_suffix = report_id[: -len(".json")], True
    return _report(report_id, json_suffix)


def _report(report_id: str, json_suffix: bool):
    q, display = _query_arg(), _display_arg()
    with opened_index() as index:
        report = get_report(index, report_id)
        if report is None:
            return _not_found(f"没有编号为 {report_id[:100]} 的报告。")
        similar = more_like_this(index, report_id, 10)
        versions = reading.version_titles(index, get_report, reading.duplicate_ids(report))
    view = reading.reading_view(report, q, display)
    if wants_json(json_suffix):
        return jsonify(report=report, display=display, q=q, terms=view["terms"],
                       converted={"title": view["title"], "sections": view["sections_text"]},
                       similar_versions=versions,
                       more_like_this=[_hit_json(h) for h in similar])
    return render_template("report.html", report=report, view=view, q=q, display=display,
                           displays=DISPLAYS, versions=versions, similar=similar,
                           script_label=SCRIPT_LABELS.get(report.get("script"), report.get("script")))


def _hit_json(hit) -> dict:
    return asdict(hit)


@bp.route("/original/<path:report_id>")
def original_page(report_id: str):
    json_suffix = False
    if report_id.endswith(".json"):
        report_id, json_suffix = report_id[: -len(".json")], True
    with opened_index() as index:
        report = get_report(index, report_id)
    if report is None:
        return _not_found(f"没有编号为 {report_id[:100]} 的报告。")
    original = reading.original_text(report, search_roots=_source_roots())
    if wants_json(json_suffix):
        return jsonify(report_id=report_id, source=report.get("source"),
                       kept=report.get("body", ""), original=original)
    return render_template("original.html", report=report, original=original)


def _source_roots() -> list[Path]:
    """Where a relative source path may be found: the working directory, the index's
    parent (an index built next to its archive) and an optional DANGAN_SOURCE_ROOT."""
    roots = [Path.cwd()]
    index = current_app.config.get("DANGAN_INDEX")
    if index:
        roots.append(Path(index).resolve().parent)
    extra = current_app.config.get("DANGAN_SOURCE_ROOT")
    if extra:
        roots.insert(0, Path(extra))
    return roots


# --- advanced search, help, OpenSearch -------------------------------------------------

ADVANCED_FIELDS = ("words", "title", "unit", "year_from", "year_to", "section", "genre")


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
    return " ".join(parts)[:MAX_QUERY_CHARS]


@bp.route("/advanced")
@bp.route("/advanced.json")
def advanced_page():
    json_suffix = request.path.endswith(".json")
    submitted = any(request.args.get(f, "").strip() for f in ADVANCED_FIELDS)
    if submitted:
        q = build_advanced_query(request.args)
        filters = {f: [v[:MAX_FACET_VALUE_CHARS] for v in request.args.getlist(f) if v.strip()]
                   [:MAX_VALUES_PER_FACET] for f in ("section", "genre")}
        target = search_url(SearchRequest(q=q, **filters))
        if wants_json(json_suffix):
            return jsonify(q=q, filters=filters, search_url=target)
        return redirect(target, code=303)
    options = _facet_options()
    if wants_json(json_suffix):
        return jsonify(fields=list(ADVANCED_FIELDS), options=options)
    return render_template("advanced.html", options=options)


def _facet_options() -> dict[str, list[str]]:
    """Choices for the advanced form's selects: the values present in the index."""
    with opened_index() as index:
        response = search(index, SearchRequest(per_page=1))
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


@bp.route("/help")
@bp.route("/help.json")
def help_page():
    if wants_json(request.path.endswith(".json")):
        return jsonify(syntax=[{"example": e, "meaning": m} for e, m in HELP_SYNTAX],
                       facets=FACET_LABELS, sorts=SORT_LABELS)
    return render_template("help.html", syntax=HELP_SYNTAX)


@bp.route("/opensearch.xml")
def opensearch():
    base = request.url_root.rstrip("/")
    body = render_template("opensearch.xml", base=base)
    return Response(body, mimetype="application/opensearchdescription+xml")
