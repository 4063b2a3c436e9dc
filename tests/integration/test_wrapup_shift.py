"""A wrap-up through a shift, on a fake clock (PostgreSQL and SQLite): the form kept as a draft
while it is typed, more time up to the maximum, and the draft saved as the wrap-up when the
time runs out — by the server, with no console connected, and the agent told when one is."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.auth.tokens import Principal
from app.contacts.commands import Accept, End, ExtendWrapupTime, SaveWrapupDraft
from app.contacts.schemas import WrapupIn
from app.contacts.wrapup import AUTO_KEY, DRAFT_KEY
from app.db.models import Complaint, Queue
from app.errors import Conflict, Invalid, NotFound
from app.events import Event
from app.events.bus import Subscription
from app.staff.service import get_agent
from tests.conftest import make_settings
from tests.integration.test_live_path import Center, Clock, _agent, _arrive


@pytest.fixture
async def cc(db_url: str, tmp_path: Path) -> AsyncIterator[Center]:
    settings = make_settings(
        db_url,
        tmp_path,
        agent_grace_seconds=3600,
        wrapup_seconds=30,
        wrapup_extend_seconds=60,
        wrapup_max_seconds=100,
    )
    center = await Center(settings, Clock()).start()
    async with center.live.uow() as uow:
        uow.session.add(Queue(name="service", display_name="Service", skills=["service"]))
    yield center
    await center.stop()


class Peer:
    """A console socket as the hub sees it: what it was sent."""

    def __init__(self) -> None:
        self.got: list[dict[str, Any]] = []
        self._sent = asyncio.Event()

    async def send_json(self, data: Any, mode: str = "text") -> None:
        self.got.append(data)
        self._sent.set()

    async def message(self, kind: str, within: float = 10.0) -> dict[str, Any]:
        async with asyncio.timeout(within):
            while not any(m["type"] == kind for m in self.got):
                self._sent.clear()
                await self._sent.wait()
        return next(m for m in self.got if m["type"] == kind)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        pass


async def next_event(sub: Subscription, name: str, within: float = 10.0) -> Event:
    """The next event of this name on the bus (waits for it, bounded; no sleeping)."""
    async with asyncio.timeout(within):
        while True:
            for event in await sub.next_batch():
                if event.name == name:
                    return event


async def in_wrapup(cc: Center) -> tuple[int, str]:
    alice = await _agent(cc)
    await cc.agent_available(alice)
    contact, _ = await cc.service.arrive(_arrive())
    await cc.service.accept(Accept(contact.id, alice))
    await cc.service.end(End(contact.id, "agent", "completed", alice))
    return alice, contact.id


async def test_the_timer_saves_the_draft_as_the_wrapup(cc: Center) -> None:
    alice, cid = await in_wrapup(cc)
    peer = Peer()
    conn = cc.live.hub.attach(alice, peer)
    callback = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    complaint = {"on": True, "category": "billing", "severity": "high", "description": "twice"}
    await cc.service.save_wrapup_draft(
        SaveWrapupDraft(cid, alice, "resolved", "paid twice", complaint, callback)
    )
    watch = cc.live.center.bus.subscribe("test-watch")
    fired = await cc.tick(cc.router.settings.wrapup_seconds)
    assert [e.data for e in fired if e.name == "agent.wrapup_ended"] == [
        {"agent_id": str(alice), "cause": "timeout"}
    ]
    wrapped = await next_event(watch, "contact.wrapped_up")
    assert wrapped.data["auto"] is True and wrapped.data["disposition"] == "resolved"

    record = await cc.record(cid)
    assert record.status == "ended" and record.disposition == "resolved"
    assert record.notes == "paid twice"
    assert record.attributes["_callback_at"] == callback
    assert record.attributes[AUTO_KEY] == {
        "cause": "timeout",
        "defaulted_disposition": False,
        "left_out": [],
    }
    async with cc.live.uow() as uow:
        opened = await uow.session.get(Complaint, wrapped.data["complaint_id"])
        assert opened is not None and opened.interaction_id == int(cid)
        assert opened.category == "billing" and opened.severity == "high"
    notice = await peer.message("wrapup.saved")
    assert notice["auto"] is True and notice["contact_id"] == cid
    assert notice["defaulted_disposition"] is False
    await cc.live.hub.detach(conn)


async def test_without_a_console_a_draft_without_outcome_gets_the_default(cc: Center) -> None:
    alice, cid = await in_wrapup(cc)
    # Only notes typed, and a complaint begun but not described: the browser is gone.
    half = {"on": True, "category": "billing", "severity": "low", "description": ""}
    await cc.service.save_wrapup_draft(SaveWrapupDraft(cid, alice, "", "call back re: bill", half))
    watch = cc.live.center.bus.subscribe("test-watch")
    await cc.tick(cc.router.settings.wrapup_seconds)
    wrapped = await next_event(watch, "contact.wrapped_up")
    assert wrapped.data["complaint_id"] is None
    record = await cc.record(cid)
    assert record.disposition == cc.settings.wrapup_default_disposition == "follow_up"
    assert record.notes == "call back re: bill"
    assert record.attributes[AUTO_KEY]["defaulted_disposition"] is True
    assert record.attributes[AUTO_KEY]["left_out"] == ["complaint"]
    assert record.attributes[DRAFT_KEY]["complaint"] == half  # what was typed is kept


async def test_a_wrapup_saved_by_the_agent_is_left_alone(cc: Center) -> None:
    alice, cid = await in_wrapup(cc)
    await cc.service.save_wrapup_draft(SaveWrapupDraft(cid, alice, "sale", "draft"))
    actor = Principal(alice, "alice", "agent")
    await cc.service.wrap_up(actor, WrapupIn(contact_id=cid, disposition="resolved", notes="ok"))
    fired = await cc.tick(cc.router.settings.wrapup_seconds)
    assert not [e for e in fired if e.name == "agent.wrapup_ended"]
    record = await cc.record(cid)
    assert (record.disposition, record.notes) == ("resolved", "ok")
    assert AUTO_KEY not in record.attributes
    with pytest.raises(Conflict):  # the form is gone: a late draft is refused, not applied
        await cc.service.save_wrapup_draft(SaveWrapupDraft(cid, alice, "sale", "late"))


async def test_made_available_during_wrapup_saves_the_draft(cc: Center) -> None:
    alice, cid = await in_wrapup(cc)
    await cc.service.save_wrapup_draft(SaveWrapupDraft(cid, alice, "information", "told"))
    watch = cc.live.center.bus.subscribe("test-watch")
    async with cc.live.uow() as uow:
        agent = await get_agent(uow, alice)
    await cc.live.presence.set_state(agent, "available", None)
    ended = await next_event(watch, "agent.wrapup_ended")
    assert ended.data["cause"] == "available"
    await next_event(watch, "contact.wrapped_up")
    assert (await cc.record(cid)).disposition == "information"


async def test_extension_moves_the_end_and_stops_at_the_maximum(cc: Center) -> None:
    alice, cid = await in_wrapup(cc)  # wrap-up: 30 s, +60 s a step, 100 s at most
    started = cc.clock()
    watch = cc.live.center.bus.subscribe("test-watch")
    cc.clock.advance(20)
    until, more = await cc.service.extend_wrapup(ExtendWrapupTime(alice))
    assert until == started + 90 and more
    state = await next_event(watch, "agent.state_changed")
    assert state.data["wrapup_until"] == started + 90 and state.data["state"] == "wrapup"
    assert await cc.tick(40) == []  # the first end (30 s) is past: nothing fires
    until, more = await cc.service.extend_wrapup(ExtendWrapupTime(alice))
    assert until == started + 100 and not more  # capped
    with pytest.raises(Conflict, match="at most 100 s"):
        await cc.service.extend_wrapup(ExtendWrapupTime(alice))
    assert await cc.tick(39) == []  # started + 99
    fired = await cc.tick(1)
    assert [e.data["cause"] for e in fired if e.name == "agent.wrapup_ended"] == ["timeout"]
    await next_event(watch, "contact.wrapped_up")
    assert (await cc.record(cid)).disposition == "follow_up"


async def test_extension_outside_wrapup_is_a_conflict(cc: Center) -> None:
    alice = await _agent(cc)
    await cc.agent_available(alice)
    with pytest.raises(Conflict, match="not in wrap-up"):
        await cc.service.extend_wrapup(ExtendWrapupTime(alice))


async def test_a_draft_is_only_for_the_agents_own_wrapup(cc: Center) -> None:
    alice, cid = await in_wrapup(cc)
    bob = await _agent(cc, "bob")
    with pytest.raises(NotFound):
        await cc.service.save_wrapup_draft(SaveWrapupDraft(cid, bob, "", "not mine"))
    with pytest.raises(Invalid):
        await cc.service.save_wrapup_draft(SaveWrapupDraft(cid, alice, "no-such-code", ""))
    record = await cc.record(cid)
    assert DRAFT_KEY not in record.attributes and record.notes != "not mine"


async def test_a_dropped_console_in_wrapup_is_not_offered_over_its_form(cc: Center) -> None:
    alice, cid = await in_wrapup(cc)
    async with cc.live.uow() as uow:
        agent = await get_agent(uow, alice)
    await cc.service.save_wrapup_draft(SaveWrapupDraft(cid, alice, "sale", "reloading"))
    # The page reloads: the socket drops, then comes back within the grace period.
    await cc.live.presence.disconnected(alice)
    presence = cc.router.store.agent(str(alice)).presence
    assert presence.state == "wrapup" and presence.pending_break == "connection lost"
    await cc.live.presence.connected(agent)
    presence = cc.router.store.agent(str(alice)).presence
    assert presence.state == "wrapup" and presence.pending_break is None
    # A contact arriving meanwhile waits: the form is still open.
    waiting, _ = await cc.service.arrive(_arrive(from_="+8613800000077"))
    assert waiting.live_status == "queued"
    watch = cc.live.center.bus.subscribe("test-watch")
    fired = await cc.tick(cc.router.settings.wrapup_seconds)
    names = [e.name for e in fired]
    assert names.index("agent.wrapup_ended") < names.index("contact.offered")
    await next_event(watch, "contact.wrapped_up")
    assert (await cc.record(cid)).disposition == "sale"


async def test_a_console_gone_for_good_leaves_a_complete_record(cc: Center) -> None:
    alice, cid = await in_wrapup(cc)
    await cc.service.save_wrapup_draft(SaveWrapupDraft(cid, alice, "", "browser closed"))
    await cc.live.presence.disconnected(alice)
    watch = cc.live.center.bus.subscribe("test-watch")
    await cc.tick(cc.router.settings.wrapup_seconds)
    await next_event(watch, "contact.wrapped_up")
    record = await cc.record(cid)
    assert (record.disposition, record.notes) == ("follow_up", "browser closed")
    presence = cc.router.store.agent(str(alice)).presence
    assert presence.state == "break" and presence.reason == "connection lost"  # no offers
