"""`dangan serve`: the app under waitress, with its limits from `SETTINGS.serve`.

- Threads, `connection_limit`, `channel_timeout` and the cleanup interval are settings
  (DANGAN_THREADS, DANGAN_CONNECTION_LIMIT, DANGAN_CHANNEL_TIMEOUT_S …); poll() instead of
  select(), so a thousand open connections are no problem. Idle connections beyond that
  are a reverse proxy's job (README: "Running behind a reverse proxy").
- A request line carrying raw UTF-8 (``curl 'http://host/search?q=意识形态'``) is
  accepted: its non-ASCII bytes are percent-encoded before waitress parses the line (it
  would answer 400 "Bad URI"), which is what a browser sends for the same URL.
"""
from __future__ import annotations

import re

from waitress import create_server
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import BaseWSGIServer

from indexer.settings import SETTINGS, ServeSettings

_NON_ASCII = re.compile(rb"[\x80-\xff]")


def percent_encode_request_line(header_plus: bytes) -> bytes:
    """The request head with non-ASCII bytes of its first line percent-encoded."""
    end = header_plus.find(b"\r\n")
    if end <= 0 or not _NON_ASCII.search(header_plus, 0, end):
        return header_plus
    line = _NON_ASCII.sub(lambda m: b"%%%02X" % m.group()[0], header_plus[:end])
    return line + header_plus[end:]


class Utf8RequestParser(HTTPRequestParser):
    def parse_header(self, header_plus):
        return super().parse_header(percent_encode_request_line(header_plus))


class Utf8Channel(HTTPChannel):
    parser_class = Utf8RequestParser


def waitress_options(settings: ServeSettings) -> dict:
    options = {
        "threads": settings.threads, "connection_limit": settings.connection_limit,
        "channel_timeout": settings.channel_timeout_s, "cleanup_interval": settings.cleanup_interval_s,
        "asyncore_use_poll": True, "ident": "dangan",
    }
    if settings.trusted_proxy:
        options.update(trusted_proxy=settings.trusted_proxy,
                       trusted_proxy_count=settings.trusted_proxy_count,
                       trusted_proxy_headers={"x-forwarded-for", "x-forwarded-proto"},
                       clear_untrusted_proxy_headers=True)
    return options


def make_server(app, host: str, port: int, settings: ServeSettings = SETTINGS.serve):
    """A waitress server for `app` (not started: call `.run()`)."""
    sockets: dict = {}
    server = create_server(app, map=sockets, host=host, port=port, **waitress_options(settings))
    for dispatcher in sockets.values():
        if isinstance(dispatcher, BaseWSGIServer):
            dispatcher.channel_class = Utf8Channel
    return server
