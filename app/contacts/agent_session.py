"""One agent's /ws/agent connection: what they send, and what they see on (re)connect.

A thin adapter: each message becomes one command of the contact-center service; routing's
pushes reach the socket through the agent notifier and the hub.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from pydantic import ValidationError

from app.auth.tokens import Principal
from app.contacts.commands import Accept, End, Reject, SaveNotes, Transfer
from app.contacts.console_config import ConsoleConfig
from app.contacts.events import agent_state
from app.contacts.messages import (
    assigned_message,
    contact_payload,
    iso,
    offer_message,
    state_message,
)
from app.contacts.notifier import screen_pop
from app.contacts.presence import Presence
from app.contacts.schemas import WrapupIn
from app.contacts.service import ContactCenterService
from app.db.models import Agent
from app.db.repositories.interactions import InteractionRepository
from app.errors import DomainError, Invalid, validation_message
from routing.records import ContactStatus

STATES = ("available", "break", "offline")
LANGUAGES = ("en", "zh")
MAX_NOTES = 10_000


async def contacts_today(service: ContactCenterService, agent_id: int) -> int:
    """Contacts the agent answered since midnight (UTC), from the record."""
    midnight = datetime.combine(datetime.now(UTC).date(), time(0), tzinfo=UTC)
    async with service.uow() as uow:
        return await InteractionRepository(uow.session).answered_since(agent_id, midnight)


class AgentSession:
    def __init__(
        self,
        service: ContactCenterService,
        presence: Presence,
        console: ConsoleConfig,
        principal: Principal,
        agent: Agent,
    ) -> None:
        self.service = service
        self.presence = presence
        self.console = console
        self.principal = principal
        self.agent = agent
        self.center = service.center
        self.aid = str(agent.id)
        self.lang = "en"

    def hello(self) -> dict[str, Any]:
        a = self.agent
        router = self.center.router
        return {
            "type": "hello",
            "agent": {
                "id": a.id,
                "username": a.username,
                "display_name": a.display_name,
                "role": a.role,
                "skills": a.skills,
                "languages": a.languages,
                "team": a.team,
                "chat_capacity": a.chat_capacity,
            },
            "language": self.lang,
            "stream": self.center.bus.stream,
            "seq": self.center.bus.last_seq,
            "wrapup_seconds": router.settings.wrapup_seconds,
            "offer_timeout_seconds": router.settings.offer_timeout,
            **self.console.as_hello(),
        }

    def state(self) -> dict[str, Any]:
        state = agent_state(self.center.router, self.aid)
        return state_message(state) if state else {"type": "state", "state": "offline"}

    async def live_messages(self) -> list[dict[str, Any]]:
        """What a reconnecting console needs: state, open offer, contacts in hand, wrap-ups."""
        store = self.center.router.store
        now = self.center.clock()
        out = [self.state()]
        mine = []
        for route in list(store.routes()):
            offer = store.offer(route.id)
            if offer is not None and offer.agent_id == self.aid:
                mine.append((route, offer))
            elif route.status is ContactStatus.ACTIVE and route.agent_id == self.aid:
                mine.append((route, None))
        async with self.service.uow() as uow:
            repo = InteractionRepository(uow.session)
            for route, offer in mine:
                i = await repo.get(int(route.id))
                if i is None:
                    continue
                profile = await screen_pop(uow, i.customer_id)
                if offer is not None:
                    explanation = next(
                        (e for e in reversed(i.routing_explanation) if e["event"] == "offered"), {}
                    )
                    out.append(offer_message(i, profile, explanation, offer.expires_at, now))
                else:
                    out.append(assigned_message(i, profile, now))
            state = self.state()
            for i in await repo.awaiting_wrapup(self.agent.id):
                out.append(
                    {
                        "type": "contact.ended",
                        "contact_id": str(i.id),
                        "end_reason": i.end_reason,
                        "ended_by": i.ended_by,
                        "wrapup_until": state.get("wrapup_until"),
                        "contact": contact_payload(i, now),
                    }
                )
        return out

    async def handle(self, message: Any) -> list[dict[str, Any]]:
        """One message in; replies out (pushes from routing travel through the hub)."""
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            raise Invalid("each message is a JSON object with a string `type`")
        kind = message["type"]
        handler = getattr(self, "_on_" + kind.replace(".", "_"), None)
        if handler is None:
            raise Invalid(f"unknown message type {kind[:64]!r}")
        return await handler(message)

    async def _on_ping(self, _: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"type": "pong"}]

    async def _on_state_set(self, m: dict[str, Any]) -> list[dict[str, Any]]:
        state, reason = m.get("state"), m.get("reason")
        if state not in STATES:
            raise Invalid(f"state must be one of {', '.join(STATES)}", field="state")
        if state == "break":
            reasons = self.console.codes("break_reasons")
            if not isinstance(reason, str) or reason not in reasons:
                raise Invalid(f"a break needs a reason: one of {', '.join(sorted(reasons))}")
        await self.presence.set_state(self.agent, state, reason if state == "break" else None)
        return []

    async def _on_language_set(self, m: dict[str, Any]) -> list[dict[str, Any]]:
        """The console switched language: what is on screen comes again in the new one."""
        lang = m.get("language")
        if lang not in LANGUAGES:
            raise Invalid(f"language must be one of {', '.join(LANGUAGES)}", field="language")
        self.lang = lang
        return [{"type": "language", "language": lang}, *await self.live_messages()]

    def _contact_id(self, m: dict[str, Any]) -> str:
        cid = m.get("contact_id")
        if isinstance(cid, bool) or not isinstance(cid, str | int):
            raise Invalid("contact_id is required", field="contact_id")
        text = str(cid)
        if not text.isascii() or not text.isdigit() or len(text) > 18:
            raise Invalid("contact_id must be a contact's number", field="contact_id")
        return text

    async def _on_offer_accept(self, m: dict[str, Any]) -> list[dict[str, Any]]:
        await self.service.accept(Accept(self._contact_id(m), self.agent.id))
        return []

    async def _on_offer_reject(self, m: dict[str, Any]) -> list[dict[str, Any]]:
        reason = m.get("reason") or "rejected"
        if not isinstance(reason, str):
            raise Invalid("reason must be text", field="reason")
        await self.service.reject(Reject(self._contact_id(m), self.agent.id, reason[:200]))
        return []

    async def _on_contact_end(self, m: dict[str, Any]) -> list[dict[str, Any]]:
        cid = self._contact_id(m)
        await self.service.end(End(cid, "agent", "completed", self.agent.id))
        return []

    async def _on_contact_transfer(self, m: dict[str, Any]) -> list[dict[str, Any]]:
        queue = m.get("queue")
        if not isinstance(queue, str) or not queue or len(queue) > 64:
            raise Invalid("queue is required", field="queue")
        cid = self._contact_id(m)
        leg = await self.service.transfer(Transfer(cid, self.agent.id, queue))
        return [{"type": "contact.transferred", "contact_id": cid, "to": leg.id}]

    async def _on_notes_save(self, m: dict[str, Any]) -> list[dict[str, Any]]:
        cid = self._contact_id(m)
        notes = m.get("notes")
        if not isinstance(notes, str) or len(notes) > MAX_NOTES:
            raise Invalid(f"notes must be text of at most {MAX_NOTES} characters", field="notes")
        at = await self.service.save_notes(SaveNotes(cid, self.agent.id, notes))
        return [{"type": "notes.saved", "contact_id": cid, "saved_at": iso(at)}]

    async def _on_wrapup(self, m: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            data = WrapupIn.model_validate({k: v for k, v in m.items() if k not in ("type", "id")})
        except ValidationError as exc:
            raise Invalid(validation_message(exc.errors())) from exc
        interaction_id, complaint_id = await self.service.wrap_up(self.principal, data)
        saved = {"type": "wrapup.saved", "contact_id": data.contact_id}
        return [saved | {"interaction_id": interaction_id, "complaint_id": complaint_id}]

    async def _on_chat_send(self, m: dict[str, Any]) -> list[dict[str, Any]]:
        raise DomainError("chat messages are not served yet: the chat channel is not built")


def error_message(exc: DomainError, ref: Any, ref_id: Any) -> dict[str, Any]:
    return {"type": "error", "code": exc.code, "detail": exc.message, "ref": ref, "ref_id": ref_id}
