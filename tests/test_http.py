"""HTTP behaviour against a real local server (the demo portal with faults injected)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from storage.raw_store import RawStore
from yusuan.demo.server import Faults, PortalServer
from yusuan.fetch.download import download
from yusuan.fetch.http import BodyLimits, FetchError, HttpConfig, RetryPolicy, decode_html, get_page, make_client
from yusuan.models import DisclosureLink

ZHENGZHOU = "2023年郑州市医疗保障局部门预算公开.pdf"
FAST = RetryPolicy(attempts=3, backoff_seconds=0.01, backoff_max_seconds=0.02)


def _client(timeout: float = 5.0) -> httpx.Client:
    return make_client(HttpConfig(user_agent="yusuan-tests", timeout_seconds=timeout))


def _link(url: str) -> DisclosureLink:
    return DisclosureLink(url, "http://portal/page.html", ZHENGZHOU, "page", "test")


def test_transient_503_is_retried_until_it_succeeds(tmp_path: Path) -> None:
    with PortalServer(faults=Faults(transient_errors={ZHENGZHOU: 2})) as portal, _client() as client:
        fetched = download(_link(portal.attachment_url(ZHENGZHOU)), client, RawStore(tmp_path), FAST)
        assert fetched.ok, fetched.error
        assert fetched.attempts == 3
        assert portal.log.paths[f"/attachment/{ZHENGZHOU}"] == 3
        assert RawStore(tmp_path).path_for(fetched.sha256 or "").read_bytes()[:5] == b"%PDF-"


def test_404_is_not_retried(tmp_path: Path) -> None:
    with PortalServer(faults=Faults(missing={ZHENGZHOU})) as portal, _client() as client:
        fetched = download(_link(portal.attachment_url(ZHENGZHOU)), client, RawStore(tmp_path), FAST)
        assert not fetched.ok
        assert fetched.http_status == 404
        assert fetched.attempts == 1
        assert portal.log.paths[f"/attachment/{ZHENGZHOU}"] == 1
        assert "HTTP 404" in (fetched.error or "")
        assert not fetched.transient  # the download task does not retry it either


def test_timeout_is_retried_then_recorded(tmp_path: Path) -> None:
    with PortalServer(faults=Faults(delay_seconds={ZHENGZHOU: 1.0})) as portal, _client(timeout=0.2) as client:
        fetched = download(_link(portal.attachment_url(ZHENGZHOU)), client, RawStore(tmp_path), FAST)
        assert not fetched.ok
        assert "Timeout" in (fetched.error or "")
        assert fetched.attempts == 3
        assert fetched.transient
        assert not list(tmp_path.rglob("*")) or all(p.is_dir() for p in tmp_path.rglob("*"))


def test_persistent_5xx_gives_up_after_the_policy(tmp_path: Path) -> None:
    with PortalServer(faults=Faults(transient_errors={ZHENGZHOU: 10})) as portal, _client() as client:
        fetched = download(_link(portal.attachment_url(ZHENGZHOU)), client, RawStore(tmp_path), FAST)
        assert fetched.http_status == 503 and fetched.transient
        assert portal.log.paths[f"/attachment/{ZHENGZHOU}"] == FAST.attempts


def test_conditional_request_skips_the_body(tmp_path: Path) -> None:
    store = RawStore(tmp_path)
    with PortalServer() as portal, _client() as client:
        link = _link(portal.attachment_url(ZHENGZHOU))
        first = download(link, client, store, FAST)
        second = download(link, client, store, FAST, previous_etag=first.etag, previous_sha256=first.sha256)
        assert first.http_status == 200 and second.http_status == 304
        assert second.sha256 == first.sha256
        assert portal.log.bodies_sent[ZHENGZHOU] == 1
        assert portal.log.not_modified[ZHENGZHOU] == 1


def test_identifying_user_agent_is_sent() -> None:
    with PortalServer() as portal, _client() as client:
        get_page(client, portal.entry_url, FAST)
        assert portal.log.user_agents == {"yusuan-tests"}


def test_get_page_raises_on_missing_page() -> None:
    with PortalServer() as portal, _client() as client, pytest.raises(FetchError) as info:
        get_page(client, portal.base_url + "/nope.html", FAST)
    assert info.value.status == 404


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(attempts=6, backoff_seconds=1.0, backoff_max_seconds=5.0)
    delays = [policy.delay(n) for n in range(1, 6)]
    assert 0.5 <= delays[0] <= 1.0
    assert all(d <= 5.0 for d in delays)
    assert 2.5 <= delays[4] <= 5.0


def test_meta_charset_gbk_is_decoded_as_gb18030() -> None:
    body = '<html><head><meta charset="gb2312"><title>部门预算</title></head><body>䶮</body></html>'.encode("gb18030")
    assert "部门预算" in decode_html(body, "text/html")
    assert "䶮" in decode_html(body, "text/html")


def _download_all(portal: PortalServer, tmp_path: Path, limiter: object | None) -> None:
    from concurrent.futures import ThreadPoolExecutor

    links = [_link(portal.attachment_url(name)) for name in ALL_PDFS] * 2
    with _client() as client, ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda link: download(link, client, RawStore(tmp_path), FAST, limiter=limiter), links))


ALL_PDFS = [ZHENGZHOU, "2024年滑县医疗保障局部门预算公开.pdf", "济源产城融合示范区医疗保障局2022年单位预算.pdf"]


def test_per_host_concurrency_holds_at_the_server(tmp_path: Path) -> None:
    from yusuan.fetch.politeness import HostLimiter

    slow = Faults(delay_seconds={name: 0.2 for name in ALL_PDFS})
    with PortalServer(faults=slow) as portal:
        _download_all(portal, tmp_path, None)
        assert portal.log.max_in_flight > 2  # unlimited: the server sees the pool's parallelism
    with PortalServer(faults=Faults(delay_seconds={name: 0.2 for name in ALL_PDFS})) as portal:
        _download_all(portal, tmp_path, HostLimiter(max_concurrent=2))
        assert portal.log.max_in_flight == 2


def test_requests_to_a_host_are_spaced(tmp_path: Path) -> None:
    from yusuan.fetch.politeness import HostLimiter

    with PortalServer() as portal:
        _download_all(portal, tmp_path, HostLimiter(max_concurrent=4, min_interval_seconds=0.1))
        starts = sorted(portal.log.started_at)
    # The limiter grants starts 0.1 s apart; the server sees them after thread scheduling, so one
    # gap can shrink by the jitter of its neighbours. Five gaps span 0.5 s: unlimited they span
    # a few ms, so 0.4 s proves the spacing with 0.1 s of room for a busy machine.
    assert len(starts) == 6 and starts[-1] - starts[0] >= 0.4


def test_a_dripped_body_ends_at_its_deadline_and_leaves_nothing(tmp_path: Path) -> None:
    """A server that sends one byte at a time never trips the per-read timeout: the total
    deadline ends the download, recorded with its reason, not retried, no partial file kept."""
    import time

    faults = Faults(drip_bytes_per_second={ZHENGZHOU: 50.0})
    limits = BodyLimits(max_bytes=50 * 1024 * 1024, deadline_seconds=1.0)
    with PortalServer(faults=faults) as portal, _client(timeout=5.0) as client:
        started = time.monotonic()
        fetched = download(_link(portal.attachment_url(ZHENGZHOU)), client, RawStore(tmp_path), FAST, limits=limits)
        elapsed = time.monotonic() - started
    assert not fetched.ok and "deadline of 1 s passed" in (fetched.error or "")
    assert not fetched.transient
    assert elapsed < 4.0
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_a_transfer_below_the_low_speed_limit_is_cut_as_stalled_long_before_its_deadline(tmp_path: Path) -> None:
    """curl's --speed-limit: 50 bytes/s against a limit of 1,000 bytes/s over a 1-s window is
    stalled after about a second, though the total deadline is 60 s; recorded, nothing kept."""
    import time

    faults = Faults(drip_bytes_per_second={ZHENGZHOU: 50.0})
    limits = BodyLimits(
        max_bytes=50 * 1024 * 1024, deadline_seconds=60.0, min_bytes_per_second=1000.0, speed_window_seconds=1.0
    )
    with PortalServer(faults=faults) as portal, _client(timeout=5.0) as client:
        started = time.monotonic()
        fetched = download(_link(portal.attachment_url(ZHENGZHOU)), client, RawStore(tmp_path), FAST, limits=limits)
        elapsed = time.monotonic() - started
    assert not fetched.ok and (fetched.error or "").startswith("stalled: ")
    assert "below the low-speed limit of 1000 bytes/s" in (fetched.error or "")
    assert not fetched.transient
    assert elapsed < 4.0
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_a_steady_transfer_above_the_low_speed_limit_is_never_cut(tmp_path: Path) -> None:
    """The same limit and window on a body sent at 80,000 bytes/s for about 2.5 s (two windows
    and more): it completes, byte for byte."""
    from yusuan.demo.site import asset_bytes

    faults = Faults(drip_bytes_per_second={ZHENGZHOU: 80_000.0})
    limits = BodyLimits(
        max_bytes=50 * 1024 * 1024, deadline_seconds=60.0, min_bytes_per_second=1000.0, speed_window_seconds=1.0
    )
    with PortalServer(faults=faults) as portal, _client(timeout=5.0) as client:
        fetched = download(_link(portal.attachment_url(ZHENGZHOU)), client, RawStore(tmp_path), FAST, limits=limits)
    assert fetched.ok, fetched.error
    expected = asset_bytes("zhengzhou-yibao-2023.pdf")
    assert RawStore(tmp_path).path_for(fetched.sha256 or "").read_bytes() == expected


def test_a_gzip_bomb_page_is_refused_by_its_decoded_size() -> None:
    """A page of a few hundred KB on the wire that inflates to 64 MB: the cap counts decoded bytes."""
    faults = Faults(gzip_bomb_bytes={"/ybj/ysgk/index.html": 64 * 1024 * 1024})
    limits = BodyLimits(max_bytes=1024 * 1024, deadline_seconds=30.0)
    with PortalServer(faults=faults) as portal, _client() as client:
        with pytest.raises(FetchError, match="larger than 1048576 bytes"):
            get_page(client, portal.entry_url, FAST, limits=limits)


def test_retry_after_is_the_least_wait() -> None:
    waits: list[float] = []
    faults = Faults(too_many_requests={"/ybj/ysgk/index.html": 2}, retry_after="3")
    with PortalServer(faults=faults) as portal, _client() as client:
        response, html = get_page(client, portal.entry_url, FAST, sleep=waits.append)
    assert response.status_code == 200 and "</html>" in html
    assert waits == [3.0, 3.0]  # FAST alone would wait 0.01–0.02 s


def test_a_redirect_to_another_host_is_refused_at_that_hop(tmp_path: Path) -> None:
    """The portal answers a PDF link with a 302 to a host that is not the portal's: the hop is
    refused before it is sent, recorded with the reason, and not retried."""
    from yusuan.fetch.offsite import HostPolicy

    with PortalServer() as portal:
        url = portal.attachment_url(ZHENGZHOU)
        elsewhere = url.replace("127.0.0.1", "localhost")
        portal.faults.redirects[ZHENGZHOU] = elsewhere
        policy = HostPolicy.for_portal(portal.entry_url)
        client = make_client(HttpConfig("yusuan-tests", timeout_seconds=5), policy.request_hook(attachment=True))
        with client:
            fetched = download(_link(url), client, RawStore(tmp_path), FAST)
        assert not fetched.ok and "off-site attachment host 'localhost'" in (fetched.error or "")
        assert not fetched.transient
        assert portal.log.paths[f"/attachment/{ZHENGZHOU}"] == 1  # one request, the refused hop never sent


def test_host_policy_refusals() -> None:
    from yusuan.fetch.offsite import HostPolicy

    policy = HostPolicy.for_portal("http://127.0.0.1:8000/list/index.html", ["localhost"], ["files.example.org"])
    assert policy.refusal("http://127.0.0.1:8000/a.pdf", attachment=True) is None  # the entry host, named
    assert "private, loopback" in (policy.refusal("http://localhost:8000/a.pdf", attachment=True) or "")
    assert "off-site page host 'files.example.org'" in (policy.refusal("http://files.example.org/x", False) or "")
    assert "off-site attachment host 'evil.example'" in (policy.refusal("http://evil.example/a.pdf", True) or "")
    assert "not an http(s) URL (file scheme)" in (policy.refusal("file:///etc/passwd", True) or "")
    open_policy = HostPolicy.for_portal("http://127.0.0.1:8000/", ["localhost"], allow_private=True)
    assert open_policy.refusal("http://localhost:8000/a.pdf", attachment=True) is None


@pytest.mark.slow
def test_the_default_low_speed_limit_cuts_a_drip_within_a_minute_and_not_a_steady_large_download(
    tmp_path: Path,
) -> None:
    """With the shipped settings (1,000 bytes/s over 30 s): a server dripping 1 byte a second is
    stalled within a minute (its 600-s deadline would have held the run 10 minutes), while 90 MB
    sent steadily at 2 MB/s (45 s, more than a window) arrives whole, both at once."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from yusuan.settings import Settings

    steady_bytes, rate, chunk = 90 * 1024 * 1024, 2 * 1024 * 1024, 64 * 1024

    class Stream(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            size = 600 if self.path == "/drip" else steady_bytes
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            try:
                if self.path == "/drip":
                    for _ in range(size):
                        self.wfile.write(b"x")
                        self.wfile.flush()
                        time.sleep(1.0)
                else:
                    started, sent = time.monotonic(), 0
                    while sent < size:
                        self.wfile.write(b"y" * chunk)
                        sent += chunk
                        time.sleep(max(0.0, sent / rate - (time.monotonic() - started)))
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client cut the transfer

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Stream)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    config = HttpConfig.from_settings(Settings())
    assert (config.download_limits.min_bytes_per_second, config.download_limits.speed_window_seconds) == (1000, 30)

    def fetch(path: str, store: Path) -> tuple[float, object]:
        started = time.monotonic()
        with make_client(config) as client:
            fetched = download(_link(base + path), client, RawStore(store), FAST, limits=config.download_limits)
        return time.monotonic() - started, fetched

    try:
        with ThreadPoolExecutor(2) as pool:
            drip = pool.submit(fetch, "/drip", tmp_path / "drip")
            steady = pool.submit(fetch, "/steady", tmp_path / "steady")
            (drip_seconds, dripped), (_, whole) = drip.result(), steady.result()
    finally:
        httpd.shutdown()
    assert not dripped.ok and dripped.error.startswith("stalled: ")  # type: ignore[attr-defined]
    assert drip_seconds < 60
    assert whole.ok and whole.size_bytes == steady_bytes, whole.error  # type: ignore[attr-defined]


def _self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files."""
    from datetime import UTC, datetime, timedelta
    from ipaddress import IPv4Address

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_https_is_verified_against_the_certificate_store_every_client_shares(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Clients share one TLS context (reading the CA bundle per client cost 25 ms a download),
    which still verifies: a server whose certificate the store does not hold is refused, and
    ``SSL_CERT_FILE`` names the store, as for httpx itself."""
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from yusuan.fetch.http import tls_context

    class Hello(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = "<html>部门预算</html>".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    cert, key = _self_signed(tmp_path)
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert, key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    server.socket = server_side.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"https://127.0.0.1:{server.server_address[1]}/"
    tls_context.cache_clear()
    try:
        with _client() as client, pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            client.get(url)
        tls_context.cache_clear()
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        with _client() as first, _client() as second:
            assert first.get(url).text == second.get(url).text == "<html>部门预算</html>"
        assert tls_context.cache_info().misses == 1
    finally:
        server.shutdown()
        server.server_close()
        tls_context.cache_clear()  # later tests get the default store again


def test_time_waiting_at_the_gate_is_not_counted_against_the_body() -> None:
    """A request that waited its turn (politeness, a global slot, a rate token while the Prefect
    server restarts) gets its whole deadline and low-speed window once it is sent."""
    from contextlib import contextmanager

    class SlowGate:
        @contextmanager
        def slot(self, url: str) -> Iterator[None]:
            time.sleep(1.5)
            yield

    limits = BodyLimits(max_bytes=1 << 20, deadline_seconds=1.0, min_bytes_per_second=1000.0, speed_window_seconds=1.0)
    with PortalServer() as portal, _client() as client:
        _response, html = get_page(client, portal.entry_url, FAST, limiter=SlowGate(), limits=limits)
    assert "<html" in html.lower()
