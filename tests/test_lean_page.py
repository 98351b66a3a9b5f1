"""The lean page gives what pdfplumber gives: the same characters, the same cell texts."""

from __future__ import annotations

from pathlib import Path

import pdfplumber
import pytest
from pdfplumber.page import Page

from tests.conftest import CORPUS, REAL_PDFS, needs_shared
from yusuan.extract.lean_page import LeanPage, lean_pages, table_text

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
