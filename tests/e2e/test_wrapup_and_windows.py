"""/ws/agent through a shift, over real websockets: one live console per agent (a second
window takes over, the first is closed with 4409, presence does not flap), and the wrap-up
form kept as a draft and given more time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.contacts.hub import TAKEN_OVER
from tests.agent_client import AgentClient
from tests.conftest import LiveServer
from tests.e2e.test_agent_flow import _contact, _setup


def _presence(live: LiveServer, agent_id: int) -> Any:
    return live.app.state.hotline.contacts.router.store.agent(str(agent_id)).presence


async def _in_wrapup(live: LiveServer, alice: AgentClient) -> str:
    await alice.available()
    cid = (await _contact(live))["id"]
    await alice.expect("offer")
    await alice.send("offer.accept", contact_id=cid)
    await alice.expect("contact.assigned")
    await alice.send("contact.end", contact_id=cid)
    await alice.expect("contact.ended", contact_id=cid)
    await alice.expect("state", state="wrapup")
    return cid


async def test_a_second_window_takes_over_and_presence_stays(live: LiveServer) -> None:
    ids = await _setup(live)
    first = await AgentClient(live, "alice").connect()
    await first.available()
    second = await AgentClient(live, "alice").connect()
    await first.ws.wait_closed()
    assert first.ws.close_code == TAKEN_OVER
    assert first.ws.close_reason == "taken over by another window"
    # The agent is still available: no "connection lost" break, no log-out on the way.
    assert second.state is not None and second.state["state"] == "available"
    presence = _presence(live, ids["alice"])
    assert presence.state == "available" and presence.break_reason is None
    await second.nothing("state", wait=0.3)
    # The live window is the one that gets the offers.
    cid = (await _contact(live))["id"]
    offer = await second.expect("offer")
    assert offer["contact"]["id"] == cid
    # Taking it back: the first window connects again, the second is closed in its turn.
    again = await AgentClient(live, "alice").connect()
    await second.ws.wait_closed()
    assert second.ws.close_code == TAKEN_OVER
    assert again.state is not None and again.state["state"] == "offered"
    resent = await again.expect("offer")  # the open offer comes with the live messages
    assert resent["contact"]["id"] == cid
    await again.close()


async def test_wrapup_draft_is_kept_and_the_next_window_gets_it(live: LiveServer) -> None:
    await _setup(live)
    alice = await AgentClient(live, "alice").connect()
    cid = await _in_wrapup(live, alice)
    complaint = {"on": True, "category": "billing", "severity": "high", "description": ""}
    await alice.send(
        "wrapup.draft",
        id="d1",
        contact_id=cid,
        disposition="resolved",
        notes="paid twice",
        complaint=complaint,
        callback_at="2030-01-02T10:00:00+08:00",
    )
    saved = await alice.expect("wrapup.draft_saved", contact_id=cid)
    assert saved["ref_id"] == "d1" and saved["saved_at"]
    # A draft with an unknown outcome or a time without its offset is refused, not kept.
    await alice.send("wrapup.draft", contact_id=cid, disposition="nope")
    assert (await alice.expect("error", ref="wrapup.draft"))["code"] == "invalid"
    await alice.send("wrapup.draft", contact_id=cid, callback_at="2030-01-02T10:00")
    assert (await alice.expect("error", ref="wrapup.draft"))["code"] == "invalid"

    other = await AgentClient(live, "alice").connect()  # another window: it gets the draft
    ended = await other.expect("contact.ended", contact_id=cid)
    assert ended["draft"]["disposition"] == "resolved"
    assert ended["draft"]["complaint"] == complaint
    assert ended["draft"]["callback_at"] == "2030-01-02T10:00:00+08:00"
    assert ended["contact"]["notes"] == "paid twice"
    assert "_wrapup_draft" not in ended["contact"]["attributes"]  # not shown as a fact
    await other.close()


async def test_more_time_moves_wrapup_until_and_stops_at_the_maximum(live: LiveServer) -> None:
    ids = await _setup(live)
    alice = await AgentClient(live, "alice").connect()
    cid = await _in_wrapup(live, alice)
    settings = live.app.state.hotline.contacts.router.settings
    before = _presence(live, ids["alice"]).wrapup_until
    await alice.send("wrapup.extend", id="x1")
    extended = await alice.expect("wrapup.extended")
    assert extended["ref_id"] == "x1" and extended["can_extend"] is True
    until = datetime.fromisoformat(extended["wrapup_until"]).timestamp()
    assert abs(until - (before + settings.wrapup_extend_seconds)) < 0.01
    state = await alice.expect("state", state="wrapup")
    assert state["wrapup_until"] == extended["wrapup_until"]

    await alice.send("wrapup.extend", seconds=3600)  # more than the maximum allows
    capped = await alice.expect("wrapup.extended")
    assert capped["can_extend"] is False
    p = _presence(live, ids["alice"])
    assert p.wrapup_until == p.wrapup_started + settings.wrapup_max_seconds
    await alice.send("wrapup.extend")
    refused = await alice.expect("error", ref="wrapup.extend")
    assert refused["code"] == "conflict" and "at most" in refused["detail"]
    for bad in (0, -1, 3601, 1.5, "60"):
        await alice.send("wrapup.extend", seconds=bad)
        assert (await alice.expect("error", ref="wrapup.extend"))["code"] == "invalid"

    await alice.send("wrapup", contact_id=cid, disposition="resolved")
    await alice.expect("wrapup.saved", contact_id=cid)
    await alice.expect("state", state="available")
    await alice.send("wrapup.extend")  # not in wrap-up any more
    assert (await alice.expect("error", ref="wrapup.extend"))["code"] == "conflict"
    await alice.close()
