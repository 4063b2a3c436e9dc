"""The chat channel end to end, over real websockets: the customer on /ws/chat, the agent on
/ws/agent (docs/chat.md)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
import yaml

from app.main import create_app
from config.settings import Settings
from tests.agent_client import AgentClient
from tests.conftest import LiveServer, add_agent, make_settings, start_live_server


def chat_yaml(tmp_path: Path, **changes: Any) -> Path:
    """config/chat.yaml with ``changes`` merged in (limits, hours, heartbeat)."""
    base = yaml.safe_load((Path("config") / "chat.yaml").read_text(encoding="utf-8"))
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict) and key != "hours":
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    path = tmp_path / "chat.yaml"
    path.write_text(yaml.safe_dump(base, allow_unicode=True), encoding="utf-8")
    return path


class ChatClient:
    """A scripted customer page: start or resume, send, and everything received kept."""

    def __init__(self, live: LiveServer, language: str = "en") -> None:
        self.live = live
        self.language = language
        self.ws: Any = None
        self.pending: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []  # every `message` frame, in arrival order
        self.conversation_id: str | None = None
        self.token: str | None = None
        self.welcome: dict[str, Any] = {}

    async def open(self, first: dict[str, Any]) -> dict[str, Any]:
        self.ws = await websockets.connect(f"{self.live.ws_url}/ws/chat")
        await self.ws.send(json.dumps(first))
        return await self.expect("welcome")

    async def start(self, **form: Any) -> ChatClient:
        fields = {"language": self.language, "topic": "general", "name": "Wang Fang"}
        fields |= {"reach": "wang.fang@example.com"} | form
        self.welcome = await self.open({"type": "start", **fields})
        self.conversation_id = self.welcome["conversation_id"]
        self.token = self.welcome["token"]
        return self

    def last_seq(self) -> int:
        return max((m["seq"] for m in self.messages), default=0)

    async def resume(self, last_seq: int | None = None) -> dict[str, Any]:
        seen = self.last_seq() if last_seq is None else last_seq
        first = {"type": "resume", "conversation_id": self.conversation_id, "token": self.token}
        self.pending = []
        self.welcome = await self.open(first | {"last_seq": seen})
        return self.welcome

    async def send(self, kind: str, **fields: Any) -> None:
        await self.ws.send(json.dumps({"type": kind, **fields}))

    async def say(self, text: str, client_id: str) -> dict[str, Any]:
        await self.send("message", client_id=client_id, text=text)
        return await self.expect("sent", client_id=client_id)

    async def expect(self, kind: str, within: float = 5.0, **match: Any) -> dict[str, Any]:
        for i, message in enumerate(self.pending):
            if _matches(message, kind, match):
                return self.pending.pop(i)
        async with asyncio.timeout(within):
            while True:
                message = json.loads(await self.ws.recv())
                if message["type"] == "message":
                    self.messages.append(message)
                if message["type"] == "ping":
                    await self.send("pong")
                if _matches(message, kind, match):
                    return message
                self.pending.append(message)

    async def nothing(self, kind: str, wait: float = 0.5) -> None:
        """No *new* frame of this type arrives within ``wait`` seconds."""
        kept, self.pending = self.pending, []
        try:
            got = await self.expect(kind, within=wait)
        except TimeoutError:
            return
        finally:
            self.pending = kept + self.pending
        raise AssertionError(f"customer got an unexpected {kind}: {got}")

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


def _matches(message: dict[str, Any], kind: str, match: dict[str, Any]) -> bool:
    return message.get("type") == kind and all(message.get(k) == v for k, v in match.items())


async def setup_floor(live: LiveServer, max_wait: int = 600) -> None:
    body = {"name": "service", "display_name": "Service", "skills": ["service"]}
    r = await live.request("POST", "/api/queues", json=body | {"max_wait_seconds": max_wait})
    assert r.status_code == 201, r.text


async def chat_with_alice(live: LiveServer, **form: Any) -> tuple[ChatClient, AgentClient, str]:
    """A customer's chat, answered by alice."""
    alice = await AgentClient(live, "alice").connect()
    await alice.available()
    customer = await ChatClient(live).start(**form)
    offer = await alice.expect("offer")
    assert offer["contact"]["channel"] == "chat"
    cid = offer["contact"]["id"]
    await alice.send("offer.accept", contact_id=cid)
    await alice.expect("contact.assigned")
    joined = await customer.expect("agent")
    assert joined["agent"]["name"] == "Alice"
    return customer, alice, cid


def agent_texts(alice: AgentClient, cid: str) -> list[tuple[int, str]]:
    return [
        (m["message"]["seq"], m["message"]["text"])
        for m in alice.seen
        if m["type"] == "chat.message" and m["contact_id"] == cid
    ]


async def test_round_trip_receipts_typing_end_transcript_and_rating(live: LiveServer) -> None:
    await setup_floor(live)
    customer, alice, cid = await chat_with_alice(live)
    assert customer.welcome["status"] == "waiting" and customer.welcome["topics"]

    sent = await customer.say("My bill is wrong", "c-1")
    assert sent["seq"] == 1
    got = await alice.expect("chat.message", contact_id=cid)
    assert got["message"]["from"] == "customer" and got["message"]["text"] == "My bill is wrong"

    await alice.send("chat.send", contact_id=cid, text="Let me check", client_id="a-1")
    reply = await alice.expect("chat.sent", contact_id=cid)
    assert reply["message"]["seq"] == 2
    message = await customer.expect("message", seq=2)
    assert message["from"] == "agent" and message["text"] == "Let me check"

    await alice.send("chat.typing", contact_id=cid)
    assert (await customer.expect("typing"))["from"] == "agent"
    await customer.send("typing")
    await alice.expect("chat.typing", contact_id=cid)

    await alice.send("chat.read", contact_id=cid, seq=1)
    receipt = await customer.expect("receipt")
    assert (receipt["delivered_seq"], receipt["read_seq"]) == (1, 1)
    await customer.send("read", seq=2)
    receipt = await alice.expect("chat.receipt", contact_id=cid)
    assert (receipt["delivered_seq"], receipt["read_seq"]) == (2, 2)

    await customer.send("end")
    ended = await customer.expect("ended")
    assert ended["by"] == "customer" and ended["rateable"] is True
    await alice.expect("contact.ended", contact_id=cid)
    await alice.send("wrapup", contact_id=cid, disposition="resolved", notes="bill fixed")
    await alice.expect("wrapup.saved", contact_id=cid)

    await customer.send("rate", rating=4, comment="quick and kind")
    assert (await customer.expect("rated"))["rating"] == 4
    await customer.send("rate", rating=1)
    assert (await customer.expect("error", ref="rate"))["code"] == "not_rateable"

    r = await live.request("GET", f"/api/interactions/{cid}", as_="super")
    record = r.json()
    assert record["channel"] == "chat" and record["rating"] == 4
    assert record["attributes"]["rating_comment"] == "quick and kind"
    assert [(t["seq"], t["from"], t["text"]) for t in record["transcript"]] == [
        (1, "customer", "My bill is wrong"),
        (2, "agent", "Let me check"),
    ]
    profile = await live.request("GET", f"/api/customers/{record['customer_id']}/profile")
    assert profile.json()["average_rating"] == 4 and profile.json()["ratings"] == 1
    await customer.close()
    await alice.close()


async def test_same_client_id_is_stored_once(live: LiveServer) -> None:
    await setup_floor(live)
    customer, alice, cid = await chat_with_alice(live)
    first = await customer.say("hello", "dup-1")
    again = await customer.say("hello", "dup-1")  # the reply was "lost": sent again
    assert first["seq"] == again["seq"] == 1
    await alice.send("chat.send", contact_id=cid, text="hi", client_id="a-dup")
    await alice.send("chat.send", contact_id=cid, text="hi", client_id="a-dup")
    replies = [await alice.expect("chat.sent") for _ in range(2)]
    assert {r["message"]["seq"] for r in replies} == {2}
    await alice.send("chat.history", contact_id=cid, after=0)
    history = await alice.expect("chat.history", contact_id=cid)
    assert [(m["seq"], m["text"]) for m in history["messages"]] == [(1, "hello"), (2, "hi")]
    await customer.expect("message", seq=2)
    await customer.nothing("message", wait=0.3)
    assert [m["seq"] for m in customer.messages] == [1, 2]
    await customer.close()
    await alice.close()


async def test_customer_reconnect_replays_what_was_missed_once(live: LiveServer) -> None:
    await setup_floor(live)
    customer, alice, cid = await chat_with_alice(live)
    await customer.say("one", "c-1")
    await customer.expect("message", seq=1)
    await customer.close()  # the customer's network drops
    for n in (2, 3):
        await alice.send("chat.send", contact_id=cid, text=f"agent {n}", client_id=f"a-{n}")
        await alice.expect("chat.sent", contact_id=cid)
    welcome = await customer.resume()
    assert welcome["last_seq"] == 3 and welcome["agent"] == {"name": "Alice"}
    assert welcome["status"] == "active" and "token" not in welcome
    await customer.expect("message", seq=3)
    # A message sent as the page came back, and one the agent sends now: each once.
    await customer.say("four", "c-4")
    await alice.send("chat.send", contact_id=cid, text="agent 5", client_id="a-5")
    await customer.expect("message", seq=5)
    await customer.nothing("message", wait=0.3)
    assert [m["seq"] for m in customer.messages] == [1, 2, 3, 4, 5]
    # A wrong token reads like an unknown conversation, and the socket says why.
    intruder = ChatClient(live)
    intruder.conversation_id, intruder.token = customer.conversation_id, "not-the-token"
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await intruder.resume()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    await customer.close()
    await alice.close()


async def test_agent_reconnect_gets_the_chat_and_its_missed_messages(live: LiveServer) -> None:
    await setup_floor(live)
    customer, alice, cid = await chat_with_alice(live)
    await customer.say("before", "c-1")
    await alice.expect("chat.message", contact_id=cid)
    await alice.close()
    await customer.say("while away", "c-2")
    again = await AgentClient(live, "alice").connect()
    assigned = await again.expect("contact.assigned")
    assert assigned["contact"]["id"] == cid
    await again.send("chat.history", contact_id=cid, after=1)
    history = await again.expect("chat.history", contact_id=cid)
    assert [(m["seq"], m["text"], m["state"]) for m in history["messages"]] == [
        (2, "while away", "sent")
    ]
    await again.send("chat.send", contact_id=cid, text="back", client_id="a-back")
    await customer.expect("message", seq=3)
    await customer.close()
    await again.close()


async def test_a_server_restart_loses_no_stored_message(db_url: str, tmp_path: Path) -> None:
    settings = make_settings(db_url, tmp_path)
    app = create_app(settings, migrate=False)
    server, task, base_url = await start_live_server(app)
    try:
        await add_agent(app.state.hotline.uow, "admin", "admin")
        await add_agent(app.state.hotline.uow, "alice", "agent", skills={"service": 4})
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
            live = LiveServer(client, app, base_url)
            await setup_floor(live)
            customer, alice, cid = await chat_with_alice(live)
            await customer.say("stored before the restart", "c-1")
            await alice.send("chat.send", contact_id=cid, text="noted", client_id="a-1")
            await alice.expect("chat.sent")
            await customer.expect("message", seq=2)
            await alice.close()
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
    async with asyncio.timeout(5):
        await customer.ws.wait_closed()  # the server went away

    again = create_app(settings, migrate=False)
    server, task, base_url = await start_live_server(again)
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
            live = LiveServer(client, again, base_url)
            customer.live = live
            welcome = await customer.resume(last_seq=0)  # a fresh page: everything again
            assert welcome["status"] == "active" and welcome["last_seq"] == 2
            await customer.expect("message", seq=2)
            assert [m["seq"] for m in customer.messages[-2:]] == [1, 2]
            alice = await AgentClient(live, "alice").connect()
            await alice.expect("contact.assigned")
            await alice.send("chat.history", contact_id=cid, after=0)
            history = await alice.expect("chat.history", contact_id=cid)
            assert [m["text"] for m in history["messages"]] == [
                "stored before the restart",
                "noted",
            ]
            # The conversation goes on, numbered on from where it was.
            assert (await customer.say("after", "c-3"))["seq"] == 3
            got = await alice.expect("chat.message", contact_id=cid)
            assert got["message"]["seq"] == 3
            await customer.close()
            await alice.close()
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


async def test_chats_up_to_capacity_and_no_call_while_chatting(live: LiveServer) -> None:
    await setup_floor(live)
    r = await live.request("GET", "/api/agents")
    alice_id = next(a["id"] for a in r.json() if a["username"] == "alice")
    r = await live.request("PATCH", f"/api/agents/{alice_id}", json={"chat_capacity": 2})
    assert r.status_code == 200, r.text
    alice = await AgentClient(live, "alice").connect()
    await alice.available()
    chats = []
    for n in range(2):
        customer = await ChatClient(live).start(reach=f"c{n}@example.com")
        offer = await alice.expect("offer")
        await alice.send("offer.accept", contact_id=offer["contact"]["id"])
        await alice.expect("contact.assigned")
        chats.append((customer, offer["contact"]["id"]))
    call = await live.request(
        "POST",
        "/api/contacts",
        json={"channel": "voice", "from": "+8613800000099", "queue": "service"},
        as_="super",
    )
    assert call.status_code == 201
    third = await ChatClient(live).start(reach="c3@example.com")
    await alice.nothing("offer", wait=1.0)  # full: two chats, and no call beside a chat
    place = await third.expect("queue")
    assert place["position"] >= 1 and place["estimated_wait_seconds"] > 0
    # Both chats in hand at once: each gets its own messages.
    for n, (customer, cid) in enumerate(chats):
        await alice.send("chat.send", contact_id=cid, text=f"to {n}", client_id=f"a-{n}")
        assert (await customer.expect("message"))["text"] == f"to {n}"

    async def close_chat(customer: ChatClient, cid: str) -> None:
        await alice.send("contact.end", contact_id=cid)
        await alice.expect("contact.ended", contact_id=cid)
        assert (await customer.expect("ended"))["by"] == "agent"
        await alice.send("wrapup", contact_id=cid, disposition="resolved", notes="")
        await alice.expect("wrapup.saved", contact_id=cid)

    # One chat closes: its slot takes the waiting chat, never the call (still chatting).
    await close_chat(*chats[0])
    offer = await alice.expect("offer")
    assert offer["contact"]["channel"] == "chat"
    await alice.send("offer.accept", contact_id=offer["contact"]["id"])
    await alice.expect("contact.assigned")
    assert (await third.expect("agent"))["agent"]["name"] == "Alice"
    await close_chat(*chats[1])
    await alice.nothing("offer", wait=0.5)
    await close_chat(third, offer["contact"]["id"])
    # No chat left: now the call.
    offer = await alice.expect("offer")
    assert offer["contact"]["channel"] == "voice"
    await third.close()
    await alice.close()


@pytest.fixture
async def live_settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, tmp_path, chat_identity_secret="website-secret-1234")


async def test_signed_identity_ties_the_chat_to_the_customer(live: LiveServer) -> None:
    import time

    from app.chat.identity import sign_identity

    await setup_floor(live)
    r = await live.request(
        "POST", "/api/customers", json={"name": "Li Lei", "phones": ["+8613900000001"]}
    )
    assert r.status_code == 201, r.text
    customer_id = r.json()["id"]
    token = sign_identity("website-secret-1234", customer_id, int(time.time()) + 600)
    alice = await AgentClient(live, "alice").connect()
    await alice.available()
    customer = await ChatClient(live).start(identity=token, reach=None, name=None)
    offer = await alice.expect("offer")
    assert offer["customer"]["customer"]["id"] == customer_id
    forged = token[:-1] + ("0" if token[-1] != "0" else "1")
    refused = ChatClient(live, "zh")
    with pytest.raises(websockets.ConnectionClosed):
        await refused.start(identity=forged, reach=None)
    error = refused.pending[-1]  # said before the socket closed, in the customer's language
    assert error["type"] == "error" and error["code"] == "identity_forged"
    assert error["message"] == "无法验证您的登录信息，请填写表单。"
    await customer.close()
    await alice.close()


async def test_the_same_client_id_from_two_processes_at_once_is_stored_once(
    live: LiveServer,
) -> None:
    """Two servers (two chat services, each with its own in-process lock) take the same
    message at the same moment: the database's unique keys keep one, and both answer with
    it."""
    from app.chat.service import ChatService

    await setup_floor(live)
    customer = await ChatClient(live).start()
    assert customer.conversation_id is not None
    one = live.app.state.hotline.chat
    other = ChatService(one.contacts, one.uow, one.config, one.hub, one.rooms)
    for n in range(5):
        a, b = await asyncio.gather(
            one.post(customer.conversation_id, "customer", f"same-{n}", f"hello {n}"),
            other.post(customer.conversation_id, "customer", f"same-{n}", f"hello {n}"),
        )
        assert a[0]["seq"] == b[0]["seq"] == n + 1
        assert sorted([a[1], b[1]]) == [False, True]  # one stored it, the other found it
    history = await one.history(customer.conversation_id, 0)
    assert [m["seq"] for m in history] == [1, 2, 3, 4, 5]
    await customer.close()


async def test_a_transferred_chat_goes_on_with_the_next_agent(live: LiveServer) -> None:
    await setup_floor(live)
    body = {"name": "sales", "display_name": "Sales", "skills": ["sales"]}
    assert (await live.request("POST", "/api/queues", json=body)).status_code == 201
    await add_agent(live.uow, "bob", "agent", skills={"sales": 4})
    customer, alice, cid = await chat_with_alice(live)
    await customer.say("I want to buy more", "c-1")
    await alice.send("contact.transfer", contact_id=cid, queue="sales")
    moved = await alice.expect("contact.transferred")
    assert (await customer.expect("transferred"))["queue"] == "sales"
    bob = await AgentClient(live, "bob").connect()
    await bob.send("state.set", state="available")  # the chat waits: offered at once
    offer = await bob.expect("offer")
    leg = offer["contact"]["id"]
    assert leg == moved["to"] and offer["contact"]["channel"] == "chat"
    await bob.send("offer.accept", contact_id=leg)
    await bob.expect("contact.assigned")
    assert (await customer.expect("agent"))["agent"]["name"] == "Bob"
    # Bob reads what came before and the conversation goes on, numbered on.
    await bob.send("chat.history", contact_id=leg, after=0)
    history = await bob.expect("chat.history", contact_id=leg)
    assert [m["text"] for m in history["messages"]] == ["I want to buy more"]
    await bob.send("chat.send", contact_id=leg, text="Happy to help", client_id="b-1")
    assert (await bob.expect("chat.sent"))["message"]["seq"] == 2
    assert (await customer.expect("message", seq=2))["text"] == "Happy to help"
    # Alice's part is over: she cannot write into it any more.
    await alice.send("chat.send", contact_id=cid, text="still me", client_id="a-late")
    assert (await alice.expect("error", ref="chat.send"))["code"] == "invalid"
    await customer.close()
    await alice.close()
    await bob.close()
