"""A review page per document: one self-contained HTML file to check it by eye.

Each table as yusuan read it, beside the page images it was read from with every stored row
outlined where it is printed (a row and its outline link to each other); the document's kind and
the reason, agency, region, year, its totals and where each came from; every failed check in red,
linked to the row it names. Pages are embedded as JPEG (only those with tables), so the file
opens anywhere, offline, and a 100-page budget stays a few MB.
"""

from __future__ import annotations

import base64
import html
import io
import re
import resource
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pdfplumber

from yusuan.evidence.render import page_picture
from yusuan.extract.isolated import call_within
from yusuan.models import Box, ExtractedDocument

_RESOLUTION = 80  # dpi of the embedded page images: rows legible, a page ≈ 100 KB
_JPEG_QUALITY = 70
TOTAL_NAMES = ("income_total", "expenditure_total", "basic_expenditure", "project_expenditure", "three_public_total")
# "p.11 row 74" in a check's detail: the row it names, in the table its subject names.
_ROW_REF = re.compile(r"p\.(\d+) row (\d+)")
_TABLE_REF = re.compile(r"table (\d+)")


@dataclass(frozen=True, slots=True)
class ReviewRow:
    index: int
    page_no: int
    cells: tuple[str, ...]
    box: Box | None


@dataclass(slots=True)
class ReviewTable:
    index: int
    kind: str
    title: str
    page_first: int
    page_last: int
    labels: list[str]
    header_box: Box | None
    rows: list[ReviewRow] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ReviewCheck:
    name: str
    subject: str
    status: str
    detail: str

    def row_anchors(self) -> list[str]:
        """The rows this check names (``t5-r74``), in the order it names them."""
        return row_anchors(self.subject, self.detail)

    def row_anchor(self) -> str | None:
        """The first row this check names, when it names one."""
        anchors = self.row_anchors()
        return anchors[0] if anchors else None


def row_anchors(subject: str, detail: str) -> list[str]:
    """The rows a check's text names (``t5-r74``): "p.11 row 74" in the table the subject names."""
    table = _TABLE_REF.search(subject) or _TABLE_REF.search(detail)
    if table is None:
        return []
    return list(dict.fromkeys(f"t{table.group(1)}-r{row}" for _page, row in _ROW_REF.findall(detail)))


@dataclass(frozen=True, slots=True)
class ReviewFigure:
    name: str
    amount: str
    where: str  # "table 0 row 28 (p.1)" or "text"
    anchor: str | None


@dataclass(slots=True)
class ReviewDocument:
    document_id: int
    sha256: str
    agency_name: str
    region_name: str
    fiscal_year: int | None
    doc_kind: str
    content_kind: str
    kind_reason: str
    status: str
    verdict: str
    source_url: str
    extractor_version: str
    figures: list[ReviewFigure] = field(default_factory=list)
    checks: list[ReviewCheck] = field(default_factory=list)
    tables: list[ReviewTable] = field(default_factory=list)


def _page_images(pdf_path: Path, pages: set[int]) -> dict[int, tuple[str, float, float]]:
    """page → (data URI of a JPEG, width, height in points)."""
    images: dict[int, tuple[str, float, float]] = {}
    with pdfplumber.open(pdf_path) as pdf:
        for page_no in sorted(pages):
            if not 1 <= page_no <= len(pdf.pages):
                continue
            page = pdf.pages[page_no - 1]
            picture = page_picture(page, _RESOLUTION)
            buffer = io.BytesIO()
            picture.save(buffer, format="JPEG", quality=_JPEG_QUALITY, optimize=True)
            data = base64.b64encode(buffer.getvalue()).decode("ascii")
            images[page_no] = (f"data:image/jpeg;base64,{data}", float(page.width), float(page.height))
            page.close()
    return images


_STYLE = """
body{font-family:"WenQuanYi Micro Hei","Noto Sans CJK SC",sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em;border-top:1px solid #ccc;padding-top:.8em}
table.meta td{padding:2px 10px 2px 0;vertical-align:top}
.failed{color:#c00;font-weight:bold}.rounding{color:#a60}.passed{color:#080}
.pair{display:flex;gap:1.5em;align-items:flex-start}
.read{flex:1 1 45%;overflow-x:auto;max-height:90vh;overflow-y:auto}
.pages{flex:1 1 55%}
table.grid{border-collapse:collapse;font-size:12px}
table.grid td,table.grid th{border:1px solid #bbb;padding:2px 4px;white-space:nowrap}
table.grid th{background:#eee}
tr:target,tr.flagged{background:#fdd}
.page{position:relative;margin-bottom:1em;border:1px solid #999}
.page img{width:100%;display:block}
.page a.box{position:absolute;border:2px solid rgba(0,90,255,.55);box-sizing:border-box}
.page a.box.flagged{border:3px solid #e00;background:rgba(255,0,0,.12)}
.page a.box:target{background:rgba(255,220,0,.35)}
.pageno{font-size:11px;color:#666}
"""


def _esc(value: object) -> str:
    return html.escape(str(value))


def render_review(doc: ReviewDocument, pdf_path: Path) -> str:
    """The review page of ``doc`` as one HTML document (images embedded)."""
    flagged = {a for c in doc.checks if c.status == "failed" for a in c.row_anchors()}
    pages = {r.page_no for t in doc.tables for r in t.rows if r.box is not None}
    images = _page_images(pdf_path, pages)
    out: list[str] = [
        "<!doctype html><html lang='zh'><head><meta charset='utf-8'>",
        f"<title>review: {_esc(doc.agency_name)} {_esc(doc.fiscal_year or '')} (document {doc.document_id})</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{_esc(doc.agency_name or '(no agency)')} {_esc(doc.fiscal_year or '')} {_esc(doc.doc_kind)}</h1>",
        "<table class='meta'>",
    ]
    meta = [
        ("document", f"{doc.document_id} · sha256 {doc.sha256}"),
        ("kind", f"{doc.content_kind}: {doc.kind_reason}"),
        ("status", f"{doc.status}, verdict {doc.verdict or 'unchecked'}, extractor {doc.extractor_version}"),
        ("region", doc.region_name or "—"),
        ("source", doc.source_url),
    ]
    out += [f"<tr><td>{_esc(k)}</td><td>{_esc(v)}</td></tr>" for k, v in meta]
    out.append("</table><h2 id='totals'>Totals and where each came from</h2><table class='meta'>")
    for f in doc.figures:
        where = f"<a href='#{f.anchor}'>{_esc(f.where)}</a>" if f.anchor else _esc(f.where)
        out.append(f"<tr><td>{_esc(f.name)}</td><td>{_esc(f.amount)} 元</td><td>{where}</td></tr>")
    out.append("</table><h2 id='checks'>Checks</h2><ul>")
    for c in doc.checks:
        anchor = c.row_anchor()
        link = f" <a href='#{anchor}'>→ the row</a>" if anchor and c.status == "failed" else ""
        out.append(
            f"<li class='{_esc(c.status)}' data-check='{_esc(c.name)}'>{_esc(c.status)}: {_esc(c.name)} "
            f"{_esc(c.subject)} — {_esc(c.detail)}{link}</li>"
        )
    out.append("</ul>")
    for table in doc.tables:
        out += _table_section(table, images, flagged)
    # For a person nothing; for a check of the page in a browser (tests/test_evidence.py), the
    # number of page images that loaded and were decoded.
    out.append(
        "<script>addEventListener('load',()=>{document.body.dataset.imagesShown="
        "[...document.images].filter(i=>i.complete&&i.naturalWidth>0).length})</script>"
    )
    out.append("</body></html>")
    return "\n".join(out)


def _table_section(table: ReviewTable, images: dict[int, tuple[str, float, float]], flagged: set[str]) -> list[str]:
    out = [
        f"<h2 id='t{table.index}'>table {table.index}: {_esc(table.title or '(untitled)')} "
        f"<small>({_esc(table.kind)}, p.{table.page_first}–{table.page_last})</small></h2>",
        "<div class='pair'><div class='read'><table class='grid'><tr><th>#</th>",
    ]
    out += [f"<th>{_esc(label)}</th>" for label in table.labels]
    out.append("</tr>")
    by_page: dict[int, list[ReviewRow]] = defaultdict(list)
    for row in table.rows:
        anchor = f"t{table.index}-r{row.index}"
        css = " class='flagged'" if anchor in flagged else ""
        number = f"<a href='#box-{anchor}'>{row.index}</a>" if row.box else str(row.index)
        out.append(f"<tr id='{anchor}'{css}><td>{number}</td>")
        out += [f"<td>{_esc(cell)}</td>" for cell in row.cells]
        out.append("</tr>")
        if row.box is not None:
            by_page[row.page_no].append(row)
    out.append("</table></div><div class='pages'>")
    for page_no in sorted(by_page):
        if page_no not in images:
            continue
        uri, width, height = images[page_no]
        out.append(f"<div class='pageno'>page {page_no}</div><div class='page'><img alt='page {page_no}' src='{uri}'>")
        for row in by_page[page_no]:
            assert row.box is not None
            x0, top, x1, bottom = row.box
            anchor = f"t{table.index}-r{row.index}"
            css = "box flagged" if anchor in flagged else "box"
            style = (
                f"left:{100 * x0 / width:.3f}%;top:{100 * top / height:.3f}%;"
                f"width:{100 * (x1 - x0) / width:.3f}%;height:{100 * (bottom - top) / height:.3f}%"
            )
            out.append(
                f"<a class='{css}' id='box-{anchor}' href='#{anchor}' style='{style}' title='row {row.index}'></a>"
            )
        out.append("</div>")
    out.append("</div></div>")
    return out


def write_review(review: ReviewDocument, pdf_path: Path, out: Path) -> Path:
    """Write the review page of ``review`` (its pages rendered from ``pdf_path``) to ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    partial.write_text(render_review(review, pdf_path), encoding="utf-8")
    partial.replace(out)  # whole or not at all, whenever the writer stops
    return out


# A review page's rendering, in a child process: a budget's pages with tables at 80 dpi take
# seconds; a file that makes PDFium hang or balloon is stopped here.
REVIEW_SECONDS = 120.0
REVIEW_MEMORY_MB = 2048


@dataclass(frozen=True, slots=True)
class ReviewWritten:
    """A review page written, and the CPU its rendering took (the child's, or this process's)."""

    path: Path
    cpu_seconds: float


class ReviewNotWritten(Exception):
    """The review page's child process did not write it (its reason: a deadline, a crash …)."""


def _render_in_child(review: ReviewDocument, pdf_path: Path, out: Path) -> float:
    """``write_review`` in ``call_within``'s child; the child's CPU, its rendering's."""
    write_review(review, pdf_path, out)
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def write_review_within(
    review: ReviewDocument,
    pdf_path: Path,
    out: Path,
    seconds: float = REVIEW_SECONDS,
    memory_mb: int = REVIEW_MEMORY_MB,
) -> ReviewWritten:
    """``write_review`` in a child process, as a parse is (yusuan/extract/isolated.py): PDFium
    renders the pages, and a crash, a hang or a balloon in it on a hostile file costs this page
    only, never the run that writes it (a segfault in PDFium ends the whole process). In this
    process, one rendering at a time, where no child can be started. Raises ``ReviewNotWritten``."""
    ended = call_within(_render_in_child, (review, pdf_path, out), seconds, memory_mb)
    if ended is None:
        started = time.process_time()
        return ReviewWritten(write_review(review, pdf_path, out), time.process_time() - started)
    if ended.status == "ok":
        return ReviewWritten(out, float(ended.value))  # type: ignore[arg-type]
    if ended.status == "timeout":
        raise ReviewNotWritten(f"rendering took longer than {seconds:g} s: stopped")
    if ended.status == "memory":
        raise ReviewNotWritten(f"rendering needed more than {memory_mb} MB: stopped")
    if ended.status == "died":
        raise ReviewNotWritten(f"the rendering process died (exit code {ended.exitcode})")
    raise ReviewNotWritten(f"rendering failed: {ended.value}")


def review_dir(raw_dir: Path) -> Path:
    """Where a run writes the review pages of its documents whose checks failed."""
    return raw_dir.parent / "review"


def review_of_extracted(doc: ExtractedDocument, document_id: int = 0, source_url: str = "") -> ReviewDocument:
    """The review of a document just extracted (not loaded): the same page, for a file on disk."""
    chosen: dict[str, ReviewFigure] = {}
    for f in sorted(doc.figures, key=lambda f: f.priority):
        if f.name in TOTAL_NAMES and f.name not in chosen:
            lineage = f.lineage
            where = (
                "the text"
                if lineage is None
                else f"table {lineage.table_index} row {lineage.row_index} (p.{lineage.page_no})"
            )
            anchor = None if lineage is None else f"t{lineage.table_index}-r{lineage.row_index}"
            chosen[f.name] = ReviewFigure(f.name, f"{f.amount:,}", where, anchor)
    return ReviewDocument(
        document_id=document_id,
        sha256=doc.sha256,
        agency_name=doc.agency_name,
        region_name="",
        fiscal_year=doc.fiscal_year,
        doc_kind=doc.doc_kind,
        content_kind=str(doc.content_kind),
        kind_reason=doc.kind_reason,
        status=str(doc.status),
        verdict=doc.verdict,
        source_url=source_url,
        extractor_version=doc.extractor_version,
        figures=[chosen[name] for name in TOTAL_NAMES if name in chosen],
        checks=[ReviewCheck(c.name, c.subject, c.status, c.detail) for c in doc.checks],
        tables=[
            ReviewTable(
                t.index,
                str(t.kind),
                t.title,
                t.page_first,
                t.page_last,
                list(t.column_labels),
                t.header_box,
                [ReviewRow(r.row_index, r.page_no, r.cells, r.box) for r in t.rows],
            )
            for t in doc.tables
        ],
    )
