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


def _row(item: Item) -> dict:
    data = item.to_json()
    data["tags"] = ", ".join(item.tags)
    return {k: _cell(data.get(k)) for k in CSV_FIELDS}


def to_csv(items: list[Item]) -> str:
    out = io.StringIO()
    # A BOM so spreadsheet programs open the Chinese titles as UTF-8.
    out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    for item in items:
        writer.writerow(_row(item))
    return out.getvalue()


def to_jsonl(collection: Collection, items: list[Item]) -> str:
    """First line: the collection; then one item per line with the report's metadata and
    body when it is still in the index."""
    lines = [json.dumps({"type": "collection", **collection.to_json()}, ensure_ascii=False)]
    for item in items:
        data = {"type": "item", **item.to_json()}
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
        for n, item in enumerate(items, 1):
            entry = {"position": item.position, "report_id": item.report_id,
                     "title": item.display_title if item.current else item.title,
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
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=("report_id", "title", "source", "sha256",
                                                 "status", "file"),
                                extrasaction="ignore", lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(manifest)
        zf.writestr("manifest.csv", "\ufeff" + out.getvalue())
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
