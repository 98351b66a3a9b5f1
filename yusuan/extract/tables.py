"""Logical tables from the page stream: titles, captions, page stitching, header paths.

pdfplumber returns one grid per page; a budget table often runs over several pages, with or
without a repeated header, and its title can sit at the foot of the previous page. This module
turns the stream into whole tables with a label path for every column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from yusuan.extract.classify import looks_like_title
from yusuan.extract.pdf_reader import Block, TableBlock, TextLine
from yusuan.extract.word_grid import box_union
from yusuan.models import Box
from yusuan.normalise.amounts import clean_cell, find_unit, is_amount, is_blank_amount
from yusuan.normalise.codes import is_economic_code, is_function_code, split_code_and_name

_DATA_LABEL = re.compile(
    r"^(合\s*计|总\s*计|[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十]+[）)]|\d+[、.．]|其中)"
)
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
    return _CONTINUED.sub("", _norm(title))


def _wrapped_title(first: str, second: str) -> str | None:
    """The title two printed lines make together, when neither is one alone: the first names a
    table (表) and breaks inside its parenthesised qualifier, the second closes it."""
    if not first or looks_like_title(first) or looks_like_title(second) or "表" not in first:
        return None
    opened = first.count("（") + first.count("(") > first.count("）") + first.count(")")
    joined = first + second
    return joined if opened and looks_like_title(joined) else None


def _column_roles(rows: list[list[str | None]], ncols: int) -> list[str]:
    """ "code", "amount", "text" or "empty" for every column, from what its cells hold."""
    roles = []
    for c in range(ncols):
        values = [(row[c] or "").strip() for row in rows if c < len(row) and (row[c] or "").strip()]
        amounts = sum(1 for v in values if is_amount(v) or is_blank_amount(v))
        if not values:
            roles.append("empty")
        elif sum(1 for v in values if is_function_code(v) or is_economic_code(v)) * 2 >= len(values):
            roles.append("code")
        elif amounts and amounts >= 0.8 * len(values):
            roles.append("amount")
        else:
            roles.append("text")
    return roles


def _compatible(target: str, source: str) -> bool:
    return source == "empty" or target == source or {target, source} <= {"code", "text"}


def _in_order(target: list[str], source: list[str]) -> dict[int, int] | None:
    """Source columns onto the target's non-empty ones, left to right, when there are as many and
    each pair agrees in role: a page drawn without the blank column its first page carries."""
    filled = [c for c, role in enumerate(target) if role != "empty"]
    if len(filled) != len(source) or len(filled) == len(target):
        return None
    if not all(_compatible(target[t], role) for t, role in zip(filled, source, strict=True)):
        return None
    return dict(enumerate(filled))


def _moved(row: list[str | None], mapping: dict[int, int], ncols: int) -> list[str | None]:
    cells: list[str | None] = [None] * ncols
    for c, value in enumerate(row):
        if c in mapping:
            cells[mapping[c]] = value
    return cells


def spread_over(segments: list[Segment], rows: list[list[str | None]]) -> list[list[str | None]]:
    """The header rows of ``segments`` (a page foot that printed only a table's top header row)
    that label groups of the columns of ``rows`` and that ``rows`` do not repeat: ``人员经费 |
    公用经费`` over six columns is each over three. Only rows whose labels divide the columns
    evenly: where they would fall otherwise is not known."""
    ncols = len(rows[0])
    own = {_norm(c) for row in rows[: split_header(rows)] for c in row if c}
    out: list[list[str | None]] = []
    for row in (r for seg in segments for r in seg.rows):
        labels = [c for c in row if c and _norm(c)]
        if not (2 <= len(labels) < ncols and ncols % len(labels) == 0) or any(_norm(c) in own for c in labels):
            continue
        width = ncols // len(labels)
        out.append([labels[c // width] if c % width == 0 else None for c in range(ncols)])
    return out


def without_repeated_header(parent: RawTable, rows: list[list[str | None]]) -> list[list[str | None]]:
    """``rows`` less the header rows at their top that repeat labels of ``parent``'s header."""
    first = parent.segments[0].rows
    labels = {_norm(c) for row in first[: split_header(first)] for c in row if c}
    start = 0
    while (
        start < len(rows)
        and not is_data_row(rows[start])
        and any(rows[start])
        and all(_norm(c) in labels for c in rows[start] if c)
    ):
        start += 1
    return rows[start:]


def _is_code(text: str) -> bool:
    return is_function_code(text) or is_economic_code(text)


def remap_continuation(parent: RawTable, rows: list[list[str | None]]) -> list[list[str | None]] | None:
    """``rows`` of a page that continues ``parent`` on a grid with other columns (Word tables
    whose every page has its own cell boundaries), moved into the parent's columns by role: the
    code column onto the parent's code column, the name onto its name column, the amount columns
    onto its amount columns in order. None unless every non-empty column finds its place."""
    ncols = parent.ncols
    body = [r for seg in parent.segments for r in seg.rows if is_data_row(r)]
    target, source = _column_roles(body, ncols), _column_roles(rows, len(rows[0]))

    in_order = _in_order(target, source)
    if in_order is not None:
        return [_moved(row, in_order, ncols) for row in rows]

    def of(roles: list[str], role: str) -> list[int]:
        return [c for c, r in enumerate(roles) if r == role]

    def fullest(cols: list[int], table: list[list[str | None]]) -> int:
        return max(cols, key=lambda c: sum(1 for row in table if c < len(row) and row[c]))

    t_code, s_code, t_amounts, s_amounts = (
        of(target, "code"),
        of(source, "code"),
        of(target, "amount"),
        of(source, "amount"),
    )
    t_text, s_text = of(target, "text"), of(source, "text")
    if not s_code and len(t_code) == 1 and len(s_text) == 1 and t_text and len(s_amounts) == len(t_amounts):
        # The page prints each code in front of its name in one cell (its columns found from
        # text positions): that cell goes to the name column, where the code is read from it.
        coded = sum(1 for row in rows if _is_code(split_code_and_name(row[s_text[0]] or "")[0]))
        if coded * 2 < len(rows):
            return None
        mapping = {s_text[0]: fullest(t_text, body), **dict(zip(s_amounts, t_amounts, strict=True))}
        return [_moved(row, mapping, ncols) for row in rows]
    if not t_code and len(s_code) == 1 and len(s_text) == 1 and t_text and len(s_amounts) == len(t_amounts):
        # The other way round: the table's first pages keep each code in its name's cell, this
        # page split the code off. The two go back into one cell, under the names.
        names = fullest(t_text, body)
        lines = [row for row in body if not _DATA_LABEL.match(_norm(row[names]))]
        if sum(1 for row in lines if _is_code(split_code_and_name(row[names] or "")[0])) * 2 < len(lines):
            return None  # (a first page that printed only the 合计 row says nothing against it)
        joined = [list(row) for row in rows]
        for row in joined:
            code, name = (row[s_code[0]] or "").strip(), row[s_text[0]] or ""
            row[s_text[0]] = f"{code} {name}" if code else name
        mapping = {s_text[0]: names, **dict(zip(s_amounts, t_amounts, strict=True))}
        return [_moved(row, mapping, ncols) for row in joined]
    if len(t_code) != 1 or len(s_code) != 1 or not s_amounts or not t_amounts or len(s_text) != 1 or not t_text:
        return None
    # Amount columns pair up from the left. A subtotal (类) amount printed one column further
    # right may have no row on the parent's pages: the blank columns after its last amount take it.
    spare = t_amounts[-1] + 1
    while len(t_amounts) < len(s_amounts) and spare < ncols and target[spare] == "empty":
        t_amounts, spare = [*t_amounts, spare], spare + 1
    if len(s_amounts) > len(t_amounts):
        return None
    mapping = {s_code[0]: t_code[0], s_text[0]: fullest(t_text, body), **dict(zip(s_amounts, t_amounts, strict=False))}
    return [_moved(row, mapping, ncols) for row in rows]


# Words of column labels: a row made of these and no amount is a header row, even when its
# first label is 合计 (the second header row of 预算数 over 合计 | 人员经费 | 公用经费).
_COLUMN_WORD = re.compile(r"合计|小计|总计|经费|支出|预算|金额|收入|拨款|资金|科目|类|款|项")
# 一、一般公共预算拨款收入 | 一、基本支出 with blank amounts is a data row of a 收支总表.
_ORDINAL_LABEL = re.compile(r"^([一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十]+[）)]|\d+[、.．])")
_COLUMN_NUMBER_LABEL = re.compile(r"^(栏次|序号|行次|\*+|[A-Za-z]|甲|乙|丙)?$")


def is_column_number_row(cells: list[str | None]) -> bool:
    """The 栏次 row under a header (** | ** | 1 | 2 | 3 …): it numbers the columns, it is no data."""
    texts = [(c or "").strip() for c in cells]
    numbers = [t for t in texts if t.isdigit()]
    if len(numbers) < 2 or any(not (t.isdigit() or _COLUMN_NUMBER_LABEL.match(t)) for t in texts):
        return False
    values = [int(t) for t in numbers]
    return values == list(range(values[0], values[0] + len(values))) and values[0] <= 2


def is_header_row(cells: list[str | None]) -> bool:
    """A row of column labels only, whatever its first label."""
    # Publishers space out short labels (合 计): the words are matched without their spaces.
    texts = [_norm(c) for c in cells if c and c.strip()]
    return (
        len(texts) >= 2
        and not any(is_amount(t) for t in texts)
        and all(_COLUMN_WORD.search(t) and not _ORDINAL_LABEL.match(t) for t in texts)
    )


def is_data_row(cells: list[str | None]) -> bool:
    texts = [c for c in cells if c]
    if not texts:
        return False
    if texts[0].startswith("栏次") or is_column_number_row(cells) or is_header_row(cells):
        return False
    return any(is_amount(t) for t in texts) or bool(_DATA_LABEL.match(texts[0]))


def split_header(rows: list[list[str | None]]) -> int:
    """Number of header rows: the leading rows before the first data row."""
    for i, row in enumerate(rows):
        if is_data_row(row):
            return i
    return len(rows)


def _norm(text: str | None) -> str:
    return re.sub(r"\s+", "", text or "")


def column_paths(header: list[list[str | None]], ncols: int) -> list[list[str]]:
    """The label path of every column, top header row first (e.g. ["基本支出", "小计"]).

    A blank header cell is part of the merged cell to its left only when both sit under the
    same (non-blank) parent: that tells a spanning 基本支出 (whose pieces are blank) from a blank
    cell that merely follows 资本性支出 under another parent, or sits under no label at all.
    """
    filled: list[list[str]] = []
    for r, row in enumerate(header):
        cells = [_norm(row[c]) if c < len(row) else "" for c in range(ncols)]
        out = list(cells)
        for c in range(1, ncols):
            if out[c]:
                continue
            same_parent = r == 0 or (filled[r - 1][c] != "" and filled[r - 1][c] == filled[r - 1][c - 1])
            if same_parent and out[c - 1]:
                out[c] = out[c - 1]
        filled.append(out)
    paths: list[list[str]] = []
    for c in range(ncols):
        path: list[str] = []
        for r in range(len(filled)):
            label = filled[r][c]
            if label and (not path or path[-1] != label):
                path.append(label)
        paths.append(path)
    return paths


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


def to_grid(table: RawTable, header_rows: int | None = None) -> Grid:
    """``header_rows`` overrides where the header ends (tables without amounts, whose data rows
    the numeric test cannot tell from header rows)."""
    first = table.segments[0]
    n_header = split_header(first.rows) if header_rows is None else header_rows
    header = [row for row in first.rows[:n_header] if not is_column_number_row(row)]
    header_texts = {_norm(c) for row in header for c in row if c}
    ncols = table.ncols
    body: list[GridRow] = []
    for index, segment in enumerate(table.segments):
        start = n_header if index == 0 else 0
        if index > 0:
            # Drop a header repeated at the top of a continuation page.
            while (
                start < len(segment.rows)
                and not is_data_row(segment.rows[start])
                and all(_norm(c) in header_texts for c in segment.rows[start] if c)
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
