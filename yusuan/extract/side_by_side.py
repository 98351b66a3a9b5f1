"""Line tables printed as side-by-side blocks of the same columns.

A 基本支出 table can print its 人员经费 rows on the left half of the page and its 公用经费 rows on
the right half of the same lines (科目编码 | 科目名称 | 金额, twice), as the 决算 templates print
theirs. Read across, every printed line holds two rows of two different codes, and the second
block's rows are never read. Such a table is its blocks one under the other, in reading order:
on each page the left block's rows, then the next block's. A label that tells the blocks apart
(人员经费 over one, 公用经费 over the other) becomes a column of its own, holding the amount of the
rows printed under it, beside a 合计 column that holds every row's amount.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

from yusuan.extract.header_rows import norm
from yusuan.extract.tables import Grid, GridRow
from yusuan.normalise.amounts import is_amount, parse_amount
from yusuan.normalise.codes import split_code_and_name

_TOTAL = re.compile(r"(合计|总计|小计)$")


def _leaf(path: list[str]) -> str:
    return norm(path[-1]) if path else ""


def _is_code_label(leaf: str) -> bool:
    return "编码" in leaf or "代码" in leaf or leaf in ("类", "款", "项")


def _blocks(grid: Grid, is_code: Callable[[str], bool]) -> list[list[int]] | None:
    """The column indices of each block, or None when the table is not printed in blocks."""
    used = [c for c in range(len(grid.paths)) if grid.paths[c] or any(row.cells[c] for row in grid.rows)]
    leaves = [_leaf(grid.paths[c]) for c in used]
    for count in (2, 3):
        if len(used) % count or len(used) // count < 2:
            continue
        width = len(used) // count
        blocks = [used[b * width : (b + 1) * width] for b in range(count)]
        first = leaves[:width]
        if any(leaves[b * width : (b + 1) * width] != first for b in range(1, count)):
            continue
        # Every block starts with what names a row (a code or a name) and holds amounts; one
        # block may print no coded row, only its 合计 (no 公用经费 line this year).
        if not (_is_code_label(first[0]) or "名称" in first[0] or "科目" in first[0]):
            continue
        coded = [_coded_rows(grid, block, is_code) for block in blocks]
        if all(_amount_columns(grid, block) for block in blocks) and sum(1 for n in coded if n) >= count - 1:
            return blocks
    return None


def _amount_columns(grid: Grid, block: list[int]) -> list[int]:
    """Columns holding amounts; a code column's 301 reads as a number too, its label says otherwise."""
    return [
        c
        for c in block
        if not _is_code_label(leaf := _leaf(grid.paths[c]))
        and "名称" not in leaf
        and any(is_amount(row.cells[c]) for row in grid.rows)
    ]


def _prints_code(cells: list[str], is_code: Callable[[str], bool]) -> bool:
    """Whether a block's row prints a code: in a code column, or in front of its name."""
    return any(is_code(split_code_and_name(cell)[0]) for cell in cells)


def _coded_rows(grid: Grid, block: list[int], is_code: Callable[[str], bool]) -> int:
    return sum(1 for row in grid.rows if _prints_code([row.cells[c] for c in block], is_code))


def _distinguishing_labels(grid: Grid, blocks: list[list[int]]) -> list[str]:
    """Per block, the header label printed over it and not over every block (人员经费 / 公用经费;
    a third block headed 公用经费 again continues that part); empty when the blocks are told apart
    by nothing."""
    over = [[{norm(x) for x in grid.paths[c][:-1] if norm(x)} for c in block] for block in blocks]
    common = set.intersection(*(labels for block in over for labels in block))
    roles = []
    for block in over:
        # The label over most of the block's columns: without vertical rules a centred group
        # label can spread one column too far, over the next block's first column or its own
        # block's last (人员经费 | 人员经费 | 公用经费 over 科目编码 | 科目名称 | 金额).
        counts = Counter(label for labels in block for label in labels - common)
        ranked = counts.most_common(2)
        if not ranked or ranked[0][1] * 2 <= len(block) or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
            return []
        roles.append(ranked[0][0])
    return roles if len(set(roles)) > 1 else []


def _label(cells: list[str], amounts: list[int]) -> str:
    return "".join(norm(c) for i, c in enumerate(cells) if i not in amounts and c and not is_amount(c))


def _sum(texts: list[str]) -> str:
    values = [parse_amount(t) for t in texts if is_amount(t)]
    total = sum((v for v in values if v is not None), Decimal(0))
    places = max((len(t.rsplit(".", 1)[1]) for t in texts if is_amount(t) and "." in t), default=0)
    return f"{total:.{places}f}"


def unstacked_blocks(grid: Grid, is_code: Callable[[str], bool]) -> Grid:
    """The grid with side-by-side blocks of the same columns stacked one under the other.

    A row that totals its own block (人员经费合计 beside 公用经费合计) is one 合计 row of the whole
    table, its 合计 the sum of the blocks' totals; a grid that is not printed in blocks comes back
    unchanged."""
    blocks = _blocks(grid, is_code)
    if blocks is None:
        return grid
    roles = _distinguishing_labels(grid, blocks)
    first = blocks[0]
    relative_amounts = [first.index(c) for c in _amount_columns(grid, first)]
    # Roles become columns only where each block prints one amount: which part it is, the label says.
    with_roles = bool(roles) and len(relative_amounts) == 1
    paths = [[x for x in grid.paths[c] if norm(x) not in roles] or grid.paths[c][-1:] for c in first]
    parts = list(dict.fromkeys(roles))  # each part's column, in the order the blocks print them
    if with_roles:
        paths[relative_amounts[0]] = ["合计"]
        paths += [[part] for part in parts]
    width = len(paths)

    pages: dict[int, list[list[GridRow]]] = {}
    # Totals open the table, where a standard table prints its 合计.
    opening: list[GridRow] = []
    for row in grid.rows:
        per_block = pages.setdefault(row.page_no, [[] for _ in blocks])
        block_totals: list[tuple[int, str]] = []
        for b, block in enumerate(blocks):
            cells = [row.cells[c] for c in block] + [""] * (width - len(block))
            if not any(cells):
                continue
            amount = cells[relative_amounts[0]]
            label = _label(cells, relative_amounts)
            if _TOTAL.search(label) and not _prints_code(cells, is_code):
                if with_roles and (roles[b] in label or label.startswith(roles[b][:2])):
                    block_totals.append((b, amount))
                else:
                    # The table's own 合计, printed in one block: no part of it is that block's.
                    opening.append(GridRow(row.page_no, cells, row.box))
                continue
            if with_roles and amount:
                cells[len(first) + parts.index(roles[b])] = amount
            per_block[b].append(GridRow(row.page_no, cells, row.box))
        if block_totals:
            cells = [""] * width
            cells[0] = "合计"
            cells[relative_amounts[0]] = _sum([amount for _, amount in block_totals])
            if len(block_totals) == len(blocks):
                for n, part in enumerate(parts):
                    cells[len(first) + n] = _sum([amount for b, amount in block_totals if roles[b] == part])
            opening.append(GridRow(row.page_no, cells, row.box))

    rows = opening + [row for page in sorted(pages) for block_rows in pages[page] for row in block_rows]
    header = [
        [None if c >= len(r) or norm(r[c] or "") in roles else r[c] for c in first] + [None] * (width - len(first))
        for r in grid.header
    ]
    if with_roles and header:
        header[0][len(first) :] = parts
    return replace(grid, header=header, paths=paths, rows=rows)
