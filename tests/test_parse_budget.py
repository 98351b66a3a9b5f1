"""One file's parse runs in a child process with a deadline and a memory bound (issue 11)."""

from __future__ import annotations

import time

from tests.conftest import ASSETS
from yusuan.extract.document import extract_document
from yusuan.extract.isolated import ParseBudget, extract_within
from yusuan.models import DocumentStatus, QuarantineReason

PDF = ASSETS / "zhengzhou-yibao-2023.pdf"


def test_a_parse_in_its_child_gives_what_the_extractor_gives() -> None:
    here = extract_document(PDF, "z")
    there = extract_within(PDF, "z", "", ParseBudget(seconds=120, memory_mb=4096))
    assert there.status == DocumentStatus.LOADED
    assert (there.agency_name, there.fiscal_year, there.figure("income_total")) == (
        here.agency_name,
        here.fiscal_year,
        here.figure("income_total"),
    )
    assert there.function_lines == here.function_lines


def test_a_parse_past_its_deadline_is_stopped_and_quarantined() -> None:
    started = time.monotonic()
    doc = extract_within(PDF, "z", "", ParseBudget(seconds=0.05, memory_mb=4096))
    assert time.monotonic() - started < 5
    assert (doc.status, doc.reason) == (DocumentStatus.QUARANTINED, QuarantineReason.PARSE_BUDGET)
    assert "longer than 0.05 s" in (doc.error or "")


def test_a_parse_over_its_memory_bound_is_stopped_and_quarantined() -> None:
    doc = extract_within(PDF, "z", "", ParseBudget(seconds=120, memory_mb=64))
    assert (doc.status, doc.reason) == (DocumentStatus.QUARANTINED, QuarantineReason.PARSE_BUDGET)
    # A MemoryError in Python, or an allocation refused inside a C library (a signal): both say so.
    assert "more than 64 MB" in (doc.error or "") or "memory bound of 64 MB" in (doc.error or "")
