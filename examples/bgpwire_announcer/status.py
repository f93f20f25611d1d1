"""The status endpoint: a tiny HTTP/1.1 server (standard library only) and its client.

``GET /status`` answers the JSON of :func:`bgpwire_announcer.report.report_json`, ``GET /metrics``
the Prometheus text of :func:`~bgpwire_announcer.report.report_metrics`. It is made to be safe
to leave running: it listens on 127.0.0.1 unless told otherwise, reads at most
:data:`MAX_REQUEST` octets of request head within :data:`REQUEST_TIMEOUT` seconds, answers only
``GET`` (and ``HEAD``), one request per connection, and never shows a password (the report
holds none).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from bgpwire_announcer.report import Report, report_json, report_metrics

DEFAULT_HTTP = ("127.0.0.1", 7473)
MAX_REQUEST = 8192
"""The longest request head (request line and headers) read, in octets."""
REQUEST_TIMEOUT = 5.0
"""Seconds a client may take to send its request head."""

_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
            408: "Request Timeout", 431: "Request Header Fields Too Large"}


class StatusServer:
    """Serves a :class:`Report` taken fresh for each request from ``source``."""

    def __init__(self, source: Callable[[], Report], host: str = DEFAULT_HTTP[0],
                 port: int = DEFAULT_HTTP[1]) -> None:
        self._source = source
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port,
                                                  limit=MAX_REQUEST)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            status, content_type, body, head_only = await self._answer(reader)
            reason = _REASONS.get(status, "Error")
            header = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
                      f"Content-Length: {len(body)}\r\nConnection: close\r\n"
                      "Allow: GET, HEAD\r\nCache-Control: no-store\r\n\r\n")
            writer.write(header.encode("ascii") + (b"" if head_only else body))
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _answer(self, reader: asyncio.StreamReader) -> tuple[int, str, bytes, bool]:
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT):
                head = await reader.readuntil(b"\r\n\r\n")
        except TimeoutError:
            return _plain(408, "request head not received in time\n")
        except asyncio.LimitOverrunError:
            return _plain(431, f"request head longer than {MAX_REQUEST} octets\n")
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = request_line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            return _plain(400, "malformed request line\n")
        method, target, _ = parts
        if method not in ("GET", "HEAD"):
            return _plain(405, f"method {method} not allowed: only GET\n")
        path = target.split("?", 1)[0]
        head_only = method == "HEAD"
        if path == "/status":
            body = json.dumps(report_json(self._source()), indent=2, sort_keys=True) + "\n"
            return 200, "application/json", body.encode(), head_only
        if path == "/metrics":
            text = report_metrics(self._source())
            return 200, "text/plain; version=0.0.4; charset=utf-8", text.encode(), head_only
        if path == "/":
            return 200, "text/plain; charset=utf-8", b"bgpwire-announcer: /status /metrics\n", \
                head_only
        return _plain(404, f"no such page: {path} (try /status or /metrics)\n")


def _plain(status: int, text: str) -> tuple[int, str, bytes, bool]:
    return status, "text/plain; charset=utf-8", text.encode(), False


class StatusUnavailable(Exception):
    """The status endpoint could not be read; the message says where and why."""


def fetch_status(host: str, port: int, timeout: float = 5.0) -> dict[str, Any]:
    """``GET /status`` from a running announcer."""
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/status"
    try:
        # No proxy: the endpoint is local, and an http_proxy variable must not reroute it.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(url, timeout=timeout) as response:
            document: dict[str, Any] = json.loads(response.read())
            return document
    except urllib.error.HTTPError as exc:
        raise StatusUnavailable(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise StatusUnavailable(f"{url}: {exc.reason} (is `bgpwire-announcer run` "
                                f"running with --http {host}:{port}?)") from None
    except (OSError, ValueError) as exc:
        raise StatusUnavailable(f"{url}: {exc}") from None
