"""Logical tables from the page stream: titles, captions, page stitching, header paths.

pdfplumber returns one grid per page; a budget table often runs over several pages, with or
without a repeated header, and its title can sit at the foot of the previous page. This module
turns the stream into whole tables with a label path for every column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from yusuan.extract.classify import looks_like_title
from yusuan.extract.header_rows import column_paths, is_column_number_row, is_data_row, norm, split_header
from yusuan.extract.pdf_reader import Block, TableBlock, TextLine
from yusuan.extract.stitching import remap_continuation, spread_over, without_repeated_header
from yusuan.extract.word_grid import box_union
from yusuan.models import Box
from yusuan.normalise.amounts import clean_cell, find_unit, is_amount

_CAPTION = re.compile(
    r"(部门名称|单位名称|编制单位|编制部门|预算单位|预算主管部门|部门|单位)\s*[:：]|单位\s*[:：]?\s*(万元|元)"
)
_PAGE_NUMBER = re.compile(r"^[-—\s]*\d+[-—\s]*$|^第\s*\d+\s*页")
_BODY_TEXT_MIN = 45


@dataclass(slots=True)
class Segment:
    page_no: int
    rows: list[list[str | None]]
    # Where each row is printed (pdf_reader.TableBlock.boxes); empty or None where unknown.
    boxes: list[Box | None] = field(default_factory=list)

    def box(self, index: int) -> Box | None:
        return self.boxes[index] if index < len(self.boxes) else None


@dataclass(slots=True)
class RawTable:
    title: str
    captions: list[str]
    segments: list[Segment] = field(default_factory=list)

    @property
    def ncols(self) -> int:
        return len(self.segments[0].rows[0]) if self.segments and self.segments[0].rows else 0


def _clean_rows(
    rows: list[list[str | None]], boxes: list[Box | None]
) -> tuple[list[list[str | None]], list[Box | None]]:
    kept = [(row, boxes[i] if i < len(boxes) else None) for i, row in enumerate(rows) if row]
    return [[None if c is None else clean_cell(c) for c in row] for row, _ in kept], [box for _, box in kept]


def _embedded_caption(rows: list[list[str | None]]) -> tuple[str | None, list[str], list[list[str | None]]]:
    """Some publishers (Jiangsu) put the title and the 部门/单位 caption inside the table grid."""
    title: str | None = None
    captions: list[str] = []
    while rows:
        texts = list(dict.fromkeys(c.strip() for c in rows[0] if c and c.strip()))
        if not texts:
            rows = rows[1:]  # blank spacer rows of Excel exports above the title
            continue
        if any(is_amount(t) for t in texts):
            break
        parts = [p.strip() for p in texts[0].split("\n") if p.strip()]
        if len(texts) == 1 and any(looks_like_title(p) for p in parts):
            for part in parts:
                if title is None and looks_like_title(part):
                    title = part
                else:
                    captions.append(part)
        elif find_unit(" ".join(texts)) is not None or all(_CAPTION.match(t) for t in texts):
            captions.append(" ".join(clean_cell(t) for t in texts))
        else:
            break
        rows = rows[1:]
    return title, captions, rows


def _title_then_caption(text: str) -> tuple[str, list[str]] | None:
    """A title with its caption after it on one line (``2026年一般公共预算支出表单位：万元``): the
    title and the caption; None when the line does not open with a title."""
    for match in _CAPTION.finditer(text):
        title = text[: match.start()].rstrip(" （(")
        if match.start() > 0 and looks_like_title(title):
            return title, [text[match.start() :].rstrip(" ）)")]
    return None


def build_tables(blocks: list[Block]) -> list[RawTable]:
    tables: list[RawTable] = []
    pending_title: str | None = None
    pending_captions: list[str] = []
    current: RawTable | None = None
    previous_text = ""
    for block in blocks:
        if isinstance(block, TextLine):
            text = block.text.strip()
            if _PAGE_NUMBER.match(text):
                continue
            wrapped, previous_text = _wrapped_title(previous_text, text), text
            if wrapped is not None:
                # A title wrapped over two lines ("…支出明细表（按支出功能分类科" / "目-不含上年结转）").
                pending_title = wrapped
                pending_captions = [c for c in pending_captions if c != text]
            elif split := _title_then_caption(text):
                # 单位：万元 (or 部门名称：…) printed on the title's line, after the title.
                pending_title, pending_captions = split
            elif looks_like_title(text):
                pending_title, pending_captions = text, []
            elif _CAPTION.search(text) or len(text) < 20:
                pending_captions.append(text)
            elif len(text) >= _BODY_TEXT_MIN:
                # Running text between a title-like line and the next grid: the line was a
                # table of contents entry or a heading, not this table's title.
                pending_title, pending_captions = None, []
                current = None
            continue
        assert isinstance(block, TableBlock)
        previous_text = ""
        if not block.rows:
            continue
        inner_title, inner_captions, raw_rows = _embedded_caption(block.rows)
        # The caption rows came off the top: the boxes of the rows left are the last ones.
        rows, boxes = _clean_rows(raw_rows, block.boxes[len(block.rows) - len(raw_rows) :])
        if not rows:
            continue
        title = inner_title or pending_title
        repeated_title = (
            title is not None
            and current is not None
            and _continued(title) == _continued(current.title)
            and current.ncols == len(rows[0])
        )
        if title is not None and not repeated_title:
            current = RawTable(title=clean_cell(title), captions=pending_captions + inner_captions)
            tables.append(current)
        elif current is not None and current.ncols == len(rows[0]):
            pass  # continuation of the table running over from the previous page (title repeated or not)
        elif current is not None and not any(is_data_row(r) for seg in current.segments for r in seg.rows):
            # Only header rows fitted under the title at the foot of the previous page; the grid
            # starts again here with its full header. Keep the title, take this grid, and the
            # group labels over it that only the previous page printed.
            above = spread_over(current.segments, rows)
            rows, boxes = above + rows, [None] * len(above) + boxes
            current.segments = []
        elif (
            current is not None
            and title is None
            and block.page_no > current.segments[-1].page_no
            and (body := without_repeated_header(current, rows))
            and is_data_row(body[0])
            and (remapped := remap_continuation(current, body)) is not None
        ):
            # The table runs on over a next page drawn with a grid of its own (its header, if
            # repeated, dropped: the table's is on its first page).
            boxes = boxes[len(rows) - len(body) :]
            rows = remapped
        else:
            current = RawTable(title="", captions=pending_captions + inner_captions)
            tables.append(current)
        current.segments.append(Segment(block.page_no, rows, boxes))
        pending_title, pending_captions = None, []
    return tables


_CONTINUED = re.compile(r"(?:[（(]续表?[）)]|续表)$")


def _continued(title: str) -> str:
    """A title as compared with the table it may continue: ``…支出表（续）`` and ``…支出表续表``
    are the table ``…支出表`` running on."""
    return _CONTINUED.sub("", norm(title))


def _wrapped_title(first: str, second: str) -> str | None:
    """The title two printed lines make together, when neither is one alone: the first names a
    table (表) and breaks inside its parenthesised qualifier, the second closes it."""
    if not first or looks_like_title(first) or looks_like_title(second) or "表" not in first:
        return None
    opened = first.count("（") + first.count("(") > first.count("）") + first.count(")")
    joined = first + second
    return joined if opened and looks_like_title(joined) else None


@dataclass(slots=True)
class GridRow:
    page_no: int
    cells: list[str]
    box: Box | None = None  # where the row is printed on its page


@dataclass(slots=True)
class Grid:
    title: str
    captions: list[str]
    page_first: int
    page_last: int
    header: list[list[str | None]]
    paths: list[list[str]]
    rows: list[GridRow]
    header_box: Box | None = None  # around the header rows, on the first page


def _repeats_a_label(text: str, labels: set[str]) -> bool:
    """``text`` is one of the header's labels, or a piece of one that a rebuilt row cut off
    (``能分类科目编码`` of 功能分类科目编码, its first character taken into the cell beside it).
    Pieces of four characters or more: a short one could be a wrapped name's end."""
    return text in labels or (len(text) >= 4 and any(text in label for label in labels))


def to_grid(table: RawTable, header_rows: int | None = None) -> Grid:
    """``header_rows`` overrides where the header ends (tables without amounts, whose data rows
    the numeric test cannot tell from header rows)."""
    first = table.segments[0]
    n_header = split_header(first.rows) if header_rows is None else header_rows
    header = [row for row in first.rows[:n_header] if not is_column_number_row(row)]
    header_texts = {norm(c) for row in header for c in row if c}
    ncols = table.ncols
    body: list[GridRow] = []
    for index, segment in enumerate(table.segments):
        start = n_header if index == 0 else 0
        if index > 0:
            # Drop a header repeated at the top of a continuation page.
            while (
                start < len(segment.rows)
                and not is_data_row(segment.rows[start])
                and all(_repeats_a_label(norm(c), header_texts) for c in segment.rows[start] if c)
            ):
                start += 1
        for i in range(start, len(segment.rows)):
            row = segment.rows[i]
            cells = [(row[c] or "") if c < len(row) else "" for c in range(ncols)]
            if any(cells) and not is_column_number_row(cells):
                body.append(GridRow(segment.page_no, cells, segment.box(i)))
    return Grid(
        title=table.title,
        captions=table.captions,
        page_first=table.segments[0].page_no,
        page_last=table.segments[-1].page_no,
        header=header,
        paths=column_paths(header, ncols),
        rows=body,
        header_box=box_union([first.box(i) for i in range(min(n_header, len(first.rows)))]),
    )
