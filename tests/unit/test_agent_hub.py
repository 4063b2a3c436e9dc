"""The hub's send queues: a socket that stops taking messages is cut off (4008) and never
delays another. The stalled peer is a socket whose sends never complete — what a browser
with a closed TCP window looks like from the server — since filling a real loopback socket's
kernel buffers takes megabytes."""

from __future__ import annotations

import asyncio
from typing import Any

from app.contacts.hub import SLOW_CONSUMER, TAKEN_OVER, AgentHub, Replay


class Peer:
    def __init__(self, stalled: bool = False) -> None:
        self.stalled = stalled
        self.got: list[dict[str, Any]] = []
        self.closed_with: int | None = None
        self._never = asyncio.Event()

    async def send_json(self, data: Any, mode: str = "text") -> None:
        if self.stalled:
            await self._never.wait()
        self.got.append(data)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.closed_with = code


async def test_a_stalled_socket_is_closed_and_the_others_get_theirs() -> None:
    hub = AgentHub(queue_limit=8)
    stalled, healthy, other = Peer(stalled=True), Peer(), Peer()
    hub.attach(1, stalled)
    hub.attach(3, healthy)
    hub.attach(2, other)
    for n in range(50):
        hub.send(1, {"type": "state", "n": n})
        hub.send(2, {"type": "state", "n": n})
        hub.send(3, {"type": "state", "n": n})
        await asyncio.sleep(0)
    for _ in range(20):
        await asyncio.sleep(0)
    assert stalled.closed_with == SLOW_CONSUMER
    assert [m["n"] for m in healthy.got] == list(range(50))
    assert [m["n"] for m in other.got] == list(range(50))


async def test_messages_keep_their_order_while_a_pop_is_built() -> None:
    hub = AgentHub()
    peer = Peer()
    hub.attach(1, peer)
    pop_ready = asyncio.Event()

    async def pop() -> dict[str, Any]:
        await pop_ready.wait()
        return {"type": "offer"}

    hub.send(1, asyncio.ensure_future(pop()))
    hub.send(1, {"type": "state"})
    await asyncio.sleep(0.01)
    assert peer.got == []  # the state waits behind the offer it follows
    pop_ready.set()
    await asyncio.sleep(0.01)
    assert [m["type"] for m in peer.got] == ["offer", "state"]


async def test_a_second_socket_takes_over_and_the_first_is_closed_with_4409() -> None:
    hub = AgentHub()
    first, second, colleague = Peer(), Peer(), Peer()
    old = hub.attach(1, first)
    hub.attach(2, colleague)
    hub.attach(1, second)
    for _ in range(5):
        await asyncio.sleep(0)
    assert first.closed_with == TAKEN_OVER and second.closed_with is None
    assert colleague.closed_with is None  # only the same agent's sockets
    hub.send(1, {"type": "state"})
    for _ in range(5):
        await asyncio.sleep(0)
    assert first.got == [] and second.got == [{"type": "state"}]
    # The old socket's handler detaching it is not the agent's last socket going.
    assert await hub.detach(old) is False
    assert hub.connected(1)


async def test_a_replay_supersedes_the_events_it_already_shows() -> None:
    # A reconnect's replay is the state as of event 5: events up to 5 queued behind it are
    # stale (they would undo it); later ones and plain replies go out, in order.
    hub = AgentHub()
    peer = Peer()
    hub.attach(1, peer)
    hub.send(1, {"type": "hello", "seq": 0})  # before the replay: as sent
    ready = asyncio.Event()

    async def replay() -> Replay:
        await ready.wait()
        return Replay([{"type": "state", "state": "wrapup"}], 5)

    hub.send(1, asyncio.ensure_future(replay()))
    hub.send(1, {"type": "state", "state": "busy", "seq": 4})
    hub.send(1, {"type": "pong"})
    hub.send(1, {"type": "state", "state": "available", "seq": 6})
    ready.set()
    for _ in range(20):
        await asyncio.sleep(0)
    assert [(m["type"], m.get("state")) for m in peer.got] == [
        ("hello", None),
        ("state", "wrapup"),
        ("pong", None),
        ("state", "available"),
    ]
