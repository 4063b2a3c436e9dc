"""The intake door: slots, turns, the backlog's refusals, and the loop's lag (observed by
hand here: no probe task, no sleeps)."""

from __future__ import annotations

import asyncio

import pytest

from app.contacts.intake_gate import IntakeGate, Overloaded


async def _enter(gate: IntakeGate, log: list[str], name: str, release: asyncio.Event) -> None:
    async with gate.slot():
        log.append(name)
        await release.wait()


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def _now() -> float:
    return asyncio.get_running_loop().time()


async def test_slots_bound_how_many_pass_and_the_rest_go_in_order() -> None:
    gate = IntakeGate(2, lag_limit=0)
    log: list[str] = []
    gates = {n: asyncio.Event() for n in "abcd"}
    tasks = [asyncio.create_task(_enter(gate, log, n, gates[n])) for n in "abcd"]
    await _settle()
    assert log == ["a", "b"] and gate.active == 2 and gate.waiting == 2
    gates["b"].set()
    await _settle()
    assert log == ["a", "b", "c"]
    gates["a"].set()
    await _settle()
    assert log == ["a", "b", "c", "d"]
    gates["c"].set(), gates["d"].set()
    await asyncio.gather(*tasks)
    assert gate.active == 0 and gate.waiting == 0


async def test_a_full_backlog_refuses_only_what_can_be_retried() -> None:
    gate = IntakeGate(1, lag_limit=0, backlog=1, retry_after=2)
    release = asyncio.Event()
    log: list[str] = []
    holder = asyncio.create_task(_enter(gate, log, "holder", release))
    waiter = asyncio.create_task(_enter(gate, log, "waiter", release))
    await _settle()
    assert gate.waiting == 1
    with pytest.raises(Overloaded) as refused:
        async with gate.slot(refusable=True):
            pass
    assert refused.value.status == 503 and refused.value.retry_after == 2
    assert refused.value.detail["retry_after"] == 2 and gate.refused == 1
    # An arrival already talking to its caller (an IVR, a chat) waits whatever the backlog.
    patient = asyncio.create_task(_enter(gate, log, "patient", release))
    await _settle()
    assert gate.waiting == 2
    release.set()
    await asyncio.gather(holder, waiter, patient)
    assert log == ["holder", "waiter", "patient"]


async def test_a_waiter_cancelled_gives_up_its_turn_and_a_granted_one_its_slot() -> None:
    gate = IntakeGate(1, lag_limit=0)
    release = asyncio.Event()
    log: list[str] = []
    holder = asyncio.create_task(_enter(gate, log, "holder", release))
    gone = asyncio.create_task(_enter(gate, log, "gone", release))
    await _settle()
    gone.cancel()
    await _settle()
    assert gate.waiting == 0 and gate.active == 1
    release.set()
    await holder
    # Granted its turn, then cancelled before it ran: the slot goes on to the next.
    async with gate.slot():
        late = asyncio.create_task(_enter(gate, log, "late", asyncio.Event()))
        last = asyncio.create_task(_enter(gate, log, "last", asyncio.Event()))
        await _settle()
        assert gate.waiting == 2
    late.cancel()  # leaving the block gave it its turn; it has not run yet
    await _settle()
    assert log == ["holder", "last"] and gate.active == 1
    last.cancel()
    await _settle()
    assert gate.active == 0 and gate.waiting == 0


async def test_while_the_loop_is_late_one_passes_per_probe_wake() -> None:
    gate = IntakeGate(8, lag_limit=0.01)
    log: list[str] = []
    release = {n: asyncio.Event() for n in "abc"}
    gate.observe(0.05, _now())  # the probe woke 50 ms late
    assert gate.lagging()
    tasks = [asyncio.create_task(_enter(gate, log, n, release[n])) for n in "abc"]
    await _settle()
    assert log == [] and gate.waiting == 3  # none until the probe wakes again
    gate.observe(0.04, _now())
    await _settle()
    assert log == ["a"]
    gate.observe(0.04, _now())  # still late, and one is being written: none more
    await _settle()
    assert log == ["a"]
    release["a"].set()
    await _settle()
    assert log == ["a"]  # a slot freed while late does not let the next in
    gate.observe(0.03, _now())
    await _settle()
    assert log == ["a", "b"]
    gate.observe(0.001, _now())  # on time, once: the average is still late
    await _settle()
    assert log == ["a", "b"] and gate.lagging()
    for _ in range(30):  # on time for a while: the door opens to every slot
        gate.observe(0.001, _now())
    await _settle()
    assert log == ["a", "b", "c"] and not gate.lagging()
    release["b"].set(), release["c"].set()
    await asyncio.gather(*tasks)
    assert gate.late_seconds > 0
    assert gate.stats()["active"] == 0


async def test_single_late_wakes_of_a_loop_on_time_do_not_shut_the_door() -> None:
    """A busy loop that copes wakes the probe late now and then; only an average over the
    limit shuts the door, as a saturated loop's does."""
    gate = IntakeGate(8, lag_limit=0.01, interval=0.01, smoothing=0.1)
    gate.observe(0.0, _now())
    for _ in range(20):
        gate.observe(0.025, _now())  # one wake in four 25 ms late
        assert not gate.lagging()
        for _ in range(3):
            gate.observe(0.002, _now())
    for _ in range(10):  # late wake after wake: the loop falls behind
        gate.observe(0.02, _now())
    assert gate.lagging()
    assert gate.stats()["lag_ms"] > 10


async def test_an_overdue_probe_counts_as_late() -> None:
    gate = IntakeGate(8, lag_limit=0.01, interval=0.01)
    gate.observe(0.0, _now() - 0.5)  # on time, but that was half a second ago
    assert gate.lagging()
    gate.observe(0.0, _now())
    assert not gate.lagging()


async def test_the_probe_runs_in_the_loop_and_stops() -> None:
    gate = IntakeGate(2, lag_limit=0.5, interval=0.001)
    task = gate.start()
    assert task is not None and gate.start() is task
    for _ in range(1_000_000):  # its first wake, a millisecond away
        if gate._last_wake is not None:
            break
        await asyncio.sleep(0)
    assert gate._last_wake is not None
    async with gate.slot():
        assert gate.active == 1
    await gate.stop()
    assert task.done() and not gate.lagging()
    assert IntakeGate(2, lag_limit=0).start() is None  # no lag limit: slots only


async def test_a_stopped_probe_lets_the_waiting_through() -> None:
    """At shutdown no probe wakes again: the loop stops counting as late, and nobody is left
    waiting for a wake that never comes."""
    gate = IntakeGate(2, lag_limit=0.01, interval=3600)  # its next wake: in an hour
    gate.start()
    gate.observe(0.5, _now())  # very late
    log: list[str] = []
    release = asyncio.Event()
    waiter = asyncio.create_task(_enter(gate, log, "a", release))
    await _settle()
    assert log == [] and gate.waiting == 1
    await gate.stop()
    await _settle()
    assert log == ["a"] and not gate.lagging()
    release.set()
    await waiter
