"""The three demo portals: every CMS pattern, every disclosure found, no decoy loaded,
politeness measured at the server, re-runs that download nothing, and versions of filings."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from flows.ingest import ingest
from storage.database import engine_for
from tests.conftest import count_rows
from yusuan.demo.portals import demo_portals
from yusuan.demo.server import PortalServer
from yusuan.demo.site import Column
from yusuan.discover.crawler import crawl
from yusuan.fetch.http import HttpConfig, RetryPolicy, make_client

POLICY = RetryPolicy(attempts=2, backoff_seconds=0.01, backoff_max_seconds=0.02)


def _budget_files(column: Column) -> set[str]:
    return {
        a.name
        for article in column.articles
        for a in article.attachments
        if a.name.endswith(".pdf") and ("预算" in a.name or "决算" in a.name)
    }


@pytest.fixture(scope="module")
def portals() -> list[Column]:
    return demo_portals()


def test_the_demo_serves_enough_portals_documents_and_decoys(portals: list[Column]) -> None:
    assert {c.style for c in portals} == {"static", "gbk", "dataproxy"}
    budgets = sum(len(_budget_files(c)) for c in portals)
    decoy_links = sum(
        1
        for c in portals
        for article in c.articles
        for item in (article.attachments or [None])
        if item is None or item.name not in _budget_files(c) or "决算" in item.name
    )
    assert budgets >= 30
    assert decoy_links >= budgets - sum("决算" in n for c in portals for n in _budget_files(c))


def test_discovery_finds_every_disclosure_and_no_decoy(portals: list[Column]) -> None:
    with PortalServer(portals) as server, make_client(HttpConfig("yusuan-tests")) as client:
        for column in portals:
            result = crawl(server.entry_urls()[column.name], client, column.name, POLICY)
            assert not [p for p in result.pages if p.error], column.name
            assert {d.link_text for d in result.disclosures} == _budget_files(column), column.name


def test_gbk_pages_decode(portals: list[Column]) -> None:
    with PortalServer(portals) as server, make_client(HttpConfig("yusuan-tests")) as client:
        result = crawl(server.entry_urls()["city-czj"], client, "city-czj", POLICY)
    titles = {p.title for p in result.pages}
    assert "部门预算公开" in titles  # from a GB2312 page whose charset is only in <meta>


# As portals.yaml gives them: the demo's second host serves attachments, both hosts on loopback.
HOSTS = {"allowed_hosts": ["127.0.0.1", "localhost"], "allow_private_addresses": True}


def test_an_attachment_on_a_host_not_allowed_is_refused_with_the_reason(portals: list[Column]) -> None:
    """province-czt serves some attachments from a second host: without it in the portal's hosts,
    discovery records them as refused, naming the host; with it, they are taken."""
    from yusuan.fetch.offsite import HostPolicy

    with PortalServer(portals) as server, make_client(HttpConfig("yusuan-tests")) as client:
        entry = server.entry_urls()["province-czt"]
        strict = crawl(entry, client, "province-czt", POLICY, host_policy=HostPolicy.for_portal(entry))
        loose_policy = HostPolicy.for_portal(entry, HOSTS["allowed_hosts"], allow_private=True)
        loose = crawl(entry, client, "province-czt", POLICY, host_policy=loose_policy)
    refused = [d for d in strict.decisions if "off-site attachment host 'localhost'" in d.reason]
    assert refused and not any(d.taken for d in refused)
    assert {d.url for d in loose.disclosures} >= {d.url for d in refused}


def test_all_portals_end_to_end(pipeline_env: str, portals: list[Column], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YUSUAN_PER_HOST_CONCURRENCY", "2")
    with PortalServer(portals) as server:
        runs = {name: ingest(url, portal=name, **HOSTS) for name, url in server.entry_urls().items()}
        assert server.log.max_in_flight <= 2  # per-host limit, counted at the server
        bodies = sum(server.log.bodies_sent.values())

        with engine_for(pipeline_env).connect() as conn:
            statuses = dict(conn.execute(text("SELECT status, count(*) FROM budget.documents GROUP BY status")).all())
            shared = conn.execute(
                text(
                    """SELECT count(*) FROM yusuan.sources s JOIN yusuan.documents d USING (sha256)
                       WHERE d.agency_name = '郑州市医疗保障局'"""
                )
            ).scalar_one()
            versions = conn.execute(
                text(
                    """SELECT is_correction, is_current, status FROM yusuan.documents
                       WHERE (agency_name, fiscal_year, doc_kind) IN
                             (SELECT agency_name, fiscal_year, doc_kind FROM yusuan.documents
                              WHERE is_correction)"""
                )
            ).all()
        distinct_budget_files = len(
            {n.replace("转载-", "") for c in portals for n in _budget_files(c) if "决算" not in n}
        )
        assert statuses == {"loaded": distinct_budget_files, "not_budget": 2}
        assert shared == 2  # the same file posted on two portals: one document, two sources
        assert sorted(versions) == [(False, False, "loaded"), (True, True, "loaded")]
        assert all(r["totals"]["failed"] == 0 and r["totals"]["download_failed"] == 0 for r in runs.values())

        before = count_rows(pipeline_env)
        again = {name: ingest(url, portal=name, **HOSTS) for name, url in server.entry_urls().items()}
        assert sum(server.log.bodies_sent.values()) == bodies  # no PDF body downloaded again
        assert count_rows(pipeline_env) == before
        assert all(r["totals"]["loaded"] == 0 and r["totals"]["downloaded"] == 0 for r in again.values())


def test_portals_file_matches_the_demo_portals(portals: list[Column]) -> None:
    from pathlib import Path
    from urllib.parse import urlsplit

    from yusuan.demo.server import DEMO_PORT
    from yusuan.discover.registry import load_portals

    config = load_portals(Path(__file__).resolve().parent.parent / "portals.yaml")
    for column in portals:
        entry = config.get(column.name).entry_urls[0]
        assert urlsplit(entry).port == DEMO_PORT
        assert urlsplit(entry).path == column.path + "index.html"
    real = [p for p in config.portals if not p.entry_urls[0].startswith("http://127.0.0.1")]
    assert len(real) >= 3 and all(p.allowed_hosts for p in real)
    with pytest.raises(KeyError):
        config.get("nowhere")
