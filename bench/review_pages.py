"""Review pages of real files, to check by eye and to measure: size and the time a browser takes.

    .venv/bin/python bench/review_pages.py [--out /tmp/review] [--screenshot docs/review-page.png] FILE.pdf …

Each file is extracted as the pipeline would and its review page (yusuan/evidence/review.py)
written to ``--out``; with Debian's chromium, each page is loaded headless and the seconds it
took and the page images shown are printed; ``--screenshot`` saves the first page's picture.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from yusuan.evidence.review import render_review, review_of_extracted
from yusuan.extract.document import extract_document

_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--virtual-time-budget=20000"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=Path("/tmp/review"))
    parser.add_argument("--screenshot", type=Path)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    chromium = shutil.which("chromium")
    for n, path in enumerate(args.files):
        doc = extract_document(path, hashlib.sha256(path.read_bytes()).hexdigest(), path.name)
        page = args.out / f"{n:02d}-{path.stem[:40]}.html"
        started = time.monotonic()
        page.write_text(render_review(review_of_extracted(doc, source_url=str(path)), path), encoding="utf-8")
        written = time.monotonic() - started
        line = f"{page.name}: {doc.page_count} pages, {len(doc.tables)} tables, {page.stat().st_size / 1e6:.1f} MB"
        line += f", written in {written:.1f} s"
        if chromium:
            started = time.monotonic()
            dom = subprocess.run(
                [chromium, *_FLAGS, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=300
            ).stdout
            shown = re.search(r'data-images-shown="(\d+)"', dom)
            line += f", opened in {time.monotonic() - started:.1f} s, {shown.group(1) if shown else '?'} images shown"
        print(line, flush=True)
        if chromium and args.screenshot and n == 0:
            args.screenshot.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [chromium, *_FLAGS, "--window-size=1500,1000", f"--screenshot={args.screenshot.resolve()}",
                 page.as_uri() + "#t5"],
                capture_output=True, timeout=300, check=False,
            )  # fmt: skip


if __name__ == "__main__":
    main()
