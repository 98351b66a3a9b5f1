"""Pruning of the parse cache: Prefect writes one result file per cache key under the results
directory and, once a record has expired, ignores it but never deletes it. Left alone, every
extractor release would leave a full set of parses behind for good."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from storage.object_store import ObjectStore

# Prefect's result record starts with its metadata; the expiration is in the first few hundred bytes.
_EXPIRATION = re.compile(rb'"expiration"\s*:\s*("[^"]*"|null)')
_HEAD_BYTES = 1024


@dataclass(frozen=True, slots=True)
class PruneReport:
    files: int
    bytes: int
    kept: int

    def __str__(self) -> str:
        return f"{self.files} expired parse results pruned ({self.bytes / 1e6:.1f} MB), {self.kept} kept"


def expiration_of(path: Path) -> datetime | None:
    """When the cached record in ``path`` expires; None when it never does or cannot be told."""
    with path.open("rb") as handle:
        return expiration_in(handle.read(_HEAD_BYTES))


def expiration_in(head: bytes) -> datetime | None:
    """The expiration a record's first bytes state; None when it never expires or cannot be told."""
    match = _EXPIRATION.search(head)
    if match is None or match.group(1) == b"null":
        return None
    try:
        moment = datetime.fromisoformat(json.loads(match.group(1)))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def prune_expired_results(results_dir: Path, now: datetime) -> PruneReport:
    """Delete the result records of ``results_dir`` that expired before ``now``.

    A file whose expiration cannot be read is kept: it may be another writer's, and a record
    that never expires is Prefect's to keep.
    """
    files = size = kept = 0
    if not results_dir.is_dir():
        return PruneReport(0, 0, 0)
    for path in results_dir.iterdir():
        if not path.is_file():
            continue
        try:
            expires = expiration_of(path)
            if expires is None or expires > now:
                kept += 1
                continue
            length = path.stat().st_size
            path.unlink()
        except FileNotFoundError:  # another run pruned it first
            continue
        files += 1
        size += length
    return PruneReport(files, size, kept)


def prune_expired_objects(store: ObjectStore, now: datetime) -> PruneReport:
    """The same for a parse cache in the object store (``store.results_url``): each record's
    first bytes are read, the expired ones deleted."""
    fs = store.filesystem()
    files = size = kept = 0
    try:
        listing = fs.ls(store.results_url, detail=True)
    except FileNotFoundError:
        return PruneReport(0, 0, 0)
    for entry in listing:
        if entry.get("type") != "file":
            continue
        try:
            with fs.open(entry["name"], "rb") as handle:
                expires = expiration_in(handle.read(_HEAD_BYTES))
            if expires is None or expires > now:
                kept += 1
                continue
            fs.rm(entry["name"])
        except FileNotFoundError:  # another run pruned it first
            continue
        files += 1
        size += int(entry.get("size") or 0)
    return PruneReport(files, size, kept)


def prune_parse_results(results_dir: Path, objects: ObjectStore | None, now: datetime) -> tuple[str, PruneReport]:
    """Prune the parse cache where it lives (the object store when there is one, else
    ``results_dir``): the place pruned and what was pruned."""
    if objects is not None:
        return objects.results_url, prune_expired_objects(objects, now)
    return str(results_dir), prune_expired_results(results_dir, now)
