"""The in-process event bus: order, sequence numbers, durable subscribers, laggards, replay."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from app.events.bus import InProcessBus, Lagged


def _items(*names: str) -> list[tuple[str, dict[str, object]]]:
    return [(name, {"n": name}) for name in names]


async def test_events_are_numbered_in_order_and_read_in_batches() -> None:
    bus = InProcessBus(first_seq=41)
    sub = bus.subscribe("reader")
    events = bus.append(_items("a", "b", "c"), at=1.0)
    assert [e.seq for e in events] == [41, 42, 43]
    batch = await sub.next_batch(2)
    assert [e.name for e in batch] == ["a", "b"]
    assert [e.name for e in await sub.next_batch(10)] == ["c"]


async def test_a_reader_waits_for_the_next_event() -> None:
    bus = InProcessBus()
    sub = bus.subscribe("reader")
    waiting = asyncio.ensure_future(sub.next_batch())
    await asyncio.sleep(0)
    assert not waiting.done()
    bus.append(_items("x"), at=2.0)
    assert [e.name for e in await asyncio.wait_for(waiting, 1)] == ["x"]


async def test_a_durable_subscriber_holds_the_log_and_a_laggard_is_told() -> None:
    bus = InProcessBus(keep=2)
    durable = bus.subscribe("record", durable=True)
    laggard = bus.subscribe("socket")
    bus.append(_items(*"abcdef"), at=3.0)
    assert len(await durable.next_batch(3)) == 3
    durable.ack(3)  # half done: the rest is held for it
    assert [e.seq for e in bus.since(3) or []] == [4, 5, 6]
    assert [e.seq for e in await durable.next_batch()] == [4, 5, 6]
    durable.ack(6)  # done with everything: the log keeps only the last two
    assert bus.since(0) is None
    assert [e.seq for e in bus.since(4) or []] == [5, 6]
    with pytest.raises(Lagged):
        await laggard.next_batch()
    laggard.skip_to_end()
    bus.append(_items("g"), at=4.0)
    assert [e.name for e in await laggard.next_batch()] == ["g"]


def test_replay_after_a_sequence_number() -> None:
    bus = InProcessBus()
    bus.append(_items("a", "b", "c"), at=5.0)
    assert [e.name for e in bus.since(1) or []] == ["b", "c"]
    assert bus.since(3) == []
    assert bus.since(99) is None  # from another stream or the future: take a snapshot
    assert bus.append([], at=6.0) == []


async def test_a_subscriber_that_wants_some_events_is_woken_and_handed_those_alone() -> None:
    bus = InProcessBus(keep=5)
    picky = bus.subscribe("staff", wants={"b", "d"}.__contains__)
    waiting = asyncio.ensure_future(picky.next_batch())
    for name in "aaaaaaaa":  # more than the log keeps: none of them for it
        bus.append(_items(name), at=1.0)
        await asyncio.sleep(0)
        assert not waiting.done()
    assert picky.read == bus.last_seq  # moved past them while it slept: it never lags
    bus.append(_items("c", "b", "a", "d"), at=2.0)
    assert [e.name for e in await asyncio.wait_for(waiting, 1)] == ["b", "d"]
    # Busy meanwhile (not caught up): it reads past what it does not want, and never
    # takes an empty batch for an answer.
    bus.append(_items("a", "a"), at=3.0)
    bus.append(_items("d"), at=3.0)
    assert [e.name for e in await asyncio.wait_for(picky.next_batch(), 1)] == ["d"]
    bus.append(_items("a"), at=4.0)
    assert picky.take() == [] and picky.acked == bus.last_seq


async def test_a_lingering_subscriber_does_not_wait_for_events_it_does_not_want() -> None:
    from app.events.runner import run_subscriber

    bus = InProcessBus()
    sub = bus.subscribe("closer", wants={"b"}.__contains__)
    handled: list[list[str]] = []

    async def handle(events: list[Any]) -> None:
        handled.append([e.name for e in events])

    task = asyncio.create_task(run_subscriber(sub, handle, linger=0.01))
    bus.append(_items("b"), at=1.0)
    await asyncio.sleep(0)
    bus.append(_items("a"), at=1.0)  # during the linger: not for it
    for _ in range(100):
        if handled:
            break
        await asyncio.sleep(0.005)
    task.cancel()
    assert handled == [["b"]]
