"""pdfplumber's pages with their hottest loops of our own, giving the same objects.

A budget page is mostly characters: 800 of them on a typical table page. pdfplumber turns each
pdfminer ``LTChar`` into a dict through a generic path (a closure and a recursive ``resolve_all``
per attribute, a regex per object), ``Table.extract`` tests every character of the page
against every row and then every cell, and finding a table's cells scans every later
intersection for each one. On the real budgets the first two were a fifth of a parse
(profiled, docs/performance.md "Session 21"): the char dicts 16 %, the cell texts 8 %. The
dicts here are built by the same steps with plain values passed through, a row's characters
are found by bisection and an intersection's column and row are looked up;
``tests/test_lean_page.py`` holds all three equal to pdfplumber's own on real pages, so the pin
on pdfplumber (``<0.12``) is what keeps them in step.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any
from unicodedata import normalize as normalize_unicode

from pdfminer.layout import LTChar, LTItem
from pdfminer.pdfpage import PDFPage
from pdfplumber.page import ALL_ATTRS, Page, fix_fontname_bytes
from pdfplumber.pdf import PDF
from pdfplumber.table import Table, TableFinder, TableSettings, cells_to_tables, edges_to_intersections
from pdfplumber.utils import extract_text, obj_to_bbox, resolve_all, resolve_and_decode

Point = tuple[float, float]
Bbox = tuple[float, float, float, float]

# Values resolve_all hands back unchanged: exact types, since a PDF name (PSLiteral) or an
# object reference must still be resolved.
_PLAIN = frozenset({float, int, str, bool, type(None)})


class LeanPage(Page):
    """A pdfplumber ``Page`` whose characters and tables cost less to collect."""

    def __init__(self, pdf: PDF, page_obj: PDFPage, page_number: int, initial_doctop: float = 0) -> None:
        super().__init__(pdf, page_obj, page_number=page_number, initial_doctop=initial_doctop)
        # A page names a handful of colour spaces for thousands of characters.
        self._colour_spaces: dict[str | bytes, Any] = {}

    def _colour_space(self, name: object) -> Any:
        if not isinstance(name, (str, bytes)):
            return resolve_and_decode(name)
        if name not in self._colour_spaces:
            self._colour_spaces[name] = resolve_and_decode(name)
        return self._colour_spaces[name]

    def find_tables(self, table_settings: dict[str, Any] | TableSettings | None = None) -> list[Table]:
        return LeanTableFinder(self, TableSettings.resolve(table_settings)).tables

    def process_object(self, obj: LTItem) -> dict[str, Any]:
        if type(obj) is not LTChar:
            return super().process_object(obj)
        # pdfplumber's steps for an LTChar, in its order, so the dict is the same one.
        attr: dict[str, Any] = {}
        for key, value in obj.__dict__.items():
            if key in ALL_ATTRS:
                kind = type(value)
                # A tuple of plain values (the character's matrix) is immutable: shared as it is.
                plain = kind in _PLAIN or (kind is tuple and _PLAIN.issuperset(map(type, value)))
                attr[key] = value if plain else resolve_all(value)
        attr["object_type"] = "char"
        attr["page_number"] = self.page_number
        for cs in ("ncs", "scs"):
            if hasattr(obj, cs):
                attr[cs] = self._colour_space(getattr(obj, cs).name)
        text = obj.get_text()
        norm = self.pdf.unicode_norm
        attr["text"] = normalize_unicode(norm, text) if norm is not None else text
        gs = obj.graphicstate
        attr["stroking_color"] = gs.scolor if isinstance(gs.scolor, tuple) else (gs.scolor,)
        attr["non_stroking_color"] = gs.ncolor if isinstance(gs.ncolor, tuple) else (gs.ncolor,)
        if isinstance(attr["fontname"], bytes):
            attr["fontname"] = fix_fontname_bytes(attr["fontname"])
        mb_x0, mb_top = self.mediabox[:2]
        if "y0" in attr:
            height = self.height
            attr["top"] = (height - attr["y1"]) + mb_top
            attr["bottom"] = (height - attr["y0"]) + mb_top
            attr["doctop"] = self.initial_doctop + attr["top"]
        if "x0" in attr and mb_x0 != 0:
            attr["x0"] = attr["x0"] + mb_x0
            attr["x1"] = attr["x1"] + mb_x0
        return attr


class LeanTableFinder(TableFinder):
    """pdfplumber's ``TableFinder`` with ``cells_of`` for its cells."""

    def __init__(self, page: Page, settings: TableSettings | dict[str, Any] | None = None) -> None:
        # TableFinder.__init__'s steps, in its order.
        self.page = page
        self.settings = TableSettings.resolve(settings)
        self.edges = self.get_edges()
        self.intersections = edges_to_intersections(
            self.edges, self.settings.intersection_x_tolerance, self.settings.intersection_y_tolerance
        )
        self.cells = cells_of(self.intersections)
        self.tables = [Table(self.page, group) for group in cells_to_tables(self.cells)]


def cells_of(intersections: dict[Point, dict[str, list[dict[str, Any]]]]) -> list[Bbox]:
    """pdfplumber's ``intersections_to_cells``: for each point in sorted order, the smallest
    cell it is the top left corner of. There each point scans every later point for those below
    it and to its right, and rebuilds the sets of its edges for every pair it tests; here each
    point's edge sets are built once and its column and row are looked up."""
    points = sorted(intersections)
    vertical = {p: set(map(obj_to_bbox, intersections[p]["v"])) for p in points}
    horizontal = {p: set(map(obj_to_bbox, intersections[p]["h"])) for p in points}

    def connects(a: Point, b: Point) -> bool:
        if a[0] == b[0] and not vertical[a].isdisjoint(vertical[b]):
            return True
        return a[1] == b[1] and not horizontal[a].isdisjoint(horizontal[b])

    # The points after a point in sorted order that share its x are below it (by y), those
    # that share its y are to its right (by x). A NaN equals nothing, so it has neither.
    columns: dict[float, list[Point]] = defaultdict(list)
    rows: dict[float, list[Point]] = defaultdict(list)
    for p in points:
        if p[0] == p[0]:
            columns[p[0]].append(p)
        if p[1] == p[1]:
            rows[p[1]].append(p)
    column_index = {p: i for column in columns.values() for i, p in enumerate(column)}
    row_index = {p: i for row in rows.values() for i, p in enumerate(row)}
    cells: list[Bbox] = []
    for pt in points:
        below = columns[pt[0]][column_index[pt] + 1 :] if pt in column_index else []
        right = rows[pt[1]][row_index[pt] + 1 :] if pt in row_index else []
        cell = _smallest_cell(pt, below, right, intersections, connects)
        if cell is not None:
            cells.append(cell)
    return cells


def _smallest_cell(
    pt: Point,
    below: list[Point],
    right: list[Point],
    intersections: dict[Point, Any],
    connects: Callable[[Point, Point], bool],
) -> Bbox | None:
    for below_pt in below:
        if not connects(pt, below_pt):
            continue
        for right_pt in right:
            if not connects(pt, right_pt):
                continue
            corner = (right_pt[0], below_pt[1])
            if corner in intersections and connects(corner, right_pt) and connects(corner, below_pt):
                return (pt[0], pt[1], corner[0], corner[1])
    return None


def lean_pages(pdf: PDF) -> Iterator[LeanPage]:
    """``pdf.pages`` as ``LeanPage`` objects, each made as the reader reaches it (pdfplumber's
    own walk of the page tree, its page numbers and offsets)."""
    for page in pdf.pages:
        yield LeanPage(pdf, page.page_obj, page_number=page.page_number, initial_doctop=page.initial_doctop)


def table_text(table: Table) -> list[list[str | None]]:
    """``table.extract()``: each cell's text from the characters whose middle lies in it."""
    chars = table.page.chars
    # Each character's middle, as Table.extract computes it, and the characters in order of
    # their vertical middle so that a row's are one slice. A NaN middle is in no cell.
    middles = [((c["top"] + c["bottom"]) / 2, (c["x0"] + c["x1"]) / 2) for c in chars]
    order = sorted((i for i, (v, h) in enumerate(middles) if v == v and h == h), key=lambda i: middles[i][0])
    verticals = [middles[i][0] for i in order]
    rows: list[list[str | None]] = []
    for row in table.rows:
        x0, top, x1, bottom = row.bbox
        in_row = sorted(
            i for i in order[bisect_left(verticals, top) : bisect_left(verticals, bottom)] if x0 <= middles[i][1] < x1
        )
        texts: list[str | None] = []
        for cell in row.cells:
            if cell is None:
                texts.append(None)
                continue
            cx0, ctop, cx1, cbottom = cell
            cell_chars = [chars[i] for i in in_row if cx0 <= middles[i][1] < cx1 and ctop <= middles[i][0] < cbottom]
            texts.append(extract_text(cell_chars) if cell_chars else "")
        rows.append(texts)
    return rows
