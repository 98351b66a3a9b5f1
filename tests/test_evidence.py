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


@needs_shared
def test_every_lines_lineage_is_the_stored_row_it_was_read_from() -> None:
    """省法院2019 prints a 类's amount on a line of its own below its code: the two lines are read
    as one, and the rows after them keep their stored index, so each line's lineage row (and
    its box) is the row that prints its code."""
    path = next(p for p in REAL_PDFS.rglob("*.pdf") if "江苏省高级人民法院2019" in p.name)
    doc = extract_document(path, hashlib.sha256(path.read_bytes()).hexdigest(), path.name)
    lines = [(line.lineage, line.func_code) for line in doc.function_lines] + [
        (line.lineage, line.econ_code) for line in doc.economic_lines
    ]
    assert len(lines) > 30
    for lineage, code in lines:
        printed = doc.tables[lineage.table_index].rows[lineage.row_index]
        assert printed.page_no == lineage.page_no
        assert any(_squeezed(cell).startswith(code) for cell in printed.cells), (code, printed.cells)


def _chromium() -> str | None:
    import shutil

    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.slow
@pytest.mark.skipif(_chromium() is None, reason="needs Debian's chromium (make screenshot-deps installs it)")
def test_a_run_links_the_review_page_of_a_document_whose_checks_failed_and_it_opens_in_a_browser(
    pipeline_env: str, tmp_path: Path
) -> None:
    """A budget whose 支出总表 does not add up: the run's summary artifact links its review page;
    the page opens in headless Chromium with its page images shown, and the failed check links
    to the row it names, which is in the page (and outlined on the page image)."""
    import subprocess

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from selectolax.lexbor import LexborHTMLParser as HTMLParser

    from flows.ingest import ingest
    from yusuan.demo.site import Article, Attachment, demo_column
    from yusuan.synth.model import generate_budget
    from yusuan.synth.render import render_budget

    budget = generate_budget(4242)
    column = demo_column()
    name = f"{budget.year}年{budget.agency}部门预算.pdf"
    pdf = render_budget(budget, corrupt_total=True)
    column.articles.append(
        Article("t20250301_009", f"{budget.agency}部门预算公开", "2025-03-01", "详见附件。", (Attachment(name, pdf),))
    )
    with PortalServer(columns=[column]) as portal:
        result = ingest(portal.entry_url, portal="review")
    flagged = next(d for d in result["documents"] if d["verdict"] == "failed")
    with get_client(sync_client=True) as client:
        key = ArtifactFilterKey(any_=["ingest-review-summary"])
        markdown = max(client.read_artifacts(artifact_filter=ArtifactFilter(key=key)), key=lambda a: a.created).data
    link = re.search(r"\[review page\]\((file://[^)]+)\)", markdown)
    assert link is not None, markdown
    # Each failed check that names a row links straight to it on the review page.
    to_row = re.search(r"\[→ the row\]\((file://[^)#]+)#(t\d+-r\d+)\)", markdown)
    assert to_row is not None and to_row.group(1) == link.group(1), markdown
    page = Path(link.group(1).removeprefix("file://"))
    assert page.name == f"{flagged['document_id']}.html" and page.stat().st_size < 20_000_000

    dom = subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=15000",
         "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    tree = HTMLParser(dom)
    body = tree.css_first("body")
    assert body is not None and int(body.attributes.get("data-images-shown") or 0) >= 1
    failed = [li for li in tree.css("li.failed") if li.css_first("a")]
    assert failed, "a failed check links to its row"
    target = failed[0].css_first("a").attributes["href"].lstrip("#")  # type: ignore[union-attr]
    assert tree.css_first(f"tr#{target}") is not None  # the row as read
    assert tree.css_first(f"a#box-{target}.flagged") is not None  # its outline on the page image
    assert tree.css_first(f"tr#{to_row.group(2)}") is not None  # where the artifact's link lands
    assert budget.agency in tree.css_first("h1").text()  # type: ignore[union-attr]


def test_a_review_page_is_linked_where_it_is_served_else_as_a_file() -> None:
    from flows.summary import review_link

    page = Path("/data/review/17.html")
    assert review_link(page, "http://review.example:8765/") == "http://review.example:8765/17.html"
    assert review_link(page, None) == "file:///data/review/17.html"


@needs_shared
def test_pages_are_rendered_one_at_a_time_whatever_thread_asks(monkeypatch: pytest.MonkeyPatch) -> None:
    """PDFium is not thread-safe, not even across documents, and a group's entries write their
    review pages side by side as they end: bench/national.py with real budgets lost the whole
    group run to a segfault in libpdfium. Four threads writing review-page images at once:
    PDFium is never entered by two of them, and every page is rendered."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    import pdfplumber.display

    from yusuan.evidence.review import _page_images

    active = most = 0
    count = threading.Lock()
    real = pdfplumber.display.get_page_image

    def watched(*args: object, **kwargs: object) -> object:
        nonlocal active, most
        with count:
            active += 1
            most = max(most, active)
        try:
            time.sleep(0.05)  # room for another thread to come in, were it let in
            return real(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            with count:
                active -= 1

    monkeypatch.setattr(pdfplumber.display, "get_page_image", watched)
    path = SHARED / "corpus" / "000_c95a306f488ad727.pdf"
    with ThreadPoolExecutor(4) as pool:
        images = list(pool.map(lambda _: _page_images(path, {1, 2}), range(4)))
    assert most == 1
    assert [sorted(pages) for pages in images] == [[1, 2]] * 4
    assert all(uri.startswith("data:image/jpeg;base64,") for pages in images for uri, _w, _h in pages.values())


def _segfault() -> None:
    """A child that dies as PDFium does on a bad day."""
    import os
    import signal

    os.kill(os.getpid(), signal.SIGSEGV)


@needs_shared
def test_a_runs_review_page_is_written_by_a_child_whose_crash_or_hang_costs_that_page_only(tmp_path: Path) -> None:
    """A run writes its review pages in a child process, as it parses: PDFium renders them, and
    a segfault there ended the whole flow process (bench/national.py); a file that makes it hang
    held the run with no deadline. The child's page is the in-process one; a child killed by
    SIGSEGV is reported, not shared; past its deadline no page is left behind."""
    from yusuan.evidence.review import ReviewNotWritten, review_of_extracted, write_review, write_review_within
    from yusuan.extract.isolated import call_within

    path = SHARED / "corpus" / "000_c95a306f488ad727.pdf"
    review = review_of_extracted(extract_document(path, "z", ""), document_id=7)
    written = write_review_within(review, path, tmp_path / "child" / "7.html")
    there, here = written.path, write_review(review, path, tmp_path / "here" / "7.html")
    assert there.read_text(encoding="utf-8") == here.read_text(encoding="utf-8")
    assert there.stat().st_size > 10_000 and not list((tmp_path / "child").glob(".*"))
    assert 0 < written.cpu_seconds < 60

    crashed = call_within(_segfault, (), 30, 1024)
    assert crashed is not None and (crashed.status, crashed.exitcode) == ("died", -11)

    with pytest.raises(ReviewNotWritten, match="longer than"):
        write_review_within(review, path, tmp_path / "late" / "7.html", seconds=0.01)
    assert not (tmp_path / "late" / "7.html").exists()
