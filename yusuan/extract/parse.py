"""Rows of a classified table → typed facts (function / economic / project lines, key figures).

Columns are found by the words of their header path (合计, 基本支出/小计, 类/款/项, 项目名称…),
never by position, so reordered or deeper headers of the same template still parse.

Long on purpose: one function per table kind of the standard set, and the column finders they
share; split apart, every template change would touch several files.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal

from yusuan.extract.hierarchy import leaves as leaf_rows
from yusuan.extract.hierarchy import nesting
from yusuan.extract.line_checks import PrintedRow, PrintedTable
from yusuan.extract.performance import parse_performance_table
from yusuan.extract.tables import Grid, GridRow
from yusuan.models import EconomicLine, Figure, FunctionLine, Lineage, PerformanceTarget, ProjectLine
from yusuan.normalise.amounts import Unit, is_amount, is_blank_amount, parse_amount, parse_yuan
from yusuan.normalise.codes import (
    code_parts_and_spilled_name,
    digits_only,
    economic_level,
    function_level,
    is_economic_code,
    is_function_code,
    join_code_parts,
    leaf_codes,
    split_code_and_name,
    with_inherited_parts,
)

FUNCTION_KINDS = {
    "expenditure_summary",
    "income_summary",
    "general_budget_expenditure",
    "gov_fund_expenditure",
    "state_capital_expenditure",
}
ECONOMIC_KINDS = {"general_budget_basic_expenditure", "economic_classification_summary"}

_TOTAL_LABEL = re.compile(r"^(合\s*计|总\s*计)")
_LABEL_PREFIX = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十]+[）)]|\d+[、.．])")
_UNIT_CODE = re.compile(r"^\d{3}(?:\d{3})*$")


@dataclass(slots=True)
class ParsedFacts:
    function_lines: list[FunctionLine] = field(default_factory=list)
    economic_lines: list[EconomicLine] = field(default_factory=list)
    projects: list[ProjectLine] = field(default_factory=list)
    targets: list[PerformanceTarget] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    # Line tables as printed (every coded row, the 合计, unread rows): what line checks add up.
    printed: list[PrintedTable] = field(default_factory=list)
    # Lines of tables that print no codes: the names of the rows each sits under.
    parents: dict[Lineage, tuple[str, ...]] = field(default_factory=dict)


def _n(text: str) -> str:
    """A cell as compared: no spaces, full-width digits (typed codes) as ASCII."""
    return digits_only(text)


_QIZHONG = re.compile(r"^其中[:：]?")


def _label(text: str) -> str:
    """A header label as compared: no spaces, no "其中：" (a part shown under its whole)."""
    return _QIZHONG.sub("", _n(text))


def _label_paths(grid: Grid) -> list[list[str]]:
    return [[_label(p) for p in path] for path in grid.paths]


# Columns of another period or a comparison (2025年执行数, 上年预算, 增减额, 增减%): never the
# budget year's amounts, whatever their leaf label says.
_OTHER_PERIOD = re.compile(r"上年|执行|决算|增减|增长|变动|比较|[%％]")
_YEAR_LABEL = re.compile(r"(20\d{2})")


def budget_year_columns(paths: list[list[str]], columns: list[int]) -> list[int]:
    """``columns`` less those of another period: a table that prints last year beside the budget
    year (2025年执行数 | 2026年预算数 …) keeps the latest year's columns."""
    years = {int(m) for c in columns for x in paths[c] for m in _YEAR_LABEL.findall(x)}
    latest = max(years) if years else None
    out = []
    for c in columns:
        joined = _joined(paths[c])
        column_years = {int(m) for m in _YEAR_LABEL.findall(joined)}
        if _OTHER_PERIOD.search(joined) and not (latest in column_years and "预算" in joined):
            continue
        if column_years and latest not in column_years:
            continue
        out.append(c)
    return out or columns


def _joined(path: list[str]) -> str:
    return "/".join(path)


def _leaf(path: list[str]) -> str:
    return path[-1] if path else ""


def _first(paths: list[list[str]], test: Callable[[list[str]], bool], exclude: set[int] | None = None) -> int | None:
    for c, path in enumerate(paths):
        if (exclude is None or c not in exclude) and test(path):
            return c
    return None


def _indices(leaves: list[str], parts: tuple[str, ...]) -> list[int]:
    """Columns of split codes (类/款/项), in that order; empty unless the first part exists."""
    if parts[0] not in leaves:
        return []
    return [leaves.index(p) for p in parts if p in leaves]


def _amount(cells: list[str], col: int | None, unit: Unit) -> Decimal | None:
    if col is None or col >= len(cells):
        return None
    text = cells[col]
    if not is_amount(text):
        return None
    return parse_yuan(text, unit)


def _quantum(grid: Grid, columns: list[int | None], unit: Unit) -> Decimal:
    """One unit of the last decimal the table prints in these columns, in yuan."""
    decimals = 0
    for row in grid.rows:
        for c in columns:
            text = _n(row.cells[c]).replace(",", "") if c is not None and c < len(row.cells) else ""
            if "." in text and is_amount(text):
                decimals = max(decimals, len(text.rsplit(".", 1)[1]))
    return unit.factor / Decimal(10) ** decimals


def _printed_row(code: str, name: str, row: GridRow, index: int, amounts: tuple[Decimal | None, ...]) -> PrintedRow:
    return PrintedRow(code, _n(name), row.page_no, index, (amounts[0], amounts[1], amounts[2]))


def _names_a_classification(path: list[str]) -> bool:
    """A name column of classification 科目 (科目名称, 功能分类科目), not of units or projects: only
    there are code-less rows lines (a 部门预算基本支出预算表 groups its classes under unit rows)."""
    joined = "".join(_label(x) for x in path)
    return "科目" in joined and "单位" not in joined and "项目" not in joined


def codeless_leaves(
    printed: PrintedTable, level_names: tuple[str, ...]
) -> list[tuple[PrintedRow, str, tuple[str, ...]]]:
    """The leaves of a table that prints names and no codes, each with its level and the names of
    the rows it sits under, its nesting read from the sums (yusuan/extract/hierarchy.py). Levels
    are named only where all of them are printed (类, 款 and 项): a shallower tree could start at
    any of them, so its level stays ""."""
    rows = printed.unread
    if len(rows) < 2 or any(not row.name for row in rows):
        return []
    columns = [c for c in range(3) if any(row.amounts[c] is not None for row in rows)]
    values = [tuple(row.amounts[c] or Decimal(0) for c in columns) for row in rows]
    total = tuple(printed.total.amounts[c] or Decimal(0) for c in columns) if printed.total else None
    for tolerance in (Decimal(0), printed.quantum * 2):
        depths = nesting(values, total, len(level_names), tolerance)
        if depths is not None:
            break
    else:
        return []
    full = max(depths) == len(level_names) - 1
    out: list[tuple[PrintedRow, str, tuple[str, ...]]] = []
    above: list[str] = []  # the names of the open rows, one per depth
    for row, depth, leaf in zip(rows, depths, leaf_rows(depths), strict=True):
        del above[depth:]
        if leaf:
            out.append((row, level_names[depth] if full else "", tuple(above)))
        above.append(row.name)
    return out


def _has_amounts(cells: list[str], cols: list[int]) -> bool:
    return any(is_amount(cells[c]) for c in cols if c < len(cells))


def _amount_columns(grid: Grid, exclude: set[int]) -> list[int]:
    cols = []
    for c in range(len(grid.paths)):
        if c in exclude:
            continue
        values = [r.cells[c] for r in grid.rows if r.cells[c]]
        amounts = sum(1 for v in values if is_amount(v) or is_blank_amount(v))
        # Mostly numbers: a stray word (text run over from the next cell) does not disqualify it.
        if values and amounts >= 0.8 * len(values) and any(is_amount(v) for v in values):
            cols.append(c)
    return cols


def realigned_to_body(grid: Grid, header_code: int | None, is_code: Callable[[str], bool]) -> Grid:
    """The grid with its header paths moved onto the body when the body sits off its header.

    Some Word-made tables print every body row one or two grid columns away from the header
    cells above it (the header's 功能科目代码 over a column that holds names, the codes in the
    blank column left of it). The column the header calls the code column then holds no code
    at all while a neighbour holds them in most rows: the header is moved by that offset.
    """
    n = len(grid.paths)
    if header_code is None or not grid.rows:
        return grid
    counts = [sum(1 for row in grid.rows if is_code(_n(row.cells[c]))) for c in range(n)]
    body = max(range(n), key=lambda c: counts[c])
    shift = header_code - body
    if counts[header_code] or counts[body] < max(3, len(grid.rows) // 2) or not 0 < abs(shift) <= 2:
        return grid
    paths = [grid.paths[c + shift] if 0 <= c + shift < n else [] for c in range(n)]
    # Such tables also print a 类 or 合计 amount a column right of the others, under the same
    # merged 金额 header cell: it belongs to the column its header starts at, when that column
    # is where the body's amounts are (not a name column the shift put under 金额).
    held = [sum(1 for row in grid.rows if is_amount(row.cells[c])) for c in range(n)]
    rows = []
    for row in grid.rows:
        cells = list(row.cells)
        for c in range(n - 1, 0, -1):
            if (
                paths[c]
                and paths[c] == paths[c - 1]
                and held[c - 1] > held[c]
                and is_amount(cells[c])
                and not cells[c - 1]
            ):
                cells[c - 1], cells[c] = cells[c], ""
        rows.append(GridRow(row.page_no, cells, row.box))
    return replace(grid, paths=paths, rows=rows)


def _figure(name: str, amount: Decimal | None, kind: str, priority: int, lineage: Lineage) -> list[Figure]:
    return [] if amount is None else [Figure(name, amount, kind, priority, lineage)]


def _label_of(cells: list[str]) -> str:
    for cell in cells:
        if cell and not is_amount(cell):
            return _n(cell)
    return ""


# ------------------------------------------------------------------ function classification


@dataclass(slots=True)
class _FunctionColumns:
    code: list[int]
    unit_code: int | None
    name: int | None
    total: int | None
    basic: int | None
    project: int | None
    amounts: list[int]
    # A table without a 基本支出 column that prints 人员经费 and 公用经费: basic is their sum.
    basic_parts: list[int] = field(default_factory=list)
    # Economic codes printed beside the function code: rows are (function, economic) pairings.
    crossed: bool = False
    # Spending beside 基本支出 and 项目支出 that the 合计 includes (单位预留机动经费, 上缴上级支出 …).
    others: list[int] = field(default_factory=list)
    # 人员经费 and 公用经费, wherever printed (under 基本支出 or in its place).
    personnel: int | None = None
    public: int | None = None

    @property
    def basic_only(self) -> bool:
        """The table prints no 项目支出 but 人员经费 and 公用经费: a 基本支出 table by function
        class, whose rows are the sums of those two parts."""
        return self.project is None and self.personnel is not None and self.public is not None


_BASIC_HEADS = ("基本支出",)
_PROJECT_HEADS = ("项目支出", "项目经费", "专项业务经费", "专项支出", "专项经费")
_PART_TOTALS = ("小计", "合计")


def _under(path: list[str], heads: tuple[str, ...]) -> bool:
    """The column is a whole of one of ``heads`` (基本支出 or 基本支出/小计), not one of its parts."""
    return any(x.startswith(heads) for x in path) and (_leaf(path) in _PART_TOTALS or _leaf(path).startswith(heads))


def _total_column(
    paths: list[list[str]], amounts: list[int], exclude: tuple[str, ...], parts_printed: bool = False
) -> int | None:
    """合计/总计/金额/小计/预算数 of the whole row: not under a 基本支出/项目支出 (or 人员/公用) head.

    A table that prints its parts and no column of the whole row (基本支出 | 项目支出, or 人员经费 |
    公用经费, and no 合计) has none: ``parts_printed`` says so, and its rows' totals are the parts'
    sums. Otherwise the first amount column stands for the whole."""

    def whole(c: int) -> bool:
        return not any(x.startswith(exclude) for x in paths[c])

    for words in (("合计", "总计", "金额"), ("小计",), ("预算数", "预算", "本年", "当年")):
        found = next((c for c in amounts if whole(c) and any(w in _leaf(paths[c]) for w in words)), None)
        if found is not None:
            return found
    found = next((c for c in amounts if whole(c)), None)
    if found is not None or parts_printed:
        return found
    return amounts[0] if amounts else None


_CLASS_PART = re.compile(r"^\d{3}$")
_SUB_PART = re.compile(r"^\d{1,2}$")


def unlabelled_code_column(grid: Grid, is_code: Callable[[str], bool]) -> int | None:
    """A column with no label of its own whose cells are codes: a code printed in front of its name
    under one 科目名称 label, split off into a column of its own where the columns come from
    text positions (a table ruled only horizontally)."""
    for c, path in enumerate(grid.paths):
        if any(_n(x) for x in path):
            continue
        cells = [cell for row in grid.rows if (cell := _n(row.cells[c])) and not _TOTAL_LABEL.match(cell)]
        coded = sum(1 for cell in cells if is_code(cell))
        if coded >= 2 and coded >= 0.8 * len(cells):
            return c
    return None


def spanned_code_parts(grid: Grid, first: int) -> list[int]:
    """The code column ``first`` and the columns its label spans with no 类 | 款 | 项 under it,
    where the body prints the code apart in them (``201 | 01 | 01``): the 类, 款 and 项 parts.
    One column where the body prints whole codes (a wide code cell drawn as two grid columns)."""
    columns = [first]
    while (
        len(columns) < 3
        and (c := columns[-1] + 1) < len(grid.paths)
        and grid.paths[c]
        and grid.paths[c] == grid.paths[first]
    ):
        columns.append(c)
    if len(columns) == 1:
        return columns
    classes = any(_CLASS_PART.match(_n(row.cells[first])) for row in grid.rows)
    parts = any(_SUB_PART.match(_n(row.cells[columns[1]])) for row in grid.rows)
    return columns if classes and parts else [first]


def _row_code(code_cells: list[str], inherited: list[str]) -> tuple[str, str, list[str]]:
    """The code a row prints in its code column(s), the start of its name a code cell took, and
    the parts the rows below inherit (a child row may print only its 款 or 项)."""
    parts, spilled = code_parts_and_spilled_name(code_cells)
    if len(parts) > 1:
        parts = with_inherited_parts(parts, inherited)
        if parts[0]:
            inherited = list(parts)
    return join_code_parts(parts), spilled, inherited


def _function_columns(grid: Grid) -> _FunctionColumns:
    paths = _label_paths(grid)
    leaves = [_leaf(p) for p in paths]
    code = _indices(leaves, ("类", "款", "项"))
    unit_code = _first(paths, lambda p: any(("单位" in x or "部门" in x) and ("代码" in x or "编码" in x) for x in p))
    if not code:
        single = _first(
            paths,
            lambda p: any("编码" in x or "代码" in x for x in p),
            exclude={unit_code} if unit_code is not None else None,
        )
        code = spanned_code_parts(grid, single) if single is not None else []
    if not code:
        by_content = unlabelled_code_column(grid, is_function_code)
        code = [by_content] if by_content is not None else []
    taken = set(code) | ({unit_code} if unit_code is not None else set())
    name = _first(paths, lambda p: any("名称" in x for x in p), exclude=taken)
    if name is not None:
        taken.add(name)
    all_amounts = _amount_columns(grid, taken)
    text_cols = [c for c in range(len(paths)) if c not in taken and c not in all_amounts]
    if name is None and text_cols:
        # The column whose cells carry function codes ("2040601-行政运行"), else the first text one.
        name = max(text_cols, key=lambda c: (_embedded_count(grid, c, is_function_code), -c))
    amounts = budget_year_columns(paths, all_amounts)
    basic = next((c for c in amounts if _under(paths[c], _BASIC_HEADS)), None)
    project = next((c for c in amounts if _under(paths[c], _PROJECT_HEADS)), None)
    personnel = next((c for c in amounts if "人员" in _leaf(paths[c])), None)
    public = next((c for c in amounts if "公用" in _leaf(paths[c])), None)
    basic_parts: list[int] = []
    if basic is None and personnel is not None and public is not None:
        basic_parts = [personnel, public]
    # Both parts of the row and no column of the whole: 基本支出 | 项目支出, or 人员经费 | 公用经费
    # alone (a 基本支出 table by function class).
    parts_printed = bool(basic_parts) if project is None else (basic is not None or bool(basic_parts))
    total = _total_column(paths, amounts, (*_BASIC_HEADS, *_PROJECT_HEADS, "人员", "公用"), parts_printed)
    if total is not None and basic is not None and project is not None:
        basic, project = _parts_checked_by_the_body(grid, amounts, total, basic, project)
    # A 支出总表 that breaks each function line down by economic class (a row per pairing).
    crossed = any(_embedded_count(grid, c, is_economic_code) for c in text_cols if c != name)
    parts = {total, basic, project, *basic_parts}
    others = (
        [
            c
            for c in amounts
            if c not in parts
            and _leaf(paths[c]) not in ("小计", "合计", "总计")
            and not any(x.startswith(("其中", "人员", "公用")) for x in grid.paths[c])
            and not any(x.startswith((*_BASIC_HEADS, *_PROJECT_HEADS)) for x in paths[c])
        ]
        if basic is not None and project is not None
        else []
    )
    return _FunctionColumns(
        code, unit_code, name, total, basic, project, all_amounts, basic_parts, crossed, others, personnel, public
    )


def _parts_checked_by_the_body(grid: Grid, amounts: list[int], total: int, basic: int, project: int) -> tuple[int, int]:
    """基本支出 and 项目支出 as the header places them, unless the body says otherwise: where the
    rows' 合计 is not their sum but is the sum with one other column (a lower header row printed
    a cell off, 公用经费 over 项目支出's 小计), that column is the part."""

    def value(cells: list[str], c: int) -> Decimal:
        return parse_amount(cells[c]) or Decimal(0)

    rows = [r.cells for r in grid.rows if is_amount(r.cells[total])]

    def holds(b: int, p: int) -> bool:
        return bool(rows) and all(value(cells, total) == value(cells, b) + value(cells, p) for cells in rows)

    if not rows or holds(basic, project):
        return basic, project
    others = [c for c in amounts if c not in (total, basic, project)]
    projects = [c for c in others if holds(basic, c)]
    if len(projects) == 1:
        return basic, projects[0]
    basics = [c for c in others if holds(c, project)]
    if len(basics) == 1:
        return basics[0], project
    return basic, project


def _embedded_count(grid: Grid, column: int, is_code: Callable[[str], bool]) -> int:
    return sum(1 for row in grid.rows if is_code(split_code_and_name(row.cells[column])[0]))


def _merged_pairings(lines: list[FunctionLine]) -> list[FunctionLine]:
    """Consecutive rows of one function code (one per economic class it is spent on) as one line:
    their sums, with the lineage of the first."""
    out: list[FunctionLine] = []
    for line in lines:
        last = out[-1] if out else None
        if last is not None and last.func_code == line.func_code and last.lineage.row_index < line.lineage.row_index:
            out[-1] = replace(
                last,
                total=_plus(last.total, line.total),
                basic_total=_plus(last.basic_total, line.basic_total),
                project_total=_plus(last.project_total, line.project_total),
                personnel=_plus(last.personnel, line.personnel),
                public_funds=_plus(last.public_funds, line.public_funds),
            )
        else:
            out.append(line)
    return out


def _plus(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return None if a is None and b is None else (a or Decimal(0)) + (b or Decimal(0))


def _basic_amount(cells: list[str], cols: _FunctionColumns, unit: Unit) -> Decimal | None:
    if cols.basic is not None or not cols.basic_parts:
        return _amount(cells, cols.basic, unit)
    return functools.reduce(_plus, (_amount(cells, c, unit) for c in cols.basic_parts))


def _total_amount(cells: list[str], cols: _FunctionColumns, unit: Unit) -> Decimal | None:
    """The row's 合计, or the sum of its parts where the table prints no 合计 column."""
    if cols.total is not None or (cols.project is None and not cols.basic_parts):
        return _amount(cells, cols.total, unit)
    parts = [_basic_amount(cells, cols, unit), _amount(cells, cols.project, unit)]
    return functools.reduce(_plus, parts + [_amount(cells, c, unit) for c in cols.others])


def amounts_under_their_labels(grid: Grid) -> Grid:
    """The grid with its header paths moved onto amounts printed beside them.

    Word-made tables can print every amount a column or two left (or right) of the header cell
    it belongs under, the header's own column blank in every row (合计 | | | 基本支出 | | … over
    37,188.34 | | | 21,968.00 …). When every amount column sits the same offset away from the
    start of a header label and none sits under one, the labels are moved onto the amounts."""
    n = len(grid.paths)
    body = [c for c in range(n) if any(is_amount(row.cells[c]) for row in grid.rows)]
    starts = {c for c in range(n) if grid.paths[c] and (c == 0 or grid.paths[c] != grid.paths[c - 1])}
    if not body or any(c in starts for c in body):
        return grid
    for shift in (1, -1, 2, -2):
        if all(c + shift in starts for c in body):
            paths = [grid.paths[c + shift] if 0 <= c + shift < n else [] for c in range(n)]
            return replace(grid, paths=paths)
    return grid


def merged_split_amount_columns(grid: Grid) -> Grid:
    """One amount column drawn as several: Word tables whose 金额 header cell spans two or three
    grid columns print a 类's amount in one of them and an item's in another. Adjacent columns
    under the same label, never both holding an amount in one row, are one column."""
    rows = [list(r.cells) for r in grid.rows]
    merged = False
    for c in range(len(grid.paths) - 1):
        d = c + 1
        if not grid.paths[c] or grid.paths[d] != grid.paths[c]:
            continue
        # Both hold amounts: a name column spanning two grid columns is not an amount column.
        if not any(is_amount(r[d]) for r in rows) or not any(is_amount(r[c]) for r in rows):
            continue
        if any(is_amount(r[c]) and is_amount(r[d]) for r in rows) or any(r[d] and not is_amount(r[d]) for r in rows):
            continue
        for r in rows:
            r[c], r[d] = r[c] or r[d], ""
        merged = True
    if not merged:
        return grid
    rebuilt = [GridRow(old.page_no, cells, old.box) for old, cells in zip(grid.rows, rows, strict=True)]
    return replace(grid, rows=rebuilt)


# "缴费支出 2080506-机关事业单位职业年金": the end of the row above's wrapped name, then this
# row's own code and name. The tail has no digit; the code is followed by its separator.
_CARRIED_TAIL = re.compile(r"^([^\d\s][^\d]*?)\s+(\d{3,7}\s*[-－—_:：].*)$", re.S)


def returned_name_tails(grid: Grid, is_code: Callable[[str], bool]) -> Grid:
    """Word-made rows whose name wraps: the wrapped end can land in front of the next row's
    code-name cell. It goes back to the row above (whose cell holds a code too)."""
    rows = [list(r.cells) for r in grid.rows]
    moved = False
    for i in range(1, len(rows)):
        for c, text in enumerate(rows[i]):
            match = _CARRIED_TAIL.match(text or "")
            if not match or not is_code(split_code_and_name(match.group(2))[0]):
                continue
            if not is_code(split_code_and_name(rows[i - 1][c])[0]):
                continue
            rows[i - 1][c] = rows[i - 1][c] + match.group(1).strip()
            rows[i][c] = match.group(2)
            moved = True
    if not moved:
        return grid
    rebuilt = [GridRow(old.page_no, cells, old.box) for old, cells in zip(grid.rows, rows, strict=True)]
    return replace(grid, rows=rebuilt)


def joined_split_rows(grid: Grid, is_code: Callable[[str], bool]) -> Grid:
    """A coded row printed without amounts, its amounts on a line of their own just below it (no
    code, no name): one row, on the coded row's index. The amounts' row stays as a blank row, so
    that every row keeps the index of the stored row it was read from (lineage)."""
    rows: list[GridRow] = []
    joined = False
    for row in grid.rows:
        last = rows[-1] if rows else None
        # The coded row's codes: its leftmost code-like cells side by side (a 7-digit amount in
        # 元, 1069756, looks like a code too, but prints apart from them, right of the name).
        codes = _code_run(last.cells, is_code) if last is not None else range(0)
        # Dashes beside the amounts (nothing under 公用经费) are no label.
        label = _label_of([c for c in row.cells if not is_blank_amount(c)])
        if (
            last is not None
            and codes
            and not label
            and not any(row.cells[c] for c in codes)
            and any(is_amount(c) for c in row.cells)
            and not any(is_amount(c) for n, c in enumerate(last.cells) if n not in codes)
        ):
            cells = [a or b for a, b in zip(last.cells, row.cells, strict=True)]
            rows[-1] = GridRow(last.page_no, cells, last.box)
            rows.append(GridRow(row.page_no, [""] * len(row.cells), row.box))
            joined = True
            continue
        rows.append(row)
    return replace(grid, rows=rows) if joined else grid


def _code_run(cells: list[str], is_code: Callable[[str], bool]) -> range:
    """The columns of the leftmost code-like cells that stand side by side (empty: none)."""

    def coded(cell: str) -> bool:
        return bool(cell) and (is_code(_n(cell)) or is_code(split_code_and_name(cell)[0]))

    start = next((c for c, cell in enumerate(cells) if coded(cell)), len(cells))
    end = start
    while end < len(cells) and coded(cells[end]):
        end += 1
    return range(start, end)


def parse_function_table(grid: Grid, kind: str, unit: Unit, table_index: int) -> ParsedFacts:
    grid = merged_split_amount_columns(amounts_under_their_labels(grid))
    grid = returned_name_tails(returned_name_tails(grid, is_function_code), is_economic_code)
    cols = _function_columns(grid)
    if len(cols.code) == 1:
        shifted = realigned_to_body(grid, cols.code[0], is_function_code)
        if shifted is not grid:
            grid, cols = shifted, _function_columns(shifted)
    mended = joined_split_rows(merged_split_amount_columns(grid), is_function_code)
    if mended is not grid:
        grid, cols = mended, _function_columns(mended)
    facts = ParsedFacts()
    candidates: list[FunctionLine] = []
    read: dict[int, FunctionLine] = {}  # every row as a line, for a table of names only
    inherited: list[str] = []
    total_seen = False
    printed = PrintedTable(
        table_index,
        kind,
        ("人员经费", "公用经费") if cols.basic_only else ("基本支出", "项目支出"),
        cols.basic_only or ((cols.basic is not None or bool(cols.basic_parts)) and cols.project is not None),
        _quantum(grid, [cols.total, cols.basic, cols.project, *cols.basic_parts], unit),
    )

    def printed_amounts(line: FunctionLine) -> tuple[Decimal | None, ...]:
        if cols.basic_only:
            return (line.total, line.personnel, line.public_funds)
        return (line.total, line.basic_total, line.project_total)

    for i, row in enumerate(grid.rows):
        cells = row.cells
        lineage = Lineage(table_index, row.page_no, i)
        code, spilled, inherited = _row_code([cells[c] for c in cols.code], inherited)
        name = spilled + (cells[cols.name] if cols.name is not None else "")
        if not code or not is_function_code(code):
            embedded, rest = split_code_and_name(name)
            code = embedded if is_function_code(embedded) else ""
            if code:
                name = rest
        label = _label_of(cells)
        line = FunctionLine(
            lineage=lineage,
            table_kind=kind,
            func_code=code,
            func_name=name,
            unit_code=cells[cols.unit_code] if cols.unit_code is not None else "",
            total=_total_amount(cells, cols, unit),
            basic_total=_basic_amount(cells, cols, unit),
            project_total=_amount(cells, cols.project, unit),
            level=function_level(code) if code else "",
            personnel=_amount(cells, cols.personnel, unit),
            public_funds=_amount(cells, cols.public, unit),
        )
        amounts = printed_amounts(line)
        read[i] = line
        if not code and _TOTAL_LABEL.match(label):
            facts.figures += _total_figures(kind, cols, cells, unit, lineage)
            if printed.total is None:
                printed.total = _printed_row("", label, row, i, amounts)
            total_seen = True
            continue
        if code:
            printed.rows.append(_printed_row(code, name, row, i, amounts))
            candidates.append(line)
        elif not total_seen and not candidates and not name and _has_amounts(cells, cols.amounts):
            # A totals row printed without a label (e.g. a one-row 支出预算总表).
            facts.figures += _total_figures(kind, cols, cells, unit, lineage)
            printed.total = _printed_row("", "", row, i, amounts)
            total_seen = True
        elif _has_amounts(cells, cols.amounts):
            printed.unread.append(_printed_row("", label, row, i, amounts))
    if cols.crossed:
        candidates = _merged_pairings(candidates)
        printed.rows = [
            _printed_row(
                c.func_code,
                c.func_name,
                grid.rows[c.lineage.row_index],
                c.lineage.row_index,
                printed_amounts(c),
            )
            for c in candidates
        ]
    leaves = leaf_codes([line.func_code for line in candidates])
    facts.function_lines = [line for line in candidates if line.func_code in leaves]
    if not candidates and cols.name is not None and _names_a_classification(grid.paths[cols.name]):
        # Names only, no code anywhere: the leaves by their sums, with their names and levels.
        leaves_found = codeless_leaves(printed, ("class", "section", "item"))
        facts.parents = {Lineage(table_index, row.page_no, row.row_index): up for row, _, up in leaves_found}
        facts.function_lines = [
            replace(read[row.row_index], func_name=grid.rows[row.row_index].cells[cols.name], unit_code="", level=level)
            for row, level, _ in leaves_found
        ]
    facts.printed.append(printed)
    return facts


_FUNCTION_TOTAL_PRIORITY = {"expenditure_summary": 10, "general_budget_expenditure": 20}


def _total_figures(kind: str, cols: _FunctionColumns, cells: list[str], unit: Unit, lineage: Lineage) -> list[Figure]:
    total = _total_amount(cells, cols, unit)
    figures = _figure("table_total", total, kind, 0, lineage)
    if kind in _FUNCTION_TOTAL_PRIORITY:
        priority = _FUNCTION_TOTAL_PRIORITY[kind]
        figures += _figure("basic_expenditure", _basic_amount(cells, cols, unit), kind, priority, lineage)
        figures += _figure("project_expenditure", _amount(cells, cols.project, unit), kind, priority, lineage)
        others = [_amount(cells, c, unit) for c in cols.others]
        if any(o for o in others):
            other = sum((o for o in others if o is not None), Decimal(0))
            figures += _figure("other_expenditure", other, kind, priority, lineage)
    if kind == "expenditure_summary":
        figures += _figure("expenditure_total", total, kind, 30, lineage)
    if kind == "income_summary":
        figures += _figure("income_total", total, kind, 30, lineage)
    return figures


# ------------------------------------------------------------------ economic classification


def _is_code_path(p: list[str]) -> bool:
    return "编码" in _leaf(p) or "代码" in _leaf(p) or (len(p) > 0 and "编码" in p[0] and "名称" not in _leaf(p))


def _economic_code_column(grid: Grid) -> int | None:
    """The one column the header calls the (部门) economic code, when codes are not split 类/款."""
    paths = [[_n(p) for p in path] for path in grid.paths]
    if _indices([_leaf(p) for p in paths], ("类", "款")):
        return None
    return _first(paths, lambda p: _is_code_path(p) and not any("政府" in x for x in p))


def _embedded_economic_columns(grid: Grid, columns: list[int]) -> dict[str, int]:
    """Columns whose cells print an economic code with its name ("30101-基本工资", "[301]工资福利支出"),
    by the codes they hold: "3…" codes are the 部门 classification, "5…" the 政府 one."""
    found: dict[str, int] = {}
    for c in columns:
        codes = [code for row in grid.rows for code in [split_code_and_name(row.cells[c])[0]] if is_economic_code(code)]
        if len(codes) < max(1, len(grid.rows) // 3):
            continue
        family = "gov" if sum(code.startswith("5") for code in codes) * 2 > len(codes) else "dept"
        found.setdefault(family, c)
    return found


def _code_name_pairs_by_content(grid: Grid, paths: list[list[str]]) -> tuple[int, int | None, int, int | None] | None:
    """(部门 code, its name, 政府 code, its name) where two code columns are printed and their
    codes say which is which (3… 部门, 5… 政府): the labels over them can be merged or misplaced
    (a group label wider than its columns, read without rules), the codes cannot. Each name is the
    名称 column right of its code, before the next code column (None where there is none there).
    None unless both code columns are found."""
    code_columns = [c for c, p in enumerate(paths) if _is_code_path(p)]
    if len(code_columns) != 2:
        return None
    family: dict[str, int] = {}
    for c in code_columns:
        codes = [code for row in grid.rows if is_economic_code(code := _n(row.cells[c]))]
        if len(codes) < max(2, len(grid.rows) // 3):
            return None
        leading = "5" if sum(code.startswith("5") for code in codes) * 2 > len(codes) else "3"
        family.setdefault(leading, c)
    if set(family) != {"3", "5"}:
        return None

    def name_of(code: int) -> int | None:
        later = [c for c in code_columns if c > code]
        end = later[0] if later else len(paths)
        return next((c for c in range(code + 1, end) if "名称" in _leaf(paths[c])), None)

    return family["3"], name_of(family["3"]), family["5"], name_of(family["5"])


def parse_economic_table(grid: Grid, kind: str, unit: Unit, table_index: int) -> ParsedFacts:
    # Split amount columns are merged under their own header before a shift can part them.
    grid = returned_name_tails(merged_split_amount_columns(grid), is_economic_code)
    single_code = _economic_code_column(grid)
    if single_code is not None:
        grid = realigned_to_body(grid, single_code, is_economic_code)
    grid = joined_split_rows(merged_split_amount_columns(grid), is_economic_code)
    paths = _label_paths(grid)
    leaves = [_leaf(p) for p in paths]
    facts = ParsedFacts()
    split_code = _indices(leaves, ("类", "款"))
    econ_code = _economic_code_column(grid)
    if not split_code and econ_code is None and not any(_is_code_path(p) for p in paths):
        econ_code = unlabelled_code_column(grid, is_economic_code)
    if not split_code and econ_code is not None and len(parts := spanned_code_parts(grid, econ_code)) > 1:
        split_code, econ_code = parts, None
    gov_code = _first(paths, lambda p: _is_code_path(p) and any("政府" in x for x in p))
    taken = set(split_code) | {c for c in (econ_code, gov_code) if c is not None}
    econ_name = _first(paths, lambda p: "名称" in _leaf(p) and not any("政府" in x for x in p), exclude=taken)
    gov_name = _first(paths, lambda p: "名称" in _leaf(p) and any("政府" in x for x in p), exclude=taken)
    by_content = None if split_code else _code_name_pairs_by_content(grid, paths)
    if by_content is not None and (by_content[0], by_content[2]) != (econ_code, gov_code):
        econ_code, gov_code = by_content[0], by_content[2]
        econ_name, gov_name = by_content[1] or econ_name, by_content[3] or gov_name
    taken |= {c for c in (econ_name, gov_name) if c is not None}
    all_amounts = _amount_columns(grid, taken)
    text_columns = [c for c in range(len(paths)) if c not in taken and c not in all_amounts]
    if econ_name is None and econ_code is None and not split_code:
        # Code and name in one cell, under a header such as 部门支出经济分类科目: found by content.
        embedded = _embedded_economic_columns(grid, text_columns)
        econ_name = embedded.get("dept")
        if gov_name is None and gov_code is None:
            gov_name = embedded.get("gov")
        if econ_name is None and gov_name is None and text_columns:
            econ_name = text_columns[0]
    amounts = budget_year_columns(paths, all_amounts)
    personnel = next((c for c in amounts if "人员" in _leaf(paths[c])), None)
    public = next((c for c in amounts if "公用" in _leaf(paths[c])), None)
    has_project = any(_under(paths[c], _PROJECT_HEADS) for c in amounts)
    parts = ("人员", "公用", *((*_BASIC_HEADS, *_PROJECT_HEADS) if has_project else ()))
    total = _total_column(paths, amounts, parts, personnel is not None and public is not None)
    candidates: list[EconomicLine] = []
    printed = PrintedTable(
        table_index,
        kind,
        ("人员经费", "公用经费"),
        personnel is not None and public is not None,
        _quantum(grid, [total, personnel, public], unit),
    )
    inherited: list[str] = []
    for i, row in enumerate(grid.rows):
        cells = row.cells
        lineage = Lineage(table_index, row.page_no, i)
        code_cells = [cells[c] for c in split_code] or ([cells[econ_code]] if econ_code is not None else [])
        code, spilled, inherited = _row_code(code_cells, inherited)
        name = spilled + (cells[econ_name] if econ_name is not None else "")
        if not is_economic_code(code):
            embedded, rest = split_code_and_name(name)
            code = embedded if is_economic_code(embedded) else ""
            if code:
                name = rest
        gcode, gov_spilled, _ = _row_code([cells[gov_code]] if gov_code is not None else [], [])
        gname = gov_spilled + (cells[gov_name] if gov_name is not None else "")
        if not is_economic_code(gcode):
            embedded, rest = split_code_and_name(gname)
            gcode = embedded if is_economic_code(embedded) else ""
            if gcode and gov_code is None:
                gname = rest
        amounts = (_amount(cells, total, unit), _amount(cells, personnel, unit), _amount(cells, public, unit))
        if total is None:
            # No 合计 column: the row's total is its parts'.
            amounts = (_plus(amounts[1], amounts[2]), *amounts[1:])
        if not code and not gcode:
            if _TOTAL_LABEL.match(_label_of(cells)):
                facts.figures += _figure("table_total", amounts[0], kind, 0, lineage)
                if printed.total is None:
                    printed.total = _printed_row("", _label_of(cells), row, i, amounts)
            elif _has_amounts(cells, all_amounts):
                printed.unread.append(_printed_row("", _label_of(cells), row, i, amounts))
            continue
        printed.rows.append(_printed_row(code or gcode, name, row, i, amounts))
        candidates.append(
            EconomicLine(
                lineage=lineage,
                table_kind=kind,
                econ_code=code,
                econ_name=name,
                gov_econ_code=gcode,
                gov_econ_name=gname,
                total=amounts[0],
                personnel=amounts[1],
                public_funds=amounts[2],
                level=economic_level(code or gcode),
            )
        )
    econ_leaves = leaf_codes([line.econ_code for line in candidates if line.econ_code])
    gov_leaves = leaf_codes([line.gov_econ_code for line in candidates if not line.econ_code])
    facts.economic_lines = [
        line
        for line in candidates
        if (line.econ_code and line.econ_code in econ_leaves)
        or (not line.econ_code and line.gov_econ_code in gov_leaves)
    ]
    if not candidates and econ_name is not None and _names_a_classification(grid.paths[econ_name]):
        leaves_found = codeless_leaves(printed, ("class", "item"))
        facts.parents = {Lineage(table_index, row.page_no, row.row_index): up for row, _, up in leaves_found}
        facts.economic_lines = [
            EconomicLine(
                lineage=Lineage(table_index, row.page_no, row.row_index),
                table_kind=kind,
                econ_code="",
                econ_name=grid.rows[row.row_index].cells[econ_name],
                gov_econ_code="",
                gov_econ_name="",
                total=row.amounts[0],
                personnel=row.amounts[1],
                public_funds=row.amounts[2],
                level=level,
            )
            for row, level, _ in leaves_found
        ]
    facts.printed.append(printed)
    return facts


# ------------------------------------------------------------------ projects


def parse_project_table(grid: Grid, kind: str, unit: Unit, table_index: int) -> ParsedFacts:
    paths = [[_n(p) for p in path] for path in grid.paths]
    facts = ParsedFacts()
    code_col = _first(paths, lambda p: any("代码" in x or "编码" in x for x in p))
    name = _first(paths, lambda p: any("项目" in x and "名称" in x for x in p))
    if name is None:
        name = _first(paths, lambda p: any("名称" in x for x in p))
    ptype = _first(paths, lambda p: any(w in _leaf(p) for w in ("类型", "类别", "性质")))
    unit_col = _first(
        paths,
        lambda p: (
            any(w in x for x in p for w in ("项目单位", "单位名称", "预算单位", "实施单位"))
            and not any("代码" in x for x in p)
        ),
        exclude={c for c in (name,) if c is not None},
    )
    taken = {c for c in (code_col, name, ptype, unit_col) if c is not None}
    amounts = _amount_columns(grid, taken)
    total = next(
        (
            c
            for c in amounts
            if any(w in _leaf(paths[c]) or w in _joined(paths[c])[:6] for w in ("合计", "总计", "金额"))
        ),
        amounts[0] if amounts else None,
    )
    typed_rows = ptype is not None and any(r.cells[ptype] for r in grid.rows)
    current_unit = ""
    for i, row in enumerate(grid.rows):
        cells = row.cells
        lineage = Lineage(table_index, row.page_no, i)
        project = cells[name] if name is not None else ""
        label = _label_of(cells)
        if not project or _UNIT_CODE.match(_n(project)) or _TOTAL_LABEL.match(_n(project)):
            if _TOTAL_LABEL.match(label) or (not label and not facts.projects and not current_unit):
                facts.figures += _figure("table_total", _amount(cells, total, unit), kind, 0, lineage)
            elif _UNIT_CODE.match(_n(project)) and unit_col is not None:
                current_unit = cells[unit_col]
            continue
        if typed_rows and ptype is not None and not cells[ptype]:
            current_unit = project  # a unit heading row between project rows
            continue
        facts.projects.append(
            ProjectLine(
                lineage=lineage,
                project_name=project,
                project_type=cells[ptype] if ptype is not None else "",
                unit_name=(cells[unit_col] if unit_col is not None and cells[unit_col] else current_unit),
                total=_amount(cells, total, unit),
            )
        )
    return facts


# ------------------------------------------------------------------ 三公 and summary tables

_THREE_PUBLIC_FIELDS = (
    "three_public_total",
    "three_public_abroad",
    "three_public_vehicle_total",
    "three_public_vehicle_purchase",
    "three_public_vehicle_operation",
    "three_public_reception",
)


def _three_public_role(path: list[str], has_other_totals: bool) -> str | None:
    joined, leaf = _joined(path), _leaf(path)
    if "机关运行" in joined or "运行经费" in joined or "会议费" in joined or "培训费" in joined:
        return None
    if "因公出国" in joined:
        return "three_public_abroad"
    if "接待" in joined:
        return "three_public_reception"
    if "购置" in leaf and "运行" not in leaf:
        return "three_public_vehicle_purchase"
    if "运行" in leaf and "购置" not in leaf:
        return "three_public_vehicle_operation"
    if "公务用车" in joined:
        return "three_public_vehicle_total"
    if "三公" in joined and ("合计" in joined or "小计" in joined or "三公" in leaf):
        return "three_public_total"
    if leaf in ("合计", "总计") and not has_other_totals:
        return "three_public_total"
    return None


def _three_public_by_rows(grid: Grid, kind: str, unit: Unit, table_index: int) -> ParsedFacts | None:
    """The layout that prints its items as rows (行政经费 | “三公”经费 | 其中：因公出国… | 公务接待费)
    under amount columns (合计 | 一般公共预算 …): each role's amount from its row's 合计."""
    paths = _label_paths(grid)
    amounts = _amount_columns(grid, set())
    total = _total_column(paths, amounts, ())
    if total is None:
        return None
    found: dict[str, tuple[int, GridRow]] = {}
    for i, row in enumerate(grid.rows):
        role = _three_public_role([_LABEL_PREFIX.sub("", _label(_label_of(row.cells)))], True)
        if role and role not in found:
            found[role] = (i, row)
    if len(found) < 2 or ("three_public_total" not in found and "three_public_abroad" not in found):
        return None
    facts = ParsedFacts()
    for role, (i, row) in found.items():
        text = row.cells[total]
        value = parse_yuan(text, unit) if is_amount(text) else Decimal("0.00")
        facts.figures.append(Figure(role, value, kind, 10, Lineage(table_index, row.page_no, i)))
    return facts


def parse_three_public_table(grid: Grid, kind: str, unit: Unit, table_index: int) -> ParsedFacts:
    by_rows = _three_public_by_rows(grid, kind, unit, table_index)
    if by_rows is not None:
        return by_rows
    paths = [[_n(p) for p in path] for path in grid.paths]
    other = any("会议费" in _joined(p) or "培训费" in _joined(p) for p in paths)
    roles: dict[str, int] = {}
    for c, path in enumerate(paths):
        role = _three_public_role(path, other)
        if role and role not in roles:
            roles[role] = c
    facts = ParsedFacts()
    for i, row in enumerate(grid.rows):
        if not _has_amounts(row.cells, list(roles.values())):
            continue
        lineage = Lineage(table_index, row.page_no, i)
        for role, c in roles.items():
            text = row.cells[c]
            # A blank cell in the 三公 row is a stated zero, not a missing figure.
            value = parse_yuan(text, unit) if is_amount(text) else Decimal("0.00")
            facts.figures.append(Figure(role, value, kind, 10, lineage))
        break
    return facts


_SUMMARY_LABELS: dict[str, tuple[str, int]] = {
    "收入总计": ("income_total", 1),
    "收入合计": ("income_total", 2),
    "收入总额": ("income_total", 2),
    "本年收入合计": ("income_total", 3),
    "当年收入小计": ("income_total", 4),
    "本年收入小计": ("income_total", 4),
    "支出总计": ("expenditure_total", 1),
    "支出合计": ("expenditure_total", 2),
    "支出总额": ("expenditure_total", 2),
    "本年支出合计": ("expenditure_total", 3),
    "当年支出小计": ("expenditure_total", 4),
    "本年支出小计": ("expenditure_total", 4),
}


def _summary_label(text: str) -> str:
    return _LABEL_PREFIX.sub("", _n(text)).rstrip(":：")


def parse_summary_table(grid: Grid, kind: str, unit: Unit, table_index: int) -> ParsedFacts:
    """收支总表 and 财政拨款收支总表: read 收入总计 / 支出总计 by their labels, wherever they sit."""
    facts = ParsedFacts()
    prefix = "" if kind == "income_expenditure_summary" else "fiscal_"
    for i, row in enumerate(grid.rows):
        cells = row.cells
        for c, cell in enumerate(cells):
            entry = _SUMMARY_LABELS.get(_summary_label(cell)) if cell else None
            if entry is None:
                continue
            name, priority = entry
            for text in cells[c + 1 :]:
                if not text:
                    continue
                if is_amount(text):
                    facts.figures += _figure(
                        prefix + name, parse_yuan(text, unit), kind, priority, Lineage(table_index, row.page_no, i)
                    )
                break
    facts.figures += _bare_grand_totals(grid, prefix, kind, unit, table_index)
    return facts


def _bare_grand_totals(grid: Grid, prefix: str, kind: str, unit: Unit, table_index: int) -> list[Figure]:
    """Templates (Fujian, Chongqing …) that print the grand total as a bare 合计 / 总计 under the
    上年结转 rows: the last such row, the amount after each label."""
    for i in range(len(grid.rows) - 1, -1, -1):
        row = grid.rows[i]
        labels = [c for c, cell in enumerate(row.cells) if cell and _summary_label(cell) in ("合计", "总计")]
        if not labels:
            continue
        figures: list[Figure] = []
        for c in labels:
            # The 收入 half is the left one, the 支出 half the right one.
            name = "income_total" if c < len(row.cells) / 2 else "expenditure_total"
            text = next((t for t in row.cells[c + 1 :] if t), "")
            if is_amount(text):
                figures += _figure(prefix + name, parse_yuan(text, unit), kind, 2, Lineage(table_index, row.page_no, i))
        return figures
    return []


def parse_operating_cost_table(grid: Grid, kind: str, unit: Unit, table_index: int) -> ParsedFacts:
    """机关运行经费表: its 合计 is the figure the text states as 机关运行经费."""
    facts = ParsedFacts()
    for i, row in enumerate(grid.rows):
        if _TOTAL_LABEL.match(_label_of(row.cells)):
            amounts = [c for c in row.cells if is_amount(c)]
            if amounts:
                amount = parse_yuan(amounts[0], unit)
                facts.figures += _figure("admin_operating_cost", amount, kind, 10, Lineage(table_index, row.page_no, i))
            break
    return facts


def parse_grid(grid: Grid, kind: str, unit: Unit, table_index: int) -> ParsedFacts:
    if kind in FUNCTION_KINDS:
        return parse_function_table(grid, kind, unit, table_index)
    if kind in ECONOMIC_KINDS:
        facts = parse_economic_table(grid, kind, unit, table_index)
        if kind == "general_budget_basic_expenditure" and not any(
            line.econ_code or line.gov_econ_code for line in facts.economic_lines
        ):
            # Some templates print the 基本支出 table by function class (功能分类科目 rows under
            # 人员经费 | 公用经费): read so where no economic code was read and function codes are
            # (its names alone would pass for an economic table printed without codes).
            by_function = parse_function_table(grid, kind, unit, table_index)
            if any(line.func_code for line in by_function.function_lines):
                return by_function
        return facts
    if kind == "project_expenditure":
        return parse_project_table(grid, kind, unit, table_index)
    if kind == "three_public":
        return parse_three_public_table(grid, kind, unit, table_index)
    if kind == "performance_targets":
        return ParsedFacts(targets=parse_performance_table(grid, table_index))
    if kind in ("income_expenditure_summary", "fiscal_appropriation_summary"):
        return parse_summary_table(grid, kind, unit, table_index)
    if kind == "other" and ("机关运行经费" in grid.title or "机构运转经费" in grid.title):
        return parse_operating_cost_table(grid, kind, unit, table_index)
    return ParsedFacts()
