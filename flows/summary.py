"""What a run did, per document and in total: for the CLI table, the artifacts and ingest_runs."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from storage.versions import Change
from yusuan.evidence.review import row_anchors
from yusuan.models import Check, DiscoveryResult, LoadAction, Outcome

if TYPE_CHECKING:
    from flows.documents import DocumentRun


@dataclass(frozen=True, slots=True)
class DocumentReport:
    url: str
    link_text: str
    outcome: Outcome
    agency_name: str = ""
    fiscal_year: int | None = None
    doc_kind: str = ""
    content_kind: str = ""  # what the file is, from its content (budget_tables, not_budget, …)
    region: str = ""  # the agency's region: 福建省泉州市 (350500)
    document_id: int | None = None
    facts: int = 0
    detail: str = ""
    verdict: str = ""  # data quality of a loaded document: passed | failed | unchecked
    failed_checks: tuple[str, ...] = ()  # "name (subject): detail" of each failed check


@dataclass(slots=True)
class IngestSummary:
    portal: str
    run_id: str
    pages_visited: int = 0
    pages_failed: int = 0
    links_skipped: int = 0
    documents_found: int = 0
    skipped_by_year: int = 0
    downloaded: int = 0
    not_modified: int = 0
    # Attachments read within the recheck window: not requested this run.
    not_requested: int = 0
    seconds: float = 0.0
    documents: list[DocumentReport] = field(default_factory=list)
    # The run's diff at the portal: one row per URL that appeared, changed, reverted, vanished or
    # returned (storage.versions.run_changes).
    changes: list[dict[str, object]] = field(default_factory=list)

    @property
    def facts(self) -> int:
        return sum(d.facts for d in self.documents)

    @property
    def failures(self) -> int:
        """Documents whose download or a task failed (a quarantine is a verdict, not a failure)."""
        return sum(1 for d in self.documents if d.outcome.is_failure)

    def totals(self) -> dict[str, int | float]:
        outcomes = Counter(d.outcome for d in self.documents)
        return {
            "pages_visited": self.pages_visited,
            "pages_failed": self.pages_failed,
            "links_skipped": self.links_skipped,
            "documents_found": self.documents_found,
            "skipped_by_year": self.skipped_by_year,
            "downloaded": self.downloaded,
            "not_modified": self.not_modified,
            "not_requested": self.not_requested,
            **{outcome.value: outcomes[outcome] for outcome in Outcome},
            "facts": self.facts,
            "seconds": round(self.seconds, 2),
        }

    def change_counts(self) -> dict[str, int]:
        counts = Counter(str(c["change"]) for c in self.changes)
        return {kind.value: counts[kind] for kind in Change}

    def as_json(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "totals": self.totals(),
            "changes": self.change_counts(),
            "documents": [asdict(d) for d in self.documents],
        }


def report_document(run: DocumentRun) -> DocumentReport:
    """One line of the run report from what the document's task runs gave."""
    base = {"url": run.link.url, "link_text": run.link.link_text}
    fetched, parsed, outcome = run.fetched, run.parsed, run.outcome
    if run.failed_stage is not None:
        return DocumentReport(**base, outcome=Outcome.FAILED, detail=f"{run.failed_stage} failed: {run.failure}")
    if fetched is None:
        return DocumentReport(**base, outcome=Outcome.FAILED, detail="the document's task run gave no fetch")
    if fetched.error:
        return DocumentReport(**base, outcome=Outcome.DOWNLOAD_FAILED, detail=fetched.error)
    if run.unchanged or parsed is None or outcome is None:
        detail = f"sha256 {(fetched.sha256 or '')[:12]} already loaded"
        if run.recent:
            detail += f"; fetched {fetched.fetched_at:%Y-%m-%d %H:%M} UTC, within the recheck window: not requested"
        return DocumentReport(**base, outcome=Outcome.UNCHANGED, detail=detail)
    return DocumentReport(
        **base,
        outcome=Outcome(parsed.status) if outcome.action is not LoadAction.UNCHANGED else Outcome.UNCHANGED,
        agency_name=parsed.agency_name,
        fiscal_year=parsed.fiscal_year,
        doc_kind=parsed.doc_kind,
        content_kind=parsed.content_kind,
        region=f"{outcome.region_name} ({outcome.region_code})" if outcome.region_code else "",
        document_id=outcome.document_id,
        facts=outcome.facts,
        detail=parsed.error or parsed.kind_reason,
        verdict=parsed.verdict if parsed.status == "loaded" else "",
        failed_checks=tuple(_describe(c) for c in parsed.failed_checks),
    )


def _describe(check: Check) -> str:
    numbers = f"expected {check.expected:,} yuan, found {check.actual:,}" if check.expected is not None else ""
    return f"{check.name} ({check.subject}): {numbers}; {check.detail}" if numbers else f"{check.name}: {check.detail}"


def summarise_discovery(summary: IngestSummary, discovery: DiscoveryResult) -> None:
    summary.pages_visited = len(discovery.pages)
    summary.pages_failed = sum(1 for p in discovery.pages if p.error)
    summary.links_skipped = sum(1 for d in discovery.decisions if not d.taken)
    summary.documents_found = len(discovery.disclosures)


NEEDS_ATTENTION = tuple(outcome for outcome in Outcome if outcome.needs_attention)


def review_link(page: Path, base_url: str | None) -> str:
    """Where an operator opens a review page: under ``base_url`` where one serves them, else the file."""
    return f"{base_url.rstrip('/')}/{page.name}" if base_url else page.resolve().as_uri()


def summary_markdown(
    summary: IngestSummary, reviews: dict[int, Path] | None = None, review_base_url: str | None = None
) -> str:
    """The run's markdown artifact: totals, data-quality verdicts, and every problem with its URL;
    a document whose checks failed links to its review page (``reviews``: document id → page)."""
    lines = [f"# Ingest of {summary.portal}", "", "| measure | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in summary.totals().items()]
    verdicts = Counter(d.verdict for d in summary.documents if d.verdict)
    lines += ["", "## Data quality", ""]
    if verdicts:
        lines += ["| verdict | documents |", "|---|---|"]
        lines += [f"| {verdict} | {count} |" for verdict, count in sorted(verdicts.items())]
    else:
        lines.append("No document was loaded in this run.")
    kinds = Counter(d.content_kind for d in summary.documents if d.content_kind)
    if kinds:
        lines += ["", "## What the files were (from their content)", "", "| kind | files |", "|---|---|"]
        lines += [f"| {kind} | {count} |" for kind, count in sorted(kinds.items())]
    not_budgets = [d for d in summary.documents if d.content_kind == "not_budget"]
    if not_budgets:
        lines += ["", "Published as budgets but not budgets (recorded, not loaded):", ""]
        lines += [f"- [{d.link_text or d.url}]({d.url}): {d.detail}" for d in not_budgets]
    for d in (d for d in summary.documents if d.verdict == "failed"):
        page = (reviews or {}).get(d.document_id) if d.document_id is not None else None
        link = review_link(page, review_base_url) if page is not None else None
        review = f", [review page]({link})" if link else ""
        lines += [
            "",
            f"- **checks failed** {d.agency_name} {d.fiscal_year} {d.doc_kind} ([source]({d.url}){review}):",
        ]
        for check in d.failed_checks:
            # Straight to the row the check names, outlined on its page.
            anchors = row_anchors(check, check) if link else []
            to_row = f" [→ the row]({link}#{anchors[0]})" if anchors else ""
            lines.append(f"  - {check}{to_row}")
    changed = [c for c in summary.changes if c["change"] != "appeared"]
    if changed:
        lines += ["", "## Changed at the portal since the last run", ""]
        lines += [
            f"- **{c['change']}** {c['agency_name'] or ''} {c['fiscal_year'] or ''} ({c['url']})"
            + (" — now current" if c["is_current"] else "")
            for c in changed
        ]
    problems = [d for d in summary.documents if d.outcome in NEEDS_ATTENTION]
    if problems:
        lines += ["", "## Needs attention", ""]
        lines += [f"- **{d.outcome}** [{d.link_text or d.url}]({d.url}): {d.detail}" for d in problems]
    return "\n".join(lines)
