"""The parse of one file in a child process, with a deadline and a memory bound (``call_within``
runs other work on untrusted files the same way: the review pages' rendering).

pdfminer is pure Python: a deflate bomb inside a PDF or a pathological content stream can take
minutes and gigabytes, and a thread cannot be stopped. A child process can: past its deadline it
is killed, over its address-space limit its allocation fails, and either way the document ends
as a quarantine with the reason while the run goes on. The child comes from a ``forkserver``
that has already imported the extractor, so starting one costs milliseconds, and the parses of
a run's threads use every core instead of sharing one GIL.
"""

from __future__ import annotations

import errno
import multiprocessing
import os
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from yusuan.extract import EXTRACTOR_VERSION
from yusuan.extract.document import extract_document
from yusuan.models import ExtractedDocument, QuarantineReason

_PRELOAD = ["yusuan.extract.document"]


def _forkserver_preload() -> list[str]:
    """The extractor, and the main module of the process that asks for parses.

    Every child of a forkserver runs its parent's main module again before its target, as
    ``__mp_main__`` (``multiprocessing.spawn.prepare``). For ``python -m flows`` that is skipped
    (a ``__main__`` module), but a process worker starts a flow run as ``python -m
    prefect.engine`` and a Dask worker from the ``dask`` script: each parse imported Prefect (or
    Dask) afresh, 0.7 s of CPU before a parse of 0.2 s (measured, bench/national.py). Imported
    once in the forkserver, the child's re-run finds every import done.
    """
    main = sys.modules.get("__main__")
    name = getattr(getattr(main, "__spec__", None), "name", None)
    if name and name != "__main__" and not name.endswith(".__main__"):
        return [*_PRELOAD, name]
    if name is None and getattr(main, "__file__", None):
        return [*_PRELOAD, "__main__"]  # a script run by path: the forkserver imports it by path
    return list(_PRELOAD)


@dataclass(frozen=True, slots=True)
class ParseBudget:
    seconds: float = 300.0
    memory_mb: int = 2048


# The child's exit code when even reporting failed for want of memory.
_NO_MEMORY_EXIT = 86


def _limit_memory(memory_bytes: int) -> None:
    try:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    except (ValueError, OSError):
        pass  # a platform without the limit: the deadline still holds


def _child(conn: Connection, memory_bytes: int, work: Callable[..., object], *args: object) -> None:
    """The child's side of ``call_within``: ``work(*args)`` under the memory bound, its result or
    why it has none sent back once."""
    _limit_memory(memory_bytes)
    try:
        try:
            answer = ("ok", work(*args))
        except MemoryError:
            answer = ("memory", "")
        except BaseException as exc:  # noqa: BLE001 - reported to the parent as this item's failure
            # Under the address-space limit a refused allocation surfaces as whatever the code
            # that asked raises (OSError ENOMEM, a zlib or import error …): while the work still
            # holds its memory, a small allocation failing too says the bound was reached.
            answer = ("memory", "") if _exhausted(exc) else ("error", f"{type(exc).__name__}: {exc}")
        conn.send(answer)
    except MemoryError:
        os._exit(_NO_MEMORY_EXIT)  # not even the answer fits: the exit code says why
    except (BrokenPipeError, ConnectionResetError):
        pass  # the parent stopped waiting (its run is stopping, or the deadline passed)
    finally:
        conn.close()


def _exhausted(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno == errno.ENOMEM:
        return True
    try:
        bytearray(16 * 1024 * 1024)
    except MemoryError:
        return True
    return False


class ParseStopped(Exception):
    """The run is stopping: the parse was abandoned (nothing recorded, the next run parses it)."""


def _quarantined(sha256: str, reason: QuarantineReason, error: str) -> ExtractedDocument:
    return ExtractedDocument.quarantined(sha256, EXTRACTOR_VERSION, reason, error)


@dataclass(frozen=True, slots=True)
class ChildEnded:
    """How a call in a child process ended: ``status`` is ``ok`` (``value`` is the result),
    ``error`` (``value`` says what was raised), ``memory`` (over the bound), ``timeout``,
    ``stopped`` or ``died`` (``exitcode`` says how)."""

    status: str
    value: object
    exitcode: int | None


def call_within(
    work: Callable[..., object],
    args: tuple[object, ...],
    seconds: float,
    memory_mb: int,
    stopped: Callable[[], bool] | None = None,
) -> ChildEnded | None:
    """``work(*args)`` (a module-level function: it is sent by name) in a child of this process's
    forkserver, its address space bounded to ``memory_mb``; killed past ``seconds`` or once
    ``stopped()`` (asked twice a second) says so. None when no child can be started here (a
    daemonic worker process may not have children): the caller then does the work itself."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_forkserver_preload())
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, memory_mb * 1024 * 1024, work, *args), daemon=True)
    try:
        process.start()
    except (AssertionError, OSError):
        receiver.close()
        sender.close()
        return None
    sender.close()
    deadline = time.monotonic() + seconds
    try:
        status, value = "timeout", ""
        while (left := deadline - time.monotonic()) > 0:
            if receiver.poll(min(left, 0.5)):
                try:
                    status, value = receiver.recv()
                except EOFError:
                    status, value = "died", ""
                break
            if stopped is not None and stopped():
                status = "stopped"
                break
    finally:
        receiver.close()
        if status in ("timeout", "stopped"):
            process.kill()  # no grace: what it would still finish is past its deadline
        process.join(timeout=1.0)
        if process.is_alive():
            process.kill()
            process.join()
    if status == "died" and process.exitcode == _NO_MEMORY_EXIT:
        status = "memory"
    return ChildEnded(status, value, process.exitcode)


def extract_within(
    path: Path, sha256: str, hint: str, budget: ParseBudget, stopped: Callable[[], bool] | None = None
) -> ExtractedDocument:
    """``extract_document`` in a child process within ``budget``; in this process when no child
    can be started here. ``stopped`` is asked twice a second: True kills the child and raises
    ``ParseStopped``."""
    ended = call_within(extract_document, (path, sha256, hint), budget.seconds, budget.memory_mb, stopped)
    if ended is None:
        return extract_document(path, sha256, hint)
    status, value = ended.status, ended.value
    if status == "ok":
        assert isinstance(value, ExtractedDocument)
        return value
    if status == "stopped":
        raise ParseStopped(f"parse of {sha256[:12]} stopped: the run is stopping")
    if status == "timeout":
        return _quarantined(
            sha256, QuarantineReason.PARSE_BUDGET, f"parse took longer than {budget.seconds:g} s: stopped"
        )
    if status == "memory":
        return _quarantined(
            sha256, QuarantineReason.PARSE_BUDGET, f"parse needed more than {budget.memory_mb} MB: stopped"
        )
    if status == "died" and (ended.exitcode or 0) < 0:
        # An allocation refused inside a C library ends in a signal rather than a MemoryError.
        return _quarantined(
            sha256,
            QuarantineReason.PARSE_BUDGET,
            f"the parse process was killed by signal {-(ended.exitcode or 0)}: over its memory bound of "
            f"{budget.memory_mb} MB, or a crash in a C library",
        )
    if status == "died":
        return _quarantined(
            sha256, QuarantineReason.EXTRACT_FAILED, f"the parse process died (exit code {ended.exitcode})"
        )
    return _quarantined(sha256, QuarantineReason.EXTRACT_FAILED, f"extraction failed: {value}")
