from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    field_validator,
)

from app.interactions.schemas import InteractionOut
from app.promises.schemas import WrapupPromise
from app.schemas import Input, Output, small_mapping

Channel = Literal["voice", "chat", "task"]
MAX_CONTACT_DIGITS = 18  # every 18-digit number fits the 64-bit id column


def _number_as_text(value: Any) -> Any:
    # The console sends contact ids as text; scripts often send numbers. Not booleans.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _contact_number(value: str) -> str:
    if not (value.isascii() and value.isdigit() and 0 < len(value) <= MAX_CONTACT_DIGITS):
        raise ValueError(f"a contact id is a number of at most {MAX_CONTACT_DIGITS} digits")
    return value


ContactId = Annotated[str, BeforeValidator(_number_as_text), AfterValidator(_contact_number)]


class ContactCreate(Input):
    """A call or chat arriving: who it is from, which queue, what the customer wants."""

    # `from` or `customer_id` says whose contact it is: one of them is needed.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["from"], "properties": {"from": {"type": "string"}}},
                {"required": ["customer_id"], "properties": {"customer_id": {"type": "integer"}}},
            ]
        }
    )

    channel: Channel
    from_: str | None = Field(None, alias="from", max_length=320, description="phone or e-mail")
    customer_id: int | None = None
    name: str | None = Field(None, max_length=200, description="for a new (prospect) customer")
    queue: str = Field(min_length=1, max_length=64)
    intent: str | None = Field(None, max_length=64)
    language: str | None = Field(None, min_length=2, max_length=16)
    priority: float = Field(0, ge=-1000, le=1000)
    attributes: dict[str, Any] = Field(default_factory=dict)
    ivr_path: list[str] = Field(default_factory=list, max_length=50)
    source: str = Field(
        "api",
        min_length=1,
        max_length=32,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="who delivers the contact (a PBX, a trunk); with external_id, the key "
        "that makes an arrival idempotent",
    )
    external_id: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="the contact's id at its source (Call-ID, PBX uniqueid): the same "
        "(source, external_id) returns the same contact, never a second one",
    )

    _attrs = field_validator("attributes")(small_mapping)

    @field_validator("attributes")
    @classmethod
    def _not_the_servers(cls, value: dict[str, Any]) -> dict[str, Any]:
        # The server keeps its own facts among a contact's attributes: a care task's id (its
        # wrap-up closes that task), a transfer's first leg, a chat, a scheduled callback.
        # A caller's attribute must not pass for one of them.
        for key in value:
            if key.startswith(RESERVED_ATTRIBUTE_PREFIXES):
                raise ValueError(
                    f"attribute {key!r}: names starting with "
                    f"{' or '.join(repr(p) for p in RESERVED_ATTRIBUTE_PREFIXES)} "
                    "are the server's own"
                )
        return value


RESERVED_ATTRIBUTE_PREFIXES = ("_", "care_")


class ContactEnd(Input):
    reason: Literal["completed", "abandoned"] | None = None
    by: Literal["customer", "agent", "system"] = "customer"


class ContactOut(Output):
    id: str
    interaction: InteractionOut
    live_status: str


class ComplaintInWrapup(Input):
    category: str = Field(min_length=1, max_length=64)
    severity: Literal["low", "medium", "high", "critical"] = "medium"
    description: str = Field(min_length=1, max_length=10_000)


class TaskOutcomeIn(Input):
    """A care task's outcome (docs/care.md): for a win-back, why the customer drifted (a
    code of care.yaml's ``drift_reasons``), the offer made and whether they came back; for
    a follow-up, whether the customer is satisfied (and a 1-5 rating, if they gave one)."""

    reached: bool = True
    drift_reason: str | None = Field(None, min_length=1, max_length=64)
    offer: str | None = Field(None, max_length=2000)
    won_back: bool | None = None
    satisfied: bool | None = None
    rating: int | None = Field(None, ge=1, le=5)


class WrapupIn(Input):
    contact_id: ContactId
    disposition: str = Field(min_length=1, max_length=64)
    notes: str = Field("", max_length=10_000)
    complaint: ComplaintInWrapup | None = None
    callback_at: datetime | None = None
    task_outcome: TaskOutcomeIn | None = None  # care tasks only (channel task)
    # Promises made to the customer on this contact (docs/promises.md).
    promises: list[WrapupPromise] = Field(default_factory=list, max_length=10)

    @field_validator("callback_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("callback_at needs a timezone")
        return value


# What the agent console sends on /ws/agent (docs/websocket.md), one model per `type`.
# Unknown fields are refused and each field has its type: a frame is checked whole before it
# reaches the service, so a wrong shape is an `error` reply, never a broken session.


def _request_id(value: str | int | None) -> str | int | None:
    if isinstance(value, str) and len(value) > 64:
        raise ValueError("an id is at most 64 characters")
    if isinstance(value, int) and abs(value) > 2**53:  # what a browser's number holds exactly
        raise ValueError("an id is a number of at most 2**53")
    return value


RequestId = Annotated[StrictStr | StrictInt | None, AfterValidator(_request_id)]


class AgentMessage(BaseModel):
    """Every agent → server message may carry an `id`; replies and errors echo it. Text is
    taken as typed (notes keep their spaces)."""

    model_config = ConfigDict(extra="forbid")

    id: RequestId = None


class PingMessage(AgentMessage):
    type: Literal["ping"]


class StateSetMessage(AgentMessage):
    type: Literal["state.set"]
    state: Literal["available", "break", "offline"]
    reason: StrictStr | None = Field(None, max_length=64, description="for a break: its code")


class LanguageSetMessage(AgentMessage):
    type: Literal["language.set"]
    language: Literal["en", "zh"]


class ContactMessage(AgentMessage):
    contact_id: ContactId


class OfferAcceptMessage(ContactMessage):
    type: Literal["offer.accept"]


class OfferRejectMessage(ContactMessage):
    type: Literal["offer.reject"]
    reason: StrictStr | None = Field(None, max_length=200)


class ContactEndMessage(ContactMessage):
    type: Literal["contact.end"]


class ContactTransferMessage(ContactMessage):
    type: Literal["contact.transfer"]
    queue: StrictStr = Field(min_length=1, max_length=64)


class NotesSaveMessage(ContactMessage):
    type: Literal["notes.save"]
    notes: StrictStr = Field(max_length=10_000)


# Chat frames (docs/websocket.md, "Chat"). A client message id makes a send idempotent:
# the same id sent again (after a lost reply) is stored once and answered with that message.
ChatClientId = Annotated[
    StrictStr, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
]
ChatSeq = Annotated[StrictInt, Field(ge=0, le=2**31 - 1)]


class ChatSendMessage(ContactMessage):
    type: Literal["chat.send"]
    text: StrictStr = Field(min_length=1, max_length=10_000)
    client_id: ChatClientId | None = None  # None: the frame's `id` (or a fresh one) is used


class ChatTypingMessage(ContactMessage):
    type: Literal["chat.typing"]


class ChatReadMessage(ContactMessage):
    """The agent has received (``chat.delivered``) or read (``chat.read``) the customer's
    messages up to ``seq``."""

    type: Literal["chat.read", "chat.delivered"]
    seq: ChatSeq


class ChatHistoryMessage(ContactMessage):
    type: Literal["chat.history"]
    after: ChatSeq = 0


class DraftComplaint(BaseModel):
    """The complaint part of a wrap-up draft: any field may still be empty."""

    model_config = ConfigDict(extra="forbid")

    on: StrictBool = False
    category: StrictStr = Field("", max_length=64)
    severity: Literal["low", "medium", "high", "critical"] = "medium"
    description: StrictStr = Field("", max_length=10_000)


def _aware_iso(value: str | None) -> str | None:
    if value is not None and datetime.fromisoformat(value).tzinfo is None:
        raise ValueError("needs a timezone, e.g. 2026-01-31T10:00:00+08:00")
    return value


class DraftTaskOutcome(BaseModel):
    """A care task's outcome as the form holds it: any part may still be empty."""

    model_config = ConfigDict(extra="forbid")

    reached: StrictBool = True
    drift_reason: StrictStr = Field("", max_length=64)
    offer: StrictStr = Field("", max_length=2000)
    won_back: StrictBool = False
    satisfied: Literal["", "yes", "no"] = ""


class DraftPromise(BaseModel):
    """The promise part of a wrap-up draft: what, and due by when (ISO with offset)."""

    model_config = ConfigDict(extra="forbid")

    on: StrictBool = False
    text: StrictStr = Field("", max_length=2000)
    due_at: Annotated[
        Annotated[StrictStr, Field(max_length=64)] | None, AfterValidator(_aware_iso)
    ] = None


class WrapupDraftMessage(ContactMessage):
    """The wrap-up form as it is being filled in (docs/websocket.md)."""

    type: Literal["wrapup.draft"]
    disposition: StrictStr = Field("", max_length=64)
    notes: StrictStr = Field("", max_length=10_000)
    complaint: DraftComplaint | None = None
    callback_at: Annotated[
        Annotated[StrictStr, Field(max_length=64)] | None, AfterValidator(_aware_iso)
    ] = None
    task: DraftTaskOutcome | None = None  # a care task's outcome, as far as it is filled in
    promise: DraftPromise | None = None


class WrapupExtendMessage(AgentMessage):
    type: Literal["wrapup.extend"]
    seconds: StrictInt | None = Field(None, ge=1, le=3600)


class WrapupMessage(WrapupIn):
    type: Literal["wrapup"]
    id: RequestId = None


AGENT_MESSAGES: dict[str, type[BaseModel]] = {
    model.model_fields["type"].annotation.__args__[0]: model  # type: ignore[union-attr]
    for model in (
        PingMessage,
        StateSetMessage,
        LanguageSetMessage,
        OfferAcceptMessage,
        OfferRejectMessage,
        ContactEndMessage,
        ContactTransferMessage,
        NotesSaveMessage,
        ChatSendMessage,
        ChatTypingMessage,
        ChatReadMessage,
        ChatHistoryMessage,
        WrapupMessage,
        WrapupDraftMessage,
        WrapupExtendMessage,
    )
}
AGENT_MESSAGES["chat.delivered"] = ChatReadMessage
