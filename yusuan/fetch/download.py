"""Download one attachment into the raw store: streamed, hashed, conditional when we have seen it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import httpx

from yusuan.errors import one_line
from yusuan.fetch.http import (
    DOWNLOAD_LIMITS,
    BodyLimits,
    BodyRejected,
    FetchError,
    RetryPolicy,
    is_transient_status,
    read_body,
    request_with_retries,
)
from yusuan.fetch.offsite import OffSite
from yusuan.fetch.politeness import RequestGate
from yusuan.models import DisclosureLink, FetchedFile, StoredBlob


def _now() -> datetime:
    return datetime.now(UTC)


class BlobSink(Protocol):
    """Where downloaded bytes go (``storage.raw_store.RawStore``): content-addressed, and a blob
    appears under its sha256 only once complete."""

    def has(self, sha256: str) -> bool: ...

    def path_for(self, sha256: str) -> Path: ...

    def put_chunks(self, chunks: Iterable[bytes]) -> StoredBlob: ...


def download(
    link: DisclosureLink,
    client: httpx.Client,
    store: BlobSink,
    policy: RetryPolicy,
    previous_etag: str | None = None,
    previous_last_modified: str | None = None,
    previous_sha256: str | None = None,
    sleep: Callable[[float], None] | None = None,
    limiter: RequestGate | None = None,
    limits: BodyLimits = DOWNLOAD_LIMITS,
) -> FetchedFile:
    """Fetch ``link`` within ``limits``; a 304 reuses the stored file (when it is still in the store).
    A body over its cap or past its deadline is a recorded failure and leaves nothing in the store."""
    headers: dict[str, str] = {}
    if previous_sha256 and store.has(previous_sha256):
        if previous_etag:
            headers["If-None-Match"] = previous_etag
        if previous_last_modified:
            headers["If-Modified-Since"] = previous_last_modified
    kwargs: dict = {"sleep": sleep} if sleep else {}
    kwargs["limiter"] = limiter
    try:
        with request_with_retries(client, link.url, policy, headers=headers, **kwargs) as (response, attempts):
            if response.status_code == 304 and previous_sha256:
                return FetchedFile(
                    link=link,
                    final_url=str(response.url),
                    http_status=304,
                    content_type=None,
                    size_bytes=None,
                    sha256=previous_sha256,
                    raw_path=str(store.path_for(previous_sha256)),
                    fetched_at=_now(),
                    attempts=attempts,
                    etag=response.headers.get("etag") or previous_etag,
                    last_modified=response.headers.get("last-modified") or previous_last_modified,
                )
            declared = int(response.headers.get("content-length") or 0)
            if declared > limits.max_bytes:
                raise FetchError(
                    f"attachment too large ({declared} bytes) at {link.url}", response.status_code, attempts
                )
            blob = store.put_chunks(read_body(response, limits))
            return FetchedFile(
                link=link,
                final_url=str(response.url),
                http_status=response.status_code,
                content_type=response.headers.get("content-type"),
                size_bytes=blob.size_bytes,
                sha256=blob.sha256,
                raw_path=str(blob.path),
                fetched_at=_now(),
                attempts=attempts,
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
            )
    except OffSite as exc:
        return _failed(link, str(exc), None, 1)
    except FetchError as exc:
        transient = exc.status is None or is_transient_status(exc.status)
        failed = _failed(link, str(exc), exc.status, exc.attempts, transient)
        return dataclasses.replace(failed, retry_after=exc.retry_after)
    except BodyRejected as exc:
        return _failed(link, str(exc), None, policy.attempts)
    except httpx.HTTPError as exc:
        # A body cut off mid-stream after the headers arrived (the retry loop covers only the start).
        return _failed(link, f"{type(exc).__name__}: {exc} for {link.url}", None, policy.attempts, transient=True)
    except OSError as exc:  # too large, or the raw store's disk: another attempt would not help
        return _failed(link, f"{one_line(exc)} (saving {link.url})", None, policy.attempts)


def _failed(
    link: DisclosureLink, error: str, status: int | None, attempts: int, transient: bool = False
) -> FetchedFile:
    return FetchedFile(
        link=link,
        final_url=link.url,
        http_status=status,
        content_type=None,
        size_bytes=None,
        sha256=None,
        raw_path=None,
        fetched_at=_now(),
        attempts=attempts,
        error=error,
        transient=transient,
    )
