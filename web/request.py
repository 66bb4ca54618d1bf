"""The one request parser: URL arguments -> `SearchRequest`, for every page, JSON twin,
the JSON API, exports and feeds (and the same defaults as `dangan search`).

The rule (documented in the README): every field of `SearchRequest` is a URL parameter
of the same name; a parameter left out or empty takes the field's default (so
``collapse`` defaults to on everywhere); a value that is malformed or out of bounds is
never clamped or guessed: the request gets a 400 with a message saying what is allowed.
Fields added to `SearchRequest` later are carried through by their type (a list is a
repeatable parameter, a bool takes 1/0/true/false/yes/no/on/off, an int a decimal
number, a str is bounded in length), so a new parameter works on every endpoint at once.
"""
from __future__ import annotations

import dataclasses
import functools
import typing

from indexer.search import FACETS, MAX_PER_PAGE, MAX_QUERY_CHARS, SORTS, SearchRequest
from indexer.search.facets import date_bound
from indexer.settings import SETTINGS

from .errors import BadRequest

TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off"})
YEAR_FACETS = ("year", "publish_year", "timeline")
MAX_VALUE_CHARS = 100  # one facet value, or any other string parameter
MAX_INT = 10**9
# The bounds of the integer fields; others are 0..MAX_INT.
INT_BOUNDS = {"page": (1, SETTINGS.serve.max_page), "per_page": (1, MAX_PER_PAGE)}


@functools.lru_cache(maxsize=1)
def request_fields() -> list[tuple[str, type, object]]:
    """(name, base type, default) of every SearchRequest field."""
    hints = typing.get_type_hints(SearchRequest)
    out = []
    for f in dataclasses.fields(SearchRequest):
        hint = hints[f.name]
        base = list if typing.get_origin(hint) is list else hint
        default = f.default_factory() if f.default is dataclasses.MISSING else f.default
        out.append((f.name, base, default))
    return out


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise BadRequest(f"参数 {name} 只能是 1 或 0（{name} must be 0 or 1）。")


def _int(name: str, raw: str) -> int:
    low, high = INT_BOUNDS.get(name, (0, MAX_INT))
    text = raw.strip()
    if not (text.isascii() and text.lstrip("-").isdigit()) or len(text) > 12:
        raise BadRequest(f"参数 {name} 须为整数（{name} must be an integer）。")
    value = int(text)
    if not low <= value <= high:
        raise BadRequest(f"参数 {name} 须在 {low} 到 {high} 之间（{name} must be between {low} and {high}）。")
    return value


def _values(name: str, raws: list[str]) -> list[str]:
    if len(raws) > SETTINGS.serve.max_facet_values:
        raise BadRequest(f"参数 {name} 的值过多（{name}: at most {SETTINGS.serve.max_facet_values} values）。")
    values: list[str] = []
    for raw in raws:
        value = raw.strip()
        if len(value) > MAX_VALUE_CHARS:
            raise BadRequest(f"参数 {name} 的值过长（{name}: at most {MAX_VALUE_CHARS} characters）。")
        if value and value not in values:
            values.append(value)
    if name in YEAR_FACETS and any(not (v.isascii() and v.isdigit() and len(v) == 4) for v in values):
        raise BadRequest(f"参数 {name} 须为四位年份（{name} must be a four-digit year）。")
    return values


def _string(name: str, raw: str) -> str:
    value = raw.strip()
    limit = MAX_QUERY_CHARS if name == "q" else MAX_VALUE_CHARS
    if len(value) > limit:
        raise BadRequest(f"参数 {name} 超过 {limit} 个字符（{name}: at most {limit} characters）。")
    if name == "sort" and value not in SORTS:
        raise BadRequest(f"排序方式只能是 {'、'.join(SORTS)}（sort must be one of: {', '.join(SORTS)}）。")
    if name in ("date_from", "date_to") and value:
        try:
            date_bound(value, upper=name == "date_to")
        except ValueError:
            raise BadRequest(f"参数 {name} 须为 YYYY、YYYY-MM 或 YYYY-MM-DD 形式的日期"
                             f"（{name} must be a date: YYYY, YYYY-MM or YYYY-MM-DD）。") from None
    return value


def search_request(args, **overrides) -> SearchRequest:
    """`args` (a MultiDict: request.args or a form) as a SearchRequest; BadRequest (400)
    for any malformed or out-of-bounds value. `overrides` fix fields regardless of
    `args` (an export's page size, a feed's sort)."""
    values: dict = {}
    for name, base, default in request_fields():
        raws = [r for r in args.getlist(name) if r is not None]
        if base is list:
            values[name] = _values(name, raws)
            continue
        if not raws or not raws[0].strip():
            continue  # the field's default
        if len(raws) > 1:
            raise BadRequest(f"参数 {name} 只能给一次（{name} given more than once）。")
        parse = {bool: _bool, int: _int, str: _string}.get(base)
        if parse is not None:
            values[name] = parse(name, raws[0])
    if values.get("date_from") and values.get("date_to") and \
            date_bound(values["date_from"], False) > date_bound(values["date_to"], True):
        raise BadRequest("起始日期晚于结束日期（date_from is after date_to）。")
    values.update(overrides)
    return SearchRequest(**values)


def state_args(req: SearchRequest, **changes) -> dict:
    """URL parameters of `req` with `changes` applied; parameters at their default are
    left out, so links stay short and equal states have equal URLs."""
    out = {}
    for name, base, default in request_fields():
        value = changes[name] if name in changes else getattr(req, name)
        if base is list:
            value = list(value)
        if value == default or value in ("", [], None):
            continue
        out[name] = int(value) if isinstance(value, bool) else value
    return out


def selected_filters(req: SearchRequest) -> list[tuple[str, str]]:
    """(facet, value) of every facet selection, in facet order."""
    return [(f, v) for f in FACETS for v in getattr(req, f)]


def toggled(req: SearchRequest, facet: str, value: str) -> list[str]:
    """The facet's selection with `value` switched on or off."""
    values = list(getattr(req, facet))
    return [v for v in values if v != value] if value in values else values + [value]


def no_filters() -> dict:
    """Changes that clear every facet selection and the date range."""
    return {**{f: [] for f in FACETS}, "date_from": "", "date_to": ""}
