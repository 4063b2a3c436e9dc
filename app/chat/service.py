"""The chat service: conversations over the contact-center service (docs/chat.md).

- **Start**: a conversation row, then ``ContactCenterService.arrive`` with channel ``chat``,
  source ``chat`` and the conversation id as external id (idempotent: a retried start finds
  the same contact). Outside opening hours no contact is made: the customer is offered to
  leave a message.
- **Messages** are stored (one transaction, a per-conversation ``seq``) before anyone is
  told; the ``chat.message`` event then carries them to both sides. The same client message
  id from the same side is stored once and answered with the stored message.
- **Receipts**: per side, watermarks of the other side's messages delivered and read.
- **Typing** is not stored and carries no event: it goes straight to the other side's
  sockets (a hint, throttled per connection).
- **End** by either side ends the contact through the service; the transcript lands on the
  interaction when the contact's end is seen.
- **No agent** within the queue's maximum wait (``contact.timed_out``) or outside opening
  hours: the customer leaves a message and a way to reach them; it becomes a callback contact
  (channel ``voice``, direction ``outbound``, the same queue) routed to an agent.
- **Rating** 1–5 with a comment on the interaction's ``rating`` (where the customer's,
  agent's and queue's satisfaction figures read it).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import math
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from app.chat.config import ChatConfig
from app.chat.identity import BadIdentity, verify_identity
from app.chat.mail import TranscriptMailer, email_of
from app.chat.rooms import Rooms
from app.chat.words import ChatRefusal, say
from app.chat.writer import MessageWriter, Pending, Refused, Stored, message_out
from app.contacts.commands import Arrive, End
from app.contacts.hub import AgentHub
from app.contacts.messages import iso
from app.contacts.service import ContactCenterService
from app.customers.identity import normalise_identity
from app.db.models import ChatConversation, ChatMessage
from app.db.repositories.care import CareRepository
from app.db.repositories.chat import MARKS, ChatRepository
from app.db.repositories.intake import IntakeRepository
from app.db.repositories.staff import StaffRepository
from app.db.uow import UnitOfWork
from app.errors import Conflict, DomainError, Invalid, TooLarge
from app.events import Event
from app.events import names as ev
from routing.records import ContactStatus

log = logging.getLogger(__name__)

SOURCE = "chat"
CALLBACK_SOURCE = "chat-callback"
OPEN = ("waiting", "active")
# Events after which a waiting customer's place in the queue may have moved.
QUEUE_MOVES = {
    ev.CONTACT_QUEUED,
    ev.CONTACT_OFFERED,
    ev.OFFER_CANCELLED,
    ev.CONTACT_ASSIGNED,
    ev.CONTACT_ENDED,
    ev.CONTACT_TIMED_OUT,
    ev.CONTACT_OVERFLOWED,
    ev.AGENT_STATE,
}


@dataclass
class Live:
    """What the adapter keeps in memory of an open conversation (rebuilt from the record
    at start-up)."""

    id: str
    contact_id: str | None
    interaction_id: int | None
    queue: str
    status: str
    language: str
    agent_id: int | None = None
    agent_name: str | None = None
    position: tuple[int, int] | None = None  # last (place, estimate) told
    # The customer asked for the transcript by e-mail: sent once the end is on the record.
    email_transcript: bool = False


@dataclass(frozen=True)
class StartForm:
    language: str
    topic: str | None = None
    name: str | None = None
    reach: str | None = None
    identity: str | None = None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _marks_for(conv: ChatConversation, sender: str) -> tuple[int, int]:
    """How far the *other* side got with ``sender``'s messages."""
    if sender == "customer":
        return conv.agent_delivered_seq, conv.agent_read_seq
    return conv.customer_delivered_seq, conv.customer_read_seq


def row_marks(conv: ChatConversation) -> dict[str, int]:
    """The four receipt watermarks as the record has them."""
    return {name: int(getattr(conv, name) or 0) for name in MARKS}


class ChatService:
    def __init__(
        self,
        contacts: ContactCenterService,
        uow: Callable[[], UnitOfWork],
        config: ChatConfig,
        hub: AgentHub,
        rooms: Rooms,
        identity_secret: str = "",
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.contacts = contacts
        self.center = contacts.center
        self.uow = uow
        self.config = config
        self.hub = hub
        self.rooms = rooms
        self.identity_secret = identity_secret
        self.wall_clock = wall_clock
        self.live: dict[str, Live] = {}  # conversation id → its live picture
        self.by_contact: dict[str, str] = {}  # contact id (any leg) → conversation id
        # One writer per conversation at a time in this process: sequence numbers are handed
        # out and committed in order, so the events leave in seq order too.
        self._locks: dict[str, asyncio.Lock] = {}
        # The transcript by e-mail (app/chat/mail.py); None: e-mail is not configured.
        self.mailer: TranscriptMailer | None = None
        # Messages of open conversations are stored in batches, receipts kept in memory and
        # written every second (app/chat/writer.py); the rest goes the direct way below.
        self.writer = MessageWriter(
            uow, lambda: self.wall_clock(), self._is_open, self._store_alone
        )

    # --- start-up ------------------------------------------------------------------------
    async def load(self) -> None:
        """Open conversations from the record (a restart keeps every one)."""
        async with self.uow() as uow:
            for c in await ChatRepository(uow.session).open_conversations():
                self._remember(c)

    def _remember(self, c: ChatConversation) -> Live:
        live = Live(
            c.id,
            str(c.contact_id) if c.contact_id else None,
            c.interaction_id,
            c.queue,
            c.status,
            c.language,
            c.agent_id,
            c.agent_name,
        )
        self.live[c.id] = live
        if live.contact_id:
            self.by_contact[live.contact_id] = c.id
        # The row's last_seq moves with its messages in one transaction: the counter's start.
        self.writer.remember(c.id, c.last_seq, row_marks(c))
        return live

    def _is_open(self, conversation_id: str) -> bool:
        live = self.live.get(conversation_id)
        return live is not None and live.status in OPEN and live.interaction_id is not None

    def marks(self, conv: ChatConversation) -> dict[str, int]:
        """The conversation's receipt watermarks: the record's, raised by those in memory."""
        return self.writer.overlay(conv.id, row_marks(conv))

    async def close(self) -> None:
        """Shut-down: what is queued is written, and the receipts held in memory."""
        await self.writer.close()

    # --- the customer's side -------------------------------------------------------------
    async def start(self, form: StartForm, address: str | None) -> tuple[ChatConversation, str]:
        """A new conversation and its resume token (shown once, kept hashed)."""
        topic = self.config.topic(form.topic)
        if topic is None:
            raise ChatRefusal("unknown_topic")
        customer_id = None
        if form.identity:
            try:
                customer_id = verify_identity(
                    self.identity_secret, form.identity, self.wall_clock().timestamp()
                )
            except BadIdentity as exc:
                raise ChatRefusal(exc.code) from None
        reach = await self._reach(form.reach, required=customer_id is None)
        now = self.wall_clock()
        limits = self.config.limits
        token = secrets.token_urlsafe(24)
        open_hours = self.config.hours.open_at(now)
        async with self.uow() as uow:
            repo = ChatRepository(uow.session)
            if customer_id is not None:
                if await IntakeRepository(uow.session).caller_by_id(customer_id) is None:
                    raise ChatRefusal("identity_unknown")
                if await repo.open_count(customer_id=customer_id) >= limits.open_per_customer:
                    raise ChatRefusal("too_many_open_customer", limit=limits.open_per_customer)
            if address is not None:
                if await repo.open_count(address=address) >= limits.open_per_address:
                    raise ChatRefusal("too_many_open_address", limit=limits.open_per_address)
                started = await repo.started_since(address, now - timedelta(hours=1))
                if started >= limits.new_per_address_per_hour:
                    raise ChatRefusal("too_many_new", limit=limits.new_per_address_per_hour)
            conv = await repo.add(
                ChatConversation(
                    id=uuid.uuid4().hex,
                    token_hash=token_hash(token),
                    customer_id=customer_id,
                    status="waiting" if open_hours else "offline",
                    queue=topic.queue,
                    topic=topic.code,
                    language=form.language,
                    name=form.name,
                    reach=reach,
                    address=address,
                    created_at=now,
                )
            )
        if not open_hours:
            return conv, token
        try:
            contact, _ = await self.contacts.arrive(
                Arrive(
                    channel="chat",
                    queue=topic.queue,
                    from_=None if customer_id is not None else reach,
                    customer_id=customer_id,
                    name=form.name,
                    intent=topic.code,
                    language=form.language,
                    # The intent says the topic; the conversation id is for the record only.
                    attributes={"_chat": conv.id},
                    source=SOURCE,
                    external_id=conv.id,
                )
            )
        except DomainError as exc:
            log.info("chat %s: could not start its contact: %s", conv.id, exc.message)
            async with self.uow() as uow:
                await ChatRepository(uow.session).update(conv.id, status="failed", ended_at=now)
            raise ChatRefusal("queue_unavailable") from None
        values = {
            "interaction_id": int(contact.id),
            "contact_id": int(contact.id),
            "customer_id": contact.interaction.customer_id,
        }
        async with self.uow() as uow:
            await ChatRepository(uow.session).update(conv.id, **values)
        for key, value in values.items():
            setattr(conv, key, value)
        live = self.live.get(conv.id) or self._remember(conv)
        live.interaction_id, live.contact_id = conv.interaction_id, str(contact.id)
        self.by_contact[str(contact.id)] = conv.id
        return conv, token

    async def _reach(self, raw: str | None, required: bool) -> str | None:
        if not raw or not raw.strip():
            if required:
                raise ChatRefusal("reach_needed")
            return None
        kind = "email" if "@" in raw else "phone"
        try:
            return normalise_identity(kind, raw.strip(), self.contacts.region)
        except Invalid:
            raise ChatRefusal("reach_invalid", value=raw.strip()[:80]) from None

    async def resume(self, conversation_id: str, token: str) -> ChatConversation:
        async with self.uow() as uow:
            conv = await ChatRepository(uow.session).get(conversation_id)
        # Compared in constant time; an unknown id and a wrong token read the same.
        if conv is None or not hmac.compare_digest(conv.token_hash, token_hash(token)):
            raise ChatRefusal("not_found")
        return conv

    async def history(self, conversation_id: str, after: int) -> list[dict[str, Any]]:
        """The conversation's messages after ``after``, each with its delivery state."""
        async with self.uow() as uow:
            repo = ChatRepository(uow.session)
            conv = await repo.get(conversation_id)
            if conv is None or conv.interaction_id is None:
                return []
            rows = await repo.messages_after(conv.interaction_id, after)
        marks = self.marks(conv)
        by_sender = {
            "customer": (marks["agent_delivered_seq"], marks["agent_read_seq"]),
            "agent": (marks["customer_delivered_seq"], marks["customer_read_seq"]),
        }
        return [message_out(m, marks=by_sender.get(m.sender)) for m in rows]

    async def post(
        self,
        conversation_id: str,
        sender: str,
        client_id: str,
        text: str,
        agent_id: int | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """Store a message (once per client id and side), then announce it. Returns the
        stored message and whether it is new — once its transaction committed."""
        live = self.live.get(conversation_id)
        if live is not None and live.interaction_id is not None and self.writer.running:
            # An open conversation of this process: stored in the next batch.
            item = self.writer.pending(
                conversation_id,
                live.interaction_id,
                live.contact_id,
                sender,
                client_id,
                text,
                agent_id,
            )
            try:
                return await self.writer.submit(item)
            except Refused:
                raise ChatRefusal("ended") from None
        return await self._post_alone(conversation_id, sender, client_id, text, agent_id)

    async def _store_alone(self, item: Pending) -> Stored:
        """A message of a batch that was refused, stored alone (the writer's fallback)."""
        return await self._post_alone(
            item.conversation_id, item.sender, item.client_id, item.text, item.agent_id
        )

    async def _post_alone(
        self,
        conversation_id: str,
        sender: str,
        client_id: str,
        text: str,
        agent_id: int | None,
    ) -> Stored:
        """One message in its own transaction, its seq taken in the database (a conversation
        this process does not hold open, or a batch that failed)."""
        lock = self._locks.setdefault(conversation_id, asyncio.Lock())
        try:
            async with lock:
                return await self._store(conversation_id, sender, client_id, text, agent_id)
        except IntegrityError:
            # Another process stored the same client id (or took the seq) first: the unique
            # keys refused this copy, nothing of it was written. The stored one is the answer.
            async with self.uow() as uow:
                repo = ChatRepository(uow.session)
                conv = await repo.get(conversation_id)
                found = None
                if conv is not None and conv.interaction_id is not None:
                    found = await repo.find_message(conv.interaction_id, sender, client_id)
            if conv is None or found is None:
                raise
            return message_out(found, marks=_marks_for(conv, sender)), False

    async def _store(
        self, conversation_id: str, sender: str, client_id: str, text: str, agent_id: int | None
    ) -> tuple[dict[str, Any], bool]:
        async with self.uow() as uow:
            repo = ChatRepository(uow.session)
            conv = await repo.get(conversation_id)
            if conv is None:
                raise ChatRefusal("not_found")
            if conv.interaction_id is None:  # never routed (closed hours, or it failed)
                raise ChatRefusal("ended")
            found = await repo.find_message(conv.interaction_id, sender, client_id)
            if found is not None:  # sent again after a lost acknowledgement: stored once
                return message_out(found, marks=_marks_for(conv, sender)), False
            if conv.status not in OPEN:
                raise ChatRefusal("ended")
            seq = await repo.next_seq(conversation_id)
            stored = await repo.add_message(
                ChatMessage(
                    interaction_id=conv.interaction_id,
                    conversation_id=conversation_id,
                    seq=seq,
                    sender=sender,
                    agent_id=agent_id,
                    client_id=client_id,
                    text=text,
                    extra={},
                    created_at=self.wall_clock(),
                )
            )
            out = message_out(stored)
            uow.emit(
                ev.CHAT_MESSAGE,
                {
                    "conversation_id": conversation_id,
                    "contact_id": str(conv.contact_id),
                    "message": out,
                },
            )
        return out, True

    async def receipt(self, conversation_id: str, side: str, delivered: int, read: int) -> None:
        """``side`` has received up to ``delivered`` and read up to ``read`` of the other
        side's messages (watermarks only move forward)."""
        read = min(read, delivered) if delivered else read
        delivered = max(delivered, read)
        held = self.writer.receipt(conversation_id, side, delivered, read)
        if held is not None:
            # Kept in memory, written within a second; announced now, and only when it moved.
            # No transaction is involved, so it goes straight onto the bus (as the unit of
            # work's commit would put it; an empty unit of work costs ~0.3 ms of CPU).
            delivered, read, changed = held
            live = self.live.get(conversation_id)
            if changed and live is not None:
                self.center.publish(
                    [
                        (
                            ev.CHAT_RECEIPT,
                            {
                                "conversation_id": conversation_id,
                                "contact_id": str(live.contact_id),
                                "side": side,
                                "delivered_seq": delivered,
                                "read_seq": read,
                            },
                        )
                    ]
                )
            return
        async with self.uow() as uow:
            repo = ChatRepository(uow.session)
            conv = await repo.get(conversation_id)
            if conv is None:
                raise ChatRefusal("not_found")
            delivered = min(delivered, conv.last_seq)
            read = min(read, conv.last_seq)
            await repo.raise_marks(
                conversation_id,
                **{f"{side}_delivered_seq": delivered, f"{side}_read_seq": read},
            )
            self.writer.note_marks(
                conversation_id,
                **{f"{side}_delivered_seq": delivered, f"{side}_read_seq": read},
            )
            uow.emit(
                ev.CHAT_RECEIPT,
                {
                    "conversation_id": conversation_id,
                    "contact_id": str(conv.contact_id),
                    "side": side,
                    "delivered_seq": max(delivered, getattr(conv, f"{side}_delivered_seq")),
                    "read_seq": max(read, getattr(conv, f"{side}_read_seq")),
                },
            )

    def customer_typing(self, conversation_id: str) -> None:
        live = self.live.get(conversation_id)
        if live is None or live.contact_id is None or live.status != "active":
            return
        agent = self._agent_of(live.contact_id)
        if agent is not None:
            self.hub.send(agent, {"type": "chat.typing", "contact_id": live.contact_id})

    async def customer_end(self, conversation_id: str) -> None:
        live = self.live.get(conversation_id)
        if live is None or live.contact_id is None or live.status not in OPEN:
            raise ChatRefusal("ended")
        route = self.center.router.store.route(live.contact_id)
        if route is None:
            raise ChatRefusal("ended")
        answered = route.status is ContactStatus.ACTIVE
        try:
            await self.contacts.end(
                End(live.contact_id, "customer", "completed" if answered else None)
            )
        except DomainError:
            raise ChatRefusal("ended") from None

    def can_email(self, reach: str | None) -> bool:
        """Whether the transcript may be e-mailed: SMTP configured and an e-mail to send to."""
        return self.mailer is not None and email_of(reach) is not None

    async def email_transcript(self, conversation_id: str) -> None:
        """The customer asks for the transcript by e-mail. An open conversation gets it when
        its end is committed; an ended one now. Either way in the background: the socket does
        not wait for the mail server."""
        async with self.uow() as uow:
            conv = await ChatRepository(uow.session).get(conversation_id)
        if conv is None or conv.interaction_id is None:
            raise ChatRefusal("not_found")
        if self.mailer is None or not self.can_email(conv.reach):
            raise ChatRefusal("transcript_unavailable")
        live = self.live.get(conversation_id)
        if live is not None and conv.status in OPEN:
            live.email_transcript = True
            return
        self.mailer.request(conversation_id)

    async def rate(self, conversation_id: str, rating: int, comment: str) -> None:
        """1–5 with a comment, once, on the conversation's interaction."""
        async with self.uow() as uow:
            repo = ChatRepository(uow.session)
            conv = await repo.get(conversation_id)
            if conv is None or conv.interaction_id is None or conv.agent_id is None:
                raise ChatRefusal("not_rateable")
            interaction = await repo.interaction(conv.interaction_id)
            if interaction is None or interaction.rating is not None:
                raise ChatRefusal("not_rateable")
            interaction.rating = rating
            extra = (
                {"rated_by": "chat", "rating_comment": comment} if comment else {"rated_by": "chat"}
            )
            interaction.attributes = {**interaction.attributes, **extra}
            uow.emit(
                ev.CHAT_RATED,
                {
                    "conversation_id": conversation_id,
                    "contact_id": str(conv.contact_id),
                    "interaction_id": conv.interaction_id,
                    "agent_id": str(conv.agent_id),
                    "customer_id": conv.customer_id,
                    "queue": conv.queue,
                    "rating": rating,
                },
            )

    async def leave_message(
        self, conversation_id: str, text: str, reach: str | None, name: str | None
    ) -> dict[str, Any]:
        """No agent came (or the chat is closed now): the message and a way to reach the
        customer become a callback contact, routed to an agent like any other."""
        async with self.uow() as uow:
            conv = await ChatRepository(uow.session).get(conversation_id)
        if conv is None:
            raise ChatRefusal("not_found")
        if conv.callback_contact_id is not None:
            raise ChatRefusal("already_left")
        if conv.status != "offline":
            raise ChatRefusal("not_offline")
        reached = await self._reach(reach, required=False) or conv.reach
        if reached is None and conv.customer_id is None:
            raise ChatRefusal("reach_needed")
        # Contact discipline (docs/care.md): a customer who asked not to be called gets no
        # number to call on the callback; the agent answers in writing.
        do_not_call = False
        if conv.customer_id is not None:
            async with self.uow() as uow:
                opt_outs = await CareRepository(uow.session).opt_outs({conv.customer_id})
            do_not_call = opt_outs.get(conv.customer_id, (False, False))[0]
        callable_number = reached if reached and "@" not in reached and not do_not_call else None
        try:
            contact, _ = await self.contacts.arrive(
                Arrive(
                    channel="voice",
                    queue=conv.queue,
                    from_=reached if conv.customer_id is None else None,
                    customer_id=conv.customer_id,
                    name=name or conv.name,
                    intent="callback",
                    language=conv.language,
                    # The telephony callback's vocabulary (MarkCallback): "callback":
                    # "requested" and the number to call, when a phone was given.
                    attributes={
                        "callback": "requested",
                        **({"callback_number": callable_number} if callable_number else {}),
                        **({"callback_opt_out": "do_not_call"} if do_not_call else {}),
                        "requested_via": "chat",
                        "message": text,
                        "reach": reached or "",
                        "topic": conv.topic or "",
                        "_chat": conv.id,
                    },
                    source=CALLBACK_SOURCE,
                    external_id=conv.id,
                    direction="outbound",  # a callback is ours to make
                )
            )
        except DomainError as exc:
            log.info("chat %s: callback refused: %s", conv.id, exc.message)
            raise ChatRefusal("queue_unavailable") from None
        async with self.uow() as uow:
            repo = ChatRepository(uow.session)
            await repo.update(
                conv.id,
                callback_contact_id=int(contact.id),
                status="ended",
                ended_at=self.wall_clock(),
                ended_by="customer",
            )
            uow.emit(
                ev.CHAT_CALLBACK,
                {"conversation_id": conv.id, "contact_id": contact.id, "queue": conv.queue},
            )
        self._forget(conv.id)
        return {"type": "callback", "contact_id": contact.id, "reach": reached}

    # --- the agent's side ----------------------------------------------------------------
    def conversation_of(self, contact_id: str, agent_id: int) -> Live:
        """The conversation of a chat in this agent's hands (NotFound-like refusal else)."""
        conv_id = self.by_contact.get(contact_id)
        route = self.center.router.store.route(contact_id)
        if (
            conv_id is None
            or route is None
            or route.agent_id != str(agent_id)
            or route.status is not ContactStatus.ACTIVE
        ):
            raise Invalid(f"contact {contact_id} is not a chat in your hands", field="contact_id")
        return self.live[conv_id]

    async def agent_history(
        self, contact_id: str, agent_id: int, after: int
    ) -> list[dict[str, Any]]:
        """The messages of a chat the agent has or had (readable during its wrap-up and
        after a restart: looked up in the record, not in memory)."""
        async with self.uow() as uow:
            conv = await ChatRepository(uow.session).by_contact(int(contact_id))
        if conv is None or conv.agent_id != agent_id:
            raise Invalid(f"contact {contact_id} is not a chat of yours", field="contact_id")
        return await self.history(conv.id, after)

    async def agent_post(
        self, contact_id: str, agent_id: int, client_id: str, text: str
    ) -> dict[str, Any]:
        """The agent's message in a chat in their hands: stored, then delivered."""
        live = self.conversation_of(contact_id, agent_id)
        limit = self.config.limits.message_chars
        if len(text) > limit:
            raise TooLarge(
                f"a chat message is at most {limit} characters; this one has {len(text)}"
            )
        try:
            stored, _ = await self.post(live.id, "agent", client_id, text, agent_id)
        except ChatRefusal as exc:
            raise Conflict(say(exc.code, "en", **exc.facts)) from None
        return stored

    async def agent_receipt(
        self, contact_id: str, agent_id: int, delivered: int, read: int
    ) -> None:
        live = self.conversation_of(contact_id, agent_id)
        await self.receipt(live.id, "agent", delivered, read)

    def canned_replies(self) -> list[dict[str, str]]:
        """The agents' ready-made answers, in every language (config/chat.yaml)."""
        return [r.model_dump() for r in self.config.canned_replies]

    def agent_typing(self, contact_id: str, agent_id: int) -> None:
        live = self.conversation_of(contact_id, agent_id)
        self.rooms.send(live.id, {"type": "typing", "from": "agent"})

    def _agent_of(self, contact_id: str) -> int | None:
        route = self.center.router.store.route(contact_id)
        if route is None or route.status is not ContactStatus.ACTIVE or route.agent_id is None:
            return None
        return int(route.agent_id)

    # --- what the customer sees while waiting --------------------------------------------
    def place(self, live: Live) -> tuple[int, int] | None:
        """(place in the queue, estimated wait in seconds) of a waiting conversation."""
        store = self.center.router.store
        if live.contact_id is None:
            return None
        mine = store.route(live.contact_id)
        if mine is None or mine.status is not ContactStatus.QUEUED:
            return None
        ahead = sum(
            1
            for r in store.routes()
            if r.queue == mine.queue
            and r.status is ContactStatus.QUEUED
            and (r.sort_key, r.seq) < (mine.sort_key, mine.seq)
        )
        slots = sum(
            max(1, a.presence.chat_capacity)
            for a in store.agents()
            if a.presence.logged_in and a.presence.break_reason is None
        )
        place = ahead + 1
        wait = math.ceil(place / max(1, slots)) * self.config.estimate.handle_seconds
        return place, int(wait)

    # --- the adapter: the live path's events → the chat ----------------------------------
    async def handle(self, events: list[Event]) -> None:
        moved = False
        for event in events:
            try:
                moved |= await self._on(event)
            except Exception:
                log.exception("chat: event %s %s failed", event.seq, event.name)
        if moved:
            self._tell_places()

    async def _on(self, event: Event) -> bool:
        d, name = event.data, event.name
        if name == ev.CHAT_MESSAGE:
            self._deliver(d)
            return False
        if name == ev.CHAT_RECEIPT:
            self._receipt(d)
            return False
        if name == ev.CONTACT_ARRIVED and d.get("source") == SOURCE and d.get("external_id"):
            self.by_contact[d["contact_id"]] = d["external_id"]
            return True
        conv_id = self.by_contact.get(str(d.get("contact_id", "")))
        if name == ev.CONTACT_TRANSFERRED and conv_id:
            self.by_contact.pop(d["contact_id"], None)
            self.by_contact[d["to_contact_id"]] = conv_id
            live = self.live.get(conv_id)
            if live is not None:
                live.contact_id, live.status, live.queue = (
                    d["to_contact_id"],
                    "waiting",
                    d["to_queue"],
                )
                live.position = None
                async with self.uow() as uow:
                    await ChatRepository(uow.session).update(
                        conv_id,
                        contact_id=int(d["to_contact_id"]),
                        status="waiting",
                        queue=d["to_queue"],
                        agent_id=None,
                        agent_name=None,
                    )
                self.rooms.send(conv_id, {"type": "transferred", "queue": d["to_queue"]})
            return True
        if conv_id is None:
            return name in QUEUE_MOVES
        live = self.live.get(conv_id)
        if live is None or d.get("contact_id") != live.contact_id:
            return name in QUEUE_MOVES
        if name == ev.CONTACT_ASSIGNED:
            await self._assigned(live, int(d["agent_id"]))
        elif name == ev.CONTACT_TIMED_OUT:
            await self._no_agent(live)
        elif name == ev.CONTACT_ENDED and d.get("reason") != "transferred":
            await self._ended(live, d.get("ended_by") or "system")
        return name in QUEUE_MOVES

    async def _assigned(self, live: Live, agent_id: int) -> None:
        async with self.uow() as uow:
            agent = await StaffRepository(uow.session).get_agent(agent_id)
            name = agent.display_name if agent is not None else None
            await ChatRepository(uow.session).update(
                live.id, status="active", agent_id=agent_id, agent_name=name
            )
        live.status, live.agent_id, live.agent_name, live.position = "active", agent_id, name, None
        self.rooms.send(live.id, {"type": "agent", "agent": {"name": name}})

    async def _no_agent(self, live: Live) -> None:
        async with self.uow() as uow:
            repo = ChatRepository(uow.session)
            await repo.update(live.id, status="offline")
            # What the customer wrote while waiting is on the record too.
            await self._transcript(repo, live)
        live.status = "offline"
        self.rooms.send(live.id, {"type": "offline", "reason": "no_agent"})
        self._forget(live.id)

    async def _ended(self, live: Live, by: str) -> None:
        """The contact ended (either side, or abandoned): the conversation closes and its
        transcript goes on the interaction."""
        async with self.uow() as uow:
            repo = ChatRepository(uow.session)
            await repo.update(live.id, status="ended", ended_by=by, ended_at=self.wall_clock())
            await self._transcript(repo, live)
        # Committed: now the transcript may go out, if the customer asked for it.
        if live.email_transcript and self.mailer is not None:
            self.mailer.request(live.id)
        live.status = "ended"
        self.rooms.send(
            live.id,
            {"type": "ended", "by": by, "rateable": live.agent_id is not None},
        )
        self._forget(live.id)

    @staticmethod
    async def _transcript(repo: ChatRepository, live: Live) -> None:
        """The conversation's messages onto its interaction's ``transcript``."""
        if live.interaction_id is None:
            return
        interaction = await repo.interaction(live.interaction_id)
        if interaction is not None:
            rows = await repo.messages_after(live.interaction_id, 0, limit=100_000)
            interaction.transcript = [
                {"seq": m.seq, "from": m.sender, "text": m.text, "at": iso(m.created_at)}
                for m in rows
            ]

    def _forget(self, conv_id: str) -> None:
        live = self.live.pop(conv_id, None)
        self._locks.pop(conv_id, None)
        self.writer.forget(conv_id)
        if live is not None and live.contact_id is not None:
            self.by_contact.pop(live.contact_id, None)

    def _deliver(self, d: dict[str, Any]) -> None:
        message = d["message"]
        self.rooms.send(d["conversation_id"], message)
        agent = self._agent_of(d["contact_id"])
        if agent is not None:
            self.hub.send(
                agent, {"type": "chat.message", "contact_id": d["contact_id"], "message": message}
            )

    def _receipt(self, d: dict[str, Any]) -> None:
        marks = {"delivered_seq": d["delivered_seq"], "read_seq": d["read_seq"]}
        if d["side"] == "agent":  # the agent got/read the customer's messages
            self.rooms.send(d["conversation_id"], {"type": "receipt", **marks})
        else:
            agent = self._agent_of(d["contact_id"])
            if agent is not None:
                self.hub.send(
                    agent, {"type": "chat.receipt", "contact_id": d["contact_id"], **marks}
                )

    def _tell_places(self) -> None:
        for live in list(self.live.values()):
            if live.status != "waiting" or not self.rooms.connected(live.id):
                continue
            place = self.place(live)
            if place is not None and place != live.position:
                live.position = place
                self.rooms.send(
                    live.id,
                    {"type": "queue", "position": place[0], "estimated_wait_seconds": place[1]},
                )
