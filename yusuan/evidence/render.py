"""Page images, one at a time per process: PDFium is not thread-safe.

pdfplumber renders through pypdfium2, and PDFium "is inherently not thread-safe. It is not
allowed to call pdfium functions simultaneously across different threads, not even with different
documents" (pypdfium2's documentation): doing so crashes or corrupts the process. A group run
writes review pages in each portal entry's flow as it ends, and its entries end side by side in
their lanes' threads: the national simulation with real budgets lost its whole group run to a
segfault in libpdfium (the flow process exited -11). Every rendering in yusuan goes through
``page_image``, which holds this process's one PDFium lock for the whole call, so PDFium's
objects are made and freed (pdfplumber closes its document, the bitmap goes with the call)
before another thread renders. Parses never render, and run in processes of their own.
"""

from __future__ import annotations

import threading

from pdfplumber.display import PageImage
from pdfplumber.page import Page
from PIL import Image

# One per process, as PDFium's own state is.
_PDFIUM = threading.Lock()


def page_image(page: Page, resolution: int) -> PageImage:
    """``page.to_image(resolution=…)`` (a page or a crop of one), holding the PDFium lock."""
    with _PDFIUM:
        return page.to_image(resolution=resolution)


def page_picture(page: Page, resolution: int) -> Image.Image:
    """The page rendered at ``resolution`` dpi, as an RGB picture of its own."""
    return page_image(page, resolution).original.convert("RGB")
