"""Data-quality checks of one extracted document: do its numbers add up and agree?

Each check records both numbers and where they came from; a failed check flags the document,
it never rejects it (publishers do print inconsistent tables, and that is worth knowing).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from yusuan.models import Check, ExtractedDocument, Figure

# Lines printed in 万元 with one decimal are each rounded by up to 0.05 万元 (500 yuan): their
# sum may miss the printed 合计 by that much per line. Such a difference is "rounding", not a failure.
ROUNDING_PER_LINE = {"万元": Decimal(500), "元": Decimal("0.5")}


def _where(f: Figure) -> str:
    if f.lineage is None:
        return "text"
    return f"table {f.lineage.table_index} ({f.table_kind}) p.{f.lineage.page_no} row {f.lineage.row_index}"


def _best(doc: ExtractedDocument, name: str, source: str | None = None) -> Figure | None:
    candidates = [f for f in doc.figures if f.name == name and (source is None or f.source == source)]
    return min(candidates, key=lambda f: f.priority) if candidates else None


def _compare(
    name: str,
    subject: str,
    expected: Decimal | None,
    actual: Decimal | None,
    detail: str,
    tolerance: Decimal = Decimal(0),
) -> Check:
    if expected is None or actual is None:
        status = "failed"
    elif expected == actual:
        status = "passed"
    elif abs(expected - actual) <= tolerance:
        status = "rounding"
    else:
        status = "failed"
    return Check(name, subject, status, expected, actual, detail)


def stated_rounding(amount: Decimal) -> Decimal:
    """Half the unit a figure of the running text is rounded to, up to the 万元: "12,814万元" is
    stated to the 万元 (5,000 yuan either way), "40,869.6万元" to 1,000 yuan; an exact figure
    (128,138,600.35) allows nothing."""
    unit = Decimal("0.01")
    while unit < Decimal(10000) and amount % (unit * 10) == 0 and amount:
        unit *= 10
    return unit / 2 if unit > Decimal("0.01") else Decimal(0)


def _table_total(doc: ExtractedDocument, figure: Figure) -> Figure | None:
    if figure.lineage is None:
        return None
    return next(
        (
            f
            for f in doc.figures
            if f.name == "table_total" and f.lineage and f.lineage.table_index == figure.lineage.table_index
        ),
        None,
    )


def _basic_plus_project(doc: ExtractedDocument, basic: Figure, project: Figure, spending: Figure) -> Check:
    """基本支出 + 项目支出 (+ the other spending the same row prints, e.g. 单位预留机动经费) = the
    合计 of the table they were read from; the 支出总计 only when they come from no table total.
    Each printed amount is rounded to its last decimal: two or three of them may miss by that."""
    whole = _table_total(doc, basic) or spending
    other = next(
        (
            f
            for f in doc.figures
            if f.name == "other_expenditure" and basic.lineage and f.lineage and f.lineage == basic.lineage
        ),
        None,
    )
    parts = basic.amount + project.amount + (other.amount if other else Decimal(0))
    index = basic.lineage.table_index if basic.lineage else -1
    unit = doc.tables[index].unit if 0 <= index < len(doc.tables) else ""
    cent = Decimal(100) if unit == "万元" else Decimal("0.01")
    named = " + 其他支出 (" + _where(other) + ")" if other else ""
    return _compare(
        "basic_plus_project_equals_total",
        "document",
        whole.amount,
        parts,
        f"基本支出 ({_where(basic)}) + 项目支出 ({_where(project)}){named} vs 合计 ({_where(whole)})",
        cent * 2 if other else cent,
    )


def reconcile(doc: ExtractedDocument) -> list[Check]:
    checks: list[Check] = []
    income, spending = _best(doc, "income_total"), _best(doc, "expenditure_total")
    if income and spending:
        checks.append(
            _compare(
                "income_equals_expenditure",
                "document",
                income.amount,
                spending.amount,
                f"收入总计 from {_where(income)}, 支出总计 from {_where(spending)}",
            )
        )
    basic, project = _best(doc, "basic_expenditure"), _best(doc, "project_expenditure")
    if basic and project and spending:
        checks.append(_basic_plus_project(doc, basic, project, spending))
    checks += _lines_sum_to_totals(doc)
    for name in (
        "income_total",
        "expenditure_total",
        "basic_expenditure",
        "project_expenditure",
        "three_public_total",
        "admin_operating_cost",
    ):
        table, text = _best(doc, name, "table"), _best(doc, name, "text")
        if table and text:
            checks.append(
                _compare(
                    "text_agrees_with_tables",
                    name,
                    table.amount,
                    text.amount,
                    f"{name}: {_where(table)} vs the running text",
                    stated_rounding(text.amount),
                )
            )
    parts = [
        _best(doc, n)
        for n in (
            "three_public_abroad",
            "three_public_vehicle_purchase",
            "three_public_vehicle_operation",
            "three_public_reception",
        )
    ]
    total = _best(doc, "three_public_total")
    if total and all(parts):
        checks.append(
            _compare(
                "three_public_parts_sum",
                "三公",
                total.amount,
                sum((p.amount for p in parts if p), Decimal(0)),
                f"“三公” total from {_where(total)} vs its four parts",
            )
        )
    fiscal = _best(doc, "fiscal_expenditure_total")
    if fiscal and spending and not any(f.name == "fiscal_expenditure_total" for f in doc.figures if f.source == "text"):
        # Without other income (事业收入 …) the 财政拨款 total equals the overall total.
        if not any(f.name == "income_total" and f.amount != fiscal.amount for f in doc.figures if f.source == "table"):
            checks.append(
                _compare(
                    "fiscal_tables_agree",
                    "财政拨款收支 vs 收支总体",
                    spending.amount,
                    fiscal.amount,
                    f"支出总计 ({_where(spending)}) vs 财政拨款支出合计 ({_where(fiscal)})",
                )
            )
    summary_total = next(
        (f for f in doc.figures if f.name == "table_total" and f.table_kind == "expenditure_summary"), None
    )
    if summary_total and spending and spending.table_kind != "expenditure_summary":
        # A 支出总表 sums this year's spending: templates print it as the 收支总表's 支出总计 or,
        # where that adds 年终结转结余, as its 本年支出合计. Either printed figure may be the match.
        printed = [
            f
            for f in doc.figures
            if f.name == "expenditure_total" and f.source == "table" and f.table_kind == spending.table_kind
        ]
        closest = min(printed or [spending], key=lambda f: abs(f.amount - summary_total.amount))
        checks.append(
            _compare(
                "expenditure_tables_agree",
                "支出总体 vs 收支总体",
                closest.amount,
                summary_total.amount,
                f"支出 ({_where(closest)}) vs 支出总体情况表 合计 ({_where(summary_total)})",
            )
        )
    return checks


def _lines_sum_to_totals(doc: ExtractedDocument) -> list[Check]:
    sums: dict[int, Decimal] = defaultdict(Decimal)
    counts: dict[int, int] = defaultdict(int)
    for line in doc.function_lines:
        sums[line.lineage.table_index] += line.total or Decimal(0)
        counts[line.lineage.table_index] += 1
    for eline in doc.economic_lines:
        sums[eline.lineage.table_index] += eline.total or Decimal(0)
        counts[eline.lineage.table_index] += 1
    for project in doc.projects:
        sums[project.lineage.table_index] += project.total or Decimal(0)
        counts[project.lineage.table_index] += 1
    checks = []
    for figure in doc.figures:
        if figure.name != "table_total" or figure.lineage is None:
            continue
        index = figure.lineage.table_index
        if not counts.get(index):
            continue
        checks.append(
            _compare(
                "lines_sum_to_table_total",
                f"table {index} ({figure.table_kind})",
                figure.amount,
                sums[index],
                f"合计 row ({_where(figure)}) vs the sum of {counts[index]} lines",
                ROUNDING_PER_LINE.get(doc.tables[index].unit if index < len(doc.tables) else "", Decimal(0))
                * counts[index],
            )
        )
    return checks
