"""The raw archive and the parse cache in an S3-compatible object store: a real one, moto's
server, started on 127.0.0.1 by the tests (no cloud account)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.database import engine_for
from storage.object_store import ObjectStore
from storage.raw_store import RawStore
from tests.s3_server import s3_store


@pytest.fixture(scope="module")
def s3() -> Iterator[ObjectStore]:
    with s3_store("yusuan", "run") as store:
        yield store


def test_a_raw_file_put_on_one_machine_is_fetched_whole_on_another(s3: ObjectStore, tmp_path: Path) -> None:
    here, there = RawStore(tmp_path / "a", s3), RawStore(tmp_path / "b", s3)
    blob = here.put_bytes(b"%PDF-1.7 one budget")
    assert s3.has(blob.sha256) and there.has(blob.sha256)
    assert not there.path_for(blob.sha256).exists()
    fetched = there.local(blob.sha256)
    assert fetched == there.path_for(blob.sha256) and fetched.read_bytes() == b"%PDF-1.7 one budget"
    assert [p.name for p in fetched.parent.iterdir()] == [blob.sha256]  # no temporary file left
    with pytest.raises(FileNotFoundError, match="neither in"):
        there.local("0" * 64)


def test_an_ingest_archives_to_the_object_store_and_a_backfill_elsewhere_reads_from_it(
    pipeline_env: str, s3: ObjectStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With YUSUAN_STORAGE_URL the raw files and the parse cache go to the object store. A
    backfill on "another machine" (an empty data directory) re-extracts every document from
    the objects, with no network to the portal."""
    from flows.backfill import backfill
    from flows.ingest import ingest
    from yusuan.demo.server import PortalServer

    monkeypatch.setenv("YUSUAN_STORAGE_URL", s3.url)
    monkeypatch.setenv("YUSUAN_STORAGE_OPTIONS", json.dumps(s3.options))
    with PortalServer() as portal:
        result = ingest(portal.entry_url, portal="objects")
    assert result["totals"]["loaded"] == 3
    with engine_for(pipeline_env).connect() as conn:
        shas = conn.execute(text("SELECT sha256 FROM yusuan.documents")).scalars().all()
    assert len(shas) == 3 and all(s3.has(sha) for sha in shas)
    fs = s3.filesystem()
    assert fs.find(s3.results_url), "the parse cache is in the object store"

    # Another machine: its own empty data directory, and the first one's disk out of reach.
    import shutil

    shutil.rmtree(tmp_path / "data")
    monkeypatch.setenv("YUSUAN_DATA_DIR", str(tmp_path / "elsewhere"))
    assert not (tmp_path / "elsewhere").exists()
    results = backfill(force=True)
    assert sorted(r["status"] for r in results) == ["loaded"] * 3, results
    assert all(RawStore(tmp_path / "elsewhere" / "raw").path_for(sha).is_file() for sha in shas)


def test_expired_parse_results_in_the_object_store_are_pruned_and_live_ones_kept(s3: ObjectStore) -> None:
    from datetime import UTC, datetime, timedelta

    from storage.result_cache import prune_expired_objects

    s3 = ObjectStore(f"{s3.url}/pruning", s3.options)  # its own prefix: other tests cache parses too
    now = datetime.now(UTC)
    fs = s3.filesystem()

    def record(name: str, expiration: datetime | None) -> None:
        stamp = json.dumps(expiration.isoformat() if expiration else None)
        with fs.open(f"{s3.results_url}/{name}", "wb") as handle:
            handle.write(b'{"metadata": {"expiration": ' + stamp.encode() + b'}, "result": "x"}')

    record("parse-old", now - timedelta(days=1))
    record("parse-live", now + timedelta(days=29))
    record("parse-forever", None)
    report = prune_expired_objects(s3, now)
    assert (report.files, report.kept) == (1, 2)
    left = sorted(path.rsplit("/", 1)[-1] for path in fs.ls(s3.results_url, detail=False))
    assert "parse-old" not in left and {"parse-live", "parse-forever"} <= set(left)
