"""Coalescing of supervisor updates: at most one per key per interval, the latest always
sent, on a fake clock (no sleeping)."""

from __future__ import annotations

import itertools
from collections.abc import Hashable

from app.supervisor.coalesce import Coalescer, ManualScheduler


def _coalescer(
    interval: float = 1.0,
) -> tuple[Coalescer, ManualScheduler, list[tuple[Hashable, int, float]]]:
    clock = ManualScheduler(start=100.0)
    sent: list[tuple[Hashable, int, float]] = []
    c = Coalescer(interval, lambda key, seq: sent.append((key, seq, clock.now())), clock)
    return c, clock, sent


def test_the_first_change_of_a_quiet_key_goes_out_at_once() -> None:
    c, _, sent = _coalescer()
    c.touch("billing", 7)
    assert sent == [("billing", 7, 100.0)]


def test_changes_within_the_interval_fold_into_one_update_at_its_end() -> None:
    c, clock, sent = _coalescer()
    c.touch("billing", 1)
    clock.advance(0.2)
    c.touch("billing", 2)
    clock.advance(0.3)
    c.touch("billing", 5)
    c.touch("billing", 4)  # an older seq never lowers what is sent
    assert sent == [("billing", 1, 100.0)]
    clock.advance(0.49)
    assert len(sent) == 1  # not before the second is over
    clock.advance(0.01)
    assert sent == [("billing", 1, 100.0), ("billing", 5, 101.0)]
    clock.advance(5)
    assert len(sent) == 2 and clock.pending == 0  # nothing held, nothing sent again


def test_keys_are_coalesced_independently() -> None:
    c, clock, sent = _coalescer()
    c.touch("billing", 1)
    c.touch("support", 2)
    c.touch("billing", 3)
    assert [(k, s) for k, s, _ in sent] == [("billing", 1), ("support", 2)]
    clock.advance(1.0)
    assert [(k, s) for k, s, _ in sent] == [("billing", 1), ("support", 2), ("billing", 3)]


def test_no_key_is_sent_more_than_once_a_second_under_a_steady_stream() -> None:
    c, clock, sent = _coalescer()
    for seq in range(1, 301):  # an event every 10 ms for 3 s
        c.touch("agent-7", seq)
        clock.advance(0.01)
    clock.advance(1.0)
    times = [t for _, _, t in sent]
    assert all(b - a >= 1.0 - 1e-9 for a, b in itertools.pairwise(times))
    assert len(sent) == 4  # 100.0, 101.0, 102.0, 103.0
    assert sent[-1][1] == 300  # the last change is never lost


def test_a_change_after_a_quiet_interval_goes_out_at_once_again() -> None:
    c, clock, sent = _coalescer()
    c.touch("q", 1)
    clock.advance(3.0)
    c.touch("q", 2)
    assert sent[-1] == ("q", 2, 103.0)


def test_flush_sends_what_is_held_and_cancel_drops_it() -> None:
    c, clock, sent = _coalescer()
    c.touch("a", 1)
    c.touch("a", 2)
    c.flush()
    assert [s for _, s, _ in sent] == [1, 2] and c.held == 0
    clock.advance(2)
    c.touch("b", 3)
    c.touch("b", 4)
    c.cancel()
    clock.advance(2)
    assert [s for _, s, _ in sent] == [1, 2, 3]


def test_an_interval_of_zero_sends_every_change() -> None:
    c, _, sent = _coalescer(0.0)
    for seq in (1, 2, 3):
        c.touch("q", seq)
    assert [s for _, s, _ in sent] == [1, 2, 3]
