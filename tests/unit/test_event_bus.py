"""The in-process event bus: order, sequence numbers, durable subscribers, laggards, replay."""

from __future__ import annotations

import asyncio

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
