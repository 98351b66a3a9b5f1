"""Errors in one line: the root cause and where, not a traceback wall.

An operator reading a run's final state wants "No space left on device: /data/raw/.incoming-x"
or "connection refused (127.0.0.1:5432)", not the wrapper that carried it. The details stay in
the log.
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

_OS_HINTS = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk quota exceeded",
    errno.EACCES: "permission denied",
    errno.EROFS: "read-only file system",
}


def error_chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and the errors it carries, outermost first."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        # A database driver's error rides on .orig (SQLAlchemy), pdfminer's as the first argument
        # of pdfplumber's wrapper; the rest on the cause chain.
        wrapped = current.args[0] if current.args and isinstance(current.args[0], BaseException) else None
        current = getattr(current, "orig", None) or wrapped or current.__cause__ or current.__context__
    return seen


def first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else ""


def one_line(exc: BaseException) -> str:
    """The most telling error of ``exc``'s chain, in one line."""
    chain = error_chain(exc)
    for error in chain:
        if isinstance(error, OSError) and error.errno in _OS_HINTS:
            where = f": {error.filename}" if error.filename else ""
            return f"{_OS_HINTS[error.errno]} ({error.strerror}){where}"
    # Our own messages (DatabaseUnavailable, DownloadFailed …) already say what and why.
    text = first_line(str(exc))
    if text and type(exc).__module__.split(".")[0] in ("yusuan", "storage", "tasks", "flows"):
        return text
    deepest = chain[-1]
    return f"{type(deepest).__name__}: {first_line(str(deepest))}".rstrip(": ")


def low_disk(paths: list[Path], min_free_mb: int) -> str | None:
    """ "disk full: 0 MB free on /data (…)" when a directory yusuan writes to has less than
    ``min_free_mb`` free; None when all have room."""
    for path in paths:
        existing = next((p for p in (path, *path.parents) if p.exists()), None)
        if existing is None:
            continue
        free_mb = shutil.disk_usage(existing).free // (1024 * 1024)
        if free_mb < min_free_mb:
            return f"disk full: {free_mb} MB free on {existing} (at least {min_free_mb} MB needed)"
    return None
