"""The supervisor feed without a server: sockets that stop reading are cut off, updates are
coalesced on a fake clock, a resume is built from the bus's retained log."""

from __future__ import annotations

import asyncio
from typing import Any

from app.contacts.center import ContactCenter
from app.contacts.wiring import load_routing_config
from app.events import InProcessBus
from app.supervisor.coalesce import ManualScheduler
from app.supervisor.config import SupervisorConfig
from app.supervisor.feed import SupervisorFeed, localize
from app.supervisor.floor import AgentInfo, QueueInfo
from config.settings import CONFIG_DIR, Settings
from routing import Router


class FakeSocket:
    def __init__(self, *, stuck: bool = False) -> None:
        self.sent: list[dict[str, Any]] = []
        self.closed: tuple[int, str | None] | None = None
        self.stuck = stuck
        self._never = asyncio.Event()

    async def send_json(self, data: Any, mode: str = "text") -> None:
        if self.stuck:
            await self._never.wait()  # a browser that stopped reading
        self.sent.append(data)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.closed = (code, reason)


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _feed(
    keep: int = 10_000, queue_limit: int = 256
) -> tuple[SupervisorFeed, ManualScheduler, InProcessBus]:
    config = load_routing_config(CONFIG_DIR / "routing.yaml", Settings())
    bus = InProcessBus(keep=keep)
    center = ContactCenter(Router.from_config(config), bus, Clock())
    scheduler = ManualScheduler()
    feed = SupervisorFeed(
        center,
        lambda: None,
        SupervisorConfig(),
        scheduler=scheduler,
        queue_limit=queue_limit,  # type: ignore[arg-type,return-value]
    )
    feed.floor.set_queue(QueueInfo("billing", "Billing", 30.0, ("billing",)))
    feed.floor.set_agent(AgentInfo("7", "Alice", skills={"billing": 1}), now=0.0)
    return feed, scheduler, bus


def _publish(feed: SupervisorFeed, bus: InProcessBus, *items: tuple[str, dict[str, Any]]) -> None:
    feed.apply(bus.append(list(items), feed.center.clock()))


def _state(state: str) -> tuple[str, dict[str, Any]]:
    return ("agent.state_changed", {"agent_id": "7", "state": state, "reason": None})


def _arrival(cid: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (
            "contact.arrived",
            {
                "contact_id": cid,
                "customer_id": None,
                "channel": "voice",
                "queue": "billing",
                "created_at": 1_000_000.0,
            },
        ),
        (
            "contact.queued",
            {
                "contact_id": cid,
                "queue": "billing",
                "priority": 0.0,
                "explanation": {
                    "rule": "default",
                    "step": 1,
                    "steps": 2,
                    "step_label": {"code": "label.skilled", "facts": {}},
                },
            },
        ),
    ]


async def _drain() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_a_socket_gets_a_snapshot_first_then_deltas_with_their_seq() -> None:
    feed, _, bus = _feed()
    socket = FakeSocket()
    conn = feed.attach(1, socket, "en")
    _publish(feed, bus, *_arrival("c1"))
    await _drain()
    kinds = [m["type"] for m in socket.sent]
    assert kinds == ["snapshot", "contact.update", "queue.update"]
    assert socket.sent[0]["seq"] == 0
    assert [m["seq"] for m in socket.sent[1:]] == [2, 2]  # the event behind each update
    assert isinstance(socket.sent[1]["contact"]["step_label"], str)  # words, in English
    assert socket.sent[1]["contact"]["step_label_message"] == {"code": "label.skilled", "facts": {}}
    await feed.detach(conn)


async def test_agent_updates_are_coalesced_to_one_a_second_on_the_fake_clock() -> None:
    feed, clock, bus = _feed()
    socket = FakeSocket()
    feed.attach(1, socket, "en")
    _publish(feed, bus, _state("available"))
    _publish(feed, bus, _state("break"))
    _publish(feed, bus, _state("available"))
    await _drain()
    agents = [m for m in socket.sent if m["type"] == "agent.update"]
    assert [(m["seq"], m["agent"]["state"]) for m in agents] == [(1, "available")]
    clock.advance(0.999)
    await _drain()
    assert len([m for m in socket.sent if m["type"] == "agent.update"]) == 1
    clock.advance(0.001)
    await _drain()
    agents = [m for m in socket.sent if m["type"] == "agent.update"]
    # One more, as things are at the end of the second, with the last event's seq.
    assert [(m["seq"], m["agent"]["state"]) for m in agents] == [(1, "available"), (3, "available")]


async def test_a_socket_that_stops_reading_is_cut_off_and_nobody_waits_for_it() -> None:
    feed, _, bus = _feed(queue_limit=8)
    slow, fast = FakeSocket(stuck=True), FakeSocket()
    slow_conn = feed.attach(1, slow, "en")
    feed.attach(2, fast, "en")
    for i in range(20):
        _publish(feed, bus, *_arrival(f"c{i}"))  # each a contact.update, not coalesced
        await _drain()  # the fast socket's writer keeps up between batches; the slow one not
    assert slow.closed is not None and slow.closed[0] == 4008
    assert slow_conn.closed
    assert len([m for m in fast.sent if m["type"] == "contact.update"]) == 20
    assert slow_conn not in feed.connections or slow_conn.closed


async def test_a_resume_sends_what_changed_since_the_seq_given() -> None:
    feed, _, bus = _feed()
    _publish(feed, bus, *_arrival("c1"))
    seen = feed.seq
    _publish(feed, bus, *_arrival("c2"))
    _publish(feed, bus, _state("available"))
    socket = FakeSocket()
    feed.attach(1, socket, "zh", after=seen, stream=bus.stream)
    await _drain()
    kinds = [m["type"] for m in socket.sent]
    assert kinds[0] == "resume" and "snapshot" not in kinds
    assert socket.sent[0]["after"] == seen and socket.sent[0]["seq"] == feed.seq
    contacts = [m["contact_id"] for m in socket.sent if m["type"] == "contact.update"]
    assert contacts == ["c2"]  # c1 did not change since
    assert {m["type"] for m in socket.sent} == {
        "resume",
        "contact.update",
        "queue.update",
        "agent.update",
    }


async def test_a_resume_past_the_retained_log_or_from_another_stream_gets_a_snapshot() -> None:
    feed, _, bus = _feed(keep=5)
    _publish(feed, bus, *_arrival("c1"))
    for i in range(10):
        _publish(feed, bus, _state("available" if i % 2 else "break"))
    assert feed.resume(1) is None  # those events are gone from the bus
    for after, stream in ((1, bus.stream), (feed.seq, "another"), (feed.seq + 5, bus.stream)):
        socket = FakeSocket()
        feed.attach(1, socket, "en", after=after, stream=stream)
        await _drain()
        assert socket.sent[0]["type"] == "snapshot"
        assert [c["id"] for c in socket.sent[0]["contacts"]] == ["c1"]
    assert feed.resume(feed.seq) == [feed.resume(feed.seq)[0]]  # nothing missed: the header only


def test_words_are_made_per_reader() -> None:
    message = {
        "type": "contact.update",
        "contact": {"step_label": {"code": "label.senior", "facts": {}}},
    }
    zh = localize(message, "zh")["contact"]
    en = localize(message, "en")["contact"]
    assert (
        zh["step_label"] != en["step_label"] and zh["step_label_message"]["code"] == "label.senior"
    )
    assert message["contact"]["step_label"] == {"code": "label.senior", "facts": {}}  # unchanged


def test_an_update_is_localized_and_encoded_once_for_every_wallboard() -> None:
    from app.supervisor.feed import SharedWork

    work = SharedWork(size=2)
    label = {"code": "label.any_skilled", "facts": {}}
    update = {"type": "contact.update", "seq": 5, "contact": {"id": "1", "step_label": label}}
    en, en_again, zh = (work.localize(update, "en"), work.localize(update, "en"),
                        work.localize(update, "zh"))  # fmt: skip
    assert en is en_again and en is not zh
    assert isinstance(en["contact"]["step_label"], str) and en["contact"]["step_label"] != label
    assert en["contact"]["step_label_message"] == label and update["contact"]["step_label"] is label
    text = work.text(en)
    assert work.text(en) is text and '"seq":5' in text
    # Strict JSON: a NaN that got this far is sent as null, not as a bare NaN.
    assert (
        work.text({"type": "queue.update", "x": float("nan")}) == '{"type":"queue.update","x":null}'
    )
    # Only the last `size` messages are kept; an older one is made again, the same.
    work.text({"type": "a"})
    work.text({"type": "b"})
    assert work.text(en) == text


class SlowSocket(FakeSocket):
    """A socket whose writes take until released: messages pile up behind the first."""

    def __init__(self) -> None:
        super().__init__()
        self.frames: list[Any] = []
        self.gate = asyncio.Event()

    async def send_json(self, data: Any, mode: str = "text") -> None:
        await self.gate.wait()
        self.frames.append(data)
        self.sent.extend(data["messages"] if data.get("type") == "batch" else [data])


async def test_updates_that_pile_up_go_in_one_batch_frame_when_the_client_asked() -> None:
    feed, _, bus = _feed()
    # No wait for more after a first update (that is real time, 30 ms by default: e2e tests
    # run it); what piles up behind a frame being written is batched all the same.
    feed.config = SupervisorConfig(batch_seconds=0.0)
    batching, single = SlowSocket(), SlowSocket()
    feed.attach(1, batching, "en", batch=True)
    feed.attach(2, single, "en")
    await _drain()  # each writer is held on its snapshot
    for cid in ("c1", "c2", "c3"):
        _publish(feed, bus, *_arrival(cid))
    batching.gate.set()
    single.gate.set()
    await _drain()
    # The same messages in the same order; the batching socket took them in two frames (the
    # snapshot it was writing, then everything that waited), the other in one each.
    assert [m["type"] for m in batching.sent] == [m["type"] for m in single.sent]
    assert [m.get("seq") for m in batching.sent] == [m.get("seq") for m in single.sent]
    assert [f["type"] for f in batching.frames] == ["snapshot", "batch"]
    assert len(batching.frames[1]["messages"]) == len(single.frames) - 1 >= 4
    # Words in the reader's language inside a batch too.
    contact = next(m for m in batching.sent if m["type"] == "contact.update")
    assert isinstance(contact["contact"]["step_label"], str)
    # A quiet floor: a lone update is a frame of its own, batch or not.
    _publish(feed, bus, _state("available"))
    await _drain()
    assert batching.frames[-1]["type"] == "agent.update"


async def test_wallboards_connecting_at_the_same_moment_share_one_snapshot() -> None:
    feed, _, bus = _feed()
    first, second = FakeSocket(), FakeSocket()
    feed.attach(1, first, "en")
    feed.attach(2, second, "en")
    await _drain()
    assert first.sent[0] is second.sent[0]  # built (and encoded) once
    _publish(feed, bus, *_arrival("c1"))  # an event: the next one is built anew
    third = FakeSocket()
    feed.attach(3, third, "en")
    await _drain()
    assert third.sent[0] is not first.sent[0] and third.sent[0]["seq"] == 2
    assert [c["id"] for c in third.sent[0]["contacts"]] == ["c1"]
    # Not for long without events either: its `at` tells a page the server's time.
    feed.center.clock.now += 0.3  # type: ignore[attr-defined]
    fourth = FakeSocket()
    feed.attach(4, fourth, "en")
    await _drain()
    assert fourth.sent[0] is not third.sent[0] and fourth.sent[0]["at"] > third.sent[0]["at"]
