"""The routing flows end to end: HTTP contact in, real websocket offers, records out."""

from __future__ import annotations

from typing import Any

import pytest

from app.db.models import Agent
from tests.agent_client import AgentClient
from tests.conftest import LiveServer, add_agent


async def _setup(live: LiveServer) -> dict[str, int]:
    r = await live.request(
        "POST",
        "/api/queues",
        json={"name": "service", "display_name": "Service", "skills": ["service"]},
    )
    assert r.status_code == 201, r.text
    bob = await add_agent(live.uow, "bob", "agent", skills={"service": 3, "complaints": 4})
    async with live.uow() as uow:
        alice = (await uow.session.get(Agent, 3)) or None
    assert alice is not None and alice.username == "alice"
    return {"alice": alice.id, "bob": bob}


async def _contact(live: LiveServer, phone: str = "+8613800000001", **extra: Any) -> dict[str, Any]:
    body = {"channel": "voice", "from": phone, "queue": "service", **extra}
    r = await live.request("POST", "/api/contacts", json=body, as_="super")
    assert r.status_code == 201, r.text
    return r.json()


async def test_offer_accept_end_and_wrap_up_land_on_the_record(live: LiveServer) -> None:
    await _setup(live)
    alice = await AgentClient(live, "alice").connect()
    await alice.available()
    contact = await _contact(live, ivr_path=["1", "2"], attributes={"account": "A-7"})
    cid = contact["id"]
    offer = await alice.expect("offer")
    assert offer["contact"]["id"] == cid
    assert offer["contact"]["ivr_path"] == ["1", "2"]
    assert offer["contact"]["attributes"] == {"account": "A-7"}
    assert offer["customer"]["customer"]["phones"] == ["+8613800000001"]
    assert offer["explanation"]["rule"] and offer["explanation"]["reason"]
    assert 0 < offer["expires_in"] <= 15
    await alice.expect("state", state="offered")

    await alice.send("offer.accept", contact_id=cid)
    assigned = await alice.expect("contact.assigned")
    assert assigned["contact"]["id"] == cid
    await alice.expect("state", state="busy")
    r = await live.request("GET", f"/api/contacts/{cid}", as_="alice")
    assert r.json()["live_status"] == "active"

    await alice.send("contact.end", contact_id=cid)
    ended = await alice.expect("contact.ended", contact_id=cid)
    assert ended["ended_by"] == "agent" and ended["wrapup_until"]
    await alice.expect("state", state="wrapup")

    complaint = {"category": "billing", "severity": "high", "description": "double charge"}
    await alice.send(
        "wrapup",
        contact_id=cid,
        disposition="complaint",
        notes="refund promised",
        complaint=complaint,
    )
    saved = await alice.expect("wrapup.saved", contact_id=cid)
    await alice.expect("state", state="available")

    interaction = (await live.request("GET", f"/api/interactions/{cid}", as_="alice")).json()
    assert interaction["disposition"] == "complaint" and interaction["notes"] == "refund promised"
    assert interaction["status"] == "ended" and interaction["end_reason"] == "completed"
    assert interaction["wait_seconds"] is not None and interaction["handle_seconds"] is not None
    events = [e["event"] for e in interaction["routing_explanation"]]
    assert events[:3] == ["queued", "offered", "assigned"] and "ended" in events
    customer_id = interaction["customer_id"]
    complaints = (
        await live.request("GET", f"/api/complaints?customer_id={customer_id}", as_="alice")
    ).json()
    assert [c["id"] for c in complaints["items"]] == [saved["complaint_id"]]
    assert complaints["items"][0]["interaction_id"] == int(cid)
    profile = (
        await live.request("GET", f"/api/customers/{customer_id}/profile", as_="alice")
    ).json()
    assert [i["id"] for i in profile["last_interactions"]] == [int(cid)]
    assert profile["open_complaints"][0]["category"] == "billing"
    # Colleagues read who handled a contact by name, everywhere it is listed.
    assert interaction["agent_name"] == profile["last_interactions"][0]["agent_name"] == "Alice"
    listed = await live.request("GET", f"/api/customers/{customer_id}/interactions", as_="bob")
    assert listed.json()["items"][0]["agent_name"] == "Alice"
    await alice.close()


async def test_bad_messages_get_clear_errors_and_the_socket_stays(live: LiveServer) -> None:
    await _setup(live)
    alice = await AgentClient(live, "alice").connect()
    await alice.ws.send("not json")
    assert (await alice.expect("error"))["code"] == "invalid"
    await alice.ws.send(b"\x00\x01")
    assert "binary" in (await alice.expect("error"))["detail"]
    await alice.send("offer.accept", contact_id="999", id="m1")
    error = await alice.expect("error", ref="offer.accept")
    assert error["ref_id"] == "m1" and error["code"] in ("conflict", "not_found")
    await alice.send("state.set", state="break", reason="nap")
    assert "reason" in (await alice.expect("error", ref="state.set"))["detail"]
    await alice.send("wrapup", contact_id="1", disposition="resolved")
    assert (await alice.expect("error", ref="wrapup"))["code"] == "not_found"
    await alice.send("ping")
    await alice.expect("pong")
    await alice.close()


async def test_unauthenticated_socket_is_refused(live: LiveServer) -> None:
    import websockets

    with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
        async with websockets.connect(f"{live.ws_url}/ws/agent") as ws:
            await ws.send('{"type": "auth", "token": "forged.token"}')
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
