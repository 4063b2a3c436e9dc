"""Chat limits the customer is told about, heartbeats that find half-open sockets, and the
offline message that becomes a callback (docs/chat.md)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path

import pytest
import websockets

from config.settings import Settings
from tests.agent_client import AgentClient
from tests.conftest import LiveServer, make_settings
from tests.e2e.test_chat_flow import ChatClient, chat_with_alice, chat_yaml, setup_floor

LIMITS = {
    "message_chars": 50,
    "messages_per_second": 0.2,  # slow enough that no refill happens during the test
    "message_burst": 3,
    "typing_interval_seconds": 30,
    "open_per_customer": 5,
    "open_per_address": 2,
    "new_per_address_per_hour": 3,
}


@pytest.fixture
async def live_settings(db_url: str, tmp_path: Path) -> Settings:
    heartbeat = {"interval_seconds": 0.3, "timeout_seconds": 2.5}
    path = chat_yaml(tmp_path, limits=LIMITS, heartbeat=heartbeat)
    return make_settings(db_url, tmp_path, chat_file=path)


async def test_message_size_rate_and_typing_limits(live: LiveServer) -> None:
    await setup_floor(live)
    customer, alice, cid = await chat_with_alice(live)
    await customer.send("language", language="zh")
    await customer.expect("language")
    await customer.send("message", client_id="big", text="x" * 51)
    error = await customer.expect("error", ref="message")
    assert error["code"] == "too_large" and error["client_id"] == "big"
    assert error["message"] == "消息过长：最多 50 个字符（当前 51 个）。"
    for n in range(3):  # the burst
        await customer.say(f"m{n}", f"c-{n}")
    await customer.send("message", client_id="c-3", text="one too many")
    error = await customer.expect("error", ref="message")
    assert error["code"] == "rate_limited" and error["retry_after"] > 0
    assert "秒后重新发送" in error["message"]
    await alice.send("chat.history", contact_id=cid, after=0)
    history = await alice.expect("chat.history", contact_id=cid)
    assert [m["text"] for m in history["messages"]] == ["m0", "m1", "m2"]  # nothing else stored

    for _ in range(5):
        await customer.send("typing")
    await alice.expect("chat.typing", contact_id=cid)
    await alice.nothing("chat.typing", wait=0.5)  # throttled: one in 30 s

    # The agent's side has its limit too, said plainly.
    await alice.send("chat.send", contact_id=cid, text="y" * 51, client_id="a-big")
    assert (await alice.expect("error", ref="chat.send"))["code"] == "too_large"
    await customer.close()
    await alice.close()


async def test_bad_frames_get_errors_and_the_socket_stays(live: LiveServer) -> None:
    await setup_floor(live)
    customer = await ChatClient(live).start()
    for frame, code in (
        ("not json", "invalid"),
        ('{"type": "fly"}', "invalid"),
        ('{"type": "message", "text": "no id"}', "invalid"),
        ('{"type": "rate", "rating": 9}', "invalid"),
        ('{"type": "ack", "seq": -1}', "invalid"),
    ):
        await customer.ws.send(frame)
        assert (await customer.expect("error"))["code"] == code
    await customer.ws.send(b"\x00binary")
    assert (await customer.expect("error"))["code"] == "invalid"
    await customer.send("rate", rating=5)  # nobody answered yet
    assert (await customer.expect("error", ref="rate"))["code"] == "not_rateable"
    await customer.send("ping")
    await customer.expect("pong")
    await customer.close()


async def test_handshake_refusals(live: LiveServer) -> None:
    await setup_floor(live)
    async with websockets.connect(f"{live.ws_url}/ws/chat?token=abc") as ws:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400
    async with websockets.connect(f"{live.ws_url}/ws/chat") as ws:
        await ws.send('{"type": "message", "client_id": "x", "text": "hi"}')
        error = json.loads(await ws.recv())
        assert error["code"] == "invalid"
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
    for form, code in (
        ({"reach": ""}, "reach_needed"),
        ({"reach": "not a number"}, "reach_invalid"),
        ({"topic": "weather"}, "unknown_topic"),
    ):
        refused = ChatClient(live)
        with pytest.raises(websockets.ConnectionClosed):
            await refused.start(**form)
        assert refused.pending[-1]["code"] == code


async def test_open_chats_and_new_chats_per_address(live: LiveServer) -> None:
    await setup_floor(live)
    first = await ChatClient(live).start(reach="a@example.com")
    second = await ChatClient(live).start(reach="b@example.com")
    third = ChatClient(live)
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await third.start(reach="c@example.com")
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    assert third.pending[-1]["code"] == "too_many_open_address"
    assert "at most 2" in third.pending[-1]["message"]
    # Ending one frees a place; but only 3 new chats an hour may start from one address.
    await first.send("end")
    await first.expect("ended")
    await ChatClient(live).start(reach="d@example.com")
    fourth = ChatClient(live, "zh")
    await second.send("end")
    await second.expect("ended")
    with pytest.raises(websockets.ConnectionClosed):
        await fourth.start(reach="e@example.com")
    assert fourth.pending[-1]["code"] == "too_many_new"
    assert "一小时内" in fourth.pending[-1]["message"]


async def test_heartbeat_closes_a_half_open_socket(live: LiveServer) -> None:
    await setup_floor(live)
    awake = await ChatClient(live).start()
    # The live socket answers each ping (ChatClient does) and stays open across several.
    for _ in range(4):
        await awake.expect("ping", within=2)
    # A silent one — a customer whose network vanished — is closed with 4408, while the
    # live one (reading and answering meanwhile) stays.
    pump = asyncio.create_task(awake.expect("never", within=30))
    silent = await websockets.connect(f"{live.ws_url}/ws/chat")
    await silent.send(json.dumps({"type": "start", "reach": "s@example.com"}))
    async with asyncio.timeout(10):
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await silent.recv()  # reads, never answers
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4408
    assert not pump.done()
    pump.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await pump
    await awake.send("ping")
    await awake.expect("pong")
    await awake.close()


async def test_no_agent_in_time_the_message_becomes_a_callback(live: LiveServer) -> None:
    await setup_floor(live, max_wait=1)
    # Alice takes calls but no chats: the chat finds nobody, its callback finds her.
    r = await live.request("GET", "/api/agents")
    alice_id = next(a["id"] for a in r.json() if a["username"] == "alice")
    r = await live.request("PATCH", f"/api/agents/{alice_id}", json={"chat_capacity": 0})
    assert r.status_code == 200, r.text
    alice = await AgentClient(live, "alice").connect()
    await alice.available()
    customer = await ChatClient(live).start(reach="+8613800000123")
    offline = await customer.expect("offline", within=10)
    assert offline["reason"] == "no_agent"
    await customer.send("message", client_id="late", text="anyone?")
    assert (await customer.expect("error", ref="message"))["code"] == "ended"
    await customer.send("leave_message", text="Please call me about my refund", reach="")
    callback = await customer.expect("callback")
    assert callback["reach"] == "+8613800000123"
    r = await live.request("GET", f"/api/contacts/{callback['contact_id']}", as_="super")
    record = r.json()["interaction"]
    assert record["channel"] == "voice" and record["direction"] == "outbound"
    assert record["queue"] == "service" and record["intent"] == "callback"
    assert record["attributes"]["message"] == "Please call me about my refund"
    assert record["attributes"]["callback"] == "requested"
    assert record["attributes"]["callback_number"] == "+8613800000123"
    assert record["attributes"]["_chat"]  # the conversation, on the record
    await customer.send("leave_message", text="again")
    assert (await customer.expect("error", ref="leave_message"))["code"] == "already_left"
    # It is routed like any contact: an agent who is free gets it.
    offer = await alice.expect("offer")
    assert offer["contact"]["id"] == callback["contact_id"]
    assert offer["contact"]["attributes"]["message"] == "Please call me about my refund"
    assert "_chat" not in offer["contact"]["attributes"]  # off the agent's screen
    await customer.close()
    await alice.close()


async def test_closed_hours_offer_a_message_at_once(db_url: str, tmp_path: Path) -> None:
    import httpx

    from app.main import create_app
    from tests.conftest import add_agent, start_live_server

    path = chat_yaml(tmp_path, hours={"timezone": "UTC", "days": {}})
    app = create_app(make_settings(db_url, tmp_path, chat_file=path), migrate=False)
    server, task, base_url = await start_live_server(app)
    try:
        await add_agent(app.state.hotline.uow, "admin", "admin")
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
            live = LiveServer(client, app, base_url)
            await setup_floor(live)
            config = (await client.get("/api/chat/config")).json()
            assert config["open_now"] is False
            customer = await ChatClient(live, "zh").start(reach="closed@example.com")
            assert customer.welcome["status"] == "offline"
            await customer.send("leave_message", text="明天请回电", reach="13800000000")
            callback = await customer.expect("callback")
            r = await live.request("GET", f"/api/contacts/{callback['contact_id']}", as_="admin")
            assert r.json()["interaction"]["attributes"]["message"] == "明天请回电"
            await customer.close()
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
