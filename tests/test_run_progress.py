"""A run's progress artifact: a burst of finished documents is one write, the last share is never
lost, and a run over within seconds writes none."""

from __future__ import annotations

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

from flows.progress import ProgressArtifact, ThrottledProgress, run_progress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_of_documents_is_one_update_and_the_whole_is_always_sent() -> None:
    sent: list[float] = []
    clock = Clock()
    progress = ThrottledProgress(sent.append, min_interval=1.0, clock=clock)
    for done in range(1, 65):  # a revalidate batch of 64 settles at once
        progress(done / 100)
    assert sent == [0.01]
    clock.now += 1.5
    progress(0.65)
    assert sent == [0.01, 0.65]
    progress(1.0)  # the run is done: not held back, however soon
    assert sent == [0.01, 0.65, 1.0]
    progress.flush()
    assert sent == [0.01, 0.65, 1.0]


def test_flush_hands_over_the_share_held_back() -> None:
    sent: list[float] = []
    progress = ThrottledProgress(sent.append, min_interval=1.0, clock=Clock())
    progress.flush()
    assert sent == []  # nothing reported yet: nothing to send
    progress(0.2)
    progress(0.4)
    progress.flush()
    assert sent == [0.2, 0.4]


def test_nothing_is_shown_before_the_hold_then_the_latest_share() -> None:
    sent: list[float] = []
    clock = Clock()
    progress = ThrottledProgress(sent.append, min_interval=1.0, clock=clock, hold_first=10.0)
    progress(0.5)
    clock.now += 5
    progress(1.0)  # whole, but within the hold: a run this short shows no progress
    progress.flush()
    assert sent == []
    clock.now += 5
    progress.flush()  # a run that went on past the hold shows where it stands
    assert sent == [1.0]


def test_the_artifact_is_created_by_the_first_share_shown_and_then_updated(pipeline_env: str) -> None:
    clock = Clock()

    @flow
    def run() -> None:
        progress = ThrottledProgress(ProgressArtifact("progress-test", "Documents done"), clock=clock, hold_first=10.0)
        progress(0.25)
        clock.now += 11
        progress(0.5)
        clock.now += 2
        progress(1.0)

    state = run(return_state=True)
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["progress-test"])))
    mine = [a for a in artifacts if a.flow_run_id == state.state_details.flow_run_id]
    assert [(a.type, a.data, a.description) for a in mine] == [("progress", 100.0, "Documents done")]


def test_a_long_runs_artifact_is_written_every_few_seconds_not_every_second(monkeypatch: pytest.MonkeyPatch) -> None:
    """A document a second for a minute: after the hold, one write per 5 s and the whole share."""
    import flows.progress

    sent: list[float] = []
    monkeypatch.setattr(flows.progress, "ProgressArtifact", lambda key, description: sent.append)
    clock = Clock()
    progress = run_progress("k", "Documents done", clock=clock)
    for second in range(1, 61):
        clock.now += 1
        progress(second / 60)
    assert sent == [s / 60 for s in range(10, 60, 5)] + [1.0]
