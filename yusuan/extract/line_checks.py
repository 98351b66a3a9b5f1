"""Do a line table's printed rows add up? One check per table, naming the rows that do not.

A function or economic table prints its lines as a tree (类 → 款 → 项, 301 → 30101 → 3010201)
under a 合计 row. Its leaves must add up to every printed subtotal and to the 合计, and in every
row 合计 = 基本支出 + 项目支出 (人员经费 + 公用经费) where both parts are printed. When they do, the
lines were read right, whoever labelled the file; when they do not, the check names the row and
the difference, and says whether yusuan misread (a printed row with amounts that became no line
makes up the difference) or the source prints it so (its rows do not add up as printed).

Publishers round each cell: a sum of n printed cells may miss its printed total by up to half a
unit of the last printed decimal per addend. Such a gap is ``rounding``, not a failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from yusuan.models import Check

Amounts = tuple[Decimal | None, Decimal | None, Decimal | None]
_ZERO = Decimal(0)
_LIST_AT_MOST = 5


@dataclass(frozen=True, slots=True)
class PrintedRow:
    """A row of a line table as printed: its code (empty for the 合计 or an unread row)."""

    code: str
    name: str
    page_no: int
    row_index: int
    amounts: Amounts  # total, then the two parts (basic/project or personnel/public)

    def where(self) -> str:
        return f"p.{self.page_no} row {self.row_index}"

    def label(self) -> str:
        return f"{self.code} {self.name}".strip()


@dataclass(slots=True)
class PrintedTable:
    """Every coded row of one line table in printed order, its 合计 row, and the rows with amounts
    that became neither a line nor the total."""

    table_index: int
    kind: str
    part_names: tuple[str, str]
    has_parts: bool  # both part columns are printed
    quantum: Decimal  # one unit of the last printed decimal, in yuan
    rows: list[PrintedRow] = field(default_factory=list)
    total: PrintedRow | None = None
    unread: list[PrintedRow] = field(default_factory=list)
    # The page after the table's last one starts an untitled table: maybe its continuation.
    next_untitled_page: int | None = None

    @property
    def subject(self) -> str:
        return f"table {self.table_index} ({self.kind})"


def _value(amount: Decimal | None) -> Decimal:
    return amount if amount is not None else _ZERO


def _tolerance(table: PrintedTable, addends: int) -> Decimal:
    return table.quantum * (addends + 1) / 2


@dataclass(slots=True)
class _Gap:
    """A printed figure and what its rows add up to."""

    row: PrintedRow
    column: int
    printed: Decimal
    summed: Decimal
    addends: int
    what: str  # "its rows" / "基本支出 + 项目支出"

    @property
    def difference(self) -> Decimal:
        return self.printed - self.summed


def _subtotal_gaps(table: PrintedTable) -> tuple[list[_Gap], int]:
    """Gaps between each printed parent (and the 合计) and the rows under it, with how many
    sums were compared. The tree is read in printed order, so a department table that repeats
    its units' blocks (the same codes again) is added up block by block."""
    gaps: list[_Gap] = []
    compared = 0
    # (row, sums of its children, number of children)
    stack: list[tuple[PrintedRow, list[Decimal], int]] = []
    top: list[Decimal] = [_ZERO, _ZERO, _ZERO]
    top_count = 0

    def close(node: tuple[PrintedRow, list[Decimal], int]) -> None:
        nonlocal compared
        row, sums, count = node
        if count == 0:
            return
        compared += 1
        for column in range(3):
            printed = row.amounts[column]
            if printed is None and sums[column] == _ZERO:
                continue
            gap = _Gap(row, column, _value(printed), sums[column], count, "its rows")
            if gap.difference != _ZERO:
                gaps.append(gap)

    for row in table.rows:
        while stack and not (row.code.startswith(stack[-1][0].code) and len(row.code) > len(stack[-1][0].code)):
            close(stack.pop())
        if stack:
            parent = stack[-1]
            stack[-1] = (parent[0], [s + _value(a) for s, a in zip(parent[1], row.amounts, strict=True)], parent[2] + 1)
        else:
            top = [s + _value(a) for s, a in zip(top, row.amounts, strict=True)]
            top_count += 1
        stack.append((row, [_ZERO, _ZERO, _ZERO], 0))
    while stack:
        close(stack.pop())
    if table.total is not None and top_count:
        close((table.total, top, top_count))
    return gaps, compared


def _part_gaps(table: PrintedTable) -> list[_Gap]:
    if not table.has_parts:
        return []
    gaps = []
    for row in [*([table.total] if table.total else []), *table.rows]:
        total, a, b = row.amounts
        if total is None and a is None and b is None:
            continue
        gap = _Gap(row, 0, _value(total), _value(a) + _value(b), 2, " + ".join(table.part_names))
        if gap.difference != _ZERO:
            gaps.append(gap)
    return gaps


def _column_name(table: PrintedTable, column: int) -> str:
    return "合计" if column == 0 else table.part_names[column - 1]


def _cause(table: PrintedTable, gap: _Gap) -> str:
    """Whose the gap is: yusuan's where something it did not read explains it, else the source's."""
    for row in table.unread:
        amount = row.amounts[gap.column]
        if amount is not None and amount == abs(gap.difference):
            return f"misread: {row.where()} ({row.name or 'no code'}) prints {amount} but became no line"
    unread = sum((_value(r.amounts[gap.column]) for r in table.unread), _ZERO)
    if unread and unread == abs(gap.difference):
        return f"misread: {len(table.unread)} printed rows without a code make up the difference"
    if gap.printed == _ZERO and gap.summed != _ZERO and gap.what == "its rows":
        return "misread: the subtotal's amount was not found in its column (read as blank)"
    if table.next_untitled_page is not None and gap.row.code == "" and gap.difference > 0:
        return f"misread: the table may run on at p.{table.next_untitled_page}, read there as an untitled table"
    return "source: the printed rows do not add up as printed"


def _describe(table: PrintedTable, gap: _Gap) -> str:
    sign = "+" if gap.difference > 0 else ""
    return (
        f"{gap.row.label() or '合计'} ({gap.row.where()}) {_column_name(table, gap.column)} printed {gap.printed}, "
        f"{gap.what} {gap.summed} ({sign}{gap.difference})"
    )


def _check(table: PrintedTable, name: str, gaps: list[_Gap], compared: int, passed_detail: str) -> Check:
    failures = [g for g in gaps if abs(g.difference) > _tolerance(table, g.addends)]
    worst = failures[0] if failures else (gaps[0] if gaps else None)
    if failures:
        by_row: dict[tuple[int, str], list[_Gap]] = {}
        for gap in failures:
            by_row.setdefault((gap.row.row_index, gap.row.code), []).append(gap)
        listed = "; ".join(
            ", ".join(_describe(table, g) for g in row_gaps) + f" [{_cause(table, row_gaps[0])}]"
            for row_gaps in list(by_row.values())[:_LIST_AT_MOST]
        )
        more = f"; and {len(by_row) - _LIST_AT_MOST} more" if len(by_row) > _LIST_AT_MOST else ""
        detail = f"{len(by_row)} of {compared} do not add up: {listed}{more}"
        status = "failed"
    elif gaps:
        rows = len({(g.row.row_index, g.row.code) for g in gaps})
        detail = f"{compared} add up within printed rounding ({rows} off by at most half a unit per printed cell)"
        status = "rounding"
    else:
        detail = f"{compared} {passed_detail}"
        status = "passed"
    expected = worst.printed if worst else None
    actual = worst.summed if worst else None
    return Check(name, table.subject, status, expected, actual, detail)


def line_checks(table: PrintedTable) -> list[Check]:
    """``lines_add_up`` (leaves → subtotals → 合计) and ``line_parts_add_up`` (合计 = the two parts
    in every row), one of each per table that has something to compare."""
    checks = []
    gaps, compared = _subtotal_gaps(table)
    if compared:
        checks.append(_check(table, "lines_add_up", gaps, compared, "subtotals (合计 included) add up exactly"))
    if table.has_parts and table.rows:
        parts = _part_gaps(table)
        rows = len(table.rows) + (1 if table.total else 0)
        checks.append(_check(table, "line_parts_add_up", parts, rows, f"rows: 合计 = {' + '.join(table.part_names)}"))
    return checks
