"""A callback promised in wrap-up is made at its time: a new outbound voice contact for the
customer, routed like any (to the agent who promised it first), and the promise leaves the
agent's list as made. The pass is driven by hand on a fake clock."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from app.contacts.scheduled_callbacks import ScheduledCallbacks, number_to_call
from app.db.models import Interaction
from tests.agent_client import AgentClient
from tests.conftest import LiveServer
from tests.e2e.test_agent_flow import _contact, _setup

PHONE = "+8613800000077"


async def promise_callback(
    live: LiveServer, alice: AgentClient, due: datetime, phone: str = PHONE
) -> str:
    """alice answers a call from ``phone``, ends it and wraps up with a callback at ``due``."""
    await alice.available()
    cid = (await _contact(live, phone))["id"]
    assert (await alice.expect("offer"))["contact"]["id"] == cid
    await alice.send("offer.accept", contact_id=cid)
    await alice.expect("contact.assigned")
    await alice.send("contact.end", contact_id=cid)
    await alice.expect("state", state="wrapup")
    await alice.send(
        "wrapup",
        contact_id=cid,
        disposition="resolved",
        notes="call back with the refund",
        callback_at=due.isoformat(),
    )
    await alice.expect("wrapup.saved", contact_id=cid)
    return cid


async def record(live: LiveServer, contact_id: str) -> Interaction:
    await live.app.state.hotline.contacts.caught_up()
    async with live.uow() as uow:
        found = await uow.session.get(Interaction, int(contact_id))
        assert found is not None
        return found


async def test_a_callback_promised_in_wrap_up_is_made_at_its_time(live: LiveServer) -> None:
    await _setup(live)
    alice = await AgentClient(live, "alice").connect()
    due = datetime.now(UTC) + timedelta(hours=1)
    first = await promise_callback(live, alice, due)
    await alice.send("state.set", state="available")
    await alice.expect("state", state="available")
    hotline = live.app.state.hotline
    clock: dict[str, float] = {"now": time.time()}
    passes = ScheduledCallbacks(hotline.contacts, hotline.uow, lambda: clock["now"])

    assert await passes.tick() == []  # not due yet
    r = await live.request("GET", "/api/me/callbacks", as_="alice")
    assert [c["interaction_id"] for c in r.json()["items"]] == [int(first)]

    clock["now"] = due.timestamp() + 1
    (made,) = await passes.tick()
    offer = await alice.expect("offer")  # to the agent who promised it
    contact = offer["contact"]
    assert contact["id"] == made
    assert contact["channel"] == "voice" and contact["intent"] == "callback"
    attributes: dict[str, Any] = contact["attributes"]
    assert attributes["callback"] == "scheduled"
    assert attributes["callback_of"] == first
    assert attributes["callback_number"] == PHONE
    assert offer["explanation"]["rule"] == "callback"
    await alice.send("offer.accept", contact_id=made)
    await alice.expect("contact.assigned")

    # The promise is kept: off the agent's list, marked made by the server, with its contact.
    promised = await record(live, first)
    assert promised.callback_due_at is None
    assert promised.attributes["_callback_done_by"] == "system"
    assert promised.attributes["_callback_contact_id"] == made
    r = await live.request("GET", "/api/me/callbacks", as_="alice")
    assert r.json()["items"] == []
    callback = await record(live, made)
    assert callback.direction == "outbound" and callback.queue == "service"
    assert callback.source == "scheduled-callback" and callback.external_id == first

    # A pass that died between making the contact and marking it made: the next one finds
    # the contact it made (the arrival is idempotent), and nothing is made twice.
    async with live.uow() as uow:
        await uow.session.execute(
            update(Interaction).where(Interaction.id == int(first)).values(callback_due_at=due)
        )
    assert await passes.tick() == [made]
    assert await passes.tick() == []
    async with live.uow() as uow:
        made_for_it = await uow.session.execute(
            select(Interaction.id).where(Interaction.source == "scheduled-callback")
        )
        assert [str(i) for i in made_for_it.scalars()] == [made]
    await alice.close()


async def test_a_callback_that_cannot_be_made_stays_on_the_agents_list(
    live: LiveServer,
) -> None:
    await _setup(live)
    alice = await AgentClient(live, "alice").connect()
    due = datetime.now(UTC) + timedelta(minutes=30)
    first = await promise_callback(live, alice, due)
    async with live.uow() as uow:  # its queue is gone (renamed by hand, say)
        await uow.session.execute(
            update(Interaction).where(Interaction.id == int(first)).values(queue="closed")
        )
    hotline = live.app.state.hotline
    passes = ScheduledCallbacks(hotline.contacts, hotline.uow, lambda: due.timestamp() + 60)
    assert await passes.tick() == []
    promised = await record(live, first)
    assert promised.callback_due_at is None  # not tried again and again
    assert "closed" in promised.attributes["_callback_error"]
    r = await live.request("GET", "/api/me/callbacks", as_="alice")
    assert [c["interaction_id"] for c in r.json()["items"]] == [int(first)]  # theirs to make
    await alice.close()


def test_the_number_called_is_the_callers_or_the_customers_first_phone() -> None:
    assert number_to_call("+8613800000001", "+8613900000000") == "+8613800000001"
    assert number_to_call("sip:alice@example.com", "+8613900000000") == "+8613900000000"
    assert number_to_call("ann@example.com", None) is None
    assert number_to_call(None, "+8613900000000") == "+8613900000000"
