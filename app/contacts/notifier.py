"""The agent notifier: the live path's events pushed to the agents' consoles (/ws/agent).

A subscriber of the bus. For each event it queues the message for the agent's sockets at
once, in event order (docs/websocket.md); a screen pop that needs the database is built
concurrently and takes its place in the queue when ready, so one slow pop delays only its own
agent. An offer whose screen pop cannot be built is withdrawn and routed again: the agent is
not charged a missed offer for a database fault.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from app.contacts import events as ev
from app.contacts.center import ContactCenter
from app.contacts.hub import AgentHub, Message
from app.contacts.messages import (
    assigned_message,
    iso,
    offer_message,
    screen_pop_profile,
    state_message,
)
from app.customers.profile import build_profile, build_profiles
from app.db.loader import BatchLoader
from app.db.repositories.interactions import InteractionRepository
from app.db.uow import UnitOfWork
from app.errors import DomainError
from app.events import Event

log = logging.getLogger(__name__)

UNDELIVERED_RETRY_SECONDS = 2.0
Card = tuple[Any, dict[str, Any]]  # the contact's card row, the customer's screen-pop profile


async def screen_pop(uow: UnitOfWork, customer_id: int) -> dict[str, Any]:
    """The customer's profile as an offer card shows it (also replayed on reconnect)."""
    profile = await build_profile(uow, customer_id, None, with_logs=False)
    return screen_pop_profile(profile.model_dump(mode="json"))


async def load_cards(uow_factory: Callable[[], UnitOfWork], ids: list[int]) -> dict[int, Card]:
    """Cards and screen pops of many contacts in one transaction and a fixed number of
    statements: offers made together are popped together."""
    async with uow_factory().reading() as uow:
        cards = await InteractionRepository(uow).cards(ids)
        customers = [card.customer_id for card in cards.values()]
        profiles = await build_profiles(uow, customers, None, with_logs=False)
    pops = {cid: screen_pop_profile(p.model_dump(mode="json")) for cid, p in profiles.items()}
    return {key: (card, pops[card.customer_id]) for key, card in cards.items()}


class AgentNotifier:
    def __init__(
        self,
        center: ContactCenter,
        hub: AgentHub,
        uow_factory: Callable[[], UnitOfWork],
    ) -> None:
        self.center = center
        self.hub = hub
        self.uow_factory = uow_factory
        self._pops: dict[str, dict[str, Any]] = {}  # contact id -> its offer card
        self._building: dict[str, asyncio.Task[Message | None]] = {}  # pops in the making
        self._cards = BatchLoader(lambda ids: load_cards(uow_factory, ids))
        # Shared mode: every process sees every offer; only the one holding the agent's
        # socket builds its screen pop (docs/scale-out.md).
        self.local_only = False

    async def handle(self, events: list[Event]) -> None:
        for event in events:
            self.push(event)

    def push(self, event: Event) -> None:
        """Queue what ``event`` means for an agent's console (never waits)."""
        d = event.data
        name = event.name
        if name == ev.AGENT_STATE:
            self.hub.send(int(d["agent_id"]), state_message(d) | {"seq": event.seq})
        elif (
            self.local_only
            and name in (ev.CONTACT_OFFERED, ev.CONTACT_ASSIGNED)
            and not self.hub.connected(int(d["agent_id"]))
        ):
            return
        elif name == ev.CONTACT_OFFERED:
            task = asyncio.create_task(self._offer(event), name=f"pop-{d['contact_id']}")
            self._building[d["contact_id"]] = task
            task.add_done_callback(lambda _, cid=d["contact_id"]: self._building.pop(cid, None))
            self.hub.send(int(d["agent_id"]), task)
        elif name == ev.OFFER_CANCELLED:
            message = {"type": "offer.cancelled", "contact_id": d["contact_id"]}
            message |= {"cause": d["cause"], "reason": d["reason"], "seq": event.seq}
            self.hub.send(int(d["agent_id"]), message)
        elif name == ev.CONTACT_ASSIGNED:
            task = asyncio.create_task(self._assigned(event), name=f"assigned-{d['contact_id']}")
            self.hub.send(int(d["agent_id"]), task)
        elif name == ev.CONTACT_ENDED:
            self._pops.pop(d["contact_id"], None)
            if d["agent_id"] is not None and not d["abandoned"]:
                message = {"type": "contact.ended", "contact_id": d["contact_id"]}
                message |= {"end_reason": "completed", "ended_by": d["ended_by"]}
                message |= {"wrapup_until": iso(d["wrapup_until"]), "seq": event.seq}
                self.hub.send(int(d["agent_id"]), message)
        elif name == ev.CONTACT_TIMED_OUT:
            self._pops.pop(d["contact_id"], None)

    async def _offer(self, event: Event) -> Message | None:
        d = event.data
        cid, aid = d["contact_id"], d["agent_id"]
        try:
            found = await self._cards.get(int(cid))
            if found is None:
                raise LookupError(f"contact {cid} is not on the record")
            i, profile = found
        except Exception:
            log.exception(
                "offer of contact %s to agent %s: screen pop failed; re-routing", cid, aid
            )
            await self._undelivered(cid, aid)
            return None
        now = self.center.clock()
        message = offer_message(i, profile, d["explanation"], d["expires_at"], now)
        # Kept for contact.assigned: an accepted offer needs no second trip to the database.
        self._pops[cid] = {"contact": message["contact"], "customer": profile}
        return message | {"seq": event.seq}

    async def _undelivered(self, contact_id: str, agent_id: str) -> None:
        router = self.center.router
        try:
            await self.center.apply(
                lambda now: router.offer_undelivered(
                    contact_id, agent_id, now, UNDELIVERED_RETRY_SECONDS
                )
            )
        except DomainError:
            pass  # already answered, expired or withdrawn: nothing left to take back

    async def _assigned(self, event: Event) -> Message | None:
        d = event.data
        cid = d["contact_id"]
        now = self.center.clock()
        building = self._building.get(cid)
        if building is not None:  # accepted before its own card was ready: wait for it
            await asyncio.shield(building)
        card = self._pops.get(cid)
        if card is not None:
            contact = card["contact"] | {"status": "active", "answered_at": iso(event.at)}
            contact["waited"] = round(d["waited"], 1)
            message = {"type": "contact.assigned", "contact": contact, "customer": card["customer"]}
            return message | {"seq": event.seq}
        try:
            found = await self._cards.get(int(cid))
            if found is None:
                return None
            i, profile = found
        except Exception:
            log.exception("contact %s assigned: could not build its card", cid)
            return {"type": "contact.assigned", "contact": {"id": cid}, "customer": None}
        message = assigned_message(i, profile, now)
        message["contact"]["answered_at"] = iso(event.at)  # the record may lag behind
        return message | {"seq": event.seq}
