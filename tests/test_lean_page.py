"""The lean page gives what pdfplumber gives: the same characters, the same cell texts."""

from __future__ import annotations

from pathlib import Path

import pdfplumber
import pytest
from pdfplumber.page import Page
from pdfplumber.table import TableFinder, TableSettings, edges_to_intersections, intersections_to_cells

from tests.conftest import CORPUS, REAL_PDFS, needs_shared
from yusuan.extract.lean_page import LeanPage, LeanTableFinder, cells_of, lean_pages, table_text

# Pages of several makers' templates: ruled tables, borderless ones, a rotated or offset box
# where a file has one. The first pages of each file hold its cover, its notes and its tables.
_FILES = [
    "cities/002_北京",
    "cities/021_泉州",
    "cities/036_潍坊",
    "putuo",
    "jiangsu",
]
_PAGES_PER_FILE = 6


def _sample_files() -> list[Path]:
    files: list[Path] = []
    for folder in _FILES:
        found = sorted((REAL_PDFS / folder).glob("*.pdf"))
        files += found[:2]
    files += sorted(CORPUS.rglob("*.pdf"))[:1]
    return files


@needs_shared
@pytest.mark.parametrize("path", _sample_files(), ids=lambda p: p.name[:24])
def test_lean_pages_equal_pdfplumber_pages(path: Path) -> None:
    with pdfplumber.open(path) as plain, pdfplumber.open(path) as lean:
        pairs = list(zip(plain.pages, lean_pages(lean), strict=True))[:_PAGES_PER_FILE]
        assert pairs, f"{path} has no pages"
        for theirs, ours in pairs:
            assert isinstance(ours, LeanPage) and type(theirs) is Page
            assert (ours.page_number, ours.initial_doctop, ours.bbox) == (
                theirs.page_number,
                theirs.initial_doctop,
                theirs.bbox,
            )
            assert ours.chars == theirs.chars
            assert ours.rects == theirs.rects and ours.lines == theirs.lines
            found = theirs.find_tables()
            assert LeanTableFinder(ours).cells == TableFinder(theirs).cells
            assert [t.bbox for t in ours.find_tables()] == [t.bbox for t in found]
            for table in found:
                assert table_text(table) == table.extract()
            ours.close()
            theirs.close()


def test_table_text_on_a_page_whose_box_is_not_at_the_origin(tmp_path: Path) -> None:
    """A ruled 2 × 2 table drawn by hand, on a page whose MediaBox starts at (9, 9) (pdfplumber
    shifts the characters by it) and with a word across the middle rule (split by its
    characters' middles)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    path = tmp_path / "grid.pdf"
    c = canvas.Canvas(str(path), pagesize=A4)
    height = A4[1]
    for x in (100, 200, 300):
        c.line(x, height - 100, x, height - 160)
    for y in (100, 130, 160):
        c.line(100, height - y, 300, height - y)
    c.setFont("Helvetica", 10)
    c.drawString(110, height - 120, "a1")
    c.drawString(210, height - 120, "b1")
    c.drawString(110, height - 150, "a2")
    c.drawString(196, height - 150, "xy")  # straddles the middle rule: its chars split by their middles
    c.save()
    # The same length, so the file's cross-reference offsets still hold.
    data = path.read_bytes()
    assert data.count(b"/MediaBox [ 0 0 ") == 1
    path.write_bytes(data.replace(b"/MediaBox [ 0 0 ", b"/MediaBox [ 9 9 "))
    with pdfplumber.open(path) as plain, pdfplumber.open(path) as lean:
        theirs, ours = plain.pages[0], next(lean_pages(lean))
        assert ours.mediabox[0] == 9
        assert ours.chars == theirs.chars
        (table,) = ours.find_tables()
        assert table_text(table) == table.extract()
        assert table_text(table)[0] == ["a1", "b1"]
        assert table_text(table)[1][0].startswith("a2")


def _edge(orientation: str, x0: float, top: float, x1: float, bottom: float) -> dict[str, object]:
    return {"orientation": orientation, "x0": x0, "x1": x1, "top": top, "bottom": bottom,
            "width": x1 - x0, "height": bottom - top, "object_type": "line"}  # fmt: skip


@pytest.mark.parametrize("seed", range(40))
def test_cells_of_equals_pdfplumbers_on_grids_with_missing_rules(seed: int) -> None:
    """Ruled grids with merged cells (rule segments left out), touching grids and stray rules."""
    import random
    from itertools import pairwise

    rng = random.Random(seed)
    xs = sorted(rng.sample(range(0, 600, 10), rng.randint(2, 9)))
    ys = sorted(rng.sample(range(0, 800, 10), rng.randint(2, 12)))
    edges = []
    for i, y in enumerate(ys):  # horizontal rules, cut between columns now and then
        for a, b in pairwise(xs):
            if i in (0, len(ys) - 1) or rng.random() > 0.2:
                edges.append(_edge("h", a, y, b, y))
    for j, x in enumerate(xs):
        for a, b in pairwise(ys):
            if j in (0, len(xs) - 1) or rng.random() > 0.2:
                edges.append(_edge("v", x, a, x, b))
    for _ in range(rng.randint(0, 3)):  # stray rules crossing the grid
        x, y = rng.randrange(0, 600), rng.randrange(0, 800)
        edges.append(_edge("h", x, y, x + rng.randrange(5, 200), y))
    settings = TableSettings.resolve(None)
    intersections = edges_to_intersections(edges, settings.intersection_x_tolerance, settings.intersection_y_tolerance)
    assert cells_of(intersections) == intersections_to_cells(intersections)
