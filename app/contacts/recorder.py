"""Routing decisions → the interaction records, and the messages to push once committed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.contacts.messages import (
    assigned_message,
    explanation_entry,
    iso,
    offer_message,
)
from app.customers.profile import build_profile
from app.db.models import Interaction
from app.db.repositories.interactions import InteractionRepository
from app.db.uow import UnitOfWork
from routing import (
    AgentStateChanged,
    ContactAssigned,
    ContactEnded,
    ContactEscalated,
    ContactOverflowed,
    ContactQueued,
    ContactTimedOut,
    Decision,
    Offer,
    OfferCancelled,
)

Push = tuple[int, dict[str, Any]]


class Recorder:
    """Writes one batch of decisions in the caller's unit of work; returns what to push."""

    def __init__(
        self, uow: UnitOfWork, now: float, wrapup_seconds: float, ended_by: dict[str, str]
    ) -> None:
        self.uow = uow
        self.ended_by = ended_by
        self.now = now
        self.at = datetime.fromtimestamp(now, UTC)
        self.wrapup_seconds = wrapup_seconds
        self.repo = InteractionRepository(uow.session)
        self.pushes: list[Push] = []
        self._cache: dict[int, Interaction | None] = {}

    async def _interaction(self, contact_id: str) -> Interaction | None:
        key = int(contact_id)
        if key not in self._cache:
            self._cache[key] = await self.repo.get(key)
        return self._cache[key]

    def _log(self, i: Interaction, kind: str, **fields: Any) -> None:
        # A new list so SQLAlchemy sees the JSON column change.
        i.routing_explanation = [
            *i.routing_explanation,
            explanation_entry(kind, self.now, **fields),
        ]

    async def record(self, decisions: list[Decision]) -> list[Push]:
        for decision in decisions:
            if isinstance(decision, AgentStateChanged):
                self.pushes.append((int(decision.agent_id), self._state(decision)))
                continue
            i = await self._interaction(decision.contact_id)
            if i is None:  # a contact routing knows but the database does not: nothing to log
                continue
            await self._apply(i, decision)
        await self.uow.session.flush()
        return self.pushes

    async def _apply(self, i: Interaction, d: Decision) -> None:
        if isinstance(d, ContactQueued):
            i.status, i.queue = "queued", d.queue
            self._log(i, "queued", queue=d.queue, **d.explanation.as_dict())
        elif isinstance(d, Offer):
            i.status, i.agent_id = "offered", int(d.agent_id)
            i.offered_at = i.offered_at or self.at
            self._log(i, "offered", agent_id=int(d.agent_id), **d.explanation.as_dict())
            profile = (await build_profile(self.uow, i.customer_id)).model_dump(mode="json")
            explanation = d.explanation.as_dict()
            message = offer_message(i, profile, explanation, d.expires_at, self.now)
            self.pushes.append((int(d.agent_id), message))
        elif isinstance(d, OfferCancelled):
            i.status = "queued" if d.cause != "abandoned" else i.status
            i.agent_id = None if d.cause != "abandoned" else i.agent_id
            words = {"cause": str(d.cause), "reason": d.reason, "reason_zh": d.reason_zh}
            self._log(i, "offer_cancelled", agent_id=int(d.agent_id), **words)
            message = {"type": "offer.cancelled", "contact_id": d.contact_id, **words}
            self.pushes.append((int(d.agent_id), message))
        elif isinstance(d, ContactAssigned):
            i.status, i.agent_id, i.answered_at = "active", int(d.agent_id), self.at
            i.wait_seconds = round(d.waited, 3)
            self._log(i, "assigned", agent_id=int(d.agent_id), waited=round(d.waited, 1))
            profile = (await build_profile(self.uow, i.customer_id)).model_dump(mode="json")
            self.pushes.append((int(d.agent_id), assigned_message(i, profile, self.now)))
        elif isinstance(d, ContactEscalated):
            self._log(i, "escalated", **d.explanation.as_dict())
        elif isinstance(d, ContactOverflowed):
            i.queue = d.to_queue
            self._log(i, "overflowed", from_queue=d.from_queue, to_queue=d.to_queue)
        elif isinstance(d, ContactTimedOut):
            self._end(i, "timed_out", "system")
            self._log(i, "timed_out", queue=d.queue, waited=round(d.waited, 1))
        elif isinstance(d, ContactEnded):
            self._ended(i, d)

    def _ended(self, i: Interaction, d: ContactEnded) -> None:
        by = self.ended_by.pop(d.contact_id, None) or ("customer" if d.abandoned else "agent")
        if d.abandoned:
            self._end(i, "abandoned", by)
            self._log(i, "abandoned", reason=d.reason)
            return
        self._end(i, "completed", by)
        i.status = "wrapup"
        self._log(i, "ended", agent_id=int(d.agent_id or 0), reason=d.reason)
        message = {"type": "contact.ended", "contact_id": d.contact_id, "end_reason": "completed"}
        message |= {"ended_by": by, "wrapup_until": iso(self.now + self.wrapup_seconds)}
        self.pushes.append((int(d.agent_id or 0), message))

    def _end(self, i: Interaction, reason: str, by: str) -> None:
        i.status, i.end_reason, i.ended_by, i.ended_at = "ended", reason, by, self.at
        start = i.created_at.timestamp()
        if i.answered_at is None:
            i.wait_seconds = round(self.now - start, 3)
        else:
            i.handle_seconds = round(self.now - i.answered_at.timestamp(), 3)

    @staticmethod
    def _state(d: AgentStateChanged) -> dict[str, Any]:
        return {
            "type": "state",
            "state": str(d.state),
            "reason": d.reason,
            "active_contacts": d.active_contacts,
        }
