"""What every task needs from its run, as plain values (Prefect records task inputs: no engines,
clients or secrets in parameters).

Tasks run with ``cache_policy=NO_CACHE``: "already done" is decided from the database (a file
already loaded by this extractor version is skipped), which survives processes and machines,
rather than from Prefect's result cache, which would hash this context (its limiter holds locks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from yusuan.fetch.http import HttpConfig
from yusuan.fetch.politeness import HostLimiter


@dataclass(frozen=True, slots=True)
class RunContext:
    run_id: str
    # Resolved at flow start; never a flow parameter, so it is not stored in the Prefect API.
    database_url: str
    raw_dir: Path
    portal: str
    http: HttpConfig
    # Shared by every task thread of the run: per-host concurrency and request spacing.
    limiter: HostLimiter = field(default_factory=HostLimiter, compare=False)

    def __repr__(self) -> str:  # keeps the URL (and any password in it) out of logs and reprs
        return f"RunContext(run_id={self.run_id!r}, portal={self.portal!r})"
