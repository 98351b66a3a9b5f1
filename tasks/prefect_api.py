"""Prefect API clients for yusuan's own calls (global limits, slot holders, rate tokens), with
one TLS context per process, and one client per run for its helper threads.

Prefect's client builds an ``ssl.SSLContext`` from the whole CA bundle in its constructor, even
for a plain-HTTP API URL, unless it is handed one: 25 ms of CPU per client. A group run opens
several clients per portal entry (the slot holders' threads, the rate tokens), and
``bench/national.py`` found that 8 % of the flow process's busy samples were those contexts.
The context is built as Prefect builds it (``PREFECT_API_TLS_INSECURE_SKIP_VERIFY``,
``PREFECT_API_SSL_CERT_FILE``, else certifi's bundle) and cached per setting.
"""

from __future__ import annotations

import functools
import ssl
import threading

import certifi
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.context import SyncClientContext
from prefect.settings import PREFECT_API_SSL_CERT_FILE, PREFECT_API_TLS_INSECURE_SKIP_VERIFY


@functools.cache
def _api_tls_context(insecure: bool, cafile: str) -> ssl.SSLContext:
    if insecure:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=cafile)


def api_tls_context() -> ssl.SSLContext:
    """The context Prefect's client would build under the current settings, built once."""
    return _api_tls_context(
        bool(PREFECT_API_TLS_INSECURE_SKIP_VERIFY.value()), PREFECT_API_SSL_CERT_FILE.value() or certifi.where()
    )


def api_client() -> SyncPrefectClient:
    """``get_client(sync_client=True)``: the client of the calling flow or task run's context
    when there is one (no new client at all), else a new one with this process's shared TLS
    context. Use it as a context manager, as Prefect's own."""
    context = SyncClientContext.get()
    if context is not None and context.client is not None:
        return get_client(sync_client=True)
    return get_client(sync_client=True, httpx_settings={"verify": api_tls_context()})


class SharedApiClient:
    """One API client for the threads of a run's helper (its slot holders, its rate tokens),
    opened at the first use and closed with the run.

    A client per thread would cost each holder a new connection, a client's construction and,
    on its first write, a CSRF-token request: ``bench/national.py`` counted 4.4 CSRF requests per
    portal entry, 3 of them from holder threads that live a few seconds each. Prefect shares one
    client between a flow run's task threads in the same way."""

    def __init__(self, owner: str) -> None:
        self._owner = owner
        self._lock = threading.Lock()
        self._client: SyncPrefectClient | None = None
        self._closed = False

    def get(self) -> SyncPrefectClient:
        with self._lock:
            if self._closed:
                raise RuntimeError(f"{self._owner} asked the Prefect API after the run closed its limits")
            if self._client is None:
                client = api_client()
                client.__enter__()
                self._client = client
            return self._client

    def close(self) -> None:
        with self._lock:
            self._closed = True
            client, self._client = self._client, None
        if client is not None:
            client.__exit__(None, None, None)
