"""Loading into Postgres: idempotence, versions of a filing, constraints, migrations, views."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from storage.database import engine_for, redact
from storage.migrate import downgrade, head_revision, upgrade
from storage.raw_store import RawStore
from storage.repository import is_correction, load_document, record_fetch
from tests.conftest import ASSETS, count_rows
from yusuan.extract.document import extract_document
from yusuan.models import ContentKind, DisclosureLink, DocumentStatus, ExtractedDocument, FetchedFile
from yusuan.normalise.regions import Region, resolve_region

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _fetched(store: RawStore, data: bytes, url: str, text_: str) -> FetchedFile:
    blob = store.put_bytes(data)
    link = DisclosureLink(url, "http://portal/list/page.html", text_, "预决算公开", "test")
    return FetchedFile(link, url, 200, "application/pdf", blob.size_bytes, blob.sha256, str(blob.path), T0, 1)


@pytest.fixture(scope="module")
def zhengzhou() -> ExtractedDocument:
    pdf = ASSETS / "zhengzhou-yibao-2023.pdf"
    return extract_document(pdf, "placeholder")


def _load(
    url: str, doc: ExtractedDocument, fetched: FetchedFile, now: datetime = T0, region: Region | None = None
) -> str:
    with engine_for(url).begin() as conn:
        record_fetch(conn, fetched, "run-1")
        return load_document(conn, replace(doc, sha256=fetched.sha256 or ""), fetched, "run-1", now, region).action


def test_loading_the_same_document_twice_changes_nothing(db: str, tmp_path, zhengzhou: ExtractedDocument) -> None:
    fetched = _fetched(RawStore(tmp_path), b"%PDF-1 a", "http://portal/a.pdf", "2023年预算.pdf")
    assert _load(db, zhengzhou, fetched) == "inserted"
    before = count_rows(db)
    assert _load(db, zhengzhou, fetched) == "unchanged"
    assert count_rows(db) == before
    assert before["function_lines"] == len(zhengzhou.function_lines)


def test_a_new_extractor_version_replaces_facts_in_place(db: str, tmp_path, zhengzhou: ExtractedDocument) -> None:
    fetched = _fetched(RawStore(tmp_path), b"%PDF-1 a", "http://portal/a.pdf", "2023年预算.pdf")
    _load(db, zhengzhou, fetched)
    before = count_rows(db)
    assert _load(db, replace(zhengzhou, extractor_version="999"), fetched) == "replaced"
    assert count_rows(db) == before
    with engine_for(db).connect() as conn:
        assert conn.execute(text("SELECT extractor_version FROM yusuan.documents")).scalar_one() == "999"


def test_correction_becomes_current_and_the_original_stays(db: str, tmp_path, zhengzhou: ExtractedDocument) -> None:
    store = RawStore(tmp_path)
    original = _fetched(store, b"%PDF-1 original", "http://portal/a.pdf", "2023年部门预算公开.pdf")
    corrected = _fetched(store, b"%PDF-1 corrected", "http://portal/b.pdf", "2023年部门预算公开（更正）.pdf")
    _load(db, zhengzhou, original)
    _load(db, zhengzhou, corrected, T0 + timedelta(days=3))
    with engine_for(db).connect() as conn:
        rows = conn.execute(text("SELECT source_url, is_current FROM budget.documents ORDER BY document_id")).all()
        totals = conn.execute(text("SELECT count(*) FROM budget.totals")).scalar_one()
        lines = conn.execute(text("SELECT count(DISTINCT document_id) FROM budget.function_lines")).scalar_one()
    assert rows == [("http://portal/a.pdf", False), ("http://portal/b.pdf", True)]
    assert totals == 1 and lines == 1


@pytest.mark.parametrize("text_first", [True, False], ids=["text-seen-first", "tables-seen-first"])
def test_the_tables_file_of_a_filing_is_current_over_its_text_only_statement(
    db: str, tmp_path, zhengzhou: ExtractedDocument, text_first: bool
) -> None:
    """A filing published as two files, its 情况说明 (totals rounded in the text, no tables) and its
    公开表: the views show the tables' lines and exact totals whichever file was seen last."""
    store = RawStore(tmp_path)
    statement = replace(
        zhengzhou,
        content_kind=ContentKind.BUDGET_TEXT,
        tables=[],
        function_lines=[],
        economic_lines=[],
        projects=[],
        targets=[],
        checks=[],
        figures=[f for f in zhengzhou.figures if f.name in ("income_total", "expenditure_total")][:1],
    )
    files = [
        (statement, _fetched(store, b"%PDF-1 statement", "http://p/1.pdf", "附件1：部门预算情况说明")),
        (zhengzhou, _fetched(store, b"%PDF-1 tables", "http://p/2.pdf", "附件2：部门预算报表")),
    ]
    for n, (doc, fetched) in enumerate(files if text_first else files[::-1]):
        _load(db, doc, fetched, now=T0 + timedelta(days=n))
    with engine_for(db).connect() as conn:
        current = conn.execute(text("SELECT source_url FROM budget.documents WHERE is_current")).scalars().all()
        lines = conn.execute(text("SELECT count(*) FROM budget.function_lines")).scalar_one()
    assert current == ["http://p/2.pdf"]
    assert lines == len(zhengzhou.function_lines) > 0


def test_same_file_on_two_urls_is_one_document_with_two_sources(db: str, tmp_path, zhengzhou) -> None:
    store = RawStore(tmp_path)
    a = _fetched(store, b"%PDF-1 same", "http://portal-a/x.pdf", "2023年部门预算.pdf")
    b = _fetched(store, b"%PDF-1 same", "http://portal-b/y.pdf", "2023年部门预算.pdf")
    _load(db, zhengzhou, a)
    assert _load(db, zhengzhou, b) == "unchanged"
    rows = count_rows(db)
    assert rows["documents"] == 1 and rows["sources"] == 2 and rows["files"] == 1


def test_two_loads_of_one_file_at_once_make_one_document(db: str, tmp_path, zhengzhou) -> None:
    """Two portals of a group run side by side can list the same file: the load that comes
    second waits for the first's commit and finds the document, rather than failing."""
    store = RawStore(tmp_path)
    a = _fetched(store, b"%PDF-1 same", "http://portal-a/x.pdf", "2023年部门预算.pdf")
    b = _fetched(store, b"%PDF-1 same", "http://portal-b/y.pdf", "2023年部门预算.pdf")
    doc = replace(zhengzhou, sha256=a.sha256 or "")
    engine = engine_for(db)
    for fetched in (a, b):  # each download records its fetch in its own transaction
        with engine.begin() as conn:
            record_fetch(conn, fetched, "run-1")
    second: dict[str, object] = {}

    def load_second() -> None:
        try:
            with engine.begin() as conn:
                second["action"] = load_document(conn, doc, b, "run-2", T0).action
        except Exception as exc:  # noqa: BLE001 - asserted below
            second["error"] = exc

    with engine.begin() as first:
        assert load_document(first, doc, a, "run-1", T0).action == "inserted"
        thread = threading.Thread(target=load_second)
        thread.start()
        thread.join(1.0)
        assert thread.is_alive(), "the second load did not wait for the first"
    thread.join(30)
    assert second == {"action": "unchanged"}
    rows = count_rows(db)
    assert rows["documents"] == 1 and rows["sources"] == 2


def test_database_allows_one_current_version_per_filing(db: str, tmp_path, zhengzhou) -> None:
    store = RawStore(tmp_path)
    _load(db, zhengzhou, _fetched(store, b"%PDF-1 v1", "http://p/1.pdf", "预算"))
    _load(db, zhengzhou, _fetched(store, b"%PDF-1 v2", "http://p/2.pdf", "预算"))
    with pytest.raises(IntegrityError), engine_for(db).begin() as conn:
        conn.execute(text("UPDATE yusuan.documents SET is_current = true"))


def test_two_cities_same_agency_name_are_two_filings(db: str, tmp_path, zhengzhou) -> None:
    """The filing key is region + agency + year + kind: Beijing's and Weifang's 发展和改革局 both stay current."""
    store = RawStore(tmp_path)
    bare = replace(zhengzhou, agency_name="发展和改革局", agency_name_raw="发展和改革局")
    _load(db, bare, _fetched(store, b"%PDF-1 bj", "http://p/bj.pdf", "预算"), region=resolve_region("北京市"))
    _load(db, bare, _fetched(store, b"%PDF-1 wf", "http://p/wf.pdf", "预算"), region=resolve_region("山东省潍坊市"))
    with engine_for(db).connect() as conn:
        rows = conn.execute(
            text("SELECT region_code, region_name FROM budget.totals WHERE agency_name = '发展和改革局' ORDER BY 1")
        ).all()
    assert rows == [("110000", "北京市"), ("370700", "山东省潍坊市")]


def test_a_non_budget_never_replaces_the_budget_of_its_agency(db: str, tmp_path, zhengzhou) -> None:
    """A website annual report filed under the same agency and year is recorded with its kind and
    reason, and the budget stays the current version of the filing."""
    store = RawStore(tmp_path)
    _load(db, zhengzhou, _fetched(store, b"%PDF-1 budget", "http://p/1.pdf", "预算"))
    report = replace(
        zhengzhou,
        status=DocumentStatus.NOT_BUDGET,
        content_kind=ContentKind.NOT_BUDGET,
        kind_reason="website annual report: 政府网站工作年度报表",
        function_lines=[],
        economic_lines=[],
        projects=[],
        targets=[],
        figures=[],
        checks=[],
    )
    later = T0 + timedelta(days=1)
    _load(db, report, _fetched(store, b"%PDF-1 report", "http://p/2.pdf", "2023年部门预算"), now=later)
    with engine_for(db).connect() as conn:
        docs = conn.execute(
            text("SELECT content_kind, kind_reason, is_current FROM budget.documents ORDER BY document_id")
        ).all()
        totals = conn.execute(text("SELECT count(*), max(income_total) FROM budget.totals")).one()
    assert [(d.content_kind, d.is_current) for d in docs] == [("budget_tables", True), ("not_budget", False)]
    assert docs[1].kind_reason.startswith("website annual report")
    assert totals == (1, Decimal("91872000.00"))


def test_amounts_are_exact_numerics(db: str, tmp_path, zhengzhou) -> None:
    _load(db, zhengzhou, _fetched(RawStore(tmp_path), b"%PDF-1", "http://p/1.pdf", "预算"))
    with engine_for(db).connect() as conn:
        value = conn.execute(
            text("SELECT total FROM budget.projects WHERE project_name = '老红军家属及遗属医疗保险补助资金'")
        ).scalar_one()
        column_type = conn.execute(
            text(
                "SELECT data_type FROM information_schema.columns "
                "WHERE table_schema = 'budget' AND table_name = 'totals' AND column_name = 'income_total'"
            )
        ).scalar_one()
    assert value == Decimal("7000.00")
    assert column_type == "numeric"


def test_a_function_lines_personnel_and_public_parts_are_stored_and_shown(db: str, tmp_path, zhengzhou) -> None:
    """人员经费 and 公用经费 of a function line reach budget.function_lines (migration 0010); a line
    whose table prints no parts shows NULL, and a second load changes nothing."""
    first, *rest = zhengzhou.function_lines
    parted = replace(first, personnel=Decimal("1234.56"), public_funds=Decimal("0.44"))
    doc = replace(zhengzhou, function_lines=[parted, *rest])
    fetched = _fetched(RawStore(tmp_path), b"%PDF-1 parts", "http://p/parts.pdf", "预算")
    assert _load(db, doc, fetched) == "inserted"
    query = text(
        "SELECT l.row_index, l.personnel, l.public_funds FROM budget.function_lines l "
        "JOIN yusuan.documents d USING (document_id) WHERE d.sha256 = :sha AND l.table_index = :table"
    )
    with engine_for(db).connect() as conn:
        rows = {r[0]: r[1:] for r in conn.execute(query, {"sha": fetched.sha256, "table": first.lineage.table_index})}
    assert rows[first.lineage.row_index] == (Decimal("1234.56"), Decimal("0.44"))
    assert all(parts == (None, None) for index, parts in rows.items() if index != first.lineage.row_index)
    before = count_rows(db)
    assert _load(db, doc, fetched) == "unchanged" and count_rows(db) == before


def test_views_are_documented(db: str) -> None:
    with engine_for(db).connect() as conn:
        undocumented = (
            conn.execute(
                text(
                    """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE n.nspname = 'budget' AND c.relkind = 'v' AND obj_description(c.oid) IS NULL"""
                )
            )
            .scalars()
            .all()
        )
        views = (
            conn.execute(text("SELECT table_name FROM information_schema.views WHERE table_schema = 'budget'"))
            .scalars()
            .all()
        )
    assert set(views) == {
        *("documents", "totals", "function_lines", "economic_lines", "projects", "checks", "performance_targets"),
        "source_changes",
        "table_rows",
    }
    assert undocumented == []


def test_migrations_round_trip(database_url: str) -> None:
    downgrade(database_url, "0001")
    with engine_for(database_url).connect() as conn:
        assert conn.execute(text("SELECT to_regclass('budget.totals')")).scalar() is None
    upgrade(database_url)
    with engine_for(database_url).connect() as conn:
        assert conn.execute(text("SELECT to_regclass('budget.totals')")).scalar() is not None


def test_correction_words() -> None:
    assert is_correction("2023年部门预算公开（更正）")
    assert is_correction("", "关于调整2023年部门预算的说明")
    assert not is_correction("2023年部门预算公开")


def test_passwords_are_redacted() -> None:
    assert "s3cret" not in redact("postgresql://user:s3cret@db.example:5432/yusuan")
    assert "s3cret" not in redact("postgresql+psycopg://user:s3cret@db/yusuan?sslmode=require")


def test_migrations_build_exactly_the_schema_the_code_declares(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage import schema

    with engine_for(database_url).connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "include_schemas": True,
                "include_name": lambda name, kind, _parent: kind != "schema" or name == "yusuan",
            },
        )
        differences = [d for d in compare_metadata(context, schema.metadata) if "alembic_version" not in str(d)]
    assert differences == []


def test_concurrent_first_upgrades_take_turns(database_url: str) -> None:
    """Two first runs on a fresh database (or two `yusuan db upgrade`) used to race on
    alembic_version; under the advisory lock every process ends at head."""
    import subprocess
    import sys

    from storage.database import ensure_database

    with _unused_database(database_url, "race") as fresh:
        ensure_database(fresh)
        code = "import sys; from storage.migrate import upgrade; upgrade(sys.argv[1])"
        procs = [
            subprocess.Popen([sys.executable, "-c", code, fresh], stderr=subprocess.PIPE, text=True) for _ in range(6)
        ]
        results = [(p.wait(timeout=180), p.stderr.read()[-500:]) for p in procs]
        assert [rc for rc, _ in results] == [0] * 6, results
        assert _migrated_to(fresh) == [head_revision()]


@contextmanager
def _unused_database(database_url: str, label: str) -> Iterator[str]:
    """The URL of a database on ``database_url``'s server that does not exist yet; dropped after."""
    import uuid

    from sqlalchemy.engine import make_url

    from storage.database import drop_database, sqlalchemy_url

    fresh = (
        make_url(sqlalchemy_url(database_url))
        .set(database=f"yusuan_{label}_{uuid.uuid4().hex[:8]}")
        .render_as_string(hide_password=False)
    )
    try:
        yield fresh
    finally:
        engine_for(fresh).dispose()
        drop_database(fresh)


def _migrated_to(url: str) -> list[str]:
    with engine_for(url).connect() as conn:
        return list(conn.execute(text("SELECT version_num FROM yusuan.alembic_version")).scalars())


def test_a_list_page_with_thousands_of_links_is_recorded(db: str) -> None:
    """Every link decision of a crawl is recorded, past Postgres's 65,535 bind parameters per
    statement (a real portal of 200 pages × 41 links gets there)."""
    from storage.repository import record_discovery
    from yusuan.models import DiscoveryResult, LinkDecision, PageVisit

    page = "http://portal.example/list/index.html"
    result = DiscoveryResult(
        portal="big",
        entry_url=page,
        pages=[PageVisit(page, "list", 200, "预决算公开")],
        decisions=[
            LinkDecision(page, f"http://portal.example/art/{i}.html", f"通知 {i}", "page", False, "not a budget page")
            for i in range(9_000)
        ],
    )
    now = datetime.now(UTC)
    with engine_for(db).begin() as conn:
        record_discovery(conn, result, "run-big", now)
        record_discovery(conn, result, "run-big", now)  # seen again: updated, not duplicated
    assert count_rows(db)["links"] == 9_000


def test_a_database_url_naming_a_database_its_server_lacks_gets_it_created(database_url: str) -> None:
    """Postgres says "database … does not exist" at connect time with no SQLSTATE (and in its own
    language), so the migration's retries took it for a server that is away and waited their
    whole budget: a new DATABASE_URL on an existing server is created and migrated at once."""
    from flows.ingest import prepare_database
    from storage.retrying import DbRetry

    with _unused_database(database_url, "new") as fresh:
        started = time.monotonic()
        assert prepare_database(fresh, Path("unused"), DbRetry(60.0)) == fresh
        assert time.monotonic() - started < 30
        assert _migrated_to(fresh) == [head_revision()]


def test_a_database_at_head_is_not_migrated_again(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every run (a group's every portal entry) starts by migrating; at head that is one query,
    not Alembic loading every migration script. Behind head, it migrates."""
    from storage import migrate
    from storage.database import ensure_database

    with _unused_database(database_url, "behind") as fresh:
        ensure_database(fresh)
        assert migrate.current_revision(fresh) is None
        assert migrate.upgrade_if_behind(fresh) is True
        assert migrate.current_revision(fresh) == head_revision() == _migrated_to(fresh)[0]
        with monkeypatch.context() as patched:
            patched.setattr(migrate.command, "upgrade", lambda *args: pytest.fail("Alembic asked at head"))
            assert migrate.upgrade_if_behind(fresh) is False
        downgrade(fresh, "-1")
        assert migrate.current_revision(fresh) != head_revision()
        assert migrate.upgrade_if_behind(fresh) is True
        assert _migrated_to(fresh) == [head_revision()]
