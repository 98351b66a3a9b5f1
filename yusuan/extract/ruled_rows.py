"""Rows pdfplumber's grid misses on pages whose rules are incomplete, read from word positions.

A table ruled only horizontally comes out of pdfplumber as one column per band; its columns are
rebuilt from the gaps between words (``rows_from_words``). Around a ruled table, rows the rules
leave out: header lines printed above it or left at the previous page's foot, a data row cut by
the page break above it, rows alone at a page's top between two rules (one cell, no table to
pdfplumber). Each function takes a pdfplumber page and returns rows of cell texts with their
boxes; ``pdf_reader.read_pdf`` decides where they go.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import pdfplumber

from yusuan.extract.header_rows import is_header_row
from yusuan.extract.word_grid import (
    Bands,
    cells_by_band,
    column_bands,
    fill_up,
    joined_wrapped_labels,
    leaf_label_bands,
    split_bands,
    spread_group_labels,
    text_lines,
    words_box,
)
from yusuan.models import Box
from yusuan.normalise.amounts import is_amount, is_blank_amount


def looks_underruled(rows: list[list[str | None]]) -> bool:
    """A grid with too few columns for its text: vertical rules missing, cells run together."""
    if not rows or len(rows[0]) > 2:
        return False
    crowded = sum(1 for row in rows if any(c and len(c.split()) >= 3 for c in row))
    return crowded >= max(1, len(rows) // 3)


_HEADER_WORDS = ("合计", "科目", "编码", "项目", "金额", "小计", "名称", "类", "款", "支出", "经费", "预算数", "指标")


def _header_lines_above(page: pdfplumber.page.Page, bbox: tuple[float, float, float, float]) -> list[list[dict]]:
    """Header lines printed just above the ruled area (no rule drawn over the header band).

    Walks up from the table's top over lines made of column labels; stops at a caption
    (单位：万元), a title, or a gap."""
    x0, top, x1, _bottom = bbox
    if top < 2:
        return []
    area = page.crop((x0, max(page.bbox[1], top - 60), x1, top), strict=False)
    lines = joined_wrapped_labels(text_lines(area.extract_words(x_tolerance=1.5)))
    taken: list[list[dict]] = []
    edge = top
    for line in reversed(lines):
        text = "".join(w["text"] for w in line)
        if edge - line[0]["bottom"] > 12 or "：" in text or ":" in text or text.endswith("表"):
            break
        if not any(word in text for word in _HEADER_WORDS) or any(ch.isdigit() for ch in text):
            break
        taken.insert(0, line)
        edge = line[0]["top"]
    return taken


def trailing_header_lines(page: pdfplumber.page.Page, below: float) -> list[list[dict]]:
    """Header-like lines at the foot of a page, below its last table: a header orphaned there
    belongs to the table that starts on the next page."""
    top = max(below, page.bbox[1])
    if not any(char["bottom"] >= top for char in page.chars):
        # No character reaches the area (a crop keeps what touches it): no words to read there,
        # and cropping clips every object of the page, the rules included.
        return []
    area = page.crop((page.bbox[0], top, page.bbox[2], page.bbox[3]), strict=False)
    lines = joined_wrapped_labels(text_lines(area.extract_words(x_tolerance=1.5)))
    out: list[list[dict]] = []
    for line in reversed(lines):
        text = "".join(w["text"] for w in line)
        if text.strip("-— ").isdigit():
            continue  # page number
        if "：" in text or ":" in text or text.endswith("表") or not any(w in text for w in _HEADER_WORDS):
            break
        out.insert(0, line)
    return out


def data_lines_above(
    page: pdfplumber.page.Page, table: object, rows: list[list[str | None]]
) -> tuple[list[list[str | None]], list[Box | None], float]:
    """Data rows printed just above a ruled table that continues from the previous page.

    A row cut by the page break loses its top rule, and pdfplumber finds no cell there: the
    first line of the page (2210201 住房公积金 1,029.15) would be dropped. Only when the table
    itself opens with data (a continuation, no header) are the lines right above it, inside its
    width, with an amount, cut into its columns. Returns the rows, their boxes and the top they
    start at."""
    x0, top, x1, _bottom = table.bbox  # type: ignore[attr-defined]
    if top < 2 or not rows or not any(c and is_amount(c.strip()) for c in rows[0]):
        return [], [], top
    area = page.crop((page.bbox[0], page.bbox[1], page.bbox[2], top), strict=False)
    lines = text_lines(area.extract_words(x_tolerance=1.5))
    taken: list[list[dict]] = []
    edge = top
    for line in reversed(lines):
        if edge - max(w["bottom"] for w in line) > 12 or any(w["x0"] < x0 - 1 or w["x1"] > x1 + 1 for w in line):
            break
        if not any(is_amount(w["text"]) for w in line):
            break
        taken.insert(0, line)
        edge = min(w["top"] for w in line)
    if not taken:
        return [], [], top
    # The cut row is cut as the first row below it is: merged cells span several grid columns.
    first = table.rows[0].cells  # type: ignore[attr-defined]
    bands = [(cell[0], cell[2]) if cell else (-1.0, -1.0) for cell in first]
    return cells_by_band(taken, bands), [words_box(line) for line in taken], edge


@dataclass(frozen=True, slots=True)
class RunOn:
    """Rows read at a page's top with no table of pdfplumber's around them: their cells, where
    each is printed (None: a header carried from the page before), and the span they cover."""

    rows: list[list[str | None]]
    boxes: list[Box | None]
    top: float
    bottom: float


def _a_row_of_labels(band: list[dict], columns: Bands) -> bool:
    cells = cells_by_band([band], columns)[0]
    return sum(1 for cell in cells if cell) >= 3 and not is_header_row(cells)


def ruled_rows_running_on(page: pdfplumber.page.Page, below: float, columns: Bands) -> RunOn | None:
    """Rows at the very top of a page that run on the previous page's table ruled only
    horizontally (its columns ``columns`` rebuilt from words), above ``below`` (this page's first
    table, if any).

    One row alone on its page is one cell between two rules, which pdfplumber does not count as a
    table: the row (a long name wrapped over three lines around its amounts) was dropped. Each band
    between two rules across the columns' width is a row while it holds an amount; nothing may be
    printed above the first rule."""
    left, right = columns[0][0], columns[-1][1]
    rules = sorted(
        {
            round(e["top"], 1)
            for e in page.horizontal_edges
            if e["top"] < below and e["x0"] <= left + 3 and e["x1"] >= right - 3
        }
    )
    if len(rules) < 2:
        return None
    words = [w for w in page.extract_words(x_tolerance=1.5) if w["bottom"] <= below]
    if any(w["bottom"] <= rules[0] + 0.5 for w in words):
        return None
    rows: list[list[dict]] = []
    for top, bottom in itertools.pairwise(rules):
        band = [w for w in words if top <= (w["top"] + w["bottom"]) / 2 <= bottom]
        if not band:
            continue  # a rule drawn twice a hair apart
        amounts = [w for w in band if is_amount(w["text"]) and not is_blank_amount(w["text"])]
        labels = [w for w in band if not is_amount(w["text"]) and not is_blank_amount(w["text"])]
        # A row prints two amounts, or an amount and its label ("- 21 -" is a page number), or
        # text in three columns or more that is no header (a 绩效目标 indicator: 效益指标 |
        # 社会效益指标 | 服务对象满意度 | ≥90%).
        if len(amounts) < 2 and not (amounts and labels) and not _a_row_of_labels(band, columns):
            break
        if any(w["x0"] < left - 2 or w["x1"] > right + 2 for w in band):
            break
        rows.append(band)
    if not rows:
        return None
    boxes = [words_box(row) for row in rows]
    return RunOn(cells_by_band(rows, columns), boxes, rules[0], max(w["bottom"] for w in rows[-1]))


def ruled_rows_under_carried_header(
    page: pdfplumber.page.Page, below: float, carried: list[list[dict]]
) -> RunOn | None:
    """Rows at the very top of a page, between rules, under header lines left at the foot of the
    previous page (a 三公 table's one row in a box of its own, its header printed without rules
    on the page before): too few cells for pdfplumber to count as a table. Columns come from the
    header's labels across the width of the first rule; the header rows lead the table."""
    edges = [e for e in page.horizontal_edges if e["top"] < below]
    if not edges:
        return None
    top_rule = min(e["top"] for e in edges)
    widest = max((e for e in edges if abs(e["top"] - top_rule) < 1), key=lambda e: e["x1"] - e["x0"])
    columns = leaf_label_bands(carried, widest["x0"], widest["x1"])
    if not columns:
        return None
    running_on = ruled_rows_running_on(page, below, columns)
    if running_on is None:
        return None
    header = cells_by_band(carried, columns)
    spread_group_labels(header, len(header), columns, carried)
    fill_up(header, len(header))
    return replace(running_on, rows=[*header, *running_on.rows], boxes=[*([None] * len(header)), *running_on.boxes])


def _matching(own: Bands, previous: Bands) -> bool:
    """Each of a page's own columns has its middle in the previous page's column of the same
    place: the same columns, not as many others (a code split off its name where the previous
    page's blank 人员经费 column is missing here)."""
    return all(a <= (c + d) / 2 <= b for (c, d), (a, b) in zip(own, previous, strict=True))


def rows_from_words(
    page: pdfplumber.page.Page,
    table: object,
    previous: Bands | None = None,
    carried_header: list[list[dict]] | None = None,
) -> tuple[list[list[str | None]], Bands, list[Box | None]]:
    """Rebuild a table whose vertical rules are missing.

    Rows come from its horizontal rules; a band without numbers (the header) is split into its
    printed lines, because merged header cells leave no rule between header rows. Columns come
    from the gaps that no word of the number rows, nor of the lowest header line, crosses.
    """
    bands = [row.bbox for row in table.rows]  # type: ignore[attr-defined]
    x0, _top, x1, _bottom = table.bbox  # type: ignore[attr-defined]
    words = page.crop(table.bbox, strict=False).extract_words(x_tolerance=1.5, keep_blank_chars=False)  # type: ignore[attr-defined]
    # Header lines may sit above the rules, or at the foot of the previous page (carried over).
    above = _header_lines_above(page, table.bbox)  # type: ignore[attr-defined]
    rows: list[list[dict]] = above or list(carried_header or [])
    carried_rows = 0 if above else len(rows)  # printed on the previous page: no box here
    for band in bands:
        ws = [w for w in words if band[1] - 0.5 <= (w["top"] + w["bottom"]) / 2 <= band[3] + 0.5]
        if any(is_amount(w["text"]) for w in ws):
            rows.append(ws)
        else:
            rows += joined_wrapped_labels(text_lines(ws)) or [[]]
    data = [ws for ws in rows if any(is_amount(w["text"]) for w in ws)]
    first_data = next((i for i, ws in enumerate(rows) if ws in data), len(rows))
    x_matches = previous is not None and abs(previous[0][0] - x0) < 2 and abs(previous[-1][1] - x1) < 2
    if first_data == 0 and previous is not None and x_matches:
        # A page continuing a table without repeating its header: its own data gives the best
        # columns, unless a column blank on this page left no gap; then the previous page's
        # columns are kept.
        own = column_bands(data, x0, x1) if len(data) > 2 else []
        columns = own if len(own) == len(previous) and _matching(own, previous) else previous
    elif len(data) <= 2:
        # One or two number rows say little about columns; the header's lowest labels say more.
        columns = leaf_label_bands(rows[:first_data], x0, x1) or column_bands(data, x0, x1)
    else:
        columns = split_bands(column_bands(data, x0, x1), rows[:first_data], data)
    grid = cells_by_band(rows, columns)
    spread_group_labels(grid, first_data, columns, rows)
    boxes = [None if i < carried_rows else words_box(ws) for i, ws in enumerate(rows)]
    return grid, columns, boxes
