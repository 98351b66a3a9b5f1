"""One file's parse runs in a child process with a deadline and a memory bound (issue 11)."""

from __future__ import annotations

import time
import zlib
from pathlib import Path

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


def _deflate_bomb_pdf(path: Path, inflated_mb: int) -> Path:
    """A one-page PDF whose content stream is a few hundred KB on disk and ``inflated_mb`` MiB
    once inflated (built a mebibyte at a time, so the test itself never holds it)."""
    packer = zlib.compressobj(9)
    stream = b"".join(packer.compress(b" " * 1024 * 1024) for _ in range(inflated_mb)) + packer.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path


def test_a_parse_over_its_memory_bound_is_stopped_and_quarantined(tmp_path: Path) -> None:
    """A page that inflates to 512 MiB cannot be read within a bound of 64 MB."""
    bomb = _deflate_bomb_pdf(tmp_path / "bomb.pdf", 512)
    assert bomb.stat().st_size < 2 * 1024 * 1024
    doc = extract_within(bomb, "z", "", ParseBudget(seconds=120, memory_mb=64))
    assert (doc.status, doc.reason) == (DocumentStatus.QUARANTINED, QuarantineReason.PARSE_BUDGET)
    # A MemoryError in Python, or an allocation refused inside a C library (a signal): both say so.
    assert "more than 64 MB" in (doc.error or "") or "memory bound of 64 MB" in (doc.error or "")


_PROBE_MAIN = """
import sys
from pathlib import Path

import probe_dependency  # noqa: F401 - what the main module costs to import

from yusuan.extract.isolated import ParseBudget, extract_within

if __name__ == "__main__":
    for n in range(3):
        doc = extract_within(Path(sys.argv[1]), f"z{n}", "", ParseBudget(seconds=120, memory_mb=4096))
        assert doc.agency_name, doc
"""


def test_a_parse_child_does_not_import_its_parents_main_module_again(tmp_path: Path) -> None:
    """A process worker runs a flow as ``python -m prefect.engine``: a forkserver child runs its
    parent's main module again before its target, so every parse imported what that module
    imports (Prefect: 0.7 s of CPU each). Here the main module is ``python -m probe_main``, whose
    dependency records each process that imports it: the parent and the forkserver, never one
    per parse."""
    import os
    import subprocess
    import sys

    (tmp_path / "probe_main.py").write_text(_PROBE_MAIN, encoding="utf-8")
    imported = tmp_path / "imported.txt"
    (tmp_path / "probe_dependency.py").write_text(
        f"import os\nwith open({str(imported)!r}, 'a') as f:\n    f.write(f'{{os.getpid()}}\\n')\n", encoding="utf-8"
    )
    repo = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(repo)])}
    probe = [sys.executable, "-m", "probe_main", str(PDF)]
    run = subprocess.run(probe, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    pids = imported.read_text().split()
    assert len(set(pids)) == len(pids) <= 2, pids
