"""All configuration in one place (environment variables, ``.env``), read once per entry point."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YUSUAN_", env_file=".env", extra="ignore", populate_by_name=True)

    # DATABASE_URL picks the Postgres; unset means an embedded server under data_dir/pgdata.
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    data_dir: Path = Path(".yusuan")

    user_agent: str = "yusuan/0.1 (budget-disclosure crawler; +https://example.org/yusuan)"
    http_timeout_seconds: float = 30.0
    http_attempts: int = 4
    http_backoff_seconds: float = 0.5
    http_backoff_max_seconds: float = 20.0
    # Every request has a total deadline (connect + headers + whole body) and a cap on its body
    # after Content-Encoding is undone: pages (HTML, XML, robots.txt) and attachments.
    page_deadline_seconds: float = Field(default=60.0, gt=0)
    download_deadline_seconds: float = Field(default=600.0, gt=0)
    max_page_bytes: int = Field(default=8 * 1024 * 1024, gt=0)
    max_download_bytes: int = Field(default=200 * 1024 * 1024, gt=0)
    # The low-speed cut-off, as curl's --speed-limit/--speed-time: a body averaging under this
    # many bytes a second over a whole window is stalled (a 1 byte/s drip ends within the window
    # instead of at the total deadline); 0 turns it off. A steady 2 MB/s is 2,000 times over it.
    low_speed_bytes_per_second: float = Field(default=1000.0, ge=0)
    low_speed_window_seconds: float = Field(default=30.0, gt=0)
    # Each file is parsed in a child process that is stopped past this time or memory.
    parse_deadline_seconds: float = Field(default=300.0, gt=0)
    parse_memory_mb: int = Field(default=2048, gt=0)
    # Every database touch (run records, discovery, fetch records, loads) retries transient
    # faults this long: long enough to outlast a Postgres restart.
    database_retry_seconds: float = Field(default=180.0, ge=0)
    # A run does not start with less free space than this where it writes (data dir, Prefect home).
    min_free_disk_mb: int = Field(default=64, ge=0)
    max_documents_per_run: int | None = None
    # Where the raw files and the parse cache live for every machine (storage/object_store.py):
    # ``s3://bucket/prefix`` (any fsspec URL); unset (or file://): this machine's data_dir only.
    # ``storage_options``: fsspec options as JSON, e.g. {"client_kwargs": {"endpoint_url":
    # "http://minio:9000"}, "key": "…", "secret": "…"} (or the usual AWS_* environment).
    storage_url: str | None = None
    storage_options: str | None = None
    # Where the review pages a run writes (data_dir/review/<document_id>.html) are served, e.g.
    # ``http://review-host:8765`` (``yusuan serve-reviews``) or a static bucket: the summary
    # artifact links there, one click from the Prefect UI. Unset: a file:// link (browsers do
    # not follow those from a web page; copy it into the address bar).
    review_base_url: str | None = None
    # With the parse slots, sizes the documents a run has in flight at once (``document_window``).
    workers: int = 4
    # PDFs parsed at once, each in its own process: pdfminer is pure Python, so this is what
    # uses the cores. 0 means one per core.
    parse_processes: int = Field(default=0, ge=0)
    # Documents one task run may parse one after the other, when the parse slots are busy with a
    # parse waiting behind each (flows/documents.py): a task run's bookkeeping costs the Prefect
    # server and the flow ≈ 2.5 % of a real budget's parse. 1: a task run for every document.
    documents_per_task_run: int = Field(default=4, ge=1)
    per_host_concurrency: int = 2
    # Portal entries of a group run crawled at once; never two that can reach a common host
    # (yusuan.discover.lanes), and all of them share the parse slots.
    portal_concurrency: int = Field(default=4, ge=1)
    per_host_min_interval_seconds: float = 0.1
    # A detail page or attachment read successfully less than this long ago is not requested
    # again (its links / its bytes stand): an immediate re-run, or one retrying a few failures,
    # does not walk the whole portal again. List pages are always read; 0 asks for everything
    # every run, as does a full refresh.
    recheck_after_hours: float = Field(default=12.0, ge=0)
    # Prefect global concurrency limits (per host, extraction): "auto" uses them when runs share
    # a Prefect server (PREFECT_API_URL set), where they coordinate every run; an ephemeral
    # server has one run per process, so the in-process limiter does the same job for free.
    global_limits: Literal["auto", "on", "off"] = "auto"
    # Extraction results are cached by (sha256, hint, extractor version) this long.
    extraction_cache_days: float = 30.0
    # A Dask scheduler address (tcp://host:8786) runs the tasks on that cluster (prefect-dask).
    dask_address: str | None = None

    @property
    def parse_slots(self) -> int:
        return self.parse_processes or core_count()

    @property
    def document_window(self) -> int:
        """Documents a run has in flight at once (downloading, waiting for a parse slot, parsing,
        loading): enough that every parse slot finds the next files downloaded, few enough that
        parsed-but-unloaded documents never pile up in memory."""
        return 2 * max(self.workers, self.parse_slots + 3)

    @property
    def task_threads(self) -> int:
        """A thread for every document in flight, plus the crawl (one task for the whole of it)
        and a revalidate batch: no task ever queues for a thread. With fewer, the extracts
        waiting for a parse slot hold the threads, and a document's download and load queue
        behind them (measured on the real set: a median gap of 0.55 s between a document's
        stages, up to 8.7 s; 0.11 s and 2.6 s with a thread each)."""
        return self.document_window + 2

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def results_dir(self) -> Path:
        return self.data_dir / "results"

    @property
    def pgdata_dir(self) -> Path:
        return self.data_dir / "pgdata"


def core_count() -> int:
    """The cores this process may use: what "one per core" means wherever a default says so."""
    return os.cpu_count() or 1


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]


def with_politeness(settings: Settings, per_host_concurrency: int | None, interval_seconds: float | None) -> Settings:
    """``settings`` with a run's own per-host limits (flow parameters, portals.yaml) where given."""
    update: dict[str, object] = {}
    if per_host_concurrency is not None:
        if per_host_concurrency < 1:
            raise ValueError(f"per_host_concurrency must be at least 1, not {per_host_concurrency}")
        update["per_host_concurrency"] = per_host_concurrency
    if interval_seconds is not None:
        if interval_seconds < 0:
            raise ValueError(f"request_interval_seconds must not be negative, not {interval_seconds}")
        update["per_host_min_interval_seconds"] = interval_seconds
    return settings.model_copy(update=update) if update else settings
