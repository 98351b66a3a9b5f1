"""绩效目标表 → one row per indicator: (project, 一级指标, 二级指标, 三级指标, 指标值).

Two templates are published:

- **Indicator lists** (部门整体绩效目标表, 项目支出绩效目标表): columns 一级指标 / 二级指标 / 三级指标 /
  指标值 (/ 指标值说明). Merged 一级/二级 cells come out blank on the rows below and are carried
  down. The column header may sit inside the table body, under a block of 年度目标 / 预算情况
  rows; it is found by its words wherever it is.
- **Project summaries** (项目绩效目标汇总表): one block of rows per project (编码, 名称, 金额 …) and, per
  category (成本 / 产出 / 效益 / 满意度指标), a pair of columns 三级指标 + 指标值. Published grids are
  sometimes shifted by a column against their header (a merged amount cell); the alignment that
  puts names under 三级指标 and values under 指标值 best is taken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from yusuan.extract.tables import Grid, GridRow
from yusuan.models import Lineage, PerformanceTarget

_HEADER_WORDS = ("一级指标", "二级指标", "三级指标", "指标值")
# Words of a header row repeated on a continuation page, inside the body.
_HEADER_TOKENS = {
    *_HEADER_WORDS,
    *("指标值说明", "成本指标", "产出指标", "效益指标", "满意度指标", "绩效目标", "资金总额"),
}
_CODE = re.compile(r"^[0-9A-Za-z]{3,}$")
# Target values: comparisons, percentages, counts, or the short verdict words templates use.
_VALUE_LIKE = re.compile(r"[≥≤<>=＞＜%％]|^\d|^[^\d]{1,4}$")


def _n(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


def parse_performance_table(grid: Grid, table_index: int) -> list[PerformanceTarget]:
    paths = [[_n(p) for p in path] for path in grid.paths]
    value_pairs = _category_pairs(paths)
    if value_pairs:
        return _parse_project_summary(grid, paths, value_pairs, table_index)
    return _parse_indicator_list(grid, paths, table_index)


# ------------------------------------------------------------------ indicator lists


def _clean_value(value: str) -> str:
    # Line breaks inside a narrow cell come out as spaces between digits: "≥8 5%" is ≥85%.
    return re.sub(r"(?<=\d)\s+(?=\d)", "", value.strip())


def _is_header_row(cells: list[str]) -> bool:
    return sum(_n(cell) in _HEADER_TOKENS for cell in cells) >= 2


def _indicator_columns(cells: list[str]) -> dict[str, int] | None:
    """Column of each header word when ``cells`` is the indicator header row."""
    found: dict[str, int] = {}
    for c, cell in enumerate(cells):
        text = _n(cell)
        for word in _HEADER_WORDS:
            if text == word or (word == "指标值" and text.startswith("指标值") and "说明" not in text):
                found.setdefault(word, c)
        if "说明" in text and "指标" in text:
            found.setdefault("说明", c)
    return found if "三级指标" in found and "指标值" in found else None


def indicator_header_end(rows: list[list[str | None]]) -> int | None:
    """Rows up to and including the indicator header row (一级指标 … 三级指标, 指标值), if any."""
    for i, row in enumerate(rows):
        if _indicator_columns([cell or "" for cell in row]) is not None:
            return i + 1
    return None


def _parse_indicator_list(grid: Grid, paths: list[list[str]], table_index: int) -> list[PerformanceTarget]:
    columns = _indicator_columns([p[-1] if p else "" for p in paths])
    targets: list[PerformanceTarget] = []
    level1 = level2 = ""
    for i, row in enumerate(grid.rows):
        header = _indicator_columns(row.cells)
        if header is not None:
            # The first header names the columns; a repeat on the next page changes nothing
            # (merged 一级/二级 cells run on across the page break).
            columns = columns or header
            continue
        if columns is None:
            continue
        cell = {word: row.cells[c].strip() if c < len(row.cells) else "" for word, c in columns.items()}
        indicator, value = cell.get("三级指标", ""), _clean_value(cell.get("指标值", ""))
        level1 = cell.get("一级指标") or level1
        level2 = cell.get("二级指标") or level2
        if not indicator or not value:
            continue  # a row without a target (a misprinted or explanatory row)
        targets.append(
            PerformanceTarget(
                lineage=Lineage(table_index, row.page_no, i),
                project_code="",
                project_name="",
                level1=level1,
                level2=level2,
                indicator=indicator,
                target_value=value,
                note=cell.get("说明", ""),
            )
        )
    return targets


# ------------------------------------------------------------------ project summaries


def _category_pairs(paths: list[list[str]]) -> list[tuple[str, int, int]]:
    """(category, indicator column, value column) for every 三级指标 + 指标值 pair under a category."""
    pairs = []
    for c in range(len(paths) - 1):
        here, after = paths[c], paths[c + 1]
        # Only under a category (成本指标 …): a bare 三级指标 / 指标值 pair is an indicator list.
        if len(here) >= 2 and after and here[-1] in ("三级指标", "指标名称") and after[-1].startswith("指标值"):
            pairs.append((here[-2], c, c + 1))
    return pairs


def _alignment(rows: list[GridRow], pairs: list[tuple[str, int, int]]) -> int:
    """The column offset (0, -1, +1) under which indicator cells look like names and value cells
    like values. Decided per page: a stitched table's pages are not always shifted alike."""

    def score(offset: int) -> int:
        total = 0
        for row in rows:
            if _is_header_row(row.cells):
                continue
            for _cat, name_col, value_col in pairs:
                n, v = name_col + offset, value_col + offset
                if not (0 <= n < len(row.cells) and 0 <= v < len(row.cells)):
                    continue
                name, value = row.cells[n].strip(), row.cells[v].strip()
                total += bool(value) and bool(_VALUE_LIKE.search(value))
                total -= bool(name) and bool(_VALUE_LIKE.search(name)) and not _VALUE_LIKE.search(value or "x")
        return total

    return max((0, -1, 1), key=lambda offset: (score(offset), offset == 0))


@dataclass(slots=True)
class _Block:
    code: str
    name: str
    rows: list[tuple[int, int, list[tuple[str, str, str]]]] = field(default_factory=list)


def _parse_project_summary(
    grid: Grid, paths: list[list[str]], pairs: list[tuple[str, int, int]], table_index: int
) -> list[PerformanceTarget]:
    code_col = next((c for c, p in enumerate(paths) if any("编码" in x or "代码" in x for x in p)), 0)
    name_col = next((c for c, p in enumerate(paths) if any("名称" in x for x in p) and c != code_col), 1)
    pages = sorted({row.page_no for row in grid.rows})
    amount_col = next((c for c, p in enumerate(paths) if any("金额" in x or "资金总额" in x for x in p)), None)
    offsets = {page: _alignment([r for r in grid.rows if r.page_no == page], pairs) for page in pages}
    # One block per project: its code and name (which may wrap onto later rows) and its indicators.
    blocks: list[_Block] = []
    for i, row in enumerate(grid.rows):
        cells, offset = row.cells, offsets[row.page_no]
        if _is_header_row(cells):
            continue
        code, name = cells[code_col].strip(), cells[name_col].strip() if name_col < len(cells) else ""
        indicators = [
            (category, cells[n + offset].strip(), _clean_value(cells[v + offset]))
            for category, n, v in pairs
            if 0 <= n + offset < len(cells) and 0 <= v + offset < len(cells)
        ]
        indicators = [
            (cat, ind, val)
            for cat, ind, val in indicators
            # An indicator without its value (or a value without its indicator) is a misprinted cell.
            if ind and val and _n(ind) not in _HEADER_TOKENS and _n(val) not in _HEADER_TOKENS
        ]
        has_amount = amount_col is not None and amount_col < len(cells) and bool(cells[amount_col].strip())
        if (code or name) and blocks and not has_amount:
            # A long code and name wrapped onto a second line: the rest of the same project (what
            # else wrapped with it, fragments of the indicators above, is left out).
            blocks[-1].code += _n(code)
            blocks[-1].name += name
            continue
        if (code and _CODE.match(_n(code))) or (name and not code):
            blocks.append(_Block(_n(code), name))
        if indicators and blocks:
            blocks[-1].rows.append((i, row.page_no, indicators))
    return [
        PerformanceTarget(
            lineage=Lineage(table_index, page_no, i),
            project_code=block.code,
            project_name=block.name,
            level1=category,
            level2="",
            indicator=indicator,
            target_value=value,
            note="",
        )
        for block in blocks
        for i, page_no, indicators in block.rows
        for category, indicator, value in indicators
    ]
