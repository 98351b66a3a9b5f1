"""Currency follows what the portal serves now: replaced files, reverted files, withdrawn files."""

from __future__ import annotations

import hashlib
import json

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from sqlalchemy import text

from flows.ingest import ingest
from storage.database import engine_for
from tests.conftest import count_rows
from yusuan.demo.server import PortalServer
from yusuan.demo.site import asset_bytes

NAME = "2023年郑州市医疗保障局部门预算公开.pdf"
AGENCY = "郑州市医疗保障局"


def _current(url: str) -> tuple[int, str]:
    """The document budget.totals shows for the Zhengzhou 2023 filing, and its sha256."""
    with engine_for(url).connect() as conn:
        row = conn.execute(
            text(
                "SELECT t.document_id, d.sha256 FROM budget.totals t JOIN budget.documents d USING (document_id)"
                " WHERE t.agency_name = :a AND t.fiscal_year = 2023"
            ),
            {"a": AGENCY},
        ).one()
    return row.document_id, row.sha256


def _served(url: str, sha256: str) -> bool:
    with engine_for(url).connect() as conn:
        return conn.execute(
            text("SELECT is_served FROM budget.documents WHERE sha256 = :s"), {"s": sha256}
        ).scalar_one()


def _changes(result: dict) -> dict[str, int]:
    return {kind: n for kind, n in result["changes"].items() if n}


def _changes_artifact(result: dict) -> list[dict[str, object]] | None:
    """The rows of the run's ``ingest-demo-changes`` table artifact; None when it wrote none."""
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["ingest-demo-changes"]))
        )
    mine = [a for a in artifacts if str(a.flow_run_id) == result["run_id"]]
    assert len(mine) <= 1
    return json.loads(mine[0].data) if mine else None  # type: ignore[arg-type]


def test_the_current_version_is_the_one_the_portal_serves_now(pipeline_env: str) -> None:
    original = asset_bytes("zhengzhou-yibao-2023.pdf")
    # The same budget re-saved: other bytes after %%EOF, the same tables, so the same filing.
    replacement = original + b"\n% re-published\n"
    sha_a, sha_b = hashlib.sha256(original).hexdigest(), hashlib.sha256(replacement).hexdigest()
    with PortalServer() as portal:
        first = ingest(portal.entry_url, portal="demo")
        assert _changes(first) == {"appeared": 3}
        assert _current(pipeline_env)[1] == sha_a

        portal.replace_file(NAME, replacement)  # A → B: B is current, A is history
        second = ingest(portal.entry_url, portal="demo")
        assert _changes(second) == {"changed": 1}
        assert [row["change"] for row in _changes_artifact(second) or []] == ["changed"]
        assert second["totals"]["loaded"] == 1
        assert _current(pipeline_env)[1] == sha_b
        assert not _served(pipeline_env, sha_a) and _served(pipeline_env, sha_b)

        portal.replace_file(NAME, original)  # B → A: A is current again, though its bytes are known
        third = ingest(portal.entry_url, portal="demo")
        assert _changes(third) == {"reverted": 1}
        assert third["totals"]["loaded"] == 0 and third["totals"]["unchanged"] == 3
        assert _current(pipeline_env)[1] == sha_a
        rows = count_rows(pipeline_env)
        with engine_for(pipeline_env).connect() as conn:
            current = conn.execute(
                text("SELECT count(*) FROM yusuan.documents WHERE is_current AND agency_name = :a"), {"a": AGENCY}
            ).scalar_one()
            diff = conn.execute(
                text("SELECT change, old_sha256, new_sha256 FROM budget.source_changes WHERE change = 'reverted'")
            ).one()
        assert current == 1
        assert (diff.old_sha256, diff.new_sha256) == (sha_b, sha_a)

        # Unchanged portal: no change, no row anywhere.
        fourth = ingest(portal.entry_url, portal="demo")
        assert _changes(fourth) == {}
        assert _changes_artifact(fourth) is None  # the key's latest is still the last diff
        assert count_rows(pipeline_env) == rows

        # A crawl cut short by its page budget withdraws nothing, even when a file has gone.
        portal.withdraw_file(NAME)
        partial = ingest(portal.entry_url, portal="demo", max_pages=1)
        assert _changes(partial) == {}
        assert _served(pipeline_env, sha_a)

        # A complete crawl that no longer lists it: withdrawn, still the filing's last version.
        fifth = ingest(portal.entry_url, portal="demo")
        assert _changes(fifth) == {"vanished": 1}
        assert not _served(pipeline_env, sha_a)
        assert _current(pipeline_env)[1] == sha_a
        with engine_for(pipeline_env).connect() as conn:
            others = conn.execute(
                text("SELECT count(*) FROM budget.documents WHERE is_current AND is_served")
            ).scalar_one()
        assert others == 2  # the other two budgets are untouched
