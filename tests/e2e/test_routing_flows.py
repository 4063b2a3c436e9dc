"""Grade- and history-aware routing over real websockets: who gets the offer, and why."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from config.settings import Settings
from tests.agent_client import AgentClient
from tests.conftest import LiveServer, add_agent, make_settings


@pytest.fixture
def offer_timeout() -> float:
    """Short, so missed offers happen in a test's time; a test that must not see its offer
    expire on a busy machine parametrizes a longer one."""
    return 1.0


@pytest.fixture
async def live_settings(db_url: str, tmp_path: Path, offer_timeout: float) -> Settings:
    return make_settings(
        db_url, tmp_path, offer_timeout_seconds=offer_timeout, agent_grace_seconds=2.0
    )


async def _setup(live: LiveServer) -> int:
    r = await live.request(
        "POST",
        "/api/queues",
        json={"name": "service", "display_name": "Service", "skills": ["service"]},
    )
    assert r.status_code == 201, r.text
    return await add_agent(live.uow, "bob", "agent", skills={"service": 3, "complaints": 4})


async def _agents(
    live: LiveServer, first: str = "alice", then: str = "bob"
) -> dict[str, AgentClient]:
    """Both available; `first` has been idle longer, so plain routing would pick them."""
    clients = {}
    for name in (first, then):
        clients[name] = await AgentClient(live, name).connect()
        await clients[name].available()
        await asyncio.sleep(0.05)
    return clients


async def _contact(live: LiveServer, **fields: Any) -> str:
    body = {"channel": "voice", "from": "+8613800000009", "queue": "service", **fields}
    r = await live.request("POST", "/api/contacts", json=body, as_="super")
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def _customer(live: LiveServer, **fields: Any) -> int:
    body = {"name": "Zhou Min", "phones": ["+8613800000009"], **fields}
    r = await live.request("POST", "/api/customers", json=body, as_="super")
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def _serve(agent: AgentClient, cid: str) -> None:
    await agent.send("offer.accept", contact_id=cid)
    await agent.expect("contact.assigned")
    await agent.send("contact.end", contact_id=cid)
    await agent.expect("contact.ended")
    await agent.send("wrapup", contact_id=cid, disposition="resolved", notes="")
    await agent.expect("wrapup.saved")
    await agent.expect("state", state="available")


async def test_vip_goes_to_the_account_manager(live: LiveServer) -> None:
    bob = await _setup(live)
    customer = await _customer(live, account_manager_id=bob)
    r = await live.request(
        "PUT",
        f"/api/customers/{customer}/grade-override",
        as_="super",
        json={"grade": "vip", "reason": "board member"},
    )
    assert r.status_code == 200 and r.json()["grade"] == "vip", r.text
    agents = await _agents(live)  # alice idle longest
    cid = await _contact(live)
    offer = await agents["bob"].expect("offer")
    assert offer["contact"]["id"] == cid
    assert offer["explanation"]["rule"] == "vip"
    assert "account manager" in offer["explanation"]["reason"]
    assert offer["customer"]["value"]["grade"] == "vip"
    assert offer["customer"]["account_manager"]["display_name"] == "Bob"
    await agents["alice"].nothing("offer")


async def test_open_complaint_goes_to_its_owner(live: LiveServer) -> None:
    bob = await _setup(live)
    customer = await _customer(live)
    r = await live.request(
        "POST",
        "/api/complaints",
        as_="super",
        json={
            "customer_id": customer,
            "category": "billing",
            "description": "late refund",
            "owner_id": bob,
        },
    )
    assert r.status_code == 201
    agents = await _agents(live)
    await _contact(live)
    offer = await agents["bob"].expect("offer")
    assert offer["explanation"]["rule"] == "open-complaint"
    assert offer["customer"]["open_complaints"][0]["owner_id"] == bob
    await agents["alice"].nothing("offer")


async def test_repeat_caller_goes_back_to_the_last_agent(live: LiveServer) -> None:
    await _setup(live)
    await _customer(live)
    bob = await AgentClient(live, "bob").connect()
    await bob.available()
    first = await _contact(live)
    await bob.expect("offer")
    await _serve(bob, first)
    alice = await AgentClient(live, "alice").connect()
    await alice.available()  # alice is now the longer idle... but bob knows the story
    await asyncio.sleep(0.05)
    await _contact(live)
    offer = await bob.expect("offer")
    assert offer["explanation"]["rule"] == "repeat-contact"
    await alice.nothing("offer")


async def test_reject_and_timeout_reroute_to_the_next_agent(live: LiveServer) -> None:
    await _setup(live)
    agents = await _agents(live)
    cid = await _contact(live)
    await agents["alice"].expect("offer")
    await agents["alice"].send("offer.reject", contact_id=cid, reason="on another line")
    cancelled = await agents["alice"].expect("offer.cancelled", contact_id=cid)
    assert cancelled["cause"] == "rejected"
    await agents["bob"].expect("offer", within=3)
    # bob lets it ring out: the countdown (1 s here) expires and it goes back to the queue;
    # alice rejected it a moment ago, so it waits for her cool-down rather than bouncing back.
    expired = await agents["bob"].expect("offer.cancelled", within=4)
    assert expired["cause"] == "expired"
    interaction = (await live.request("GET", f"/api/contacts/{cid}", as_="super")).json()
    log = interaction["interaction"]["routing_explanation"]
    causes = [e.get("cause") for e in log if e["event"] == "offer_cancelled"]
    assert causes == ["rejected", "expired"]
    assert interaction["live_status"] == "queued"


async def test_missed_offers_put_the_agent_on_break(live: LiveServer) -> None:
    await _setup(live)
    alice = await AgentClient(live, "alice").connect()
    await alice.available()
    for _ in range(3):
        await _contact(live)
    for _ in range(3):
        await alice.expect("offer", within=4)
        await alice.expect("offer.cancelled", within=4)
    state = await alice.expect("state", state="break", within=4)
    assert state["reason"] == "missed offers"


@pytest.mark.parametrize("offer_timeout", [30.0])
async def test_customer_hanging_up_during_an_offer_cancels_it(live: LiveServer) -> None:
    await _setup(live)
    alice = await AgentClient(live, "alice").connect()
    await alice.available()
    cid = await _contact(live)
    await alice.expect("offer")
    r = await live.request("POST", f"/api/contacts/{cid}/end", json={"by": "customer"}, as_="super")
    assert r.status_code == 200, r.text
    cancelled = await alice.expect("offer.cancelled")
    assert cancelled["cause"] == "abandoned"
    await alice.expect("state", state="available")
    record = r.json()["interaction"]
    assert record["end_reason"] == "abandoned" and record["ended_by"] == "customer"
    assert record["wait_seconds"] is not None and record["status"] == "ended"
    r = await live.request("POST", f"/api/contacts/{cid}/end", json={}, as_="super")
    assert r.status_code == 409


async def test_dropped_socket_reroutes_the_offer_and_keeps_the_call(live: LiveServer) -> None:
    await _setup(live)
    agents = await _agents(live)
    first = await _contact(live)
    await agents["alice"].expect("offer")
    await agents["alice"].close()  # connection lost with an offer in flight
    offer = await agents["bob"].expect("offer", within=3)
    assert offer["contact"]["id"] == first
    await agents["bob"].send("offer.accept", contact_id=first)
    await agents["bob"].expect("contact.assigned")
    await agents["bob"].close()  # connection lost mid-call
    await asyncio.sleep(0.2)
    back = await AgentClient(live, "bob").connect()  # within the 2 s grace
    restored = await back.expect("contact.assigned")
    assert restored["contact"]["id"] == first
    r = await live.request("GET", f"/api/contacts/{first}", as_="super")
    assert r.json()["live_status"] == "active"
    await back.send("contact.end", contact_id=first)
    await back.expect("contact.ended")
    await back.expect("state", state="wrapup")
