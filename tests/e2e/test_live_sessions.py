"""Sessions follow the account, over real websockets: an account change ends them at once."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import websockets

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
