"""Evidence: every stored row knows where it is printed, and `yusuan evidence` draws it."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path

import pdfplumber
import pytest
from PIL import Image
from sqlalchemy import text

from storage.database import engine_for
from tests.conftest import REAL_PDFS, SHARED, needs_shared
from yusuan.demo.server import PortalServer
from yusuan.extract.document import extract_document
from yusuan.models import ExtractedDocument


def _squeezed(text_: str) -> str:
    return re.sub(r"\s+", "", text_)


def _rows_hold_their_characters(path: Path, doc: ExtractedDocument, kinds: set[str]) -> int:
    """Every row of the tables of these kinds has a box on its page that holds its printed cells:
    every character of every cell is among the characters printed inside the box (a wrapped name
    is read in another order, so characters, not strings). Returns the rows checked."""
    checked = 0
    with pdfplumber.open(path) as pdf:
        for table in doc.tables:
            if table.kind not in kinds:
                continue
            for row in table.rows:
                assert row.box is not None, (table.title, row.row_index)
                chars = pdf.pages[row.page_no - 1].crop(row.box, strict=False).chars
                inside = Counter(c["text"] for c in chars if c["text"].strip())
                printed = Counter(_squeezed("".join(row.cells)))
                assert not printed - inside, (table.title, row.row_index, row.cells, printed - inside)
                checked += 1
    return checked


@needs_shared
@pytest.mark.parametrize("name", ["000_c95a306f488ad727.pdf"])
def test_every_line_tables_row_has_a_box_holding_its_printed_cells_ruled(name: str) -> None:
    path = SHARED / "corpus" / name
    doc = extract_document(path, hashlib.sha256(path.read_bytes()).hexdigest(), name)
    kinds = {"general_budget_expenditure", "general_budget_basic_expenditure", "expenditure_summary"}
    assert _rows_hold_their_characters(path, doc, kinds) > 20
    assert all(t.header_box is not None for t in doc.tables if t.kind in kinds)


@needs_shared
def test_rows_rebuilt_from_words_and_cut_by_a_page_break_have_boxes_holding_their_cells() -> None:
    """省法院2017 (Word-made: rows rebuilt from words, continuation rows printed above a page's
    first rule): each row's box holds its cells, on its own page."""
    path = next(p for p in REAL_PDFS.rglob("*.pdf") if "省法院2017" in p.name)
    doc = extract_document(path, hashlib.sha256(path.read_bytes()).hexdigest(), path.name)
    kinds = {"general_budget_expenditure", "general_budget_basic_expenditure"}
    assert _rows_hold_their_characters(path, doc, kinds) > 60
    cut = next(r for t in doc.tables for r in t.rows if r.cells and "2210201" in r.cells)
    assert cut.page_no == 14 and cut.box is not None and cut.box[1] < 100  # the page's first line


def test_yusuan_evidence_draws_a_stored_line_where_it_is_printed(
    pipeline_env: str, portal: PortalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an ingest, `yusuan evidence <sha256> --line 2101506` writes a PNG of the page around
    that row (its table's header above it); the boxes are in budget.table_rows."""
    from typer.testing import CliRunner

    from flows.cli import app
    from flows.ingest import ingest

    ingest(portal.entry_url, portal="demo")
    with engine_for(pipeline_env).connect() as conn:
        sha, document_id, boxed, rows = conn.execute(
            text(
                """SELECT d.sha256, d.document_id,
                          count(*) FILTER (WHERE r.x0 IS NOT NULL), count(*)
                   FROM budget.documents d JOIN budget.table_rows r USING (document_id)
                   WHERE d.agency_name = '郑州市医疗保障局' GROUP BY 1, 2"""
            )
        ).one()
        line = conn.execute(
            text(
                """SELECT r.page_no, r.x0, r.top, r.x1, r.bottom FROM budget.function_lines f
                   JOIN budget.table_rows r USING (document_id, table_index, row_index)
                   WHERE f.document_id = :doc AND f.func_code = '2101506' ORDER BY f.table_index LIMIT 1"""
            ),
            {"doc": document_id},
        ).one()
    assert boxed == rows > 50
    out = tmp_path / "evidence.png"
    result = CliRunner().invoke(app, ["evidence", sha[:12], "--line", "2101506", "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = sorted(tmp_path.glob("evidence*.png"))
    assert written and str(written[0]) in result.output.replace("\n", "")
    with Image.open(written[0]) as image:
        assert image.format == "PNG"
        width, height = image.size
        pixels = image.convert("RGB").getdata()
        # The row is outlined in red, and the crop is wider than the row is tall.
        assert any(r > 200 and g < 60 and b < 60 for r, g, b in pixels)
    _page, x0, top, x1, bottom = line
    assert width > (x1 - x0) and height > (bottom - top) * 2  # the header above the row
    missing = CliRunner().invoke(app, ["evidence", str(document_id), "--line", "9999999"])
    assert missing.exit_code == 1 and "has no line 9999999" in missing.output
