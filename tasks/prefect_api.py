"""Prefect API clients for yusuan's own calls (global limits, slot holders, rate tokens), with
one TLS context per process.

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
