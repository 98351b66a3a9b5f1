"""A full disk is named as such, in one line, with the directory; the run goes on where it can."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import count_rows
from yusuan.demo.server import PortalServer

pytestmark = pytest.mark.slow


def _small_disk(path: Path, size: str) -> Iterator[Path]:
    path.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {mounted.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


@pytest.fixture()
def small_disk(tmp_path: Path) -> Iterator[Path]:
    # Room for one of the three demo budgets (about 200 kB each), not for the others.
    yield from _small_disk(tmp_path / "small", "320k")


def _ingest(
    db: str, data_dir: Path, prefect_home: Path, entry_url: str, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flows", "ingest", "--portal", entry_url, "--name", "disk"],
        env={
            **os.environ,
            "DATABASE_URL": db,
            "YUSUAN_DATA_DIR": str(data_dir),
            "PREFECT_HOME": str(prefect_home),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_raw_store_filling_up_fails_those_documents_with_the_cause(
    db: str, small_disk: Path, tmp_path: Path
) -> None:
    with PortalServer() as portal:
        result = _ingest(db, small_disk / "data", tmp_path / "prefect", portal.entry_url, YUSUAN_MIN_FREE_DISK_MB="0")
    assert result.returncode == 3, result.stdout + result.stderr  # partial: what fitted is loaded
    assert "disk full (No space left on device): " + str(small_disk / "data" / "raw") in result.stdout.replace("\n", "")
    assert "Traceback" not in result.stdout + result.stderr
    assert count_rows(db)["documents"] >= 1
    assert not list((small_disk / "data" / "raw").glob(".incoming-*"))  # no partial file left


def test_a_run_does_not_start_on_a_full_disk(db: str, small_disk: Path, tmp_path: Path) -> None:
    """The default needs 64 MB free where the run writes; Prefect's own database would otherwise
    fail to start with thousands of lines."""
    with PortalServer() as portal:
        result = _ingest(db, small_disk / "data", small_disk / "prefect", portal.entry_url)
    assert result.returncode == 2
    assert f"cannot start: disk full: 0 MB free on {small_disk} " in result.stdout.replace("\n", "")
    assert len((result.stdout + result.stderr).strip().splitlines()) <= 3
