"""Layout invariance: a real line table, printed another way, must give the same lines.

Other cities print the same tables in other layouts: the code in the name cell instead of a
column of its own, 类 | 款 | 项 apart or joined, no 合计 column, 基本支出 after 项目支出, amounts typed
full-width, 人员经费 and 公用经费 as side-by-side blocks. Each transformation (``layout_rewrites.py``) rewrites a stored
table's grid (its cells and column labels) into one such layout without changing a number or a
code; the line parse of the rewritten grid must give the lines it gives for the table as printed.
A difference names a layout the parser reads differently: a lead for the files nobody here has.

Only the grid is rewritten (no PDF is drawn): what this tests is the reading of a table's cells,
not the finding of the table on its page (the generated corpus and the real files test that).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from yusuan.evaluation.layout_rewrites import REWRITES
from yusuan.extract.parse import ECONOMIC_KINDS, FUNCTION_KINDS, parse_grid
from yusuan.extract.side_by_side import unstacked_blocks
from yusuan.extract.tables import Grid, GridRow
from yusuan.models import ExtractedTable
from yusuan.normalise.amounts import Unit
from yusuan.normalise.codes import is_economic_code, is_function_code

LineKey = tuple[str, str]  # (code, or the name where a table prints no codes; level)
Amounts = tuple[Decimal | None, ...]


def grid_of(table: ExtractedTable) -> Grid:
    """The grid a stored table was parsed from: its cells and its columns' label paths."""
    paths = [label.split("/") if label else [] for label in table.column_labels]
    rows = [GridRow(row.page_no, list(row.cells), row.box) for row in table.rows]
    return Grid(table.title, table.captions, table.page_first, table.page_last, [], paths, rows)


def parsed_lines(grid: Grid, kind: str, unit: Unit) -> dict[LineKey, Amounts]:
    """The stored lines of a grid: code (or name) → amounts, blank and zero alike."""
    facts = parse_grid(grid, kind, unit, 0)
    out: dict[LineKey, Amounts] = {}
    for line in facts.function_lines:
        out[(line.func_code or line.func_name, line.unit_code)] = _zeroed(
            (line.total, line.basic_total, line.project_total)
        )
    for econ in facts.economic_lines:
        key = econ.econ_code or econ.gov_econ_code or econ.econ_name
        out[(key, econ.gov_econ_code)] = _zeroed((econ.total, econ.personnel, econ.public_funds))
    return out


def _plus(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return None if a is None and b is None else (a or Decimal(0)) + (b or Decimal(0))


def _zeroed(amounts: Amounts) -> Amounts:
    return tuple(a if a else None for a in amounts)


@dataclass(slots=True)
class Variance:
    rewrite: str
    tables: int = 0  # tables the rewrite applied to
    held: int = 0  # of which every line came out the same
    differences: list[str] = field(default_factory=list)


def table_variances(table: ExtractedTable, unit: Unit, path: str = "") -> dict[str, Variance]:
    """Every rewrite that applies to a stored line table, and whether its lines held."""
    kind = str(table.kind)
    if kind not in FUNCTION_KINDS and kind not in ECONOMIC_KINDS:
        return {}
    grid = grid_of(table)
    printed = parsed_lines(grid, kind, unit)
    if not printed:
        return {}
    out: dict[str, Variance] = {}
    is_code = is_economic_code if kind in ECONOMIC_KINDS else is_function_code
    for name, rewrite in REWRITES.items():
        rewritten = rewrite(grid, kind)
        if rewritten is None:
            continue
        # As the pipeline reads a line table's grid before it is stored.
        got = parsed_lines(unstacked_blocks(rewritten, is_code), kind, unit)
        if name == "no 合计 column":
            # Without the column a row's total is its parts' sum: where the printed 合计 is not (the
            # source's own inconsistency, or parts beside the two), only the parts are compared.
            adds_up = {k for k, v in printed.items() if v[0] == _plus(v[1], v[2])}
            printed_cmp = {k: v if k in adds_up else v[1:] for k, v in printed.items()}
            got_cmp = {k: v if k in adds_up else v[1:] for k, v in got.items()}
        else:
            printed_cmp, got_cmp = printed, got
        variance = out.setdefault(name, Variance(name))
        variance.tables += 1
        if got_cmp == printed_cmp:
            variance.held += 1
            continue
        lost = sorted(set(printed_cmp) - set(got_cmp))
        gained = sorted(set(got_cmp) - set(printed_cmp))
        changed = sorted(k for k in set(printed_cmp) & set(got_cmp) if printed_cmp[k] != got_cmp[k])
        variance.differences.append(
            f"{path} table {table.index} ({kind}): {len(lost)} lost {lost[:3]}, {len(gained)} new {gained[:3]}, "
            f"{len(changed)} changed {[(k, printed_cmp[k], got_cmp[k]) for k in changed[:2]]}"
        )
    return out
