"""HTTP for crawling government portals: one client factory, retries with jittered backoff,
and decoding of pages that declare GBK only in ``<meta>``."""

from __future__ import annotations

import logging
import random
import re
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import cache

import httpx

from yusuan.fetch.politeness import RequestGate
from yusuan.settings import Settings

log = logging.getLogger(__name__)

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
# GB2312 and GBK pages use characters outside those sets in practice; GB18030 decodes them all.
_CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "gb_2312-80": "gb18030", "x-gbk": "gb18030"}


@dataclass(frozen=True, slots=True)
class BodyLimits:
    """What one response may cost: bytes of body after Content-Encoding is undone (a 1 MB gzip
    can inflate to 1 GiB), and seconds from the request's start to its last byte (a server that
    drips one byte a second never trips a per-read timeout)."""

    max_bytes: int
    deadline_seconds: float
    # Asked between two network reads: True ends the body at once (the run is stopping).
    stopped: Callable[[], bool] | None = field(default=None, compare=False)
    # The low-speed cut-off (curl's --speed-limit / --speed-time): a transfer that averages
    # fewer bytes a second than this over a whole window is stalled. 0 turns it off.
    min_bytes_per_second: float = 0.0
    speed_window_seconds: float = 30.0


PAGE_LIMITS = BodyLimits(max_bytes=8 * 1024 * 1024, deadline_seconds=60.0, min_bytes_per_second=1000.0)
DOWNLOAD_LIMITS = BodyLimits(max_bytes=200 * 1024 * 1024, deadline_seconds=600.0, min_bytes_per_second=1000.0)
_STARTED = "yusuan.started"


class BodyRejected(Exception):
    """A body over its size cap or past its deadline: recorded, not retried (it would cost the same again)."""


class TransferStalled(BodyRejected):
    """A body arriving slower than the low-speed limit for a whole window."""


@dataclass(slots=True)
class _SpeedWindow:
    """Bytes counted since the window opened; a window that closes below the minimum rate stalls
    the transfer, one that closes above it opens the next."""

    opened: float
    bytes_at_open: int = 0

    def check(self, limits: BodyLimits, total: int, now: float, url: object) -> None:
        elapsed = now - self.opened
        if not limits.min_bytes_per_second or elapsed < limits.speed_window_seconds:
            return
        rate = (total - self.bytes_at_open) / elapsed
        if rate < limits.min_bytes_per_second:
            raise TransferStalled(
                f"stalled: {rate:.0f} bytes/s over {elapsed:.0f} s, below the low-speed limit of "
                f"{limits.min_bytes_per_second:g} bytes/s, after {total} bytes at {url}"
            )
        self.opened, self.bytes_at_open = now, total


def read_body(response: httpx.Response, limits: BodyLimits) -> Iterator[bytes]:
    """The decoded body in chunks, stopped by ``limits`` with the reason."""
    started = response.extensions.get(_STARTED, time.monotonic())
    window = _SpeedWindow(started)
    total = 0
    # No chunk_size: httpx would buffer until it has that many bytes, and a dripping server
    # would never reach the deadline check. Each network read is checked as it arrives. A server
    # that sends nothing at all is the per-read timeout's (httpx.ReadTimeout, retried).
    for chunk in response.iter_bytes():
        total += len(chunk)
        if total > limits.max_bytes:
            raise BodyRejected(f"body larger than {limits.max_bytes} bytes (after decoding) at {response.url}")
        if limits.stopped is not None and limits.stopped():
            raise BodyRejected(f"stopped after {total} bytes at {response.url}: the run is stopping")
        now = time.monotonic()
        if now - started > limits.deadline_seconds:
            raise BodyRejected(
                f"deadline of {limits.deadline_seconds:g} s passed after {total} bytes at {response.url}"
            )
        window.check(limits, total, now, response.url)
        yield chunk


def retry_after_seconds(response: httpx.Response, cap: float) -> float | None:
    """A 429/503's Retry-After (seconds or an HTTP date), capped; None when absent or unreadable."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return min(float(value), cap)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, min((when - datetime.now(UTC)).total_seconds(), cap))


class FetchError(Exception):
    """A request that failed for good (after retries, or at once for a 4xx)."""

    def __init__(
        self, message: str, status: int | None = None, attempts: int = 1, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.attempts = attempts
        # The server's Retry-After on the last answer (429/503): the least wait before a next try.
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class HttpConfig:
    """The HTTP part of the settings, as a plain value that tasks can take as a parameter."""

    user_agent: str
    timeout_seconds: float = 30.0
    attempts: int = 4
    backoff_seconds: float = 0.5
    backoff_max_seconds: float = 20.0
    page_limits: BodyLimits = PAGE_LIMITS
    download_limits: BodyLimits = DOWNLOAD_LIMITS

    @classmethod
    def from_settings(cls, settings: Settings) -> HttpConfig:
        return cls(
            settings.user_agent,
            settings.http_timeout_seconds,
            settings.http_attempts,
            settings.http_backoff_seconds,
            settings.http_backoff_max_seconds,
            BodyLimits(
                settings.max_page_bytes,
                settings.page_deadline_seconds,
                min_bytes_per_second=settings.low_speed_bytes_per_second,
                speed_window_seconds=settings.low_speed_window_seconds,
            ),
            BodyLimits(
                settings.max_download_bytes,
                settings.download_deadline_seconds,
                min_bytes_per_second=settings.low_speed_bytes_per_second,
                speed_window_seconds=settings.low_speed_window_seconds,
            ),
        )


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 4
    backoff_seconds: float = 0.5
    backoff_max_seconds: float = 20.0

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Full-jitter exponential backoff before retry ``attempt`` (1-based)."""
        cap = min(self.backoff_max_seconds, self.backoff_seconds * 2 ** (attempt - 1))
        return (rng or random).uniform(cap / 2, cap)

    @classmethod
    def from_config(cls, config: HttpConfig) -> RetryPolicy:
        return cls(config.attempts, config.backoff_seconds, config.backoff_max_seconds)


# A Retry-After longer than this is not waited for within one run's request.
MAX_RETRY_AFTER_SECONDS = 120.0


def is_transient_status(status: int) -> bool:
    return status >= 500 or status in (408, 429)


@cache
def tls_context() -> ssl.SSLContext:
    """The certificate store every client of this process verifies against, read once. Each
    new ``httpx.Client`` would otherwise parse the whole CA bundle again: 25 ms of CPU per
    download task run, 9 % of a first run's flow process's busy samples (bench/throughput.py
    under py-spy).
    A context is safe to share between threads; it honours ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``
    as httpx does."""
    return httpx.create_ssl_context()


def make_client(config: HttpConfig, check_request: Callable[[httpx.Request], None] | None = None) -> httpx.Client:
    """``check_request`` runs before every request the client sends, each redirect hop included
    (yusuan.fetch.offsite): it raises to refuse one."""
    return httpx.Client(
        verify=tls_context(),
        headers={"User-Agent": config.user_agent, "Accept-Language": "zh-CN,zh;q=0.9"},
        timeout=httpx.Timeout(config.timeout_seconds, connect=min(10.0, config.timeout_seconds)),
        follow_redirects=True,
        max_redirects=10,
        event_hooks={"request": [check_request]} if check_request else None,
    )


@contextmanager
def request_with_retries(
    client: httpx.Client,
    url: str,
    policy: RetryPolicy,
    headers: dict[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    limiter: RequestGate | None = None,
) -> Iterator[tuple[httpx.Response, int]]:
    """Stream a GET, retrying timeouts, connection errors, 5xx, 408 and 429; never other 4xx.

    Yields the open response (body not yet read) and the number of attempts it took.
    """
    last_error = ""
    last_status: int | None = None
    retry_after: float | None = None
    for attempt in range(1, policy.attempts + 1):
        stream = client.stream("GET", url, headers=headers)
        # The limiter bounds when a request may start; the slot is held while its body is read.
        gate = limiter.slot(url) if limiter is not None else nullcontext()
        gate.__enter__()
        # The body's deadline and low-speed window count from here, when the request goes out:
        # time spent at the gate (politeness, a global slot, a rate token waiting out a Prefect
        # server restart) is not the portal's, and counted it made a page that waited 40 s for
        # a token "stalled" the moment its first bytes arrived.
        started = time.monotonic()
        try:
            response = stream.__enter__()
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            gate.__exit__(None, None, None)
            last_status, last_error = None, f"{type(exc).__name__}: {exc}".rstrip(": ")
        except BaseException:
            gate.__exit__(None, None, None)  # a refused request (or a bug) must not keep its slot
            raise
        else:
            try:
                if response.status_code >= 400 and not is_transient_status(response.status_code):
                    raise FetchError(f"HTTP {response.status_code} for {url}", response.status_code, attempt)
                if not is_transient_status(response.status_code):
                    # Errors while the caller reads the body are the caller's: no retry from here.
                    response.extensions[_STARTED] = started  # type: ignore[index]
                    yield response, attempt
                    return
                last_status, last_error = response.status_code, f"HTTP {response.status_code}"
                retry_after = retry_after_seconds(response, MAX_RETRY_AFTER_SECONDS)
            finally:
                stream.__exit__(None, None, None)
                gate.__exit__(None, None, None)
        if attempt < policy.attempts:
            # The server's own Retry-After, when it gives one, is the least we wait.
            wait = max(policy.delay(attempt), retry_after or 0.0)
            retry_after = None
            log.warning(
                "retrying %s in %.1fs after %s (attempt %d/%d)", url, wait, last_error, attempt, policy.attempts
            )
            sleep(wait)
    tries = f" after {policy.attempts} attempts" if policy.attempts > 1 else ""
    raise FetchError(f"{last_error} for {url}{tries}", last_status, policy.attempts, retry_after)


def get_page(
    client: httpx.Client,
    url: str,
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
    limiter: RequestGate | None = None,
    limits: BodyLimits = PAGE_LIMITS,
) -> tuple[httpx.Response, str]:
    """GET an HTML page (or an XML data-proxy answer) within ``limits`` and decode it by header
    charset, then ``<meta charset>``, then UTF-8."""
    with request_with_retries(client, url, policy, sleep=sleep, limiter=limiter) as (response, attempts):
        try:
            body = b"".join(read_body(response, limits))
        except BodyRejected as exc:
            raise FetchError(str(exc), response.status_code, attempts) from exc
    return response, decode_html(body, response.headers.get("content-type", ""))


def decode_html(body: bytes, content_type: str) -> str:
    charset = None
    match = re.search(r"charset=([\w\-]+)", content_type, re.I)
    if match:
        charset = match.group(1)
    else:
        meta = _META_CHARSET.search(body[:4096])
        if meta:
            charset = meta.group(1).decode("ascii", "ignore")
    charset = _CHARSET_ALIASES.get((charset or "utf-8").lower(), charset or "utf-8")
    try:
        return body.decode(charset, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")
