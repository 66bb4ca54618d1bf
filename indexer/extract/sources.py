"""Read input documents: files, folders, zip archives and WARC files -> RawPage | Skip.

This is the only extraction module that touches the file system. Everything it finds
ends as a RawPage or as a Skip with a reason, in a deterministic order (folders sorted,
archive members in archive order), so two runs over the same input give the same output.

Roots. Every path given (a folder or a file) is an archive *root* (`plan_roots`). A root
has an identity, the first part of the identity of every page under it:
- its name (a folder's resolved name, a file's base name): the usual, single-root case;
- when another root of the run (or one recorded in the index, `recorded`) already has
  that name: the name with as many parent folders as make it unique (``b/pages`` beside
  ``pages``). A root recorded in the index keeps its recorded identity, so the ids of an
  unchanged archive never change when other archives are added.
A root given twice, or inside another root of the run, is read once (a skip says so).

Identities (used for stable report ids) never contain machine-specific paths:
- a file given directly: ``<root identity>``;
- a file inside a folder: ``<root identity>/<path relative to the folder>``;
- a zip member: ``<zip identity>!<member path>``;
- a WARC record: its target URL (one page per URL: of several captures, the latest wins
  and the others become ``superseded`` skips).

Reading stays inside the roots: a symbolic link in a folder that points outside it is a
skip, symlinked folders are not followed, and `read_source` (reading a page again, e.g.
for the web's "original" view) only opens files inside the roots it is given.
File names that are not valid UTF-8 appear with ``\\xNN`` escapes in sources and
identities (`display_path`); `fs_path` turns such a source back into the real path.
"""
from __future__ import annotations

import os
import re
import stat
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

from ..settings import SETTINGS
from .model import Format, RawPage, Skip

HTML_EXTENSIONS = {".html", ".htm", ".shtml", ".xhtml", ".php", ".asp", ".aspx", ".jsp"}
TEXT_EXTENSIONS = {".txt"}
WARC_SUFFIXES = (".warc", ".warc.gz")
WEB_SCHEMES = ("http:", "https:")

# Enough of a document's start to recognise HTML markup without reading the whole file.
_SNIFF_BYTES = 4096
_HTML_SNIFF = re.compile(rb"<\s*(!doctype\s+html|html|head|body|meta|title|div|p|table)[\s>/]", re.I)
_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
_ESCAPED_BYTE = re.compile(r"\\x([89a-f][0-9a-f])")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")


def format_hint_for(name: str) -> Format | None:
    """html/txt from a file name, None when the extension says nothing (sniff later)."""
    ext = os.path.splitext(name)[1].lower()
    if ext in HTML_EXTENSIONS:
        return "html"
    if ext in TEXT_EXTENSIONS:
        return "txt"
    return None


def looks_like_html(head: bytes) -> bool:
    return bool(_HTML_SNIFF.search(head[:_SNIFF_BYTES]))


def _is_warc(name: str) -> bool:
    return name.lower().endswith(WARC_SUFFIXES)


def _is_zip(name: str) -> bool:
    return name.lower().endswith(".zip")


def _accept(name: str, head: bytes) -> tuple[bool, Format | None]:
    """Should a file with this name and first bytes be extracted, and as what?"""
    hint = format_hint_for(name)
    if hint is not None:
        return True, hint
    if not os.path.splitext(name)[1]:  # no extension: HTML or a text dump, decide later
        return True, "html" if looks_like_html(head) else None
    if looks_like_html(head):  # e.g. index.cgi, page.do: served HTML under another name
        return True, "html"
    return False, None


def display_path(path: str) -> str:
    """A path as text: bytes of the name that are not UTF-8 become ``\\xNN`` (Python
    keeps them as lone surrogates, which cannot be written as UTF-8)."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")


def fs_path(source: str) -> str:
    """The file-system path of a source written by `display_path` (the inverse)."""
    if "\\x" not in source:
        return source
    return _ESCAPED_BYTE.sub(lambda m: chr(0xDC00 + int(m.group(1), 16)), source)


# ---------------------------------------------------------------- roots


@dataclass(frozen=True)
class Root:
    """One path given to a run: where it is, how it was given, what identifies it."""

    given: str  # as given (display form), the prefix of its pages' sources
    path: str  # resolved absolute path (display form)
    identity: str  # first part of its pages' identities
    is_dir: bool

    def to_json(self) -> dict:
        return {"given": self.given, "path": self.path, "identity": self.identity}


def _base_identity(given: str, resolved: str, is_dir: bool) -> str:
    if is_dir:
        return Path(resolved).name or "root"
    return Path(given).name or Path(resolved).name or "root"


def _unique_identity(base: str, resolved: str, taken: set[str]) -> str:
    """`base`, else `base` under as many parent folder names as make it unique."""
    if base not in taken:
        return base
    parents = [p for p in Path(resolved).parent.parts if p not in ("/", "")]
    for n in range(1, len(parents) + 1):
        candidate = "/".join([*parents[-n:], base])
        if candidate not in taken:
            return candidate
    import hashlib

    return f"{base}@{hashlib.sha1(resolved.encode('utf-8', 'surrogateescape')).hexdigest()[:8]}"


def plan_roots(paths: Iterable[str | os.PathLike], recorded: dict[str, str] | None = None
               ) -> tuple[list[Root], list[Skip]]:
    """The roots of a run, with unique identities; skips for paths given twice, inside
    another root, or missing. `recorded`: resolved path -> identity of an earlier build
    (such a root keeps its identity; an archive that moved takes its name's)."""
    recorded = dict(recorded or {})
    given = [os.fspath(p) for p in paths]
    skips: list[Skip] = []
    resolved_of = {g: os.path.realpath(g) for g in given if os.path.lexists(g)}
    is_dir = {g: os.path.isdir(g) for g in resolved_of}  # one stat per path
    # Folders given, by resolved path -> the first given path naming them: a path inside
    # one is read from there. Found by walking up each path's parents (linear in the
    # paths given: `dangan index build pages/*.html` passes tens of thousands).
    folder_at: dict[str, int] = {}
    for i, g in enumerate(given):
        if g in resolved_of and is_dir[g]:
            folder_at.setdefault(resolved_of[g], i)
    kept: list[tuple[str, str]] = []  # (given, resolved), in order
    seen: dict[str, str] = {}
    for g in given:
        shown = display_path(g)
        if g not in resolved_of:
            skips.append(Skip(shown, "unreadable: no such file or directory"))
            continue
        resolved = resolved_of[g]
        if resolved in seen:
            skips.append(Skip(shown, f"duplicate_input: the same as {seen[resolved]}"))
            continue
        outer = _outer_folder(resolved, folder_at)
        if outer is not None:
            skips.append(Skip(shown, f"duplicate_input: inside {display_path(given[outer])}, read from there"))
            continue
        seen[resolved] = shown
        kept.append((g, resolved))
    # Recorded identities first, so that a root seen before keeps its identity whatever
    # was added beside it; then the others: their name, made unique.
    identity: dict[str, str] = {}
    taken: set[str] = set()
    for _g, resolved in kept:
        if resolved in recorded and recorded[resolved] not in taken:
            identity[resolved] = recorded[resolved]
            taken.add(recorded[resolved])
    for g, resolved in kept:
        if resolved not in identity:
            base = display_path(_base_identity(g, resolved, is_dir[g]))
            identity[resolved] = _unique_identity(base, display_path(resolved), taken)
            taken.add(identity[resolved])
    roots = [Root(display_path(g), display_path(resolved), identity[resolved], is_dir[g])
             for g, resolved in kept]
    return roots, skips


def _outer_folder(resolved: str, folder_at: dict[str, int]) -> int | None:
    """Index (in the order given) of the first given folder that holds `resolved`
    strictly inside it, else None."""
    found = None
    parent = os.path.dirname(resolved)
    while True:
        at = folder_at.get(parent)
        if at is not None and (found is None or at < found):
            found = at
        up = os.path.dirname(parent)
        if up == parent:
            return found
        parent = up


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class _Entry:
    """A file to read: where it is, how it appears in records."""

    path: str  # file-system path (may hold surrogates)
    source: str
    identity: str


def iter_raw_pages(paths: Iterable[str | os.PathLike], max_bytes: int | None = None,
                   recorded: dict[str, str] | None = None,
                   roots: list[Root] | None = None) -> Iterator[RawPage | Skip]:
    """Every document under the given paths, in a deterministic order.

    Documents over `max_bytes` (default: the page_max_bytes setting) become
    Skip("too_large") without being read whole. `roots`: already planned (`plan_roots`).
    """
    cap = SETTINGS.budgets.page_max_bytes if max_bytes is None else max_bytes
    if roots is None:
        roots, skips = plan_roots(paths, recorded)
        yield from skips
    # A first walk finds the WARCs: which capture of a URL wins depends on all of them.
    warcs = [e for root in roots for e in _expand(root) if isinstance(e, _Entry) and _is_warc(e.path)]
    winners = _latest_captures(warcs) if warcs else {}
    for root in roots:
        for entry in _expand(root):
            if isinstance(entry, Skip):
                yield entry
            else:
                yield from _iter_file(entry, cap, winners)


def _expand(root: Root) -> Iterator[_Entry | Skip]:
    path = fs_path(root.given)
    if not root.is_dir:
        yield _Entry(path, root.given, root.identity)
        return
    yield from _walk(path, root)


def _walk(folder: str, root: Root) -> Iterator[_Entry | Skip]:
    """Files under folder, sorted by path. Symlinked folders are not followed (loops,
    escapes); a symlinked file must stay inside the root; unreadable folders are skips.
    Only each file's relative path is held until it is read (hundreds of thousands of
    files: a build's main process, which its workers are forked from, stays small)."""
    inside = fs_path(root.path).rstrip(os.sep) + os.sep
    found: list[str] = []  # relative paths of files
    skips: dict[str, Skip] = {}  # relative path -> why it is not read

    def on_error(exc: OSError) -> None:
        rel = os.path.relpath(exc.filename or folder, folder)
        found.append(rel)
        skips[rel] = Skip(display_path(exc.filename or folder), f"unreadable: {exc.strerror or exc}")

    for dirpath, dirs, filenames in os.walk(folder, followlinks=False, onerror=on_error):
        for name in dirs:
            full = os.path.join(dirpath, name)
            if os.path.islink(full):
                rel = os.path.relpath(full, folder)
                found.append(rel)
                skips[rel] = Skip(display_path(full), "unsupported: symbolic link to a folder (not followed)")
        for name in filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, folder)
            if os.path.islink(full) and not os.path.realpath(full).startswith(inside):
                skips[rel] = Skip(display_path(full), "outside_root: symbolic link to a file outside the archive folder")
            found.append(rel)
    found.sort(key=lambda rel: display_path(rel).replace(os.sep, "/"))
    for rel in found:
        skip = skips.get(rel)
        if skip is not None:
            yield skip
            continue
        rel_shown = display_path(rel).replace(os.sep, "/")
        yield _Entry(os.path.join(folder, rel), str(Path(root.given) / rel_shown), f"{root.identity}/{rel_shown}")


def _iter_file(entry: _Entry, cap: int, winners: dict) -> Iterator[RawPage | Skip]:
    name = os.path.basename(entry.path)
    try:
        if _is_zip(name):
            yield from _iter_zip(entry, cap)
            return
        if _is_warc(name):
            yield from _iter_warc(entry, cap, winners)
            return
        st = os.stat(entry.path)
        if not stat.S_ISREG(st.st_mode):  # a FIFO or device would block or never end
            yield Skip(entry.source, "unsupported: not a regular file")
            return
        if st.st_size > cap:
            yield Skip(entry.source, f"too_large: {st.st_size} bytes (limit {cap})")
            return
        with open(entry.path, "rb") as fh:
            data = fh.read(cap + 1)
    except OSError as exc:
        yield Skip(entry.source, f"unreadable: {exc.strerror or exc}")
        return
    yield from _page(entry.source, entry.identity, display_path(name), data, cap)


def _page(source: str, identity: str, name: str, data: bytes, cap: int) -> Iterator[RawPage | Skip]:
    if len(data) > cap:
        yield Skip(source, f"too_large: over {cap} bytes")
        return
    ok, hint = _accept(name, data[:_SNIFF_BYTES])
    if not ok:
        ext = os.path.splitext(name)[1].lower()
        yield Skip(source, f"unsupported: not an HTML page or text dump ({ext})")
        return
    yield RawPage(source=source, identity=identity, data=data, format_hint=hint)


def _member_name(info: zipfile.ZipInfo) -> str:
    """Zip member names without the UTF-8 flag are often GBK (Chinese Windows zippers)."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _iter_zip(entry: _Entry, cap: int) -> Iterator[RawPage | Skip]:
    try:
        zf = zipfile.ZipFile(entry.path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, UnicodeDecodeError) as exc:
        yield Skip(entry.source, f"bad_archive: {exc}")
        return
    with zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            inner = display_path(_member_name(info))
            member_source = f"{entry.source}!{inner}"
            member_identity = f"{entry.identity}!{inner}"
            if _is_zip(inner) or _is_warc(inner):
                # Nested containers are not unpacked: say so rather than drop them.
                yield Skip(member_source, "unsupported: nested archive")
                continue
            if info.file_size > cap:
                yield Skip(member_source, f"too_large: {info.file_size} bytes (limit {cap})")
                continue
            try:
                with zf.open(info) as fh:
                    # Read one byte past the cap: the header's size can lie (zip bombs).
                    data = fh.read(cap + 1)
            except (zipfile.BadZipFile, OSError, RuntimeError, EOFError, NotImplementedError,
                    ValueError, zipfile.LargeZipFile) as exc:
                # RuntimeError: encrypted member; NotImplementedError: unknown compression
                yield Skip(member_source, f"unreadable: {exc}")
                continue
            yield from _page(member_source, member_identity, inner, data, cap)


def _charset_of(content_type: str | None) -> str | None:
    m = _CHARSET.search(content_type or "")
    return m.group(1) if m else None


# ---------------------------------------------------------------- WARC


def _capture_time(record) -> datetime | None:
    raw = (record.rec_headers.get_header("WARC-Date") or "").strip()
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


_EPOCH = datetime(1, 1, 1, tzinfo=timezone.utc)


def _latest_captures(warcs: list[_Entry]) -> dict[str, tuple]:
    """URL -> (capture time, WARC index, record index, WARC source) of the capture of
    that URL to keep: the latest (by WARC-Date, then by position) over all WARCs of the
    run. Read with headers only; unreadable files are reported when read for real."""
    from warcio.archiveiterator import ArchiveIterator

    winners: dict[str, tuple] = {}
    for w, entry in enumerate(warcs):
        try:
            with open(entry.path, "rb") as fh:
                for n, record in enumerate(ArchiveIterator(fh, no_record_parse=True)):
                    if record.rec_type not in ("response", "resource"):
                        continue
                    url = record.rec_headers.get_header("WARC-Target-URI")
                    if not url:
                        continue
                    key = (_capture_time(record) or _EPOCH, w, n)
                    if url not in winners or key > winners[url][:3]:
                        winners[url] = (*key, entry.source)
        except Exception:  # noqa: BLE001 - the real read reports the damage as a skip
            continue
    return winners


def _iter_warc(entry: _Entry, cap: int, winners: dict) -> Iterator[RawPage | Skip]:
    from warcio.archiveiterator import ArchiveIterator

    source = entry.source
    try:
        size = os.path.getsize(entry.path)
        with open(entry.path, "rb") as fh:
            records = ArchiveIterator(fh, no_record_parse=True)
            n = -1
            try:
                for n, record in enumerate(records):
                    item = _warc_record(entry, n, record, cap, winners)
                    if item is not None:
                        yield item
            except Exception as exc:  # noqa: BLE001 - warcio fails in many ways on damage
                yield Skip(source, f"bad_archive: record {n + 2} and after could not be read "
                                   f"({type(exc).__name__}: {exc})"[:300])
                return
            end = records.offset
            if end < size and _has_data(fh, end):
                yield Skip(source, f"bad_archive: truncated or damaged after record {n + 1} "
                                   f"({size - end} bytes at offset {end} could not be read)")
    except OSError as exc:
        yield Skip(source, f"unreadable: {exc.strerror or exc}")


def _has_data(fh, offset: int) -> bool:
    """Anything but padding (blank lines, zero bytes) from `offset` to the end?"""
    fh.seek(offset)
    while chunk := fh.read(1 << 16):
        if chunk.strip(b"\r\n\t \x00"):
            return True
    return False


def _http_part(record):
    """Parse the HTTP status line and headers of a response record (warcio leaves them
    alone for records read with no_record_parse)."""
    from warcio.statusandheaders import StatusAndHeadersParser

    return StatusAndHeadersParser(["HTTP/1.0", "HTTP/1.1"], verify=False).parse(record.raw_stream)


def _warc_record(entry: _Entry, n: int, record, cap: int, winners: dict) -> RawPage | Skip | None:
    """A response/resource record as a page (or a skip); other record types (request,
    metadata, warcinfo, revisit) are not documents."""
    if record.rec_type not in ("response", "resource"):
        return None
    url = record.rec_headers.get_header("WARC-Target-URI") or ""
    member_source = f"{entry.source}!{url or f'#{n + 1}'}"
    if not url:
        return Skip(member_source, f"bad_record: {record.rec_type} record {n + 1} has no WARC-Target-URI")
    scheme = _SCHEME.match(url)
    if record.rec_type == "response" and not url.lower().startswith(WEB_SCHEMES):
        what = scheme.group(1).lower() + ":" if scheme else "no scheme"
        return Skip(member_source, f"unsupported: not a web page URL ({what})")
    if scheme and scheme.group(1).lower() in ("javascript", "data", "about", "mailto", "dns"):
        return Skip(member_source, f"unsupported: not a web page URL ({scheme.group(1).lower()}:)")
    winner = winners.get(url)
    if winner is not None and (winner[3], winner[2]) != (entry.source, n):
        return Skip(member_source, f"superseded: a later capture of this URL is kept "
                                   f"({winner[0].isoformat() if winner[0] != _EPOCH else 'undated'}, {winner[3]})")
    try:
        if record.rec_type == "response":
            record.http_headers = _http_part(record)
            status = record.http_headers.get_statuscode() or ""
            if not status.startswith("2"):
                return Skip(member_source, f"http_status: {status}")
            content_type = record.http_headers.get_header("Content-Type") or ""
        else:
            content_type = record.rec_headers.get_header("Content-Type") or ""
        mime = content_type.split(";")[0].strip().lower()
        if mime and mime not in ("text/html", "application/xhtml+xml", "text/plain"):
            return Skip(member_source, f"unsupported: content type {mime}")
        data = record.content_stream().read(cap + 1)
        if len(data) > cap:
            return Skip(member_source, f"too_large: over {cap} bytes")
        missing = _unread_declared_bytes(record)
    except Exception as exc:  # noqa: BLE001 - a damaged record is one skip, not a failed run
        return Skip(member_source, f"bad_record: {type(exc).__name__}: {exc}"[:300])
    if missing:
        return Skip(member_source, f"truncated: record ends {missing} bytes before its declared length")
    hint: Format | None = "txt" if mime == "text/plain" else ("html" if mime else None)
    if hint is None and looks_like_html(data):
        hint = "html"
    return RawPage(source=member_source, identity=url, data=data, url=url,
                   declared_charset=_charset_of(content_type), format_hint=hint)


def _unread_declared_bytes(record) -> int:
    """Bytes the record declared (Content-Length) but the file does not hold."""
    stream = record.raw_stream
    while stream.read(1 << 16):
        pass
    return max(0, getattr(stream, "limit", 0) or 0)


# ---------------------------------------------------------------- reading a page again


def read_source(source: str, roots: Iterable[Root | dict | os.PathLike], max_bytes: int | None = None
                ) -> RawPage | Skip | None:
    """The page `source` (as recorded in a report) read again, but only from inside the
    given archive roots (`Root`s, their JSON as recorded in an index, or folders): a Skip
    ``outside_root`` when no root holds the path, None when it is gone, a Skip when it is
    there but cannot be read. Symbolic links and ``..`` are resolved before the check, so
    a record naming ``/etc/passwd`` or ``archive/../../secret`` reads nothing."""
    cap = SETTINGS.budgets.page_max_bytes if max_bytes is None else max_bytes
    container, sep, inner = source.partition("!")
    for root in map(_as_root, roots):
        path = _inside(container, root)
        if path is None:
            continue
        if not os.path.exists(path):
            return None
        name = os.path.basename(path)
        entry = _Entry(path, container, root.identity)
        if not sep:
            return next(iter(_iter_file(entry, cap, {})), None)
        if not (_is_zip(name) or _is_warc(name)):
            return None
        for item in _iter_file(entry, cap, {}):
            if item.source.partition("!")[2] == inner:
                return item
        return None
    return Skip(source, "outside_root: not inside the archive folders the index was built from")


def _as_root(root) -> Root:
    if isinstance(root, Root):
        return root
    if isinstance(root, dict):
        path = root["path"]
        return Root(root.get("given") or path, path, root.get("identity", ""), os.path.isdir(fs_path(path)))
    path = os.path.realpath(os.fspath(root))  # a folder: sources relative to it, or inside it
    return Root(".", display_path(path), "", True)


def _inside(container: str, root: Root) -> str | None:
    """The real path `container` names when it is inside `root` (it may not exist), else
    None."""
    from pathlib import PurePath

    base = os.path.realpath(fs_path(root.path))
    rel = None
    for prefix in (root.given, root.path):
        if os.path.isabs(container) != os.path.isabs(prefix):
            continue
        try:
            rel = PurePath(container).relative_to(PurePath(prefix))
            break
        except ValueError:
            continue
    if rel is None:
        return None
    real = os.path.realpath(os.path.join(base, fs_path(str(rel)))) if rel.parts else base
    if not root.is_dir:
        return real if real == base else None
    return real if real.startswith(base.rstrip(os.sep) + os.sep) else None
