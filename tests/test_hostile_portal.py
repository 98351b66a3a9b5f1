"""A whole portal of hostile and broken cases next to good budgets: the good ones load, every bad
one is recorded with its reason, the run ends within its deadlines, and a second run changes
nothing."""

from __future__ import annotations

import threading
import time
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import text

from flows.ingest import ingest
from storage.database import engine_for
from tests.conftest import count_rows
from yusuan.demo.server import Faults, PortalServer
from yusuan.demo.site import Article, Attachment, Column, asset_bytes

pytestmark = pytest.mark.slow

GOOD = "2023年郑州市医疗保障局部门预算公开.pdf"
SLOWED = "2024年滑县医疗保障局部门预算公开.pdf"  # two 429s with Retry-After first, then the file
DRIPPED = "2022年某局部门预算.pdf"
FAILING = "2022年某中心部门预算.pdf"
REDIRECTED = "2022年某所部门预算.pdf"
FAKE = "2022年某站部门预算.pdf"


class RssSampler:
    """This process's resident memory, sampled every 50 ms while inside the ``with`` block (the
    process's lifetime peak would count the tests that ran before in the same worker)."""

    def __init__(self) -> None:
        self.baseline_mb = self.peak_mb = _rss_mb()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.wait(0.05):
            self.peak_mb = max(self.peak_mb, _rss_mb())

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()


def _rss_mb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    return 0


def _hostile_column() -> Column:
    pdf = asset_bytes("jiyuan-yibao-2022.pdf")

    def article(slug: str, title: str, *attachments: Attachment, raw_html: str = "") -> Article:
        return Article(slug, title, "2023-02-15", title, attachments, raw_html=raw_html)

    column = Column(path="/ysgk/", title="预决算公开", per_page=20)
    column.articles = [
        article("t1", "郑州市医疗保障局2023年部门预算", Attachment(GOOD, asset_bytes("zhengzhou-yibao-2023.pdf"))),
        article("t2", "滑县医疗保障局2024年部门预算", Attachment(SLOWED, asset_bytes("huaxian-yibao-2024.pdf"))),
        article("t3", "某局2022年部门预算", Attachment(DRIPPED, pdf)),
        article("t4", "某中心2022年部门预算", Attachment(FAILING, pdf)),
        article("t5", "某所2022年部门预算", Attachment(REDIRECTED, pdf)),
        article("t6", "某站2022年部门预算", Attachment(FAKE, pdf)),
        article(
            "t7",
            "某办2022年部门预算",
            raw_html=(
                '<a href="http://203.0.113.7/files/2022年某办部门预算.pdf">2022年某办部门预算.pdf</a>'
                '<a href="file:///etc/2022年部门预算.pdf">2022年部门预算(本地).pdf</a>'
                '<a href="ftp://127.0.0.1/2022年部门预算.pdf">2022年部门预算(ftp).pdf</a>'
            ),
        ),
        article("t8", "某委2022年部门预算", raw_html="<div>" * 100_000 + "</div>" * 100_000),
        article("t9", "某会2022年部门预算"),
    ]
    return column


def test_a_hostile_portal_loads_the_good_budgets_and_records_every_bad_case(
    pipeline_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YUSUAN_DOWNLOAD_DEADLINE_SECONDS", "3")
    monkeypatch.setenv("YUSUAN_PAGE_DEADLINE_SECONDS", "5")
    monkeypatch.setenv("YUSUAN_MAX_PAGE_BYTES", str(4 * 1024 * 1024))
    faults = Faults(
        too_many_requests={SLOWED: 2},
        retry_after="1",
        drip_bytes_per_second={DRIPPED: 50.0},
        transient_errors={FAILING: 1_000},
        redirects={REDIRECTED: "http://203.0.113.9/elsewhere.pdf"},
        html_instead_of_pdf={FAKE},
        gzip_bomb_bytes={"t9.html": 512 * 1024 * 1024},
    )
    with PortalServer([_hostile_column()], faults=faults) as portal, RssSampler() as rss:
        started = time.monotonic()
        first = ingest(portal.entry_url, portal="hostile", allowed_hosts=["127.0.0.1"], allow_private_addresses=True)
        seconds = time.monotonic() - started
        after_first = count_rows(pipeline_env)
        second = ingest(portal.entry_url, portal="hostile", allowed_hosts=["127.0.0.1"], allow_private_addresses=True)
        requested = set(portal.log.paths)
        slowed = sorted(start for start, _end, path, _agent in portal.log.spans if path.endswith(SLOWED))

    # Every deadline is seconds here: the run ends within them plus the retries' waits.
    assert seconds < 120, seconds
    # Memory stays bounded: a 512 MiB gzip page and a 100,000-deep page never inflate in here.
    print(f"hostile portal: {seconds:.1f} s, RSS {rss.baseline_mb} MB before, {rss.peak_mb} MB at most during the run")
    assert rss.peak_mb - rss.baseline_mb < 512

    # Two 429s with Retry-After: 1, then the file: each next attempt waited the server's second.
    assert len(slowed) >= 3 and all(later - earlier >= 0.95 for earlier, later in pairwise(slowed[:3]))

    outcomes = {d["link_text"]: (d["outcome"], d["detail"]) for d in first["documents"]}
    assert outcomes[GOOD][0] == outcomes[SLOWED][0] == "loaded"
    assert outcomes[DRIPPED][0] == "download_failed" and "deadline of 3 s passed" in outcomes[DRIPPED][1]
    assert outcomes[FAILING][0] == "download_failed" and outcomes[FAILING][1].endswith("(attempt 4 of 4)")
    assert outcomes[REDIRECTED][0] == "download_failed" and "203.0.113.9" in outcomes[REDIRECTED][1]
    assert outcomes[FAKE][0] == "quarantined" and "HTML" in outcomes[FAKE][1]
    assert len(outcomes) == 6

    with engine_for(pipeline_env).connect() as conn:
        refused = dict(conn.execute(text("SELECT text, reason FROM yusuan.links WHERE NOT taken")).all())
        pages = dict(conn.execute(text("SELECT url, error FROM yusuan.pages WHERE error IS NOT NULL")).all())
        incoming = conn.execute(text("SELECT count(*) FROM yusuan.sources WHERE error IS NOT NULL")).scalar_one()
    assert "off-site" in refused["2022年某办部门预算.pdf"]
    assert "not an http(s) link (file scheme)" in refused["2022年部门预算(本地).pdf"]
    assert "not an http(s) link (ftp scheme)" in refused["2022年部门预算(ftp).pdf"]
    failed_pages = {url.rsplit("/", 1)[-1]: error for url, error in pages.items()}
    assert failed_pages["t8.html"] == "page nested deeper than 5000 elements: not parsed"
    assert "larger than" in failed_pages["t9.html"]
    assert incoming == 3
    # Nothing was fetched off the policy: every request reached this portal, none left it.
    assert not any("203.0.113" in path for path in requested)

    # The second run: the same outcomes, not one row more.
    assert {d["link_text"]: d["outcome"] for d in second["documents"]} == {
        GOOD: "unchanged",
        SLOWED: "unchanged",
        DRIPPED: "download_failed",
        FAILING: "download_failed",
        REDIRECTED: "download_failed",
        FAKE: "unchanged",
    }
    assert count_rows(pipeline_env) == after_first


def test_with_the_shipped_limits_a_drip_and_a_silent_server_end_the_run_within_minutes(pipeline_env: str) -> None:
    """The same portal with yusuan's own defaults (no deadline shortened), its drip at 1 byte a
    second and one more file whose server never answers: the drip is cut as stalled by the
    low-speed limit (not at its 600-s deadline), the silent one by the read timeout after its
    attempts, every case is recorded with its reason, and the run ends within 5 minutes."""
    silent = "2022年某队部门预算.pdf"
    column = _hostile_column()
    column.articles.append(
        Article(
            "t10",
            "某队2022年部门预算",
            "2023-02-15",
            "某队",
            (Attachment(silent, asset_bytes("jiyuan-yibao-2022.pdf")),),
        )
    )
    faults = Faults(
        too_many_requests={SLOWED: 2},
        retry_after="1",
        drip_bytes_per_second={DRIPPED: 1.0},
        delay_seconds={silent: 3600.0},
        transient_errors={FAILING: 1_000},
        redirects={REDIRECTED: "http://203.0.113.9/elsewhere.pdf"},
        html_instead_of_pdf={FAKE},
        gzip_bomb_bytes={"t9.html": 512 * 1024 * 1024},
    )
    with PortalServer([column], faults=faults) as portal:
        started = time.monotonic()
        result = ingest(portal.entry_url, portal="hostile", allowed_hosts=["127.0.0.1"], allow_private_addresses=True)
        seconds = time.monotonic() - started
    print(f"hostile portal with the shipped limits: {seconds:.1f} s")
    outcomes = {d["link_text"]: (d["outcome"], d["detail"]) for d in result["documents"]}
    assert outcomes[GOOD][0] == outcomes[SLOWED][0] == "loaded"
    assert outcomes[DRIPPED][0] == "download_failed" and "stalled: " in outcomes[DRIPPED][1]
    assert outcomes[silent][0] == "download_failed" and "Timeout" in outcomes[silent][1]
    assert outcomes[FAKE][0] == "quarantined" and len(outcomes) == 7
    assert seconds < 300, seconds
