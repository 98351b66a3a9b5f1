"""``yusuan evidence`` and ``yusuan review``: a stored number shown where it is printed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flows.bootstrap import bootstrap
from flows.terminal import console
from yusuan.settings import Settings, load_settings


def evidence(
    document: Annotated[str, typer.Argument(help="Document id, or its sha256 (8 characters or more)")],
    line: Annotated[str | None, typer.Option(help="A line's code (2080505, 30101) or a project's name")] = None,
    table: Annotated[int | None, typer.Option(help="Table index (with --row): any printed row")] = None,
    row: Annotated[int | None, typer.Option(help="Row index within --table")] = None,
    out: Annotated[Path | None, typer.Option(help="PNG to write (default: evidence-<doc>-<table>-<row>.png)")] = None,
    open_it: Annotated[bool, typer.Option("--open", help="Open the picture for a person")] = False,
) -> None:
    """A PNG of where a stored line is printed: its page cropped to the table's header and the
    row, the row outlined. One file per matching row; the paths are printed."""
    from storage.database import engine_for
    from storage.evidence import find_document, row_evidence, rows_of_line
    from yusuan.evidence.crop import write_row_png
    from yusuan.evidence.rows import EvidenceNotFound

    if (line is None) == (table is None or row is None):
        console.print("give either --line CODE or --table N --row M")
        raise typer.Exit(2)
    boot = bootstrap(runs_flows=False)
    settings = load_settings()
    try:
        with engine_for(boot.database_url).connect() as conn:
            document_id, sha256 = find_document(conn, document)
            places = rows_of_line(conn, document_id, line) if line is not None else [(table, row)]
            if not places:
                raise EvidenceNotFound(f"document {document_id} has no line {line}")
            rows = [row_evidence(conn, document_id, t, r) for t, r in places]  # type: ignore[arg-type]
    except EvidenceNotFound as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    raw = _raw_file(settings, sha256)
    for n, found in enumerate(rows):
        target = out or Path(f"evidence-{document_id}-{found.table_index}-{found.row_index}.png")
        if out is not None and len(rows) > 1:
            target = out.with_name(f"{out.stem}-{n + 1}{out.suffix or '.png'}")
        try:
            written = write_row_png(raw, found, target)
        except ValueError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
        console.print(f"{written}  {found.label}: {' | '.join(c for c in found.cells if c)}")
        if open_it:
            typer.launch(str(written))


def _raw_file(settings: Settings, sha256: str) -> Path:
    """The document's PDF on this machine (fetched from the object store when only it has it);
    the command ends saying where it looked when neither has it."""
    from storage.object_store import object_store_of
    from storage.raw_store import RawStore

    try:
        return RawStore(settings.raw_dir, object_store_of(settings)).local(sha256)
    except FileNotFoundError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc


def review(
    document: Annotated[str, typer.Argument(help="Document id, or its sha256 (8 characters or more)")],
    out: Annotated[Path | None, typer.Option(help="HTML file to write (default: review-<doc>.html)")] = None,
    open_it: Annotated[bool, typer.Option("--open", help="Open the page in a browser")] = False,
) -> None:
    """One self-contained HTML page to check a document by eye: each table as read, beside its
    pages with every row outlined; kind, agency, year, totals and where each came from; failed
    checks in red, linked to their rows."""
    from storage.database import engine_for
    from storage.evidence import find_document, read_review
    from yusuan.evidence.review import write_review
    from yusuan.evidence.rows import EvidenceNotFound

    boot = bootstrap(runs_flows=False)
    settings = load_settings()
    try:
        with engine_for(boot.database_url).connect() as conn:
            document_id, sha256 = find_document(conn, document)
            raw = _raw_file(settings, sha256)
            review_doc = read_review(conn, document_id)
        written = write_review(review_doc, raw, out or Path(f"review-{document_id}.html"))
    except EvidenceNotFound as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"{written} ({written.stat().st_size / 1e6:.1f} MB)")
    if open_it:
        typer.launch(str(written))


def serve_reviews(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8765,
) -> None:
    """Serve the review pages runs wrote (data_dir/review) until Ctrl-C; set
    YUSUAN_REVIEW_BASE_URL to this address so that run summaries link here."""
    import functools
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from yusuan.evidence.review import review_dir

    folder = review_dir(load_settings().raw_dir)
    folder.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(folder))
    with ThreadingHTTPServer((host, port), handler) as server:
        console.print(f"review pages of {folder} at http://{host}:{port}/ (Ctrl-C to stop)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
