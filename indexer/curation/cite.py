"""Citations of a report: GB/T 7714-2015 (electronic resource), RIS, BibTeX, CSL-JSON;
and the display title of a report that is one part of a multi-report page.

Pure functions over the report dict that `indexer.search.get_report` returns (or an
item's last known fields); the caller supplies the URL to cite and the access date.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date

FORMATS = ("gbt7714", "ris", "bibtex", "csl-json")
MEDIA_TYPES = {"gbt7714": "text/plain", "ris": "application/x-research-info-systems",
               "bibtex": "application/x-bibtex", "csl-json": "application/vnd.citationstyles.csl+json"}
EXTENSIONS = {"gbt7714": "txt", "ris": "ris", "bibtex": "bib", "csl-json": "json"}

_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 25 -> 二十五 (1..99); other numbers as digits."""
    if not 1 <= n <= 99:
        return str(n)
    tens, ones = divmod(n, 10)
    return (("" if tens == 1 else _DIGITS[tens]) + "十" if tens else "") + (_DIGITS[ones] if ones else "")


def part_label(part, parts) -> str:
    """【篇二】 for the second of several reports on one page; "" for a page's only report."""
    try:
        part, parts = int(part or 1), int(parts or 1)
    except (TypeError, ValueError):
        return ""
    return f"【篇{chinese_number(part)}】" if parts > 1 else ""


def display_title(title, part=1, parts=1) -> str:
    """A report's title as shown everywhere: with its part when its page holds several
    (their titles are often the page's one title)."""
    return f"{title or '（无标题）'}{part_label(part, parts)}"


@dataclass
class Citation:
    report_id: str
    title: str
    author: str  # the reporting unit, else the site
    site: str
    published: str  # YYYY-MM-DD, "" when unknown
    year: int | None
    url: str
    accessed: date


def cite_url(report: dict, fallback: str) -> str:
    """The URL to cite: the report's original web address, else `fallback` (our page)."""
    original = str(report.get("url") or "")
    return original if original.startswith(("http://", "https://")) else fallback


def citation(report: dict, url: str, accessed: date) -> Citation:
    published = str(report.get("publish_date") or "")[:10]
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", published):
        published = ""
    year = report.get("year") or (int(published[:4]) if published else None)
    return Citation(
        report_id=str(report.get("report_id") or ""),
        title=display_title(report.get("title"), report.get("part"), report.get("parts")),
        author=report.get("unit_name") or report.get("site") or "佚名",
        site=report.get("site") or "", published=published, year=year, url=url,
        accessed=accessed)


def gbt7714(c: Citation) -> str:
    """主要责任者. 题名[EB/OL]. (发布日期)[引用日期]. 获取和访问路径."""
    published = f"({c.published})" if c.published else ""
    return f"{c.author}. {c.title}[EB/OL]. {published}[{c.accessed.isoformat()}]. {c.url}."


def ris(c: Citation) -> str:
    lines = [("TY", "ELEC"), ("TI", c.title), ("AU", c.author)]
    if c.year:
        lines.append(("PY", str(c.year)))
    if c.published:
        lines.append(("DA", c.published.replace("-", "/")))
    lines += [("PB", c.site), ("UR", c.url), ("Y2", c.accessed.strftime("%Y/%m/%d")),
              ("LA", "zh"), ("ID", c.report_id), ("ER", "")]
    return "".join(f"{tag}  - {_one_line(value)}\r\n" for tag, value in lines if value or tag == "ER")


_BIBTEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "%": r"\%", "&": r"\&",
                   "$": r"\$", "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\^{}"}


def _bib(value: str) -> str:
    return "".join(_BIBTEX_SPECIAL.get(ch, ch) for ch in _one_line(value))


def bibtex(c: Citation) -> str:
    key = "dangan-" + re.sub(r"[^A-Za-z0-9]+", "", c.report_id)[:40]
    fields = [("title", _bib(c.title)), ("author", "{" + _bib(c.author) + "}"),
              ("organization", _bib(c.site))]
    if c.published:
        fields.append(("date", c.published))
    if c.year:
        fields.append(("year", str(c.year)))
    fields += [("url", _one_line(c.url).replace("}", "%7D").replace("{", "%7B")),
               ("urldate", c.accessed.isoformat()), ("langid", "chinese")]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@online{{{key},\n{body}\n}}\n"


def _date_parts(text: str) -> dict:
    return {"date-parts": [[int(p) for p in text.split("-")]]}


def csl_json(c: Citation) -> dict:
    data = {"id": c.report_id, "type": "webpage", "title": c.title,
            "author": [{"literal": c.author}], "container-title": c.site, "URL": c.url,
            "accessed": _date_parts(c.accessed.isoformat()), "language": "zh-CN"}
    if c.published:
        data["issued"] = _date_parts(c.published)
    elif c.year:
        data["issued"] = {"date-parts": [[int(c.year)]]}
    return data


def render(c: Citation, fmt: str) -> str:
    """The citation as text in one of FORMATS (CSL-JSON as a JSON array of one item)."""
    if fmt == "csl-json":
        return json.dumps([csl_json(c)], ensure_ascii=False, indent=1)
    return {"gbt7714": gbt7714, "ris": ris, "bibtex": bibtex}[fmt](c)


def _one_line(value) -> str:
    return " ".join(str(value or "").split())
