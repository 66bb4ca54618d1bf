"""Read input documents: files, folders, zip archives and WARC files -> RawPage | Skip.

This is the only extraction module that touches the file system. Everything it finds
ends as a RawPage or as a Skip with a reason, in a deterministic order (folders sorted,
archive members in archive order), so two runs over the same input give the same output.

Identities (used for stable report ids) never contain machine-specific paths:
- a file given directly: its base name;
- a file inside a folder given as PATH: ``<folder name>/<path relative to the folder>``;
- a zip member: ``<zip identity>!<member path>``;
- a WARC record: its target URL.
"""
from __future__ import annotations

import gzip
import os
import re
import stat
import zipfile
from pathlib import Path
from typing import Iterable, Iterator

from .model import Format, RawPage, Skip

# Pages above this are skipped unread: a real report page is well under 1 MB, and a
# bound keeps one hostile file from exhausting a worker's memory. 5 MB pages still pass.
MAX_PAGE_BYTES = 20 * 1024 * 1024

HTML_EXTENSIONS = {".html", ".htm", ".shtml", ".xhtml", ".php", ".asp", ".aspx", ".jsp"}
TEXT_EXTENSIONS = {".txt"}
WARC_SUFFIXES = (".warc", ".warc.gz")

# Enough of a document's start to recognise HTML markup without reading the whole file.
_SNIFF_BYTES = 4096
_HTML_SNIFF = re.compile(rb"<\s*(!doctype\s+html|html|head|body|meta|title|div|p|table)[\s>/]", re.I)
_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)


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


def iter_raw_pages(paths: Iterable[str | os.PathLike],
                   max_bytes: int = MAX_PAGE_BYTES) -> Iterator[RawPage | Skip]:
    """Every document under the given paths, in a deterministic order.

    Documents over `max_bytes` become Skip("too_large") without being read whole.
    """
    for path in paths:
        yield from _iter_path(str(path), max_bytes)


def _iter_path(path: str, cap: int) -> Iterator[RawPage | Skip]:
    p = Path(path)
    if p.is_dir():
        root_name = p.resolve().name or "root"
        for file in _walk(p):
            rel = file.relative_to(p).as_posix()
            yield from _iter_file(str(p / rel), f"{root_name}/{rel}", cap)
    elif p.exists():
        yield from _iter_file(path, p.name, cap)
    else:
        yield Skip(path, "unreadable: no such file or directory")


def _walk(folder: Path) -> Iterator[Path]:
    """Files under folder, sorted by path, without following symlinked folders (no loops)."""
    files = [Path(dirpath) / name
             for dirpath, _dirs, filenames in os.walk(folder, followlinks=False)
             for name in filenames]
    yield from sorted(files, key=lambda f: f.relative_to(folder).as_posix())


def _iter_file(source: str, identity: str, cap: int) -> Iterator[RawPage | Skip]:
    name = os.path.basename(source)
    try:
        if _is_zip(name):
            yield from _iter_zip(source, identity, cap)
            return
        if _is_warc(name):
            yield from _iter_warc(source, identity, cap)
            return
        st = os.stat(source)
        if not stat.S_ISREG(st.st_mode):  # a FIFO or device would block or never end
            yield Skip(source, "unsupported: not a regular file")
            return
        size = st.st_size
        if size > cap:
            yield Skip(source, f"too_large: {size} bytes (limit {cap})")
            return
        with open(source, "rb") as fh:
            data = fh.read(cap + 1)
    except OSError as exc:
        yield Skip(source, f"unreadable: {exc.strerror or exc}")
        return
    yield from _page(source, identity, name, data, cap)


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


def _iter_zip(source: str, identity: str, cap: int) -> Iterator[RawPage | Skip]:
    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        yield Skip(source, f"bad_archive: {exc}")
        return
    with zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            inner = _member_name(info)
            member_source = f"{source}!{inner}"
            member_identity = f"{identity}!{inner}"
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
            except (zipfile.BadZipFile, OSError, RuntimeError, EOFError, NotImplementedError) as exc:
                # RuntimeError: encrypted member; NotImplementedError: unknown compression
                yield Skip(member_source, f"unreadable: {exc}")
                continue
            yield from _page(member_source, member_identity, inner, data, cap)


def _charset_of(content_type: str | None) -> str | None:
    m = _CHARSET.search(content_type or "")
    return m.group(1) if m else None


def _iter_warc(source: str, identity: str, cap: int) -> Iterator[RawPage | Skip]:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    try:
        with open(source, "rb") as fh:
            try:
                for n, record in enumerate(ArchiveIterator(fh)):
                    item = _warc_record(source, record, cap, fallback_identity=f"{identity}#{n}")
                    if item is not None:
                        yield item
            except (ArchiveLoadFailed, gzip.BadGzipFile, EOFError, ValueError, OSError) as exc:
                yield Skip(source, f"bad_archive: {exc}")
    except OSError as exc:
        yield Skip(source, f"unreadable: {exc.strerror or exc}")


def _warc_record(source: str, record, cap: int, fallback_identity: str) -> RawPage | Skip | None:
    """A response/resource record as a page; other record types are not documents."""
    if record.rec_type not in ("response", "resource"):
        return None
    url = record.rec_headers.get_header("WARC-Target-URI") or ""
    member_source = f"{source}!{url}"
    if record.rec_type == "response":
        if record.http_headers is None:  # e.g. dns: records
            return None
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
    hint: Format | None = "txt" if mime == "text/plain" else ("html" if mime else None)
    if hint is None and looks_like_html(data):
        hint = "html"
    return RawPage(source=member_source, identity=url or fallback_identity, data=data, url=url or None,
                   declared_charset=_charset_of(content_type), format_hint=hint)
