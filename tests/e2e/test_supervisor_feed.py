"""/ws/supervisor end to end over real websockets (issue 11): a snapshot, then deltas as
contacts are queued, offered, answered and abandoned; resume after a reconnect; today's
figures across a restart; who may connect."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy import select

from app.db.models import Agent, AuditEntry
from app.main import create_app
from config.settings import Settings
from tests.agent_client import AgentClient
from tests.conftest import LiveServer, add_agent, make_settings, start_live_server
from tests.helpers import cheap_argon2  # noqa: F401  (autouse fixture)

Match = Callable[[dict[str, Any]], bool]


@pytest.fixture
async def live_settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, tmp_path, ws_auth_timeout_seconds=1.0)


class Wallboard:
    """A scripted supervisor socket: keeps every message, waits for the one that matches."""

    def __init__(self, live: LiveServer, username: str = "super") -> None:
        self.live = live
        self.username = username
        self.ws: Any = None
        self.pending: list[dict[str, Any]] = []
        self.last_seq = 0
        self.stream: str | None = None

    async def connect(self, **auth: Any) -> Wallboard:
        token = (await self.live.login(self.username))["Authorization"].split()[1]
        self.ws = await websockets.connect(f"{self.live.ws_url}/ws/supervisor?lang=en")
        await self.ws.send(json.dumps({"type": "auth", "token": token, **auth}))
        return self

    async def expect(
        self, kind: str, match: Match | None = None, within: float = 5.0
    ) -> dict[str, Any]:
        """The first message of this type (and predicate); others are kept for later."""
        for i, m in enumerate(self.pending):
            if m["type"] == kind and (match is None or match(m)):
                return self.pending.pop(i)
        async with asyncio.timeout(within):
            while True:
                frame = json.loads(await self.ws.recv())
                # A client that asked for `batch` frames gets what piled up in one.
                for m in frame["messages"] if frame["type"] == "batch" else [frame]:
                    if "seq" in m and m["type"] != "resume":
                        self.last_seq = max(self.last_seq, m["seq"])
                    if m["type"] == "snapshot":
                        self.stream = m["stream"]
                    self.pending.append(m)
                for i, m in enumerate(self.pending):
                    if m["type"] == kind and (match is None or match(m)):
                        return self.pending.pop(i)

    async def close(self) -> None:
        await self.ws.close()


async def _setup(live: LiveServer) -> int:
    r = await live.request(
        "POST",
        "/api/queues",
        json={
            "name": "service",
            "display_name": "Service",
            "skills": ["service"],
            "sla_seconds": 30,
        },
    )
    assert r.status_code == 201, r.text
    body = {"name": "Wang Lei", "phones": ["+8613800000077"]}
    r = await live.request("POST", "/api/customers", json=body, as_="super")
    assert r.status_code == 201, r.text
    customer = r.json()["id"]
    r = await live.request(
        "PUT",
        f"/api/customers/{customer}/grade-override",
        as_="super",
        json={"grade": "vip", "reason": "board member"},
    )
    assert r.status_code == 200, r.text
    return customer


async def _contact(live: LiveServer, phone: str = "+8613800000077") -> str:
    body = {"channel": "voice", "from": phone, "queue": "service"}
    r = await live.request("POST", "/api/contacts", json=body, as_="super")
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _contact_is(cid: str, **fields: Any) -> Match:
    def match(m: dict[str, Any]) -> bool:
        if m["contact_id"] != cid:
            return False
        c = m.get("contact") or {}
        return all(c.get(k) == v or m.get(k) == v for k, v in fields.items())

    return match


def _queue(pred: Callable[[dict[str, Any]], bool]) -> Match:
    return lambda m: m["queue"]["name"] == "service" and pred(m["queue"])


def _agent(name: str, pred: Callable[[dict[str, Any]], bool]) -> Match:
    return lambda m: m["agent"]["name"] == name and pred(m["agent"])


async def test_snapshot_then_updates_as_a_contact_is_queued_offered_answered_and_wrapped_up(
    live: LiveServer,
) -> None:
    await _setup(live)
    board = await Wallboard(live).connect()
    snap = await board.expect("snapshot")
    assert snap["stream"] == live.app.state.hotline.center.bus.stream
    service = next(q for q in snap["queues"] if q["name"] == "service")
    assert service["now"]["waiting"] == 0 and service["today"]["offered"] == 0
    assert service["today"]["service_level"] is None  # nothing counted yet: empty, not 100 %
    assert service["targets"] == {"vip": 20.0, "key": 30.0}  # config, capped at the queue's 30
    # Alice's account was written straight to the database after start-up: the feed
    # meets her when she logs in.
    assert snap["agents"] == []

    alice = await AgentClient(live, "alice").connect()
    await board.expect("agent.update", _agent("Alice", lambda a: a["state"] == "break"))
    await alice.available()
    available = await board.expect(
        "agent.update", _agent("Alice", lambda a: a["state"] == "available")
    )
    assert available["seq"] > snap["seq"]

    cid = await _contact(live)
    offered = await board.expect("contact.update", _contact_is(cid, status="offered"))
    contact = offered["contact"]
    assert contact["grade"] == "vip" and contact["customer_name"] == "Wang Lei"
    assert contact["rule"] == "vip" and contact["step_label"]  # the rule that holds it
    assert contact["target_seconds"] == 20.0
    await board.expect("queue.update", _queue(lambda q: q["now"]["waiting"] == 1))
    await alice.expect("offer")

    await alice.send("offer.accept", contact_id=cid)
    answered = await board.expect("contact.update", _contact_is(cid, outcome="answered"))
    assert answered["contact"] is None
    busy = await board.expect(
        "agent.update", _agent("Alice", lambda a: a["state"] == "busy" and a["contact"])
    )
    assert busy["agent"]["contact"]["id"] == cid and busy["agent"]["contact"]["grade"] == "vip"
    today = (await board.expect("queue.update", _queue(lambda q: q["today"]["answered"] == 1)))[
        "queue"
    ]["today"]
    assert today["offered"] == 1 and today["abandoned"] == 0 and today["service_level"] == 1.0
    assert today["by_grade"]["vip"]["service_level"] == 1.0
    assert today["by_grade"]["vip"]["target_seconds"] == 20.0

    await alice.expect("contact.assigned")
    await alice.send("contact.end", contact_id=cid)
    await alice.expect("contact.ended")
    await alice.send("wrapup", contact_id=cid, disposition="resolved", notes="")
    await alice.expect("wrapup.saved")
    done = await board.expect(
        "agent.update",
        _agent("Alice", lambda a: a["state"] == "available" and a["aht_seconds"] is not None),
    )
    assert done["agent"]["contacts_today"] == 1 and done["agent"]["contact"] is None
    q = await board.expect("queue.update", _queue(lambda q: q["today"]["aht_seconds"] is not None))
    assert q["queue"]["today"]["asa_seconds"] is not None
    # Every update carries the seq of the event behind it, in order.
    assert q["seq"] >= done["seq"] - 5 and q["seq"] <= live.app.state.hotline.center.bus.last_seq
    await alice.close()
    await board.close()


async def test_an_abandoned_vip_is_value_at_risk_and_listed(live: LiveServer) -> None:
    await _setup(live)
    board = await Wallboard(live).connect()
    await board.expect("snapshot")
    cid = await _contact(live)
    waiting = await board.expect(
        "queue.update", _queue(lambda q: q["value_at_risk"]["waiting"]["count"] == 1)
    )
    assert waiting["floor"]["value_at_risk"]["waiting"]["by_grade"]["vip"] == 1
    assert waiting["queue"]["now"]["oldest_vip_since"] is not None
    r = await live.request("POST", f"/api/contacts/{cid}/end", json={"by": "customer"}, as_="super")
    assert r.status_code == 200, r.text
    gone = await board.expect("contact.update", _contact_is(cid, outcome="abandoned"))
    assert gone["abandoned"]["customer_name"] == "Wang Lei"
    assert gone["abandoned"]["grade"] == "vip" and gone["abandoned"]["phone"] == "+8613800000077"
    assert gone["abandoned"]["waited"] >= 0
    q = await board.expect("queue.update", _queue(lambda q: q["today"]["abandoned"] == 1))
    assert q["queue"]["value_at_risk"]["abandoned"]["count"] == 1
    assert q["queue"]["value_at_risk"]["waiting"]["count"] == 0
    assert q["floor"]["abandoned"] == 1
    await board.close()


async def test_a_reconnect_with_its_last_seq_gets_what_it_missed(live: LiveServer) -> None:
    await _setup(live)
    board = await Wallboard(live).connect()
    snap = await board.expect("snapshot")
    stream = snap["stream"]
    await board.close()
    missed = await _contact(live)
    # The contact waits (nobody is available); wait for the feed to have it.
    feed = live.app.state.hotline.supervisor
    for _ in range(500):
        if missed in feed.floor.contacts and feed.seq >= live.app.state.hotline.center.bus.last_seq:
            break
        await asyncio.sleep(0.01)

    back = await Wallboard(live).connect(after=snap["seq"], stream=stream)
    resume = await back.expect("resume")
    assert resume["after"] == snap["seq"] and resume["seq"] > snap["seq"]
    update = await back.expect("contact.update", _contact_is(missed, status="queued"))
    assert snap["seq"] < update["seq"] <= resume["seq"]
    await back.expect("queue.update", _queue(lambda q: q["now"]["waiting"] == 1))
    assert not [m for m in back.pending if m["type"] == "snapshot"]
    await back.close()

    # Another stream (a restarted server), or a seq the server never sent: a snapshot.
    other = await Wallboard(live).connect(after=snap["seq"], stream="elsewhere")
    fresh = await other.expect("snapshot")
    assert [c["id"] for c in fresh["contacts"]] == [missed]
    await other.close()
    ahead = await Wallboard(live).connect(after=10**9, stream=stream)
    await ahead.expect("snapshot")
    await ahead.close()


async def _close_of(ws: Any) -> tuple[int, str]:
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await ws.recv()
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


async def test_who_may_connect_and_bad_handshakes(live: LiveServer) -> None:
    token = (await live.login("alice"))["Authorization"].split()[1]
    ws = await websockets.connect(f"{live.ws_url}/ws/supervisor")
    await ws.send(json.dumps({"type": "auth", "token": token}))
    code, reason = await _close_of(ws)
    assert code == 4403 and "supervisor" in reason

    sup = (await live.login("super"))["Authorization"].split()[1]
    ws = await websockets.connect(f"{live.ws_url}/ws/supervisor?token={sup}")
    assert (await _close_of(ws))[0] == 4400

    for bad in (
        {"after": -1},
        {"after": "ten"},
        {"after": True},
        {"stream": 7},
        {"batch": "maybe"},
    ):
        ws = await websockets.connect(f"{live.ws_url}/ws/supervisor")
        await ws.send(json.dumps({"type": "auth", "token": sup, **bad}))
        code, reason = await _close_of(ws)
        assert code == 4400 and reason.split(":")[0] in ("after", "stream", "batch"), (bad, reason)

    ws = await websockets.connect(f"{live.ws_url}/ws/supervisor")
    await ws.send(json.dumps({"type": "auth", "token": "forged"}))
    assert (await _close_of(ws))[0] == 4401
    ws = await websockets.connect(f"{live.ws_url}/ws/supervisor")
    assert (await _close_of(ws))[0] == 4401  # no auth message in time

    # A header works for clients that can set one; the admin may watch too.
    admin = (await live.login("admin"))["Authorization"]
    async with websockets.connect(
        f"{live.ws_url}/ws/supervisor", additional_headers={"Authorization": admin}
    ) as ws:
        first = json.loads(await ws.recv())
        assert first["type"] == "snapshot"
        # Bad frames get an error and the socket stays.
        for frame, code in (
            ("nope", "invalid"),
            ('{"type":"dance"}', "invalid"),
            ("x" * 5000, "too_large"),
        ):
            await ws.send(frame)
            reply = json.loads(await ws.recv())
            assert reply["type"] == "error" and reply["code"] == code, reply
        await ws.send('{"type":"language.set","language":"fr"}')
        assert json.loads(await ws.recv())["code"] == "invalid"
        await ws.send('{"type":"language.set","language":"zh"}')
        assert json.loads(await ws.recv())["type"] == "snapshot"
        await ws.send('{"type":"ping"}')
        assert json.loads(await ws.recv())["type"] == "pong"


async def test_todays_figures_survive_a_restart(db_url: str, tmp_path: Path) -> None:
    settings = make_settings(db_url, tmp_path)
    app = create_app(settings, migrate=False)
    server, task, base_url = await start_live_server(app)
    try:
        factory = app.state.hotline.uow
        await add_agent(factory, "admin", "admin")
        await add_agent(factory, "super", "supervisor")
        await add_agent(factory, "alice", "agent", skills={"service": 4})
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
            live = LiveServer(client, app, base_url)
            await _setup(live)
            alice = await AgentClient(live, "alice").connect()
            await alice.available()
            cid = await _contact(live)
            await alice.expect("offer")
            await alice.send("offer.accept", contact_id=cid)
            await alice.expect("contact.assigned")
            await alice.send("contact.end", contact_id=cid)
            await alice.expect("contact.ended")
            await alice.send("wrapup", contact_id=cid, disposition="resolved", notes="")
            await alice.expect("wrapup.saved")
            gone = await _contact(live, phone="+8613800000078")
            r = await live.request(
                "POST", f"/api/contacts/{gone}/end", json={"by": "customer"}, as_="super"
            )
            assert r.status_code == 200
            await alice.close()
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)

    again = create_app(settings, migrate=False)
    server, task, base_url = await start_live_server(again)
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
            live = LiveServer(client, again, base_url)
            board = await Wallboard(live).connect()
            snap = await board.expect("snapshot")
            today = next(q for q in snap["queues"] if q["name"] == "service")["today"]
            assert (today["offered"], today["answered"], today["abandoned"]) == (2, 1, 1)
            assert today["asa_seconds"] is not None and today["aht_seconds"] is not None
            assert [a["id"] for a in snap["abandoned"]] == [gone]
            alice = next(a for a in snap["agents"] if a["name"] == "Alice")
            assert alice["contacts_today"] == 1
            await board.close()
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


async def test_logging_out_closes_the_supervisors_feed(live: LiveServer) -> None:
    board = await Wallboard(live).connect()
    await board.expect("snapshot")
    headers = await live.login("super")
    r = await live.client.post("/api/auth/logout", headers=headers)
    assert r.status_code == 204, r.text
    code, reason = await _close_of(board.ws)
    assert code == 4403 and "log in again" in reason


async def test_a_supervisor_sets_an_agents_state_audited_and_every_screen_follows(
    live: LiveServer,
) -> None:
    await _setup(live)
    bob = await add_agent(live.uow, "bob", "agent", skills={"service": 1})
    alice = await AgentClient(live, "alice").connect()
    await alice.available()
    async with live.uow() as uow:
        alice_id = (
            await uow.session.execute(select(Agent.id).where(Agent.username == "alice"))
        ).scalar_one()
    board = await Wallboard(live).connect()
    await board.expect("snapshot")
    url = f"/api/supervisor/agents/{alice_id}/state"

    r = await live.request("PUT", url, json={"state": "break", "reason": "meeting"}, as_="super")
    assert r.status_code == 200, r.text
    assert r.json() == {
        "agent_id": alice_id,
        "state": "break",
        "reason": "meeting",
        "pending_break": None,
    }
    await alice.expect("state", state="break", reason="meeting")
    await board.expect("agent.update", _agent("Alice", lambda a: a["reason"] == "meeting"))
    async with live.uow() as uow:
        rows = (
            (
                await uow.session.execute(
                    select(AuditEntry).where(AuditEntry.action == "supervisor.agent_state")
                )
            )
            .scalars()
            .all()
        )
    assert [(e.entity_id, e.detail) for e in rows] == [
        (str(alice_id), {"from": "available", "to": "break", "reason": "meeting"})
    ]

    refused = [
        ("alice", url, {"state": "offline"}, 403),
        ("super", "/api/supervisor/agents/999/state", {"state": "offline"}, 404),
        ("super", f"/api/supervisor/agents/{bob}/state", {"state": "available"}, 409),
        ("super", url, {"state": "break"}, 422),
        ("super", url, {"state": "break", "reason": "nap"}, 422),
        ("super", url, {"state": "offline", "reason": "lunch"}, 422),
        ("super", url, {"state": "asleep"}, 422),
        ("super", url, {"state": "offline", "extra": 1}, 422),
    ]
    for who, where, body, status in refused:
        r = await live.request("PUT", where, json=body, as_=who)
        assert r.status_code == status, (body, r.text)
        assert r.json().get("detail") or r.json().get("message"), r.text
    async with live.uow() as uow:
        count = len(
            (
                await uow.session.execute(
                    select(AuditEntry).where(AuditEntry.action == "supervisor.agent_state")
                )
            )
            .scalars()
            .all()
        )
    assert count == 1  # refusals leave no entry

    # Offline is refused while the agent has a contact in hand; the entry is rolled back.
    await alice.available()
    cid = await _contact(live)
    await alice.expect("offer")
    await alice.send("offer.accept", contact_id=cid)
    await alice.expect("contact.assigned")
    r = await live.request("PUT", url, json={"state": "offline"}, as_="super")
    assert r.status_code == 409, r.text
    # A break asked for while busy waits for the work to end.
    r = await live.request("PUT", url, json={"state": "break", "reason": "lunch"}, as_="super")
    assert r.status_code == 200 and r.json()["pending_break"] == "lunch", r.text
    await alice.close()
    await board.close()


async def test_a_supervisor_withdraws_an_open_offer_audited_and_on_the_routing_log(
    live: LiveServer,
) -> None:
    await _setup(live)
    alice = await AgentClient(live, "alice").connect()
    await alice.available()
    board = await Wallboard(live).connect()
    await board.expect("snapshot")
    cid = await _contact(live)
    await alice.expect("offer")
    await board.expect("contact.update", _contact_is(cid, status="offered"))

    url = f"/api/supervisor/contacts/{cid}/withdraw-offer"
    r = await live.request("POST", url, as_="alice")
    assert r.status_code == 403, r.text
    r = await live.request("POST", url, as_="super")
    assert r.status_code == 200, r.text
    cancelled = await alice.expect("offer.cancelled", contact_id=cid)
    assert cancelled["cause"] == "withdrawn" and "Super" in cancelled["reason"]
    await alice.expect("state", state="available")  # no missed offer, no break
    back = await board.expect("contact.update", _contact_is(cid, status="queued"))
    assert back["contact"]["agent_id"] is None

    # Nothing to withdraw now (Alice is skipped for this contact for a while): 409; a
    # contact routing does not hold: 404; not a contact id: 422. None is audited.
    for where, status in ((url, 409), ("/api/supervisor/contacts/999/withdraw-offer", 404)):
        r = await live.request("POST", where, as_="super")
        assert r.status_code == status, r.text
    r = await live.request("POST", "/api/supervisor/contacts/abc/withdraw-offer", as_="super")
    assert r.status_code == 422, r.text

    interaction = (await live.request("GET", f"/api/interactions/{cid}", as_="super")).json()
    withdrawn = [e for e in interaction["routing_explanation"] if e.get("cause") == "withdrawn"]
    assert len(withdrawn) == 1 and "Super" in withdrawn[0]["reason"], interaction
    async with live.uow() as uow:
        rows = (
            (
                await uow.session.execute(
                    select(AuditEntry).where(AuditEntry.action == "supervisor.offer_withdrawn")
                )
            )
            .scalars()
            .all()
        )
    assert [(e.entity_id, e.detail["agent_id"]) for e in rows] == [(cid, 3)]
    await alice.close()
    await board.close()


async def test_a_supervisor_raises_a_waiting_contacts_priority(live: LiveServer) -> None:
    await _setup(live)
    board = await Wallboard(live).connect()
    await board.expect("snapshot")
    first = await _contact(live, phone="+8613800000081")
    second = await _contact(live, phone="+8613800000082")
    before = (await board.expect("contact.update", _contact_is(second, status="queued")))[
        "contact"
    ]["priority"]

    url = f"/api/supervisor/contacts/{second}/priority"
    for body in ({"points": 0}, {"points": 5000}, {"points": "ten"}, {}, {"points": 5, "x": 1}):
        r = await live.request("POST", url, json=body, as_="super")
        assert r.status_code == 422, (body, r.text)
    r = await live.request("POST", url, json={"points": 100}, as_="alice")
    assert r.status_code == 403
    r = await live.request("POST", url, json={"points": 100}, as_="super")
    assert r.status_code == 200, r.text
    assert r.json()["priority"] >= before + 100
    raised = await board.expect("contact.update", _contact_is(second, status="queued"), within=5.0)
    assert raised["contact"]["priority"] >= before + 100

    # The raised contact goes first to the next free agent, though it came second.
    alice = await AgentClient(live, "alice").connect()
    await alice.send("state.set", state="available")  # she is offered one at once
    offer = await alice.expect("offer")
    assert offer["contact"]["id"] == second
    await alice.send("offer.accept", contact_id=second)
    await alice.expect("contact.assigned")
    r = await live.request("POST", url, json={"points": 10}, as_="super")
    assert r.status_code == 409, r.text
    r = await live.request(
        "POST", "/api/supervisor/contacts/999/priority", json={"points": 10}, as_="super"
    )
    assert r.status_code == 404, r.text

    interaction = (await live.request("GET", f"/api/interactions/{second}", as_="super")).json()
    reasons = [e.get("reason") or "" for e in interaction["routing_explanation"]]
    assert any("priority raised by 100" in r and "Super" in r for r in reasons), reasons
    async with live.uow() as uow:
        rows = (
            (
                await uow.session.execute(
                    select(AuditEntry).where(AuditEntry.action == "supervisor.priority_raised")
                )
            )
            .scalars()
            .all()
        )
    assert [(e.entity_id, e.detail["points"]) for e in rows] == [(second, 100.0)]
    assert first != second
    await alice.close()
    await board.close()


async def test_a_supervisor_moves_a_ringing_contact_to_another_queue(live: LiveServer) -> None:
    await _setup(live)
    r = await live.request(
        "POST",
        "/api/queues",
        json={"name": "billing", "display_name": "Billing", "skills": ["billing"]},
    )
    assert r.status_code == 201, r.text
    await add_agent(live.uow, "bob", "agent", skills={"billing": 2})
    alice = await AgentClient(live, "alice").connect()
    await alice.available()
    board = await Wallboard(live).connect()
    await board.expect("snapshot")
    cid = await _contact(live)
    await alice.expect("offer")

    url = f"/api/supervisor/contacts/{cid}/move"
    for body, status in (
        ({"queue": "nowhere"}, 422),
        ({"queue": "service"}, 422),  # it waits there already
        ({"queue": ""}, 422),
        ({}, 422),
    ):
        r = await live.request("POST", url, json=body, as_="super")
        assert r.status_code == status, (body, r.text)
    r = await live.request("POST", url, json={"queue": "billing"}, as_="super")
    assert r.status_code == 200, r.text
    assert r.json() == {"contact_id": cid, "from_queue": "service", "queue": "billing"}
    cancelled = await alice.expect("offer.cancelled", contact_id=cid)
    assert cancelled["cause"] == "withdrawn"
    moved = await board.expect("contact.update", _contact_is(cid, queue="billing"))
    assert moved["contact"]["status"] == "queued"
    await board.expect("queue.update", lambda m: m["queue"]["name"] == "billing")

    # Bob, who takes billing, gets it; then it can no longer be moved.
    bob = await AgentClient(live, "bob").connect()
    await bob.send("state.set", state="available")
    offer = await bob.expect("offer")
    assert offer["contact"]["id"] == cid
    await bob.send("offer.accept", contact_id=cid)
    await bob.expect("contact.assigned")
    r = await live.request("POST", url, json={"queue": "service"}, as_="super")
    assert r.status_code == 409, r.text

    interaction = (await live.request("GET", f"/api/interactions/{cid}", as_="super")).json()
    assert interaction["queue"] == "billing"
    reasons = [e.get("reason") or "" for e in interaction["routing_explanation"]]
    assert any("moved from" in r and "by supervisor Super" in r for r in reasons), reasons
    async with live.uow() as uow:
        rows = (
            (
                await uow.session.execute(
                    select(AuditEntry).where(AuditEntry.action == "supervisor.contact_moved")
                )
            )
            .scalars()
            .all()
        )
    assert [(e.entity_id, e.detail) for e in rows] == [(cid, {"from": "service", "to": "billing"})]
    for client in (alice, bob, board):
        await client.close()


async def test_a_supervisor_offers_a_waiting_contact_to_a_named_agent(live: LiveServer) -> None:
    await _setup(live)
    bob = await add_agent(live.uow, "bob", "agent", skills={"billing": 2})  # no service skill
    async with live.uow() as uow:
        alice_id = (
            await uow.session.execute(select(Agent.id).where(Agent.username == "alice"))
        ).scalar_one()
    board = await Wallboard(live).connect()
    await board.expect("snapshot")
    cid = await _contact(live)
    url = f"/api/supervisor/contacts/{cid}/offer"

    r = await live.request("POST", url, json={"agent_id": bob}, as_="super")
    assert r.status_code == 409 and "not signed in" in r.json()["detail"], r.text
    bob_client = await AgentClient(live, "bob").connect()  # on the "not ready" break
    r = await live.request("POST", url, json={"agent_id": bob}, as_="super")
    assert r.status_code == 409, r.text  # a break: cannot take it now
    await bob_client.send("state.set", state="available")
    await bob_client.expect("state", state="available")
    for body, status in (({"agent_id": 999}, 404), ({"agent_id": "x"}, 422), ({}, 422)):
        r = await live.request("POST", url, json=body, as_="super")
        assert r.status_code == status, (body, r.text)

    # Bob cannot serve this queue, but the supervisor says so.
    r = await live.request("POST", url, json={"agent_id": bob}, as_="super")
    assert r.status_code == 200, r.text
    assert r.json() == {"contact_id": cid, "agent_id": bob, "withdrawn_from": None}
    offer = await bob_client.expect("offer")
    assert offer["contact"]["id"] == cid and "by supervisor Super" in offer["explanation"]["reason"]
    await board.expect("contact.update", _contact_is(cid, status="offered", agent_id=str(bob)))

    # Alice comes; the supervisor moves the ringing offer from Bob to her.
    alice = await AgentClient(live, "alice").connect()
    await alice.available()
    r = await live.request("POST", url, json={"agent_id": alice_id}, as_="super")
    assert r.status_code == 200 and r.json()["withdrawn_from"] == bob, r.text
    cancelled = await bob_client.expect("offer.cancelled", contact_id=cid)
    assert cancelled["cause"] == "withdrawn"
    assert (await alice.expect("offer"))["contact"]["id"] == cid
    r = await live.request("POST", url, json={"agent_id": alice_id}, as_="super")
    assert r.status_code == 409, r.text  # ringing her already

    interaction = (await live.request("GET", f"/api/interactions/{cid}", as_="super")).json()
    directed = [
        e
        for e in interaction["routing_explanation"]
        if e["event"] == "offered" and "by supervisor Super" in (e.get("reason") or "")
    ]
    assert [e["agent_id"] for e in directed] == [bob, alice_id]
    async with live.uow() as uow:
        rows = (
            (
                await uow.session.execute(
                    select(AuditEntry).where(AuditEntry.action == "supervisor.offer_directed")
                )
            )
            .scalars()
            .all()
        )
    assert [(e.detail["agent_id"], e.detail["withdrawn_from"]) for e in rows] == [
        (bob, None),
        (alice_id, bob),
    ]
    for client in (alice, bob_client, board):
        await client.close()


async def test_an_agent_created_by_an_admin_appears_on_the_wallboard_at_once(
    live: LiveServer,
) -> None:
    await _setup(live)
    board = await Wallboard(live).connect()
    snap = await board.expect("snapshot")
    assert not [a for a in snap["agents"] if a["name"] == "Erin Wu"]
    body = {
        "username": "erin",
        "display_name": "Erin Wu",
        "password": "erin-password-1",
        "skills": {"service": 2},
        "team": "north",
    }
    r = await live.request("POST", "/api/agents", json=body)
    assert r.status_code == 201, r.text
    # Before she ever signs in: the account's creation is an event the feed follows.
    created = await board.expect("agent.update", _agent("Erin Wu", lambda a: True))
    agent = created["agent"]
    assert agent["id"] == str(r.json()["id"]) and agent["state"] == "offline"
    assert agent["team"] == "north" and agent["queues"] == ["service"]
    assert created["seq"] > snap["seq"]
    # And a wallboard that connects now lists her in its snapshot.
    other = await Wallboard(live).connect()
    assert any(a["name"] == "Erin Wu" for a in (await other.expect("snapshot"))["agents"])
    await other.close()
    await board.close()


async def test_a_supervisor_calls_back_an_abandoned_contact_once_audited(
    live: LiveServer,
) -> None:
    await _setup(live)
    board = await Wallboard(live).connect(batch=True)  # as the wallboard page asks
    await board.expect("snapshot")
    cid = await _contact(live)
    r = await live.request("POST", f"/api/contacts/{cid}/end", json={"by": "customer"}, as_="super")
    assert r.status_code == 200, r.text
    await board.expect("contact.update", _contact_is(cid, outcome="abandoned"))

    url = f"/api/supervisor/abandoned/{cid}/callback"
    r = await live.request("POST", url, as_="alice")
    assert r.status_code == 403, r.text
    r = await live.request("POST", url, as_="super")
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["callback_of"] == cid and made["queue"] == "service" and made["created"]
    assert made["number"] == "+8613800000077"
    callback = made["contact_id"]
    # A double click: the same callback, not a second one.
    r = await live.request("POST", url, as_="super")
    assert r.status_code == 200 and r.json() == made | {"created": False}, r.text

    # Every wallboard: the callback waits in the queue, marked as the callback of that
    # contact; the abandoned entry names its callback.
    queued = await board.expect("contact.update", _contact_is(callback, status="queued"))
    assert queued["contact"]["callback_of"] == cid and queued["contact"]["grade"] == "vip"
    marked = await board.expect(
        "contact.update", lambda m: m["contact_id"] == cid and m.get("abandoned")
    )
    assert marked["abandoned"]["callback_id"] == callback and marked["outcome"] == "abandoned"

    record = (await live.request("GET", f"/api/interactions/{callback}", as_="super")).json()
    assert record["direction"] == "outbound" and record["channel"] == "voice"
    assert record["attributes"]["callback_of"] == cid
    assert record["attributes"]["callback_number"] == "+8613800000077"

    # Routed like any contact: Alice is offered it, sees whose callback it is, takes it.
    alice = await AgentClient(live, "alice").connect()
    await alice.send("state.set", state="available")  # she is offered it at once
    offer = await alice.expect("offer")
    assert offer["contact"]["id"] == callback and offer["contact"]["intent"] == "callback"
    assert offer["contact"]["attributes"]["callback_of"] == cid
    await alice.send("offer.accept", contact_id=callback)
    await alice.expect("contact.assigned")

    # Refused: a contact that was answered (the callback itself) or is still live (a new
    # caller waiting), one that does not exist, one that is not a contact id. None audited.
    waiting = await _contact(live, phone="+8613800000079")
    for where, status in (
        (f"/api/supervisor/abandoned/{callback}/callback", 409),
        (f"/api/supervisor/abandoned/{waiting}/callback", 409),
        ("/api/supervisor/abandoned/999999/callback", 404),
        ("/api/supervisor/abandoned/abc/callback", 422),
        ("/api/supervisor/abandoned/0/callback", 422),
    ):
        r = await live.request("POST", where, as_="super")
        assert r.status_code == status, (where, r.text)
        assert r.json().get("detail"), r.text
    async with live.uow() as uow:
        rows = (
            (
                await uow.session.execute(
                    select(AuditEntry).where(AuditEntry.action == "supervisor.callback")
                )
            )
            .scalars()
            .all()
        )
    assert [(e.entity_id, e.detail) for e in rows] == [
        (cid, {"callback_id": callback, "queue": "service"})
    ]
    await alice.close()
    await board.close()
