"""Flow runs without Prefect's flow-run heartbeats, where nothing reads them.

A flow run sends a heartbeat event every ``PREFECT_FLOWS_HEARTBEAT_FREQUENCY`` seconds (180 by
default in Prefect 3.9) from a thread of its own, so that a server can mark the run crashed
once they stop. That thread sleeps in steps of a second, and the engine joins it when the run
ends: every flow run that sends heartbeats ends up to a second later. A subflow run that does
nothing took 1.10 s, 0.14 s without heartbeats; a group's portal entries are such subflow runs,
hundreds per group re-run.

They are left out where no one needs them: on the CLI's temporary server (it ends with the
run) and for a group's entries, which run inside the group's flow process: if that process
dies, the group's own run, which keeps its heartbeats, is the one to be marked crashed.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from prefect.context import SettingsContext, get_settings_context
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY


class WithoutHeartbeats:
    """The current Prefect settings with heartbeats off, built once; each call is a context in
    which flow runs started (in this thread, or in contexts copied from it) send none.

    Built once because Prefect's ``temporary_settings`` validates a whole new ``Settings`` each
    time it is entered (25 ms): per portal entry, more than the heartbeat's own cost in CPU."""

    def __init__(self) -> None:
        context = get_settings_context()
        self._profile = context.profile
        self._settings = context.settings.copy_with_update(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})

    def __call__(self) -> AbstractContextManager[object]:
        return SettingsContext(profile=self._profile, settings=self._settings)
