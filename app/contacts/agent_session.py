"""One agent's /ws/agent connection: what they send, and what they see on (re)connect."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from app.auth.tokens import Principal
from app.contacts.messages import assigned_message, contact_payload, offer_message
from app.contacts.schemas import ContactEnd, WrapupIn
from app.contacts.service import end_contact
from app.contacts.wrapup import save_wrapup
from app.container import Hotline
from app.customers.profile import build_profile
from app.db.models import Agent
from app.db.repositories.interactions import InteractionRepository
from app.errors import Conflict, DomainError, Invalid, NotFound, validation_message
from routing import AgentState
from routing.records import ContactStatus

STATES = ("available", "break", "offline")


class AgentSession:
    def __init__(self, hotline: Hotline, principal: Principal, agent: Agent) -> None:
        self.hotline = hotline
        self.principal = principal
        self.agent = agent
        self.center = hotline.center
        self.presence = hotline.presence
        self.aid = str(agent.id)

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
            "wrapup_seconds": router.settings.wrapup_seconds,
            "offer_timeout_seconds": router.settings.offer_timeout,
            **self.hotline.console.as_hello(),
        }

    async def live_messages(self) -> list[dict[str, Any]]:
        """What a reconnecting console needs: state, open offer, contacts in hand, wrap-ups."""
        store = self.center.router.store
        now = self.center.clock()
        out = [self.center.state_message(self.aid) or {"type": "state", "state": "offline"}]
        async with self.hotline.uow() as uow:
            repo = InteractionRepository(uow.session)
            for route in list(store.routes()):
                offer = store.offer(route.id)
                mine_offer = offer is not None and offer.agent_id == self.aid
                mine_work = route.status is ContactStatus.ASSIGNED and route.agent_id == self.aid
                if not (mine_offer or mine_work):
                    continue
                i = await repo.get(int(route.id))
                if i is None:
                    continue
                profile = (await build_profile(uow, i.customer_id)).model_dump(mode="json")
                if mine_offer and offer is not None:
                    explanation = next(
                        (e for e in reversed(i.routing_explanation) if e["event"] == "offered"), {}
                    )
                    out.append(offer_message(i, profile, explanation, offer.expires_at, now))
                else:
                    out.append(assigned_message(i, profile, now))
            state = self.center.state_message(self.aid) or {}
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
            raise Invalid(f"unknown message type {kind!r}")
        return await handler(message)

    async def _on_ping(self, _: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"type": "pong"}]

    async def _on_state_set(self, m: dict[str, Any]) -> list[dict[str, Any]]:
        state, reason = m.get("state"), m.get("reason")
        if state not in STATES:
            raise Invalid(f"state must be one of {', '.join(STATES)}", field="state")
        if state == "break":
            reasons = self.hotline.console.codes("break_reasons")
            if reason not in reasons:
                raise Invalid(f"a break needs a reason: one of {', '.join(sorted(reasons))}")
        await self.presence.set_state(self.agent, state, reason if state == "break" else None)
        return []

    def _contact_id(self, m: dict[str, Any]) -> str:
        cid = m.get("contact_id")
        if not isinstance(cid, str | int) or not str(cid).isdigit():
            raise Invalid("contact_id is required", field="contact_id")
        return str(cid)

    async def _on_offer_accept(self, m: dict[str, Any]) -> list[dict[str, Any]]:
        cid, router = self._contact_id(m), self.center.router
        await self.center.run(lambda now: router.offer_accepted(cid, self.aid, now))
        return []

    async def _on_offer_reject(self, m: dict[str, Any]) -> list[dict[str, Any]]:
        cid, router = self._contact_id(m), self.center.router
        reason = str(m.get("reason") or "rejected")[:200]
        await self.center.run(lambda now: router.offer_rejected(cid, self.aid, now, reason))
        return []

    async def _on_contact_end(self, m: dict[str, Any]) -> list[dict[str, Any]]:
        cid = self._contact_id(m)
        route = self.center.router.store.route(cid)
        if (
            route is None
            or route.agent_id != self.aid
            or route.status is not ContactStatus.ASSIGNED
        ):
            raise NotFound(f"contact {cid} is not in your hands")
        end = ContactEnd(reason="completed", by="agent")
        await end_contact(self.hotline.uow, self.center, cid, end)
        return []

    async def _on_wrapup(self, m: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            data = WrapupIn.model_validate({k: v for k, v in m.items() if k not in ("type", "id")})
        except ValidationError as exc:
            raise Invalid(validation_message(exc.errors())) from exc
        s = self.hotline.settings
        async with self.hotline.uow() as uow:
            interaction_id, complaint_id = await save_wrapup(
                uow,
                data,
                self.principal,
                self.hotline.console,
                s.complaint_deadline_hours,
                self.hotline.valuation,
            )
        router = self.center.router
        record = router.store.agent(self.aid)
        if record is not None and record.presence.state is AgentState.WRAPUP:
            try:
                await self.center.run(lambda now: router.wrapup_done(self.aid, now))
            except Conflict:
                pass  # the wrap-up timer ended it a moment ago
        saved = {"type": "wrapup.saved", "contact_id": data.contact_id}
        return [saved | {"interaction_id": interaction_id, "complaint_id": complaint_id}]

    async def _on_chat_send(self, m: dict[str, Any]) -> list[dict[str, Any]]:
        raise DomainError("chat messages are not served yet: the chat channel is not built")


def error_message(exc: DomainError, ref: Any, ref_id: Any) -> dict[str, Any]:
    return {"type": "error", "code": exc.code, "detail": exc.message, "ref": ref, "ref_id": ref_id}
