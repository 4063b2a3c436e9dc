"""One agent's /ws/agent connection: what they send, and what they see on (re)connect.

A thin adapter: each message becomes one command of the contact-center service; routing's
pushes reach the socket through the agent notifier and the hub.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, time
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError

from app.auth.tokens import Principal
from app.contacts.commands import (
    Accept,
    End,
    ExtendWrapupTime,
    Reject,
    SaveNotes,
    SaveWrapupDraft,
    Transfer,
)
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
from app.contacts.schemas import (
    AGENT_MESSAGES,
    ChatHistoryMessage,
    ChatReadMessage,
    ChatSendMessage,
    ChatTypingMessage,
    ContactEndMessage,
    ContactTransferMessage,
    LanguageSetMessage,
    NotesSaveMessage,
    OfferAcceptMessage,
    OfferRejectMessage,
    StateSetMessage,
    WrapupDraftMessage,
    WrapupExtendMessage,
    WrapupMessage,
)
from app.contacts.service import ContactCenterService
from app.contacts.wrapup import DRAFT_KEY
from app.db.models import Agent
from app.db.repositories.interactions import InteractionRepository
from app.errors import (
    DomainError,
    Internal,
    Invalid,
    TooLarge,
    json_safe,
    plain_refusal,
    refused_value,
    strict_json,
    validation_message,
)
from app.i18n.names import current_names
from app.input_guard import strict_loads
from routing.records import ContactStatus

log = logging.getLogger(__name__)

LANGUAGES = ("en", "zh")
# Characters in one frame: a wrap-up with 10,000 characters of notes and as many of complaint,
# every one escaped as \uXXXX, fits; the server's own 16 MiB frame limit is far above this.
MAX_FRAME = 256 * 1024


class ChatDesk(Protocol):
    """What an agent's session asks of the chat channel (app.chat.service.ChatService),
    handed in so that the contacts package does not import the chat package above it."""

    async def agent_post(
        self, contact_id: str, agent_id: int, client_id: str, text: str
    ) -> dict[str, Any]: ...

    def agent_typing(self, contact_id: str, agent_id: int) -> None: ...

    async def agent_receipt(
        self, contact_id: str, agent_id: int, delivered: int, read: int
    ) -> None: ...

    async def agent_history(
        self, contact_id: str, agent_id: int, after: int
    ) -> list[dict[str, Any]]: ...

    def canned_replies(self) -> list[dict[str, str]]: ...


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
        chat: ChatDesk | None = None,
    ) -> None:
        self.service = service
        self.chat = chat
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
            "wrapup_extend_seconds": router.settings.wrapup_extend_seconds,
            "wrapup_max_seconds": router.settings.wrapup_max_seconds,
            "offer_timeout_seconds": router.settings.offer_timeout,
            **self.console.as_hello(),
            # Display names of free codes (queues, rules, skills, break reasons) in every
            # language, from config/names.yaml: the console shows no raw code.
            "names": current_names().table(),
            # Chat: canned replies in every language (config/chat.yaml).
            "canned_replies": self.chat.canned_replies() if self.chat is not None else [],
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
                        # The form as last saved from any window: this one may be behind.
                        "draft": i.attributes.get(DRAFT_KEY),
                    }
                )
        return out

    async def receive(self, frame: Mapping[str, Any]) -> list[dict[str, Any]]:
        """One websocket frame in; the replies out, or one `error` naming what is wrong.

        Nothing a client sends ends its session: a frame that is not JSON, too large, nested
        too deep, of an unknown type or the wrong shape gets an `error`, and so does a frame
        that fails in an unforeseen way (logged with its traceback). Pushes from routing
        travel through the hub, not through here."""
        ref: str | None = None
        ref_id: str | int | None = None
        try:
            text = frame.get("text")
            if text is None:
                raise Invalid("send JSON text frames, not binary")
            if len(text) > MAX_FRAME:
                raise TooLarge(
                    f"a message is at most {MAX_FRAME} characters; this one has {len(text)}"
                )
            raw = strict_loads(text, root="message")
            if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
                raise Invalid("each message is a JSON object with a string `type`")
            model = AGENT_MESSAGES.get(raw["type"])
            if model is None:
                raise Invalid(f"unknown message type {raw['type'][:64]!r}", field="type")
            ref = raw["type"]
            if isinstance(raw.get("id"), str | int) and not isinstance(raw.get("id"), bool):
                ref_id = raw["id"] if len(str(raw["id"])) <= 64 else None
            try:
                message = model.model_validate(raw)
            except ValidationError as exc:
                raise Invalid(validation_message(exc.errors())) from exc
            replies = await self._handle(message)
            return [r | ({"ref_id": ref_id} if ref_id is not None else {}) for r in replies]
        except DomainError as exc:
            return [error_message(exc, ref, ref_id)]
        except Exception as exc:
            reason = refused_value(exc)
            if reason is not None:  # a value the database cannot hold, as over HTTP
                return [error_message(Invalid(plain_refusal(reason)), ref, ref_id)]
            log.exception("agent %s: message %s failed", self.aid, ref)
            failed = Internal("the server failed to handle this message; it is logged")
            return [error_message(failed, ref, ref_id)]

    async def _handle(self, m: BaseModel) -> list[dict[str, Any]]:
        match m:
            case StateSetMessage():
                return await self._state_set(m)
            case LanguageSetMessage():
                self.lang = m.language
                return [{"type": "language", "language": m.language}, *await self.live_messages()]
            case OfferAcceptMessage():
                await self.service.accept(Accept(m.contact_id, self.agent.id))
                return []
            case OfferRejectMessage():
                reason = m.reason or "rejected"
                await self.service.reject(Reject(m.contact_id, self.agent.id, reason))
                return []
            case ContactEndMessage():
                await self.service.end(End(m.contact_id, "agent", "completed", self.agent.id))
                return []
            case ContactTransferMessage():
                leg = await self.service.transfer(Transfer(m.contact_id, self.agent.id, m.queue))
                return [{"type": "contact.transferred", "contact_id": m.contact_id, "to": leg.id}]
            case NotesSaveMessage():
                at = await self.service.save_notes(SaveNotes(m.contact_id, self.agent.id, m.notes))
                return [{"type": "notes.saved", "contact_id": m.contact_id, "saved_at": iso(at)}]
            case WrapupMessage():
                interaction_id, complaint_id = await self.service.wrap_up(self.principal, m)
                return [
                    {
                        "type": "wrapup.saved",
                        "contact_id": m.contact_id,
                        "interaction_id": interaction_id,
                        "complaint_id": complaint_id,
                    }
                ]
            case WrapupDraftMessage():
                complaint = m.complaint.model_dump() if m.complaint is not None else None
                draft = SaveWrapupDraft(
                    m.contact_id,
                    self.agent.id,
                    m.disposition,
                    m.notes,
                    complaint,
                    m.callback_at,
                    task=m.task.model_dump() if m.task is not None else None,
                    promise=m.promise.model_dump() if m.promise is not None else None,
                )
                at = await self.service.save_wrapup_draft(draft)
                return [
                    {"type": "wrapup.draft_saved", "contact_id": m.contact_id, "saved_at": iso(at)}
                ]
            case WrapupExtendMessage():
                until, more = await self.service.extend_wrapup(
                    ExtendWrapupTime(self.agent.id, m.seconds)
                )
                return [{"type": "wrapup.extended", "wrapup_until": iso(until), "can_extend": more}]
            case ChatSendMessage() | ChatTypingMessage() | ChatReadMessage() | ChatHistoryMessage():
                return await self._chat(m)
            case _:  # ping
                return [{"type": "pong"}]

    async def _chat(self, m: BaseModel) -> list[dict[str, Any]]:
        """Chat frames: the chat channel does the work (docs/websocket.md, "Chat")."""
        if self.chat is None:
            raise DomainError("chat is not served by this server")
        aid = self.agent.id
        match m:
            case ChatSendMessage():
                # Idempotent by client id: the console's own, else the frame's request id.
                client_id = m.client_id or (f"req-{m.id}" if m.id is not None else None)
                client_id = client_id or uuid.uuid4().hex
                message = await self.chat.agent_post(m.contact_id, aid, client_id, m.text)
                return [
                    {
                        "type": "chat.sent",
                        "contact_id": m.contact_id,
                        "client_id": client_id,
                        "message": message,
                    }
                ]
            case ChatTypingMessage():
                self.chat.agent_typing(m.contact_id, aid)
                return []
            case ChatReadMessage():
                read = m.seq if m.type == "chat.read" else 0
                await self.chat.agent_receipt(m.contact_id, aid, m.seq, read)
                return []
            case ChatHistoryMessage():
                messages = await self.chat.agent_history(m.contact_id, aid, m.after)
                return [{"type": "chat.history", "contact_id": m.contact_id, "messages": messages}]
        return []

    async def _state_set(self, m: StateSetMessage) -> list[dict[str, Any]]:
        if m.state == "break":
            reasons = self.console.codes("break_reasons")
            if m.reason not in reasons:
                raise Invalid(
                    f"a break needs a reason: one of {', '.join(sorted(reasons))}", field="reason"
                )
        await self.presence.set_state(self.agent, m.state, m.reason if m.state == "break" else None)
        return []


def error_message(exc: DomainError, ref: Any, ref_id: Any) -> dict[str, Any]:
    message = {
        "type": "error",
        "code": exc.code,
        "detail": exc.message,
        "ref": ref,
        "ref_id": ref_id,
    }
    return json_safe(message)  # type: ignore[no-any-return]


class StrictJSONSocket:
    """The agent's socket, writing strict JSON: never a bare `NaN` (which a browser's
    `JSON.parse` refuses, leaving the agent with no offer card) nor a lone surrogate (which
    cannot be sent as UTF-8 and would end the socket). Input is checked for both; this keeps
    a value that got past the checks from breaking the console."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket

    async def send_json(self, data: Any, mode: str = "text") -> None:
        await self.socket.send_text(strict_json(data))

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        await self.socket.close(code=code, reason=reason)
