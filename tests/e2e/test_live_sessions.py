"""Sessions follow the account, over real websockets: an account change ends them at once."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import websockets

from app.contacts.agent_session import AgentSession
from config.settings import Settings
from tests.agent_client import AgentClient, open_agent_socket
from tests.conftest import LiveServer, add_agent, make_settings


@pytest.fixture
async def live_settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, tmp_path, agent_grace_seconds=1.0)


async def test_deactivating_an_agent_closes_their_socket_within_a_second(
    live: LiveServer,
) -> None:
    agent_id = await add_agent(live.uow, "carol2", "agent", skills={"service": 3})
    carol = await AgentClient(live, "carol2").connect()
    await carol.available()
    started = time.perf_counter()
    r = await live.request("PATCH", f"/api/agents/{agent_id}", json={"active": False})
    assert r.status_code == 200, r.text
    with pytest.raises(websockets.ConnectionClosed) as closed:
        async with asyncio.timeout(1.0):
            while True:
                await carol.ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    assert time.perf_counter() - started < 1.0
    # Out of routing: a contact that arrives now is not offered to them.
    record = live.app.state.hotline.center.router.store.agent(str(agent_id))
    assert record is None or not record.presence.can_take("voice")
    # And the account cannot come back in.
    again = await open_agent_socket(live.ws_url, live.tokens["carol2"])
    with pytest.raises(websockets.ConnectionClosed):
        await again.recv()


async def test_a_reconnect_replay_never_follows_the_events_it_predates(
    live: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A console reconnects while its contact is live; the contact ends while the server is
    # still building the replay of what is live. The replay must reach the console before
    # the end, never after it (a stale "busy" after "ended" froze the console on the call).
    r = await live.request(
        "POST", "/api/queues", json={"name": "service", "display_name": "S", "skills": ["service"]}
    )
    assert r.status_code == 201, r.text
    alice = await AgentClient(live, "alice").connect()
    await alice.available()
    body = {"channel": "voice", "queue": "service", "from": "+8613800000077"}
    cid = (await live.request("POST", "/api/contacts", json=body, as_="super")).json()["id"]
    await alice.expect("offer")
    await alice.send("offer.accept", contact_id=cid)
    await alice.expect("contact.assigned")

    building, release = asyncio.Event(), asyncio.Event()
    original = AgentSession.live_messages

    async def slow_replay(self: AgentSession) -> list[dict[str, object]]:
        out = await original(self)  # what is live now: the contact, in hand
        building.set()
        await release.wait()
        return out

    monkeypatch.setattr(AgentSession, "live_messages", slow_replay)
    again = AgentClient(live, "alice")
    again.ws = await open_agent_socket(live.ws_url, live.tokens["alice"])
    await asyncio.wait_for(building.wait(), 5)
    r = await live.request("POST", f"/api/contacts/{cid}/end", json={"by": "customer"})
    assert r.status_code == 200, r.text
    release.set()
    ended = await again.expect("contact.ended", contact_id=cid)
    kinds = [m["type"] for m in again.seen]
    assert kinds.index("contact.assigned") < kinds.index("contact.ended"), kinds
    await again.expect("state", state="wrapup")
    await again.send("ping")
    await again.expect("pong")  # everything sent so far has arrived
    states = [m["state"] for m in again.seen if m["type"] == "state"]
    assert states[-1] == "wrapup", states  # the last word is the newest
    assert ended["ended_by"] == "customer"
