"""The explicit data types that pass between pipeline stages.

discover → ``DisclosureLink``; download → ``FetchedFile``; extract → ``ExtractedDocument``;
load writes them with their lineage. Every stage takes and returns these, never dicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

from yusuan.pickling import pickled_by_position


class DocumentStatus(StrEnum):
    LOADED = "loaded"
    QUARANTINED = "quarantined"
    # Recognised and recorded, but not a budget (e.g. a 决算 final-accounts report).
    NOT_BUDGET = "not_budget"


class Outcome(StrEnum):
    """What a run did with one disclosure link: a document status, or why it has none."""

    LOADED = "loaded"
    UNCHANGED = "unchanged"  # this file was already loaded by this extractor version
    QUARANTINED = "quarantined"
    NOT_BUDGET = "not_budget"
    DOWNLOAD_FAILED = "download_failed"
    FAILED = "failed"  # a task failed (extract or load)

    @property
    def needs_attention(self) -> bool:
        return self in (Outcome.QUARANTINED, Outcome.DOWNLOAD_FAILED, Outcome.FAILED)

    @property
    def is_failure(self) -> bool:
        return self in (Outcome.DOWNLOAD_FAILED, Outcome.FAILED)


class TableKind(StrEnum):
    """The standard tables of a 部门预算 (the Ministry of Finance set), by what they hold."""

    INCOME_EXPENDITURE_SUMMARY = "income_expenditure_summary"  # 收支总体情况表
    INCOME_SUMMARY = "income_summary"  # 收入总体情况表
    EXPENDITURE_SUMMARY = "expenditure_summary"  # 支出总体情况表
    FISCAL_APPROPRIATION_SUMMARY = "fiscal_appropriation_summary"  # 财政拨款收支总体情况表
    GENERAL_BUDGET_EXPENDITURE = "general_budget_expenditure"  # 一般公共预算支出情况表
    GENERAL_BUDGET_BASIC_EXPENDITURE = "general_budget_basic_expenditure"  # 一般公共预算基本支出表
    ECONOMIC_CLASSIFICATION_SUMMARY = "economic_classification_summary"  # 支出经济分类汇总表
    THREE_PUBLIC = "three_public"  # “三公”经费支出情况表
    GOV_FUND_EXPENDITURE = "gov_fund_expenditure"  # 政府性基金预算支出情况表
    STATE_CAPITAL_EXPENDITURE = "state_capital_expenditure"  # 国有资本经营预算支出情况表
    PROJECT_EXPENDITURE = "project_expenditure"  # 项目支出表
    PERFORMANCE_TARGETS = "performance_targets"  # 绩效目标表
    OTHER = "other"  # any other table (机关运行经费, 政府采购 …): kept as printed, no facts


class LoadAction(StrEnum):
    INSERTED = "inserted"
    REPLACED = "replaced"  # re-extracted (a new extractor version): its facts rewritten
    UNCHANGED = "unchanged"


class ContentKind(StrEnum):
    """What a file is, decided from its content (never from its link text or file name)."""

    BUDGET_TABLES = "budget_tables"  # 部门/单位预算 with the standard tables
    BUDGET_TEXT = "budget_text"  # a budget's 情况说明 alone: totals stated in the text, tables elsewhere
    BUDGET_OTHER = "budget_other"  # budget-related, neither (绩效目标 or 三公 tables only)
    FINAL_ACCOUNTS = "final_accounts"  # 部门/单位决算
    NOT_BUDGET = "not_budget"  # anything else; ``kind_reason`` says what it is
    NEEDS_OCR = "needs_ocr"  # no text layer
    UNREADABLE = "unreadable"  # not a PDF, or a PDF that cannot be opened


class QuarantineReason(StrEnum):
    NOT_PDF = "not_pdf"
    BROKEN_PDF = "broken_pdf"
    NEEDS_OCR = "needs_ocr"
    NO_TABLES = "no_tables"
    EXTRACT_FAILED = "extract_failed"
    # The parse ran past its deadline or its memory bound (a bomb, a pathological file).
    PARSE_BUDGET = "parse_budget"


# ---------------------------------------------------------------- discover


@dataclass(frozen=True, slots=True)
class PageVisit:
    url: str
    kind: str  # "list" | "detail"
    http_status: int | None
    title: str
    error: str | None = None
    # Not requested: a detail page read successfully within the recheck window, its links taken
    # from that reading (``RememberedPage``).
    remembered: bool = False


@dataclass(frozen=True, slots=True)
class LinkDecision:
    page_url: str
    url: str
    text: str
    kind: str  # "attachment" | "page"
    taken: bool
    reason: str


@pickled_by_position
@dataclass(frozen=True, slots=True)
class DisclosureLink:
    """An attachment that discovery believes is a budget disclosure."""

    url: str
    page_url: str
    link_text: str
    page_title: str
    portal: str


@dataclass(frozen=True, slots=True)
class RememberedPage:
    """A detail page as a recent crawl read it: its title and the attachment decisions it gave,
    replayed instead of requesting the page again."""

    url: str
    http_status: int | None
    title: str
    decisions: tuple[LinkDecision, ...]


@dataclass(slots=True)
class DiscoveryResult:
    portal: str
    entry_url: str
    pages: list[PageVisit] = field(default_factory=list)
    decisions: list[LinkDecision] = field(default_factory=list)
    # The page budget stopped the crawl with pages still queued.
    budget_reached: bool = False
    # The run was stopping (SIGINT/SIGTERM): the crawl ended early.
    stopped: bool = False

    @property
    def complete(self) -> bool:
        """Every page the crawl found was read, or is gone (404/410) or closed by robots.txt: only
        then does a link the crawl no longer lists mean the portal withdrew it."""
        return not (self.budget_reached or self.stopped) and all(
            p.error is None or p.http_status in (404, 410) or p.error.startswith("disallowed by robots")
            for p in self.pages
        )

    @property
    def disclosures(self) -> list[DisclosureLink]:
        titles = {p.url: p.title for p in self.pages}
        seen: set[str] = set()
        out: list[DisclosureLink] = []
        for d in self.decisions:
            if d.kind == "attachment" and d.taken and d.url not in seen:
                seen.add(d.url)
                out.append(DisclosureLink(d.url, d.page_url, d.text, titles.get(d.page_url, ""), self.portal))
        return out


# ---------------------------------------------------------------- download


@pickled_by_position
@dataclass(frozen=True, slots=True)
class FetchedFile:
    link: DisclosureLink
    final_url: str
    http_status: int | None
    content_type: str | None
    size_bytes: int | None
    sha256: str | None
    raw_path: str | None
    fetched_at: datetime
    attempts: int
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    # The failure is worth another attempt: a timeout, a dropped connection, HTTP 5xx/408/429.
    transient: bool = False
    # A 429/503's Retry-After (seconds): the next attempt waits at least this long.
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.sha256 is not None


@dataclass(frozen=True, slots=True)
class StoredBlob:
    """A downloaded body, stored under its sha256."""

    sha256: str
    size_bytes: int
    path: Path


# ---------------------------------------------------------------- extract


# x0, top, x1, bottom in PDF points (1/72 inch, top measured from the page's top), on the page.
Box = tuple[float, float, float, float]


@pickled_by_position
@dataclass(frozen=True, slots=True)
class TableRow:
    row_index: int
    page_no: int
    cells: tuple[str, ...]
    box: Box | None = None  # where the row is printed (the union of its lines)


@dataclass(slots=True)
class ExtractedTable:
    index: int
    kind: TableKind
    title: str
    unit: str
    page_first: int
    page_last: int
    captions: list[str]
    column_labels: list[str]
    header_rows: int
    rows: list[TableRow]
    header_box: Box | None = None  # around the header rows on ``page_first``


@pickled_by_position
@dataclass(frozen=True, slots=True)
class Lineage:
    table_index: int
    page_no: int
    row_index: int


@pickled_by_position
@dataclass(frozen=True, slots=True)
class FunctionLine:
    lineage: Lineage
    table_kind: str
    func_code: str
    func_name: str
    unit_code: str
    total: Decimal | None
    basic_total: Decimal | None
    project_total: Decimal | None
    # class (类) | section (款) | item (项); also where the table prints no code (func_code "").
    level: str = ""
    # 人员经费 and 公用经费 where the table prints them (the parts of 基本支出); None otherwise.
    personnel: Decimal | None = None
    public_funds: Decimal | None = None


@pickled_by_position
@dataclass(frozen=True, slots=True)
class EconomicLine:
    lineage: Lineage
    table_kind: str
    econ_code: str
    econ_name: str
    gov_econ_code: str
    gov_econ_name: str
    total: Decimal | None
    personnel: Decimal | None
    public_funds: Decimal | None
    # class (301) | item (30101) | subitem (3010201); also where the table prints no code.
    level: str = ""


@pickled_by_position
@dataclass(frozen=True, slots=True)
class ProjectLine:
    lineage: Lineage
    project_name: str
    project_type: str
    unit_name: str
    total: Decimal | None


@pickled_by_position
@dataclass(frozen=True, slots=True)
class PerformanceTarget:
    """One indicator of a 绩效目标表: what a project (or the whole department) is to achieve."""

    lineage: Lineage
    project_code: str  # "" for the department as a whole or an unnumbered project
    project_name: str
    level1: str  # 一级指标, or the category of a summary table (成本/产出/效益/满意度指标)
    level2: str  # 二级指标 ("" in summary tables)
    indicator: str  # 三级指标
    target_value: str  # 指标值 as printed: ≥85%, 100%, 合理 …
    note: str


@pickled_by_position
@dataclass(frozen=True, slots=True)
class Figure:
    """A key figure (收入总计, 基本支出, …) with where it was read; lower priority wins."""

    name: str
    amount: Decimal
    table_kind: str
    priority: int
    lineage: Lineage | None
    source: str = "table"  # "table" | "text"


@pickled_by_position
@dataclass(frozen=True, slots=True)
class Check:
    """One data-quality check: both numbers and where they came from."""

    name: str
    subject: str
    status: str  # passed | rounding | failed
    expected: Decimal | None
    actual: Decimal | None
    detail: str


@dataclass(slots=True)
class ExtractedDocument:
    sha256: str
    status: DocumentStatus
    extractor_version: str
    page_count: int = 0
    title: str = ""
    agency_name: str = ""
    agency_name_raw: str = ""
    fiscal_year: int | None = None
    doc_kind: str = ""
    content_kind: ContentKind = ContentKind.UNREADABLE
    kind_reason: str = ""
    reason: QuarantineReason | None = None
    error: str | None = None
    tables: list[ExtractedTable] = field(default_factory=list)
    function_lines: list[FunctionLine] = field(default_factory=list)
    economic_lines: list[EconomicLine] = field(default_factory=list)
    projects: list[ProjectLine] = field(default_factory=list)
    targets: list[PerformanceTarget] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def quarantined(cls, sha256: str, version: str, reason: QuarantineReason, error: str) -> ExtractedDocument:
        """A file that could not be extracted, with the reason: recorded, never loaded as facts."""
        return cls(
            sha256=sha256, status=DocumentStatus.QUARANTINED, extractor_version=version, reason=reason, error=error
        )

    @property
    def verdict(self) -> str:
        """failed if any data-quality check failed; passed (rounding included) if all held."""
        if not self.checks:
            return "unchecked"
        return "failed" if any(c.status == "failed" for c in self.checks) else "passed"

    def figure(self, name: str) -> Decimal | None:
        candidates = [f for f in self.figures if f.name == name]
        return min(candidates, key=lambda f: f.priority).amount if candidates else None
