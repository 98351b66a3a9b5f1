"""Backfill: re-extract stored raw files with the current extractor, with no network at all."""

from __future__ import annotations

from sqlalchemy import text

from flows.backfill import backfill, version_tuple
from flows.ingest import ingest
from storage.database import engine_for
from tests.conftest import count_rows
from yusuan.extract import EXTRACTOR_VERSION
from yusuan.portal.server import PortalServer


def test_backfill_reloads_from_the_raw_store_without_network(pipeline_env: str) -> None:
    with PortalServer() as portal:
        ingest(portal.entry_url, portal="demo")
    # The portal is gone: any download attempt would fail. Pretend an old extractor loaded it all.
    with engine_for(pipeline_env).begin() as conn:
        conn.execute(text("UPDATE yusuan.documents SET extractor_version = '0.0.1'"))
        before = conn.execute(text("SELECT * FROM budget.totals ORDER BY document_id")).all()
    counts = count_rows(pipeline_env)

    results = backfill()
    assert len(results) == 3 and all("replaced (loaded" in r for r in results)
    with engine_for(pipeline_env).connect() as conn:
        versions = conn.execute(text("SELECT DISTINCT extractor_version FROM yusuan.documents")).scalars().all()
        after = conn.execute(text("SELECT * FROM budget.totals ORDER BY document_id")).all()
    assert versions == [EXTRACTOR_VERSION]
    assert after == before
    assert count_rows(pipeline_env) == counts

    # Up to date now: a second backfill selects nothing, unless forced or filtered.
    assert backfill() == []
    assert len(backfill(agency_name="滑县医疗保障局", force=True)) == 1


def test_version_order() -> None:
    assert version_tuple("0.10.0") > version_tuple("0.9.3")
