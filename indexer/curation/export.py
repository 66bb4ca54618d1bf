"""Export a collection (CSV, JSONL, ZIP of texts + manifest) and read report ids back in.

Exports list every item, including those missing from the index (with their last known
title and source and status "missing"), so an export never hides a loss.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from datetime import datetime, timezone
from typing import Iterable, Iterator

from .cite import display_title
from .collections import Collection, CurationError, Item, clean_report_ids

CSV_FIELDS = ("position", "report_id", "title", "source", "status", "note", "tags",
              "added_at", "added_by", "content_hash_added", "content_hash_now")
MAX_IMPORT_BYTES = 2 * 1024 * 1024


# Spreadsheets run cells starting with these as formulas (CSV injection): such cells get
# a leading apostrophe, which the importer removes again.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _uncell(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(_FORMULA_START) else value


def csv_lines(fields, rows: Iterable[dict], comments: Iterable[str] = ()) -> Iterator[str]:
    """The one CSV writer of every export (collections, ZIP manifests, search results):
    a BOM (so spreadsheet programs read the Chinese as UTF-8), ``# `` comment lines, the
    header, then one line per row; cells a spreadsheet would run as a formula are
    neutralized. Yields text a line at a time (exports stream)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(fields), extrasaction="ignore", lineterminator="\r\n")

    def flush() -> str:
        text = out.getvalue()
        out.seek(0)
        out.truncate()
        return text

    yield "\ufeff"
    for comment in comments:
        yield "# " + " ".join(str(comment).split()) + "\r\n"
    writer.writeheader()
    yield flush()
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in fields})
        yield flush()


def iso_time(ts) -> str | None:
    """An epoch time as ISO 8601 UTC (exports are read by people and spreadsheets)."""
    if ts in (None, ""):
        return None
    return datetime.fromtimestamp(float(ts), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def export_item(item: Item) -> dict:
    """An item as every export shows it: 1-based position, ISO time, display title."""
    data = item.to_json()
    data["position"] = item.position + 1
    data["added_at"] = iso_time(item.added_at)
    current = item.current or {}
    if current:
        data["title"] = display_title(current.get("title"), current.get("part"), current.get("parts"))
    return data


def to_csv(items: list[Item]) -> str:
    rows = []
    for item in items:
        data = export_item(item)
        data["tags"] = ", ".join(item.tags)
        rows.append(data)
    return "".join(csv_lines(CSV_FIELDS, rows))


def to_jsonl(collection: Collection, items: list[Item]) -> str:
    """First line: the collection; then one item per line with the report's metadata and
    body when it is still in the index."""
    lines = [json.dumps({"type": "collection", **collection.to_json()}, ensure_ascii=False)]
    for item in items:
        data = {"type": "item", **export_item(item)}
        report = item.current or {}
        for key in ("url", "site", "unit_name", "unit_type", "year", "genre",
                    "publish_date", "script", "part", "body"):
            data[key] = report.get(key)
        lines.append(json.dumps(data, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def _slug(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text)[:80].strip("_") or "report"


def to_zip(collection: Collection, items: list[Item]) -> bytes:
    """texts/NNN_<report_id>.txt (UTF-8: title line, blank line, body) and manifest.json /
    manifest.csv with report_id, title, source, sha256 of the text file, status."""
    buffer = io.BytesIO()
    manifest = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for item in items:
            data = export_item(item)
            n = data["position"]
            entry = {"position": n, "report_id": item.report_id, "title": data["title"],
                     "source": (item.current or {}).get("source", item.source),
                     "status": item.status, "file": None, "sha256": None,
                     "note": item.note, "tags": item.tags}
            body = (item.current or {}).get("body")
            if body is not None:
                text = f"{entry['title'] or ''}\n\n{body}\n".encode("utf-8")
                entry["file"] = f"texts/{n:04d}_{_slug(item.report_id)}.txt"
                entry["sha256"] = hashlib.sha256(text).hexdigest()
                zf.writestr(entry["file"], text)
            manifest.append(entry)
        zf.writestr("manifest.json", json.dumps(
            {"collection": collection.to_json(), "items": manifest},
            ensure_ascii=False, indent=1))
        zf.writestr("manifest.csv", "".join(csv_lines(
            ("position", "report_id", "title", "source", "sha256", "status", "file"), manifest)))
    return buffer.getvalue()


def parse_import(data: bytes | str) -> list[dict]:
    """Report ids (with note and tags when present) from any of our exports or a plain
    list: JSONL (item lines), CSV with a report_id column, a ZIP export's manifest, or
    one id per line. Order is kept; returns [{"report_id", "note"?, "tags"?}]."""
    if isinstance(data, bytes):
        if len(data) > MAX_IMPORT_BYTES:
            raise CurationError("import file too large")
        if data[:2] == b"PK":
            return _from_zip(data)
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise CurationError("import file is not UTF-8") from None
    data = data.lstrip("\ufeff")
    while data.startswith("#"):  # comment lines of a search export
        data = data.partition("\n")[2]
    if len(data) > MAX_IMPORT_BYTES:
        raise CurationError("import file too large")
    stripped = data.lstrip()
    if stripped.startswith("{"):
        entries = _from_jsonl(data)
    elif stripped.startswith("["):
        entries = _from_list(data)
    elif "report_id" in stripped.split("\n", 1)[0]:  # a CSV header line
        entries = _from_csv(data)
    else:
        entries = [{"report_id": line.strip()} for line in data.splitlines() if line.strip()]
    ids = clean_report_ids([e["report_id"] for e in entries])  # validates and bounds
    first = {}
    for entry in entries:
        first.setdefault(entry["report_id"].strip(), entry)
    return [first[i] for i in ids]


def _from_jsonl(text: str) -> list[dict]:
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError:
            raise CurationError(f"line {n} is not JSON") from None
        if data.get("type") == "collection":
            continue
        if not isinstance(data.get("report_id"), str):
            raise CurationError(f"line {n} has no report_id")
        out.append({k: data[k] for k in ("report_id", "note", "tags") if k in data})
    return out


def _from_list(text: str) -> list[dict]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise CurationError("not a JSON list") from None
    if not all(isinstance(x, str) for x in data):
        raise CurationError("a JSON import must be a list of report ids")
    return [{"report_id": x} for x in data]


def _from_csv(text: str) -> list[dict]:
    out = []
    for row in csv.DictReader(io.StringIO(text)):
        if not (row.get("report_id") or "").strip():
            continue
        entry = {"report_id": row["report_id"]}
        if "note" in row:
            entry["note"] = _uncell(row["note"] or "")
        if "tags" in row:
            tags = _uncell(row["tags"] or "")
            entry["tags"] = [t.strip() for t in tags.split(",") if t.strip()]
        out.append(entry)
    return out


def _from_zip(data: bytes) -> list[dict]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            info = zf.getinfo("manifest.json")
            if info.file_size > MAX_IMPORT_BYTES:  # bound the decompressed size too
                raise CurationError("manifest too large")
            manifest = json.loads(zf.read(info).decode("utf-8"))
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, UnicodeDecodeError):
        raise CurationError("not a Dang'an ZIP export (no readable manifest.json)") from None
    return [{k: e[k] for k in ("report_id", "note", "tags") if k in e}
            for e in manifest.get("items", []) if isinstance(e.get("report_id"), str)]


def to_citations(items: list[Item], fmt: str, reading_url) -> str:
    """Every item as a citation in `fmt` ("ris" or "bibtex"); `reading_url(report_id)` is
    the URL cited for a report without an original web address. Items missing from the
    index are cited from their last known title and source."""
    from .cite import citation, cite_url, render

    accessed = datetime.now(timezone.utc).date()
    out = []
    for item in items:
        report = dict(item.current or {"title": item.title, "source": item.source})
        report["report_id"] = item.report_id
        out.append(render(citation(report, cite_url(report, reading_url(item.report_id)), accessed), fmt))
    return ("\n" if fmt == "bibtex" else "").join(out)
