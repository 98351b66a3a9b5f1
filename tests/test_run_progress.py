"""A run's progress artifact: a burst of finished documents is one write, the last share is never lost."""

from __future__ import annotations

from flows.progress import ThrottledProgress


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
