"""A document's extract stage: parse one downloaded file that needs parsing (the download
stage decided that, see ``storage.repository.needs_extraction``).

The parse is a pure function of the file's bytes (its sha256), the link text that hints at
agency and year, and the extractor version, so its result is cached by exactly those values
(``parse_cache_key``) and persisted in the run's result storage: a file re-downloaded into a
fresh database, a load that failed after extraction, or a backfill with the same extractor is
not parsed again, and a new extractor version misses the cache.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prefect.filesystems import WritableFileSystem
from prefect.logging import get_run_logger
from prefect.results import ResultStore
from prefect.serializers import PickleSerializer

from storage.object_store import ObjectStore
from storage.result_cache import prune_parse_results
from tasks.context import RunContext
from tasks.limits import extraction_slot
from tasks.result_storage import ResultStorage
from tasks.stopping import PROCESS_STOP
from yusuan.errors import one_line
from yusuan.extract import EXTRACTOR_VERSION
from yusuan.extract.document import extract_document
from yusuan.extract.isolated import ParseBudget, ParseStopped, extract_within
from yusuan.models import ExtractedDocument, FetchedFile, QuarantineReason

# Under "yusuan" so that runs forward it to the Prefect API (PREFECT_LOGGING_EXTRA_LOGGERS).
log = logging.getLogger("yusuan.parse_cache")


def parse_file(path: Path, sha256: str, hint: str, budget: ParseBudget | None = None) -> ExtractedDocument:
    """Extract one file (in a child process within ``budget`` when given); an extractor crash
    becomes a quarantined document that says why."""
    try:
        if budget is None:
            return extract_document(path, sha256, hint)
        return extract_within(path, sha256, hint, budget, stopped=PROCESS_STOP.is_set)
    except ParseStopped:
        raise  # not a verdict on the file: nothing is recorded, the next run parses it
    except Exception as exc:  # noqa: BLE001 - one odd file must not cost the others; it is recorded
        return ExtractedDocument.quarantined(
            sha256, EXTRACTOR_VERSION, QuarantineReason.EXTRACT_FAILED, f"extractor failed: {type(exc).__name__}: {exc}"
        )


def fetch_hint(fetched: FetchedFile) -> str:
    return f"{fetched.link.link_text} {fetched.link.page_title}"


def parse_cache_key(sha256: str, hint: str) -> str:
    """What a parse's result depends on, and nothing else: not the path (the same bytes can sit
    at another path on another machine), not the run's limits or budget (how to run is not what
    is computed). The version is read at call time, so a new extractor misses every old key."""
    hinted = hashlib.sha256(hint.encode()).hexdigest()[:16]
    return f"parse-{EXTRACTOR_VERSION}-{sha256}-{hinted}"


# The standard library's pickle: a parsed document is plain importable dataclasses, and
# cloudpickle (Prefect's default) asks its Python-level hooks about every one of its thousands
# of objects, half again the time. A record names its serializer, so records written with
# cloudpickle still read.
_DOCUMENT_PICKLE = PickleSerializer(picklelib="pickle")


@dataclass(frozen=True, slots=True)
class Parsed:
    doc: ExtractedDocument
    from_cache: bool


class ParseCache:
    """Parsed documents kept by ``parse_cache_key`` in the run's Prefect result storage (local
    or the object store), as Prefect's own cached tasks keep theirs: the same record format, the
    same expiration in its head (``storage.result_cache`` prunes it), shared by every machine
    that shares the storage. Looked up inside the document's task run rather than as a cached
    task of its own: a task run per stage cost the Prefect server more CPU than a parse of a
    small budget (bench/national.py)."""

    def __init__(self, storage: WritableFileSystem | None, days: float) -> None:
        # Not kept in memory: a group's flow process would hold up to 1,000 parsed documents
        # (0.1–0.2 MB each) in Prefect's in-memory record cache.
        self.store = (
            ResultStore(result_storage=storage, serializer=_DOCUMENT_PICKLE, cache_result_in_memory=False)
            if days > 0
            else None
        )
        self.days = days

    @classmethod
    def for_run(cls, ctx: RunContext, storage: ResultStorage) -> ParseCache:
        """The run's cache in ``storage``'s block, as read once by ``ensure_result_storage`` (given
        only its slug, Prefect would load the block from the API for every use)."""
        return cls(storage.block, ctx.cache_days) if ctx.cache_days > 0 else cls(None, 0)

    def read(self, key: str) -> ExtractedDocument | None:
        """The cached document, or None when absent, expired or unreadable (then it is parsed again)."""
        if self.store is None:
            return None
        try:
            record = self.store.read(key)
        except Exception:  # noqa: BLE001 - a missing or damaged record is a miss, not a failure
            return None
        expiration = record.metadata.expiration
        if expiration is not None and expiration <= datetime.now(UTC):
            return None
        return record.result if isinstance(record.result, ExtractedDocument) else None

    def write(self, key: str, doc: ExtractedDocument) -> None:
        """Keep ``doc`` under ``key``; a store that refuses (full, away) costs a later parse, not this document."""
        if self.store is None:
            return
        try:
            self.store.write(doc, key=key, expiration=datetime.now(UTC) + timedelta(days=self.days))
        except Exception as exc:  # noqa: BLE001 - the parse stands; only its reuse is lost
            log.warning("parse cache: %s not kept: %s", key, one_line(exc))


def parse_fetched(ctx: RunContext, fetched: FetchedFile, cache: ParseCache, refresh: bool = False) -> Parsed:
    """The parsed document of ``fetched``: from ``cache`` unless ``refresh``, else parsed in this
    run's extraction slots and cached. Raises ``ParseStopped`` when the run is stopping (nothing
    is cached; the next run parses the file)."""
    if not fetched.ok or fetched.sha256 is None or fetched.raw_path is None:
        raise ValueError(f"nothing to extract: {fetched.link.url} has no stored file")
    key = parse_cache_key(fetched.sha256, fetch_hint(fetched))
    cached = None if refresh else cache.read(key)
    if cached is not None:
        return Parsed(cached, from_cache=True)
    raw = Path(fetched.raw_path)
    if not raw.is_file():
        # Downloaded on another machine (a worker, an earlier run elsewhere): from the object store.
        raw = ctx.raw_store().local(fetched.sha256)
    with extraction_slot(ctx.limits, ctx.parse_slots):
        doc = parse_file(raw, fetched.sha256, fetch_hint(fetched), ctx.parse_budget)
    cache.write(key, doc)
    return Parsed(doc, from_cache=False)


def describe_parse(parsed: Parsed) -> str:
    """One log line for a parse: what the document is, or why it is quarantined."""
    doc = parsed.doc
    source = "from the parse cache" if parsed.from_cache else f"parsed by extractor {doc.extractor_version}"
    if doc.error:
        return f"{doc.status.value} ({source}): {doc.error}"
    return (
        f"{doc.agency_name} {doc.fiscal_year} {doc.doc_kind} ({source}): {len(doc.tables)} tables,"
        f" {len(doc.function_lines)} function / {len(doc.economic_lines)} economic lines, {len(doc.projects)} projects"
    )


def prune_parse_cache(results_dir: Path, objects: ObjectStore | None = None) -> None:
    """Delete the expired parse results (Prefect never does), in the object store when the cache
    lives there; a run calls it when it ends."""
    _place, pruned = prune_parse_results(results_dir, objects, datetime.now(UTC))
    if pruned.files:
        get_run_logger().info("parse cache: %s", pruned)
