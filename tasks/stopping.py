"""Graceful stops: SIGINT (Ctrl-C) and SIGTERM (what a worker, systemd or a container stop sends).

A signal belongs to the process, so the request to stop does too: one ``StopRequest`` per
process (``PROCESS_STOP``), set by the signal handler, read by the flow between documents and by
the work in flight (a download between two reads, a parse child, a database retry between two
attempts). That is the one piece of process-wide state in yusuan, and it exists because signals
are process-wide.

On the first signal the run stops taking documents, lets the open load transactions finish
(each is one short transaction; one cut off rolls back), records itself ``cancelled`` (its row
and its Prefect state) and returns. A second signal gets the handler that was there before: the
default, or Prefect's, so an impatient operator can still kill at once, which is as safe as a
kill -9 (the next run closes the stale run row).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequest:
    def __init__(self) -> None:
        self._event = threading.Event()
        self._signum = 0
        self._listeners: list[Callable[[], None]] = []

    def request(self, signum: int) -> None:
        self._signum = signum
        self._event.set()
        for listener in self._listeners:
            listener()

    def on_request(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` (in the signal handler: keep it tiny) when a stop is requested."""
        self._listeners.append(listener)

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True as soon as a stop is requested."""
        return self._event.wait(seconds)

    def clear(self) -> None:
        self._signum = 0
        self._event.clear()

    def __reduce__(self) -> tuple[object, tuple[()]]:
        # A copy sent to another process (a Dask worker) is that process's own request.
        return (_process_stop, ())

    @property
    def signum(self) -> int:
        return self._signum

    @property
    def signal_name(self) -> str:
        return signal.Signals(self._signum).name if self._signum else "request"

    @property
    def exit_code(self) -> int:
        """What a shell expects of a process ended by this signal: 130 for SIGINT, 143 for SIGTERM."""
        return 128 + self._signum if self._signum else 1


PROCESS_STOP = StopRequest()


def _process_stop() -> StopRequest:
    return PROCESS_STOP


class _Handler:
    """Sets the stop request once; restores the handlers it replaced, so a second signal has its
    usual effect."""

    def __init__(self, stop: StopRequest) -> None:
        self.stop = stop
        self.previous: dict[int, Any] = {}

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.restore()
        self.stop.request(signum)

    def install(self) -> None:
        for sig in STOP_SIGNALS:
            self.previous[sig] = signal.signal(sig, self)

    def restore(self) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        self.previous.clear()


@contextmanager
def stop_on_signals(stop: StopRequest = PROCESS_STOP) -> Iterator[StopRequest]:
    """While inside, SIGINT/SIGTERM request a stop instead of interrupting. Only the main thread
    can install handlers: elsewhere (the CLI runs the flow in a thread and installs its own) this
    only hands back the request. Nested uses (a group flow and its subflows) share the outer one."""
    current = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or isinstance(current, _Handler):
        yield stop
        return
    stop.clear()  # the outermost run of this process: an earlier run's stop is not this one's
    handler = _Handler(stop)
    handler.install()
    try:
        yield stop
    finally:
        handler.restore()
