"""The search contract: what the CLI, the JSON API and the HTML pages all call.

    from indexer.search import open_index, search, get_report, more_like_this
    with open_index(path) as index:
        response = search(index, SearchRequest(q="两学一做", unit_type=["乡镇街道"]))

`search()` is the one search function; the web layer renders its SearchResponse as JSON
(`to_json()`) or HTML, never with a second code path.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .suggest import Suggestion

FACETS = ("unit_type", "section", "year", "publish_year", "timeline", "genre", "site", "script",
          "collection")
SORTS = ("relevance", "date")
MAX_PER_PAGE = 100
MAX_QUERY_CHARS = 500


@dataclass
class SearchRequest:
    q: str = ""
    # Facet filters: several values of one facet combine with OR, facets with AND.
    unit_type: list[str] = field(default_factory=list)
    section: list[str] = field(default_factory=list)
    year: list[str] = field(default_factory=list)
    genre: list[str] = field(default_factory=list)
    site: list[str] = field(default_factory=list)
    script: list[str] = field(default_factory=list)
    collection: list[str] = field(default_factory=list)  # collection ids (curation issue)
    # Year of the publish date (pages without one have none).
    publish_year: list[str] = field(default_factory=list)
    # The timeline's year: the report's year, else its publish year.
    timeline: list[str] = field(default_factory=list)
    # Publish-date range, inclusive: YYYY, YYYY-MM or YYYY-MM-DD ("" = open). Reports
    # without a publish date are outside every range.
    date_from: str = ""
    date_to: str = ""
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    collapse: bool = True  # collapse near-duplicates into their group's best hit
    expand: bool = True  # also search regional wording and synonyms (expand.py)


@dataclass
class FacetValue:
    value: str
    count: int


@dataclass
class Hit:
    report_id: str
    source: str
    part: int
    title: str | None
    unit_name: str | None
    unit_type: str | None
    year: int | None
    genre: str | None
    site: str | None
    script: str
    sections: list[str]  # kinds of the sections where the query matched (all kinds if none)
    snippet: str  # HTML: escaped text with <mark>…</mark>, original script
    score: float
    duplicates: list[str] = field(default_factory=list)  # report_ids of collapsed copies
    publish_date: str | None = None
    parts: int = 1  # reports extracted from the same page (show the part when > 1)


@dataclass
class SearchResponse:
    query: str
    understood: str  # the reading searched (index form), shown to readers: "查询理解为"
    # Number of matching reports (after collapsing when collapse=True). Every facet count
    # follows the same rule: it is the total that selecting that value gives.
    total: int
    page: int
    per_page: int
    results: list[Hit]
    facets: dict[str, list[FacetValue]]
    # The relaxation ladder's step that answered (ladder.py): None when the query as read
    # found something; else "punctuation", "near" or "words".
    relaxed: str | None = None
    expansions: list[str] = field(default_factory=list)  # also searched (regional words, synonyms)
    suggestions: list[Suggestion] = field(default_factory=list)  # did you mean (suggest.py)

    def to_json(self) -> dict:
        return asdict(self)
