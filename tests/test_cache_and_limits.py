"""The parse cache (in Prefect's result storage), and the project's global concurrency limits."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
from sqlalchemy import text

import tasks.extract
from flows.ingest import ingest
from storage.database import engine_for
from storage.result_cache import expiration_of, prune_expired_results
from tasks.extract import parse_cache_key
from tasks.limits import EXTRACTION_LIMIT, LimitPlan, host_limit_name, host_rate_limit_name
from tests.conftest import truncate_all
from yusuan.demo.server import PortalServer
from yusuan.settings import load_settings


def _parse_sources(run_id: str, expected: int) -> list[str]:
    """Where each loaded document's parse came from ("cache" or "parsed"), as the run's document
    task runs log it (the API receives the logs shortly after the run)."""
    found: list[str] = []
    deadline = time.monotonic() + 20
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[UUID(run_id)])))
            found = sorted(
                "cache" if "(from the parse cache)" in log.message else "parsed"
                for log in logs
                if "; document " in log.message
            )
            if len(found) == expected:
                break
            time.sleep(0.5)
    return found


def test_unchanged_file_is_not_parsed_again_and_a_new_extractor_misses_the_cache(
    pipeline_env: str, portal: PortalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []
    real_extract = tasks.extract.extract_within

    def counting_extract(path: Path, sha256: str, hint: str, budget, **options):  # type: ignore[no-untyped-def]
        parsed.append(sha256)
        return real_extract(path, sha256, hint, budget, **options)

    monkeypatch.setattr(tasks.extract, "extract_within", counting_extract)

    first = ingest(portal.entry_url, portal="demo", max_documents=2)
    assert first["totals"]["loaded"] == 2 and len(parsed) == 2
    assert _parse_sources(first["run_id"], 2) == ["parsed", "parsed"]
    results = load_settings().results_dir
    assert results.is_dir() and len(list(results.iterdir())) >= 2  # persisted, where settings say

    # A fresh database (the file is not "already loaded"): the files come again, nothing is parsed.
    truncate_all(pipeline_env)
    second = ingest(portal.entry_url, portal="demo", max_documents=2)
    assert second["totals"]["loaded"] == 2
    assert len(parsed) == 2, "the cached parse was used"
    assert _parse_sources(second["run_id"], 2) == ["cache", "cache"]

    # A new extractor version is a new cache key: the same files are parsed again.
    monkeypatch.setattr(tasks.extract, "EXTRACTOR_VERSION", "99.0.0")
    truncate_all(pipeline_env)
    third = ingest(portal.entry_url, portal="demo", max_documents=2)
    assert third["totals"]["loaded"] == 2
    assert len(parsed) == 4
    assert _parse_sources(third["run_id"], 2) == ["parsed", "parsed"]


def test_expired_parse_results_are_pruned_and_live_ones_kept(
    pipeline_env: str, portal: PortalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest(portal.entry_url, portal="demo", max_documents=2)
    results = load_settings().results_dir
    written = sorted(results.iterdir())
    assert len(written) == 2
    record = json.loads(written[0].read_bytes())
    expiries = [expiration_of(path) for path in written]
    now = datetime.now(UTC)
    assert all(e is not None and timedelta(days=29) < e - now < timedelta(days=31) for e in expiries), expiries
    foreign = results / "not-a-prefect-record"
    foreign.write_text("kept: its expiration cannot be read")

    assert (report := prune_expired_results(results, now)).files == 0 and report.kept == 3
    report = prune_expired_results(results, now + timedelta(days=31))
    assert (report.files, report.kept) == (2, 1) and report.bytes > 0
    assert sorted(results.iterdir()) == [foreign]

    # The flow prunes at the end of a run: an expired record (a live one, its expiration moved
    # into the past) goes, the run's own live records stay.
    expired = results / "expired-record"
    record["metadata"]["expiration"] = (now - timedelta(days=1)).isoformat()
    expired.write_text(json.dumps(record))
    truncate_all(pipeline_env)
    assert ingest(portal.entry_url, portal="demo", max_documents=2)["totals"]["loaded"] == 2
    assert not expired.exists() and foreign.exists() and len(list(results.iterdir())) == 3

    # A cache lifetime of 0 turns the cache off (Prefect would read it as "never expires").
    monkeypatch.setenv("YUSUAN_EXTRACTION_CACHE_DAYS", "0")
    for path in results.iterdir():
        path.unlink()
    truncate_all(pipeline_env)
    assert ingest(portal.entry_url, portal="demo", max_documents=2)["totals"]["loaded"] == 2
    assert list(results.iterdir()) == []


def test_limits_are_global_only_where_runs_share_a_server() -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    # The tests run on Prefect's ephemeral per-process server: nothing to share.
    assert LimitPlan.from_settings(load_settings()).shared is False
    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:4200/api"}):
        assert LimitPlan.from_settings(load_settings()).shared is True
        assert LimitPlan.from_settings(load_settings(global_limits="off")).shared is False
    assert LimitPlan.from_settings(load_settings(global_limits="on")).shared is True


def test_project_creates_its_global_limits_and_gives_every_slot_back(
    pipeline_env: str, portal: PortalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YUSUAN_GLOBAL_LIMITS", "on")
    monkeypatch.setenv("YUSUAN_PARSE_PROCESSES", "3")
    result = ingest(portal.entry_url, portal="demo")
    assert result["totals"]["loaded"] == 3
    with get_client(sync_client=True) as client:
        extract = client.read_global_concurrency_limit_by_name(EXTRACTION_LIMIT)
        host = client.read_global_concurrency_limit_by_name(host_limit_name("127.0.0.1"))
        rate = client.read_global_concurrency_limit_by_name(host_rate_limit_name("127.0.0.1"))
    assert (extract.limit, host.limit) == (3, 2)  # parses at once across runs, requests per host
    # Request starts to the host: 10 per second, taken by a run a second's worth at a time.
    assert rate.limit == 10 and rate.slot_decay_per_second == pytest.approx(10.0)
    # Every slot given back (the rate limit's slot decays by itself).
    assert extract.active_slots == 0 and host.active_slots == 0


def test_a_parse_stopped_by_the_run_is_not_cached_and_the_next_run_parses_the_file(
    pipeline_env: str, portal: PortalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A parse abandoned because the run is stopping is no verdict on the file: its document task
    run fails, nothing goes to the cache or the database, and the next run parses it."""
    from yusuan.extract.isolated import ParseStopped

    real_extract = tasks.extract.extract_within
    stopped: list[str] = []

    def stop_the_first(path: Path, sha256: str, hint: str, budget, **options):  # type: ignore[no-untyped-def]
        if not stopped:
            stopped.append(sha256)
            raise ParseStopped(f"parse of {sha256[:12]} stopped: the run is stopping")
        return real_extract(path, sha256, hint, budget, **options)

    monkeypatch.setattr(tasks.extract, "extract_within", stop_the_first)
    first = ingest(portal.entry_url, portal="demo")
    assert first["totals"]["loaded"] == 2 and first["totals"]["failed"] == 0, first["documents"]
    assert len(first["documents"]) == 2, "the stopped document is left for the next run, not reported"
    with engine_for(pipeline_env).connect() as conn:
        loaded = set(conn.execute(text("SELECT sha256 FROM yusuan.documents")).scalars())
    assert stopped[0] not in loaded and len(loaded) == 2

    def cached() -> set[str]:
        # Cache records are named by their key, which names the file's sha256.
        names = [p.name for p in load_settings().results_dir.iterdir()]
        keyed = {sha: parse_cache_key(sha, "").rsplit("-", 1)[0] for sha in [*loaded, stopped[0]]}
        return {sha for sha, prefix in keyed.items() if any(n.startswith(prefix) for n in names)}

    assert cached() == loaded, "only the finished parses are cached"

    second = ingest(portal.entry_url, portal="demo")
    assert second["totals"]["loaded"] == 1 and second["totals"]["unchanged"] == 2, second["documents"]
    assert cached() == loaded | {stopped[0]}


def test_full_refresh_downloads_and_parses_again_and_changes_nothing(
    pipeline_env: str, portal: PortalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import count_rows

    parsed: list[str] = []
    real_extract = tasks.extract.extract_within
    monkeypatch.setattr(
        tasks.extract,
        "extract_within",
        lambda path, sha, hint, budget, **options: (
            parsed.append(sha) or real_extract(path, sha, hint, budget, **options)
        ),
    )
    ingest(portal.entry_url, portal="demo")
    counts = count_rows(pipeline_env)
    bodies = sum(portal.log.bodies_sent.values())

    quiet = ingest(portal.entry_url, portal="demo")
    assert quiet["totals"]["not_modified"] == 3 and len(parsed) == 3
    assert sum(portal.log.bodies_sent.values()) == bodies

    full = ingest(portal.entry_url, portal="demo", full_refresh=True)
    assert full["totals"]["downloaded"] == 3 and full["totals"]["not_modified"] == 0
    assert sum(portal.log.bodies_sent.values()) == bodies + 3
    assert len(parsed) == 6, "parsed again, past the database and the cache"
    assert full["totals"]["unchanged"] == 3 and full["totals"]["loaded"] == 0
    assert {k: v for k, v in count_rows(pipeline_env).items() if k not in {"pages", "links"}} == {
        k: v for k, v in counts.items() if k not in {"pages", "links"}
    }


def test_runs_starting_together_create_a_host_limit_once_without_failing() -> None:
    """Prefect's upsert is not atomic: two runs that find a limit missing both create it. The
    one that loses the race resizes the one that exists instead of failing its run."""
    from concurrent.futures import ThreadPoolExecutor

    from tasks.limits import ensure_host_limits

    plan = LimitPlan(shared=True, extraction_slots=2, per_host_slots=3, per_host_min_interval=0.5)
    host = f"race-{time.monotonic_ns()}.example"
    barrier = __import__("threading").Barrier(6)
    with get_client(sync_client=True) as client:
        client.hello()  # the process's Prefect API is up before the threads race for the limit

    def start() -> None:
        barrier.wait()
        ensure_host_limits(plan, host)

    with ThreadPoolExecutor(6) as pool:
        for future in [pool.submit(start) for _ in range(6)]:
            future.result()
    with get_client(sync_client=True) as client:
        limit = client.read_global_concurrency_limit_by_name(host_limit_name(host))
        rate = client.read_global_concurrency_limit_by_name(host_rate_limit_name(host))
    assert limit.limit == 3 and rate.slot_decay_per_second == pytest.approx(2.0)


def test_a_run_keeps_no_parsed_document_in_memory_once_loaded(pipeline_env: str, portal: PortalServer) -> None:
    """A parse result is persisted to the cache, so Prefect does not also keep it in its result
    store's in-memory cache (up to 1,000 records): a group's flow process grew by 0.17 MB per
    document that way. After a run, none of its parsed documents is alive."""
    import gc

    from yusuan.models import ExtractedDocument

    def alive() -> int:
        gc.collect()
        return sum(1 for obj in gc.get_objects() if isinstance(obj, ExtractedDocument))

    before = alive()
    assert ingest(portal.entry_url, portal="demo")["totals"]["loaded"] == 3
    assert alive() == before


def test_the_parse_results_block_is_saved_once_and_again_only_when_the_store_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every entry of a group asks for the results block: one it finds saved as it should be is
    read, not saved again (a save is several API requests); a store whose options changed (its
    credentials) is saved as it is now."""
    from prefect.blocks.core import Block

    from storage.object_store import ObjectStore
    from tasks.result_storage import ensure_result_storage

    saves: list[str] = []
    real_save = Block.save

    def counted(self: Block, name: str | None = None, *args: object, **kwargs: object) -> object:
        saves.append(str(name))
        return real_save(self, name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Block, "save", counted)
    results = tmp_path / f"results-{time.monotonic_ns()}"
    local = [ensure_result_storage(results) for _ in range(2)]
    assert len(saves) == 1 and local[0].slug == local[1].slug
    assert local[1].block._block_document_id is not None  # the saved block, as read back

    store = ObjectStore(f"s3://bucket-{time.monotonic_ns()}/yusuan", {"key": "a", "secret": "b"})
    first, again = ensure_result_storage(tmp_path, store), ensure_result_storage(tmp_path, store)
    assert len(saves) == 2 and first.slug == again.slug and first.slug.startswith("remote-file-system/")
    rotated = ObjectStore(store.url, {"key": "a", "secret": "c"})
    assert ensure_result_storage(tmp_path, rotated).slug == first.slug and len(saves) == 3
    assert Block.load(first.slug).settings == {"key": "a", "secret": "c"}  # type: ignore[attr-defined]


def test_a_parse_cache_that_refuses_a_write_costs_a_later_parse_not_the_document(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The parse succeeded; a full or absent store only loses its reuse: a warning, no error."""
    from prefect.filesystems import LocalFileSystem

    from tasks.extract import ParseCache
    from yusuan.models import ExtractedDocument, QuarantineReason

    class RefusingStorage(LocalFileSystem):
        def write_path(self, path: str, content: bytes, **kwargs: object) -> str:
            raise OSError(28, "No space left on device")

    doc = ExtractedDocument.quarantined("ab" * 32, "0.7.0", QuarantineReason.EXTRACT_FAILED, "a test")
    cache = ParseCache(RefusingStorage(basepath=str(tmp_path)), days=1)
    with caplog.at_level("WARNING", logger="yusuan.parse_cache"):
        cache.write("parse-key", doc)
    assert cache.read("parse-key") is None
    assert "parse cache: parse-key not kept" in caplog.text and "No space left" in caplog.text

    kept = ParseCache(LocalFileSystem(basepath=str(tmp_path)), days=1)
    kept.write("parse-key", doc)
    assert kept.read("parse-key") == doc


def test_parse_cache_writes_with_pickle_and_reads_records_cloudpickle_wrote(tmp_path: Path) -> None:
    """Records name their serializer: one written by Prefect's default (cloudpickle), as before
    the cache took the standard library's pickle, reads; new ones are written with pickle."""
    from prefect.filesystems import LocalFileSystem
    from prefect.results import ResultStore
    from prefect.serializers import PickleSerializer

    from tasks.extract import ParseCache
    from yusuan.models import ExtractedDocument, QuarantineReason

    doc = ExtractedDocument.quarantined("cd" * 32, "0.7.0", QuarantineReason.NEEDS_OCR, "scanned")
    storage = LocalFileSystem(basepath=str(tmp_path))
    old = ResultStore(result_storage=storage, serializer=PickleSerializer(picklelib="cloudpickle"))
    old.write(doc, key="old-key")
    cache = ParseCache(storage, days=1)
    assert cache.read("old-key") == doc

    cache.write("new-key", doc)
    assert cache.store is not None
    record = cache.store.read("new-key")
    assert record.metadata.serializer == PickleSerializer(picklelib="pickle")
    assert cache.read("new-key") == doc
