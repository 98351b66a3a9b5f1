"""The demo portal as a real HTTP server on 127.0.0.1, with fault injection for tests.

Faults are what real portals do to crawlers: an HTML error page at a ``.pdf`` URL, 503s that go
away on retry, slow answers, dropped files. The server also counts requests and concurrent
requests per path, so tests can check politeness from the server's side.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

from yusuan.demo.site import (
    DATAPROXY,
    Attachment,
    Column,
    demo_column,
    render_article,
    render_dataproxy,
    render_home,
    render_list_page,
)

ERROR_PAGE = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>404 页面不存在</title></head>'
    "<body><h1>对不起，您访问的页面不存在或已删除！</h1></body></html>"
).encode()
ROBOTS = b"User-agent: *\nDisallow: /admin/\n"
# A fixed date so that Last-Modified (and so conditional requests) is stable across restarts.
LAST_MODIFIED = formatdate(1_700_000_000, usegmt=True)


@dataclass(slots=True)
class Faults:
    """Misbehaviour keyed by attachment file name (as linked) or by URL path."""

    html_instead_of_pdf: set[str] = field(default_factory=set)
    transient_errors: dict[str, int] = field(default_factory=dict)  # name → how many 503s first
    delay_seconds: dict[str, float] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)
    # A path whose first N requests wait for each other (up to 60 s) before any is answered:
    # lines up several clients (two runs) so that what they do next overlaps.
    rendezvous: dict[str, int] = field(default_factory=dict)
    # Hostile or broken servers: a body dripped at N bytes a second; a gzip body that inflates to
    # N bytes; N answers of 429 with a Retry-After of ``retry_after`` first.
    drip_bytes_per_second: dict[str, float] = field(default_factory=dict)
    gzip_bomb_bytes: dict[str, int] = field(default_factory=dict)
    too_many_requests: dict[str, int] = field(default_factory=dict)
    retry_after: str = "1"
    # A 302 from this path to the given URL (another host, an internal address …).
    redirects: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class RequestLog:
    lock: threading.Lock = field(default_factory=threading.Lock)
    paths: Counter[str] = field(default_factory=Counter)
    bodies_sent: Counter[str] = field(default_factory=Counter)
    not_modified: Counter[str] = field(default_factory=Counter)
    in_flight: int = 0
    max_in_flight: int = 0
    started_at: list[float] = field(default_factory=list)  # monotonic start of every request
    user_agents: set[str] = field(default_factory=set)
    # (start, end, path, User-Agent) of every finished request: who was served when.
    spans: list[tuple[float, float, str, str]] = field(default_factory=list)


class PortalServer:
    """``with PortalServer() as portal: crawl(portal.entry_url)``; port 0 picks a free port."""

    def _meet(self, key: str, parties: int) -> None:
        with self.log.lock:
            barrier = self._barriers.setdefault(key, threading.Barrier(parties, timeout=60))
            self._arrivals[key] = self._arrivals.get(key, 0) + 1
            waits = self._arrivals[key] <= parties
        if waits:
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                pass  # the others never came: answer anyway

    def __init__(
        self,
        columns: list[Column] | None = None,
        faults: Faults | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.columns = columns or [demo_column()]
        self.faults = faults or Faults()
        self.log = RequestLog()
        self._barriers: dict[str, threading.Barrier] = {}
        self._arrivals: dict[str, int] = {}
        self._attachments: dict[str, Attachment] = {}
        self._downloads: dict[int, Attachment] = {}
        self._columns: dict[str, Column] = {}
        self._pages: dict[str, bytes] = {}
        self._httpd = ThreadingHTTPServer((host, port), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None
        self._publish()

    def _publish(self) -> None:
        """Render every page from ``self.columns``; the new site replaces the old one at once."""
        attachments: dict[str, Attachment] = {}
        downloads: dict[int, Attachment] = {}
        columns: dict[str, Column] = {}
        pages: dict[str, bytes] = {"/": render_home(self.columns).encode()}
        # Attachments "on another host of the same government" are linked as localhost URLs.
        other_host = f"http://localhost:{self._httpd.server_address[1]}"
        for column in self.columns:
            encoding = "gb18030" if column.style == "gbk" else "utf-8"
            columns[column.path] = column
            for i in range(column.page_count if column.style != "dataproxy" else 1):
                name = "index.html" if i == 0 else f"index_{i}.html"
                pages[column.path + name] = render_list_page(column, i).encode(encoding)
            pages[column.path] = pages[column.path + "index.html"]
            for article in column.articles:
                page = render_article(column, article, other_host)
                pages[column.path + article.href] = page.encode(encoding)
                for attachment in article.attachments:
                    attachments[attachment.file_path] = attachment
                    downloads[attachment.download_id] = attachment
        self._attachments, self._downloads, self._columns, self._pages = attachments, downloads, columns, pages

    def replace_file(self, name: str, content: bytes) -> None:
        """The portal swaps an attachment's bytes under the same link (a silent re-publication)."""
        self._edit(name, lambda a: [dataclasses.replace(a, content=content)])

    def withdraw_file(self, name: str) -> None:
        """The portal takes an attachment down: its link goes from the pages, its URL answers 404."""
        self._edit(name, lambda a: [])

    def _edit(self, name: str, change: Callable[[Attachment], list[Attachment]]) -> None:
        found = False
        for column in self.columns:
            for i, article in enumerate(column.articles):
                kept: list[Attachment] = []
                for attachment in article.attachments:
                    if attachment.name == name:
                        found = True
                        kept += change(attachment)
                    else:
                        kept.append(attachment)
                column.articles[i] = dataclasses.replace(article, attachments=tuple(kept))
        if not found:
            raise KeyError(name)
        self._publish()

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def entry_url(self) -> str:
        return self.base_url + self.columns[0].path + "index.html"

    def attachment_url(self, name: str) -> str:
        for attachment in self._attachments.values():
            if attachment.name == name:
                return self.base_url + attachment.href
        raise KeyError(name)

    def entry_urls(self) -> dict[str, str]:
        """Portal name → entry URL of its disclosure list."""
        return {c.name: f"{self.base_url}{c.path}index.html" for c in self.columns}

    def start(self) -> PortalServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="demo-portal", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> PortalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return

            def do_GET(self) -> None:
                log = server.log
                path = unquote(urlsplit(self.path).path)
                raw_path = urlsplit(self.path).path
                agent = self.headers.get("User-Agent", "")
                with log.lock:
                    started = time.monotonic()
                    log.paths[path] += 1
                    log.in_flight += 1
                    log.max_in_flight = max(log.max_in_flight, log.in_flight)
                    log.started_at.append(started)
                    log.user_agents.add(agent)
                self._in_flight = True
                try:
                    self._serve(path, raw_path)
                finally:
                    self._leave_flight()
                    with log.lock:
                        log.spans.append((started, time.monotonic(), path, agent))

            def _leave_flight(self) -> None:
                # Called just before the response's last bytes go out: once the client holds them it
                # may start its next request at once, before this thread could count this one done,
                # and the server would see one request more in flight than the client allowed.
                if getattr(self, "_in_flight", False):
                    self._in_flight = False
                    with server.log.lock:
                        server.log.in_flight -= 1

            def _serve(self, path: str, raw_path: str) -> None:
                faults = server.faults
                name = path.rsplit("/", 1)[-1]
                keys = {path, name}
                for key in keys & faults.rendezvous.keys():
                    server._meet(key, faults.rendezvous[key])
                delay = max((faults.delay_seconds.get(k, 0.0) for k in keys), default=0.0)
                if delay:
                    time.sleep(delay)
                for key in keys & faults.redirects.keys():
                    self._send(302, b"", "text/html", {"Location": faults.redirects[key]})
                    return
                for key in keys:
                    if faults.too_many_requests.get(key, 0) > 0:
                        with server.log.lock:
                            faults.too_many_requests[key] -= 1
                        self._send(429, b"slow down", "text/plain", {"Retry-After": faults.retry_after})
                        return
                bomb = max((faults.gzip_bomb_bytes.get(k, 0) for k in keys), default=0)
                if bomb:
                    body = _gzip_bomb(bomb)
                    self._send(200, body, "text/html; charset=utf-8", {"Content-Encoding": "gzip"})
                    return
                for key in keys:
                    if faults.transient_errors.get(key, 0) > 0:
                        with server.log.lock:
                            faults.transient_errors[key] -= 1
                        self._send(503, b"<html><body>Service Unavailable</body></html>", "text/html")
                        return
                if path == "/robots.txt":
                    self._send(200, ROBOTS, "text/plain")
                    return
                if keys & faults.missing:
                    self._send(404, ERROR_PAGE, "text/html; charset=utf-8")
                    return
                attachment = server._attachments.get(raw_path)
                if attachment is not None:
                    if keys & faults.html_instead_of_pdf or attachment.name in faults.html_instead_of_pdf:
                        # What many CMSs do: a 200 with an HTML error page where the PDF was.
                        self._send(200, ERROR_PAGE, "application/pdf")
                        return
                    self._send_attachment(attachment)
                    return
                query = parse_qs(urlsplit(self.path).query)
                if path == "/module/download/download.jsp":
                    target = server._downloads.get(int((query.get("id") or ["0"])[0] or 0))
                    if target is None:
                        self._send(404, ERROR_PAGE, "text/html; charset=utf-8")
                    else:
                        self._send(302, b"", "text/html", {"Location": f"/uploads/{target.download_id}"})
                    return
                if path.startswith("/uploads/"):
                    target = server._downloads.get(int(path.rsplit("/", 1)[-1] or 0))
                    if target is None:
                        self._send(404, ERROR_PAGE, "text/html; charset=utf-8")
                    else:
                        self._send_attachment(target, disposition=True)
                    return
                if path == DATAPROXY:
                    column = next((c for c in server.columns if c.style == "dataproxy"), None)
                    start = int((query.get("startrecord") or ["1"])[0])
                    end = int((query.get("endrecord") or ["15"])[0])
                    body = render_dataproxy(column, start, end) if column else "<datastore/>"
                    self._send(200, body.encode(), "text/xml; charset=utf-8")
                    return
                page = server._pages.get(path)
                if page is None:
                    self._send(404, ERROR_PAGE, "text/html; charset=utf-8")
                    return
                # No charset in the header: GB2312 pages declare theirs only in <meta>.
                self._send(200, page, "text/html")

            def _send_attachment(self, attachment: Attachment, disposition: bool = False) -> None:
                if self.headers.get("If-None-Match") == attachment.etag:
                    with server.log.lock:
                        server.log.not_modified[attachment.name] += 1
                    self.send_response(304)
                    self.send_header("ETag", attachment.etag)
                    self.send_header("Content-Length", "0")
                    self._leave_flight()
                    self.end_headers()
                    return
                with server.log.lock:
                    server.log.bodies_sent[attachment.name] += 1
                headers = {"ETag": attachment.etag, "Last-Modified": LAST_MODIFIED}
                if disposition:
                    # Half the CMSs send RFC 5987, the others raw GBK bytes in a plain filename.
                    if attachment.download_id % 2:
                        headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(attachment.name)}"
                    else:
                        raw = attachment.name.encode("gb18030").decode("latin-1")
                        headers["Content-Disposition"] = f'attachment; filename="{raw}"'
                self._send(200, attachment.content, attachment.content_type, headers)

            def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
                path = urlsplit(self.path).path
                keys = {unquote(path), unquote(path).rsplit("/", 1)[-1]}
                rate = max((server.faults.drip_bytes_per_second.get(k, 0.0) for k in keys), default=0.0)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    for key, value in (headers or {}).items():
                        self.send_header(key, value)
                    if rate and status == 200:
                        self.end_headers()
                        # Slow rates a byte at a time (each read succeeds well within any
                        # per-read timeout); fast ones in twentieths of a second.
                        step = max(1, int(rate / 20))
                        for i in range(0, len(body), step):
                            if i + step >= len(body):
                                self._leave_flight()
                            self.wfile.write(body[i : i + step])
                            self.wfile.flush()
                            time.sleep(step / rate)
                    else:
                        self._leave_flight()
                        self.end_headers()
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (e.g. its timeout fired first)

        return Handler


def _gzip_bomb(size: int) -> bytes:
    """A gzip body that inflates to ``size`` bytes of HTML, built a mebibyte at a time: zeros
    compress about 1000:1, so it is a few hundred KB on the wire and never ``size`` in memory."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
    zeros = b"0" * (1024 * 1024)
    parts = [packer.compress(b"<html><body>")]
    for _ in range(size // len(zeros)):
        parts.append(packer.compress(zeros))
    parts.append(packer.compress(b"</body></html>") + packer.flush())
    return b"".join(parts)


DEMO_PORT = 18765


def serve(host: str, port: int, extra_pdf_dir: Path | None = None, fallback_to_free_port: bool = False) -> PortalServer:
    """The demo portals (three CMS patterns); ``extra_pdf_dir`` publishes more PDFs on a fourth.

    The demo prefers a fixed port because attachment URLs are source identities: the same
    portal on the same URLs is what lets a second run recognise every file as already seen.
    """
    from yusuan.demo.portals import demo_portals

    columns = demo_portals()
    if extra_pdf_dir:
        extra = demo_column(sorted(extra_pdf_dir.rglob("*.pdf")))
        extra.articles = extra.articles[6:]  # only the extra PDFs: the corpus is on henan-ybj already
        extra.path, extra.name, extra.title = "/extra/", "extra", "更多公开文件"
        columns.append(extra)
    try:
        return PortalServer(columns, host=host, port=port)
    except OSError:
        if not fallback_to_free_port:
            raise
        return PortalServer(columns, host=host, port=0)
