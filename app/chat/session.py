"""One customer's /ws/chat connection: the frames they send, checked whole, and the answers.

The protocol (docs/chat.md): the first frame is ``start`` (pre-chat form or signed identity)
or ``resume`` (conversation id, resume token, last seq seen); then ``message``, ``typing``,
``ack``/``read`` receipts, ``end``, ``rate``, ``leave_message``, ``language``, ``ping`` and
``pong``. Every refusal is an ``error`` with a code and a sentence in the customer's
language; no frame ends the session.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
)

from app.chat.limits import Throttle, TokenBucket
from app.chat.service import ChatService, StartForm
from app.chat.words import LANGUAGES, ChatRefusal
from app.errors import validation_message
from app.input_guard import strict_loads

log = logging.getLogger(__name__)

MAX_FRAME = 64 * 1024  # characters: a message of the longest allowed, escaped, fits
ClientId = Annotated[StrictStr, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Seq = Annotated[StrictInt, Field(ge=0, le=2**31 - 1)]


class _Frame(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StartFrame(_Frame):
    type: Literal["start"]
    language: Literal["en", "zh"] = "en"
    topic: StrictStr | None = Field(None, max_length=64)
    name: StrictStr | None = Field(None, max_length=200)
    reach: StrictStr | None = Field(None, max_length=320, description="e-mail or phone")
    identity: StrictStr | None = Field(None, max_length=200, description="signed identity token")


class ResumeFrame(_Frame):
    type: Literal["resume"]
    conversation_id: StrictStr = Field(min_length=1, max_length=32)
    token: StrictStr = Field(min_length=1, max_length=100)
    last_seq: Seq = 0
    language: Literal["en", "zh"] | None = None


class MessageFrame(_Frame):
    type: Literal["message"]
    client_id: ClientId
    # Checked against the configured limit by the session, with the customer's own words.
    text: StrictStr = Field(min_length=1)


class TypingFrame(_Frame):
    type: Literal["typing"]


class ReceiptFrame(_Frame):
    type: Literal["ack", "read"]
    seq: Seq


class EndFrame(_Frame):
    type: Literal["end"]
    # Send the transcript to the customer's e-mail once the chat is over (docs/chat.md).
    email_transcript: StrictBool = False


class RateFrame(_Frame):
    type: Literal["rate"]
    rating: StrictInt = Field(ge=1, le=5)
    comment: StrictStr = Field("", max_length=2000)
    email_transcript: StrictBool = False


class LeaveMessageFrame(_Frame):
    type: Literal["leave_message"]
    text: StrictStr = Field(min_length=1, max_length=4000)
    reach: StrictStr | None = Field(None, max_length=320)
    name: StrictStr | None = Field(None, max_length=200)


class LanguageFrame(_Frame):
    type: Literal["language"]
    language: Literal["en", "zh"]


class PingFrame(_Frame):
    type: Literal["ping", "pong"]


FIRST: dict[str, type[_Frame]] = {"start": StartFrame, "resume": ResumeFrame}
LATER: dict[str, type[_Frame]] = {
    "message": MessageFrame,
    "typing": TypingFrame,
    "ack": ReceiptFrame,
    "read": ReceiptFrame,
    "end": EndFrame,
    "rate": RateFrame,
    "leave_message": LeaveMessageFrame,
    "language": LanguageFrame,
    "ping": PingFrame,
    "pong": PingFrame,
}


def parse(text: str | None, models: dict[str, type[_Frame]]) -> tuple[str | None, _Frame]:
    """(type, model) of one frame; ChatRefusal('invalid'/'too_large') naming what is wrong."""
    if text is None:
        raise ChatRefusal("invalid", detail="send JSON text frames, not binary")
    if len(text) > MAX_FRAME:
        raise ChatRefusal("too_large", limit=MAX_FRAME, length=len(text))
    try:
        raw = strict_loads(text, root="message")
    except Exception as exc:
        raise ChatRefusal("invalid", detail=getattr(exc, "message", "not JSON")) from None
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        raise ChatRefusal("invalid", detail="each frame is a JSON object with a string `type`")
    kind = raw["type"][:32]
    model = models.get(kind)
    if model is None:
        raise ChatRefusal("invalid", detail=f"unexpected frame type {kind!r}")
    try:
        return kind, model.model_validate(raw)
    except ValidationError as exc:
        raise ChatRefusal("invalid", detail=validation_message(exc.errors())) from None


class CustomerSession:
    """The conversation behind one socket, its language and its per-connection limits."""

    def __init__(self, chat: ChatService, clock: Callable[[], float]) -> None:
        self.chat = chat
        limits = chat.config.limits
        self.bucket = TokenBucket(limits.messages_per_second, limits.message_burst, clock)
        self.typing = Throttle(limits.typing_interval_seconds, clock)
        self.lang = "en"
        self.conversation_id: str | None = None
        self.last_seq = 0

    async def begin(self, frame: StartFrame | ResumeFrame, address: str | None) -> dict[str, Any]:
        """The handshake: a new or resumed conversation → ``welcome``."""
        if isinstance(frame, StartFrame):
            self.lang = frame.language
            form = StartForm(frame.language, frame.topic, frame.name, frame.reach, frame.identity)
            conv, token = await self.chat.start(form, address)
            welcome: dict[str, Any] = {"token": token}
        else:
            conv = await self.chat.resume(frame.conversation_id, frame.token)
            self.lang = frame.language or conv.language
            self.last_seq = min(frame.last_seq, conv.last_seq)
            welcome = {}
        self.conversation_id = conv.id
        marks = self.chat.marks(conv)  # receipts held in memory count too
        return {
            "type": "welcome",
            "conversation_id": conv.id,
            **welcome,
            "status": conv.status,
            "language": self.lang,
            "agent": {"name": conv.agent_name} if conv.agent_name else None,
            "last_seq": conv.last_seq,
            "delivered_seq": marks["agent_delivered_seq"],
            "read_seq": marks["agent_read_seq"],
            "callback": conv.callback_contact_id is not None,
            # E-mail is configured and the customer gave an address: the page offers it.
            "email_transcript": self.chat.can_email(conv.reach),
            **self.chat.config.public(),
        }

    def waiting_place(self) -> dict[str, Any] | None:
        live = self.chat.live.get(self.conversation_id or "")
        place = self.chat.place(live) if live is not None else None
        if place is None:
            return None
        return {"type": "queue", "position": place[0], "estimated_wait_seconds": place[1]}

    async def receive(self, text: str | None) -> list[dict[str, Any]]:
        """One frame in; the replies out (an ``error`` in the customer's language)."""
        ref: str | None = None
        client_id: str | None = None
        try:
            ref, frame = parse(text, LATER)
            client_id = getattr(frame, "client_id", None)
            return await self._handle(frame)
        except ChatRefusal as exc:
            return [exc.message(self.lang, ref, client_id)]
        except Exception:
            log.exception("chat %s: frame %s failed", self.conversation_id, ref)
            return [ChatRefusal("internal").message(self.lang, ref, client_id)]

    async def _handle(self, frame: _Frame) -> list[dict[str, Any]]:
        cid = self.conversation_id
        assert cid is not None
        match frame:
            case MessageFrame():
                limit = self.chat.config.limits.message_chars
                if len(frame.text) > limit:
                    raise ChatRefusal("too_large", limit=limit, length=len(frame.text))
                wait = self.bucket.take()
                if wait:
                    raise ChatRefusal("rate_limited", retry_after=wait, seconds=max(1, round(wait)))
                stored, _new = await self.chat.post(cid, "customer", frame.client_id, frame.text)
                # The acknowledgement: stored with this seq (a repeat gets the same answer).
                return [{"type": "sent", "client_id": frame.client_id, "seq": stored["seq"]}]
            case TypingFrame():
                if self.typing.allow():
                    self.chat.customer_typing(cid)
                return []
            case ReceiptFrame():
                read = frame.seq if frame.type == "read" else 0
                await self.chat.receipt(cid, "customer", frame.seq, read)
                return []
            case EndFrame():
                # Asked first: the end is seen (and the mail requested) from the event.
                mailing = await self._email(cid) if frame.email_transcript else []
                try:
                    await self.chat.customer_end(cid)
                except ChatRefusal as exc:
                    # `end` of a chat already over with the box ticked only asks for the mail.
                    if exc.code != "ended" or not mailing or mailing[0]["type"] != "transcript":
                        raise
                return mailing
            case RateFrame():
                await self.chat.rate(cid, frame.rating, frame.comment.strip())
                mailing = await self._email(cid) if frame.email_transcript else []
                return [{"type": "rated", "rating": frame.rating}, *mailing]
            case LeaveMessageFrame():
                return [await self.chat.leave_message(cid, frame.text, frame.reach, frame.name)]
            case LanguageFrame():
                self.lang = frame.language
                return [{"type": "language", "language": frame.language}]
            case PingFrame() if frame.type == "ping":
                return [{"type": "pong"}]
            case _:
                return []  # a pong: heard, which is all a heartbeat needs

    async def _email(self, cid: str) -> list[dict[str, Any]]:
        """The transcript by e-mail: ``transcript`` {status: queued}, or the refusal."""
        try:
            await self.chat.email_transcript(cid)
        except ChatRefusal as exc:
            return [exc.message(self.lang, "email_transcript")]
        return [{"type": "transcript", "status": "queued"}]


__all__ = ["FIRST", "LANGUAGES", "CustomerSession", "parse"]
