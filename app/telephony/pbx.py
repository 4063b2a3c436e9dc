"""PBX events: the glue between a PBX that keeps the media (Asterisk, FreeSWITCH) and the
contact-center service. No HTTP here: ``app.api.telephony`` parses and renders.

A call's life as a PBX reports it (docs/telephony.md, "PBX events"):

- ``offered`` (an event, optional): the PBX has a call; its caller, dialled number, queue
  and language are kept for the route request (``pbx_calls``). DTMF the caller types in the
  PBX's own menus is kept too, and becomes the contact's IVR path.
- the **route request** (``POST /api/telephony/calls/{call_id}/route``): the call arrives as
  a contact through the service, idempotent by ("pbx", call_id) — a repeated request
  continues the same contact, never a second one. The request is held (a long poll) up to
  ``wait`` seconds for routing to decide: an agent accepted → ``dial`` their SIP URI; the
  queue's maximum wait passed or the contact ended → ``fallback``; still waiting → ``wait``
  (or ``play``, when an announcement of the caller's place is due) with when to ask again,
  the place in the queue and an estimate of the wait.
- ``answered``, ``transferred``, ``hangup`` (events): the agent's leg answered; the call was
  transferred (to a queue: a new leg that the next route request routes; elsewhere: the
  contact ends, the agent wraps up); the caller hung up — before an agent answered the
  contact ends abandoned, after it the contact ends and the agent wraps up.

Events come in batches and are applied one at a time, in order, each in full or not at all;
an applied event's id is stored, so a replayed batch changes nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from collections import OrderedDict, defaultdict, deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Discriminator, Field, Tag, field_validator, model_validator
from sqlalchemy.exc import IntegrityError

from app.audit import record_audit
from app.auth.tokens import Principal
from app.contacts.center import ContactCenter
from app.contacts.commands import Arrive, End, Transfer
from app.contacts.service import ContactCenterService
from app.db.models import PbxCall, PbxEvent, PbxKey
from app.db.repositories.pbx import PbxRepository
from app.db.repositories.staff import StaffRepository
from app.db.types import utcnow
from app.db.uow import UnitOfWork
from app.errors import Conflict, DomainError, Invalid, NotFound, Unauthorized
from app.events import names
from app.events.model import Event
from app.schemas import Input, IsoDateTime, Output
from routing.records import ContactStatus, Route

log = logging.getLogger(__name__)

SOURCE = "pbx"  # the contacts' source: with the call id, their idempotency key
HOLD_DEFAULT = 20  # seconds a route request waits for routing to decide, unless it says
HOLD_MAX = 30  # longer than common HTTP client timeouts (and dialplans) would allow
POLL_SECONDS = 5  # `retry_after` when the request was not held (wait=0): do not hammer
HELD_RETRY_SECONDS = 1  # `retry_after` after a held request: ask again almost at once
ANNOUNCE_EVERY = 60.0  # seconds between announcements of the caller's place (`play`)
RECENT_WAITS = 20  # assigned contacts per queue the wait estimate is drawn from
KEY_PREFIX = "hpk_"
MAX_KEY_LENGTH = 200  # anything longer is no key of ours: refused before hashing
MAX_BATCH = 100
MAX_DIGITS = 50
# A PBX's ids: Asterisk's uniqueid/linkedid ("1700000000.42"), FreeSWITCH's UUIDs, SIP
# Call-IDs ("a84b4c76e66710@pc33.example.com"). Nothing that needs escaping in a URL path.
ID_PATTERN = r"^[A-Za-z0-9._:@+-]{1,100}$"
DIGIT_PATTERN = r"^[0-9*#A-D]$"


# --- what the PBX sends and gets ----------------------------------------------------------
class RouteIn(Input):
    """A route request. Every field is optional when an ``offered`` event told them; what
    the request says wins. As JSON or as a form (``from=...&queue=...``, what Asterisk's
    ``CURL()`` posts)."""

    from_: str | None = Field(
        None, alias="from", min_length=1, max_length=64, description="the caller's number"
    )
    queue: str | None = Field(None, min_length=1, max_length=64)
    dialled: str | None = Field(None, min_length=1, max_length=64, description="number called")
    language: str | None = Field(None, min_length=2, max_length=16)
    intent: str | None = Field(None, min_length=1, max_length=64)
    digits: str | None = Field(
        None,
        max_length=MAX_DIGITS,
        pattern=r"^[0-9*#A-D]*$",
        description="DTMF typed in the PBX's menus, in order (the contact's IVR path)",
    )
    wait: int = Field(
        HOLD_DEFAULT,
        ge=0,
        le=HOLD_MAX,
        description="seconds to hold the request for routing to decide (a long poll)",
    )


RouteAction = Literal["dial", "wait", "play", "fallback"]
FallbackReason = Literal["timed_out", "unreachable", "ended"]


class RouteOut(Output):
    """What the PBX does with the call now.

    - ``dial``: connect the caller to ``agent_uri`` (the agent who accepted it);
    - ``wait``: keep the caller waiting (music) and ask again after ``retry_after`` seconds;
    - ``play``: play the announcement ``prompt`` (``queued`` the first time, ``position``
      later: the caller's ``position`` and ``estimated_wait``), then ask again;
    - ``fallback``: routing gave up on the call — ``reason`` ``timed_out`` (the queue's
      maximum wait), ``unreachable`` (the agent has no SIP URI) or ``ended`` (the contact
      ended, e.g. by a supervisor): voicemail, an overflow number or a goodbye, as the
      dialplan decides.
    """

    action: RouteAction
    call_id: str
    contact_id: str
    agent_id: int | None = None
    agent_uri: str | None = None
    retry_after: int | None = None
    position: int | None = None
    estimated_wait: int | None = Field(default=None, description="seconds; null without history")
    waited: int | None = Field(default=None, description="seconds since the call arrived")
    prompt: Literal["queued", "position"] | None = None
    reason: FallbackReason | None = None


CallId = Annotated[str, Field(pattern=ID_PATTERN, description="the PBX's id of the call")]


class _PbxEventIn(Input):
    id: str = Field(pattern=ID_PATTERN, description="unique across every PBX: applied once")
    call_id: CallId
    at: IsoDateTime | None = Field(
        None, description="when it happened, with its time zone (default: on arrival)"
    )

    @field_validator("at")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        # Checked here, so that no batch is refused halfway through by the database.
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("a date-time needs its time zone (2026-11-30T09:15:02Z)")
        try:
            return value.astimezone(UTC)
        except OverflowError as exc:
            raise ValueError("a date-time out of range") from exc


class OfferedIn(_PbxEventIn):
    type: Literal["offered"]
    from_: str | None = Field(None, alias="from", min_length=1, max_length=64)
    dialled: str | None = Field(None, min_length=1, max_length=64)
    queue: str | None = Field(None, min_length=1, max_length=64)
    language: str | None = Field(None, min_length=2, max_length=16)


class DtmfIn(_PbxEventIn):
    type: Literal["dtmf"]
    digit: str = Field(pattern=DIGIT_PATTERN)


class AnsweredIn(_PbxEventIn):
    type: Literal["answered"]
    agent: str | None = Field(
        None, min_length=1, max_length=255, description="who answered, as the PBX names it"
    )


class TransferredIn(_PbxEventIn):
    """To a Hotline ``queue`` (a new leg, routed by the next route request), or ``to``
    somewhere else (the contact ends; the agent wraps up). One of them is needed."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["queue"], "properties": {"queue": {"type": "string"}}},
                {"required": ["to"], "properties": {"to": {"type": "string"}}},
            ]
        }
    )

    type: Literal["transferred"]
    queue: str | None = Field(None, min_length=1, max_length=64)
    to: str | None = Field(None, min_length=1, max_length=255)

    @model_validator(mode="after")
    def _somewhere(self) -> TransferredIn:
        if self.queue is None and self.to is None:
            raise ValueError("a transfer names a `queue` or where it went (`to`)")
        return self


class HangupIn(_PbxEventIn):
    type: Literal["hangup"]
    cause: str | None = Field(None, min_length=1, max_length=64)


def _event_type(value: Any) -> Any:
    return value.get("type") if isinstance(value, dict) else getattr(value, "type", None)


# Told apart by `type` (a callable discriminator: the inputs' own-JSON-type check runs
# before validation, which pydantic's field discriminator does not allow).
PbxEventIn = Annotated[
    Annotated[OfferedIn, Tag("offered")]
    | Annotated[DtmfIn, Tag("dtmf")]
    | Annotated[AnsweredIn, Tag("answered")]
    | Annotated[TransferredIn, Tag("transferred")]
    | Annotated[HangupIn, Tag("hangup")],
    Discriminator(_event_type),
]


class EventBatchIn(Input):
    events: list[PbxEventIn] = Field(min_length=1, max_length=MAX_BATCH)


class EventError(Output):
    status: int
    code: str
    message: str


class EventResult(Output):
    """What became of one event: ``applied`` (``outcome`` says how), ``duplicate`` (applied
    before: its first ``outcome``), or ``rejected`` (``error``; nothing of it was written,
    and the same id may be sent again)."""

    id: str
    call_id: str
    type: str
    status: Literal["applied", "duplicate", "rejected"]
    outcome: str | None = None
    contact_id: str | None = None
    error: EventError | None = None


class EventBatchOut(Output):
    results: list[EventResult]
    applied: int
    duplicates: int
    rejected: int


class KeyIn(Input):
    name: str = Field(min_length=1, max_length=64, description="which PBX holds it")


class KeyOut(Output):
    id: int
    name: str
    prefix: str = Field(description="the key's first characters, to recognise it")
    created_at: datetime
    created_by: int | None
    revoked_at: datetime | None
    revoked_by: int | None
    active: bool


class KeyCreatedOut(KeyOut):
    key: str = Field(description="the key itself: shown this once, stored only hashed")


@dataclass(frozen=True)
class PbxCaller:
    """A request authenticated by a PBX key."""

    key_id: int
    name: str


def _key_out(key: PbxKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix,
        "created_at": key.created_at,
        "created_by": key.created_by,
        "revoked_at": key.revoked_at,
        "revoked_by": key.revoked_by,
        "active": key.revoked_at is None,
    }


def key_digest(key: str) -> str:
    """A key's stored form. SHA-256 without salt is enough for 256 random bits (nothing to
    guess), and lets a request find its key with one indexed lookup."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


# --- pure decisions (fake clock in tests) --------------------------------------------------
def waiting_action(
    last_announced: float | None, now: float, every: float = ANNOUNCE_EVERY
) -> tuple[Literal["wait", "play"], Literal["queued", "position"] | None]:
    """A waiting caller's next step: the first answer announces that the call is queued,
    then the place in the queue every ``every`` seconds; in between, wait."""
    if last_announced is None:
        return "play", "queued"
    if now - last_announced >= every:
        return "play", "position"
    return "wait", None


def estimated_wait(recent_waits: Sequence[float], waited: float) -> int | None:
    """Seconds still to wait: how long recent callers of the queue waited for an agent, on
    average, less what this caller has waited already (never below zero); None without
    history. Crude, but it follows the queue as it speeds up or slows down."""
    if not recent_waits:
        return None
    return max(0, round(sum(recent_waits) / len(recent_waits) - waited))


def queue_position(route: Route, routes: Iterator[Route]) -> int:
    """1 for the next caller served. Contacts being offered in the queue are ahead; waiting
    ones are ahead when routing's order (``sort_key``, then arrival) puts them first."""
    if route.status is ContactStatus.OFFERED:
        return 1
    mine = (route.sort_key, route.seq)
    ahead = 0
    for other in routes:
        if other.queue != route.queue or other.id == route.id:
            continue
        if other.status is ContactStatus.OFFERED or (
            other.status is ContactStatus.QUEUED and (other.sort_key, other.seq) < mine
        ):
            ahead += 1
    return ahead + 1


# --- the service side -----------------------------------------------------------------------
@dataclass
class _Effect:
    """What one event does to its call's row, decided before the row is written."""

    outcome: str
    contact_id: int | None = None
    change: Callable[[PbxCall], None] | None = None


class PbxCalls:
    """Route requests, event batches and keys; and the bus subscriber that wakes held route
    requests when routing decides (as ``app.telephony.redirect`` answers a SIP caller)."""

    # The events :meth:`handle` acts on; the bus wakes it for no others.
    WANTS = frozenset(
        {
            names.CONTACT_ASSIGNED,
            names.CONTACT_TIMED_OUT,
            names.CONTACT_ENDED,
            names.CONTACT_TRANSFERRED,
        }
    )

    def __init__(
        self, service: ContactCenterService, uow: Callable[[], UnitOfWork], center: ContactCenter
    ) -> None:
        self.service = service
        self.uow = uow
        self.center = center
        self._watchers: dict[str, set[asyncio.Event]] = defaultdict(set)
        # Why contacts left routing (contact id -> reason, to_contact for a transfer), for
        # held and later route requests; bounded — the record says it too.
        self._gone: OrderedDict[str, tuple[str, str | None]] = OrderedDict()
        self._waits: dict[str, deque[float]] = defaultdict(lambda: deque(maxlen=RECENT_WAITS))
        self._announced: OrderedDict[str, float] = OrderedDict()
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self._stopping = False

    # --- keys ----------------------------------------------------------------------------
    async def issue_key(self, actor: Principal, name: str) -> KeyCreatedOut:
        """A new key for a PBX: returned this once; stored as its SHA-256; audited (by
        name and prefix, never the key)."""
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        async with self.uow() as uow:
            key = await PbxRepository(uow.session).add_key(
                PbxKey(
                    name=name,
                    prefix=secret[:12],
                    key_hash=key_digest(secret),
                    created_at=utcnow(),
                    created_by=actor.agent_id,
                )
            )
            await record_audit(
                uow, actor, "pbx_key.issue", "pbx_key", key.id, {"name": name, "prefix": key.prefix}
            )
            out = KeyCreatedOut(**_key_out(key), key=secret)
        return out

    async def keys(self) -> list[KeyOut]:
        async with self.uow() as uow:
            return [KeyOut(**_key_out(k)) for k in await PbxRepository(uow.session).keys()]

    async def revoke_key(self, actor: Principal, key_id: int) -> None:
        """From the next request on, the key is refused (401)."""
        async with self.uow() as uow:
            repo = PbxRepository(uow.session)
            key = await repo.key(key_id)
            if key is None:
                raise NotFound(f"PBX key {key_id} not found")
            if not await repo.revoke_key(key_id, utcnow(), actor.agent_id):
                raise Conflict(f"PBX key {key_id} is already revoked")
            await record_audit(uow, actor, "pbx_key.revoke", "pbx_key", key_id, {"name": key.name})

    async def authenticate(self, presented: str | None) -> PbxCaller:
        """The PBX whose key this is; Unauthorized for none, an unknown or a revoked key.
        The key is never repeated in an answer or a log line."""
        if not presented:
            raise Unauthorized("missing PBX key: send it as X-Api-Key (POST /api/telephony/keys)")
        if len(presented) > MAX_KEY_LENGTH or not presented.startswith(KEY_PREFIX):
            raise Unauthorized("unknown or revoked PBX key (X-Api-Key)")
        async with self.uow() as uow:
            key = await PbxRepository(uow.session).active_key_by_hash(key_digest(presented))
        if key is None:
            raise Unauthorized("unknown or revoked PBX key (X-Api-Key)")
        return PbxCaller(key.id, key.name)

    # --- per-call turns ------------------------------------------------------------------
    @asynccontextmanager
    async def _turn(self, call_id: str) -> Any:
        """One thing at a time per call in this process: a route request's arrival and the
        events of the call take turns, so each reads the row as the last one left it."""
        lock, users = self._locks.get(call_id, (asyncio.Lock(), 0))
        self._locks[call_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[call_id]
            if users <= 1:
                del self._locks[call_id]
            else:
                self._locks[call_id] = (lock, users - 1)

    # --- route requests ------------------------------------------------------------------
    async def route(self, call_id: str, body: RouteIn) -> RouteOut:
        """Where the call goes now; held up to ``body.wait`` seconds for routing to decide."""
        contact_id = await self._contact_for(call_id, body)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + body.wait
        held = False
        late = 0  # rounds past the deadline while a decision was landing
        while True:
            wake = asyncio.Event()
            watched = contact_id
            self._watchers[watched].add(wake)
            try:
                # Registered before looking: a decision made after the look wakes us.
                decided = await self._decide(call_id, contact_id)
                if isinstance(decided, RouteOut):
                    return decided
                if isinstance(decided, str):  # transferred: the new leg is the call now
                    contact_id = decided
                    continue
                remaining = deadline - loop.time()
                if remaining <= 0 or self._stopping:
                    waiting = self._waiting(call_id, contact_id, held)
                    if waiting is not None:
                        return waiting
                    if self.center.router.store.route(contact_id) is not None:
                        continue  # accepted a moment ago: decide again, at once
                    # It left routing just now (a transfer whose new leg is not yet known):
                    # let the subscriber catch up, then decide again — a few times at most.
                    late += 1
                    if late > 3:
                        return RouteOut(
                            action="fallback",
                            call_id=call_id,
                            contact_id=contact_id,
                            reason="ended",
                        )
                    remaining = 1.0
                held = True
                try:
                    await asyncio.wait_for(wake.wait(), remaining)
                except TimeoutError:
                    pass
            finally:
                watchers = self._watchers.get(watched)
                if watchers is not None:
                    watchers.discard(wake)
                    if not watchers:
                        del self._watchers[watched]

    async def _contact_for(self, call_id: str, body: RouteIn) -> str:
        """The call's contact: the one an earlier request (or a transfer) made, else a new
        arrival through the service, idempotent by ("pbx", call_id)."""
        async with self._turn(call_id):
            async with self.uow() as uow:
                call = await PbxRepository(uow.session).call(call_id)
            if call is not None and call.ended_at is not None:
                raise Conflict(f"call {call_id} has ended (the PBX reported its hang-up)")
            if call is not None and call.contact_id is not None:
                return str(call.contact_id)
            from_ = body.from_ or (call.from_number if call else None)
            queue = body.queue or (call.queue if call else None)
            if not from_:
                raise Invalid(
                    "from: the caller's number is needed (in the request, or an offered event)",
                    loc=["body", "from"],
                )
            if not queue:
                raise Invalid(
                    "queue: which queue the call waits in is needed (in the request, or an "
                    "offered event)",
                    loc=["body", "queue"],
                )
            dialled = body.dialled or (call.dialled if call else None)
            language = body.language or (call.language if call else None)
            digits = body.digits if body.digits is not None else (call.digits if call else "")
            contact, _ = await self.service.arrive(
                Arrive(
                    channel="voice",
                    queue=queue,
                    from_=from_,
                    language=language,
                    intent=body.intent,
                    ivr_path=tuple(digits or ""),
                    source=SOURCE,
                    external_id=call_id,
                    attributes={"dialled": dialled} if dialled else {},
                ),
                refusable=True,  # saturated: 503, and the PBX asks again or falls back
            )
            async with self.uow() as uow:
                repo = PbxRepository(uow.session)
                row = await repo.call(call_id, for_update=True)
                if row is None:
                    row = await repo.add_call(PbxCall(call_id=call_id, created_at=utcnow()))
                row.contact_id = int(contact.id)
                row.from_number, row.queue, row.dialled = from_, queue, dialled
                row.language, row.digits, row.updated_at = language, digits or "", utcnow()
            return contact.id

    async def _decide(self, call_id: str, contact_id: str) -> RouteOut | str | None:
        """Routing's decision for the contact, if it made one: an answer, the id of the leg
        it was transferred to, or None while it waits."""
        route = self.center.router.store.route(contact_id)
        base: dict[str, Any] = {"call_id": call_id, "contact_id": contact_id}
        if route is None:
            gone = self._gone.get(contact_id)
            if gone is not None and gone[0] == "transferred":
                return gone[1]  # None until the new leg's id is known: wait for it
            why = gone[0] if gone is not None else await self._end_reason(contact_id)
            reason: FallbackReason = "timed_out" if why == "timed_out" else "ended"
            if why == "unreachable":
                reason = "unreachable"
            return RouteOut(action="fallback", reason=reason, **base)
        if route.status is not ContactStatus.ACTIVE or route.agent_id is None:
            return None
        agent_id = int(route.agent_id)
        async with self.uow() as uow:
            agent = await StaffRepository(uow.session).get_agent(agent_id)
        uri = agent.sip_uri if agent is not None else None
        if uri:
            return RouteOut(action="dial", agent_id=agent_id, agent_uri=uri, **base)
        # As in SIP redirect mode: an agent without a SIP URI cannot be reached by phone.
        log.warning("pbx: agent %d has no SIP URI; contact %s not connected", agent_id, contact_id)
        self._remember(contact_id, "unreachable")
        try:
            await self.service.end(End(contact_id, by="system", reason="unreachable"))
        except DomainError as exc:  # it ended another way meanwhile
            log.info("pbx: contact %s not ended: %s", contact_id, exc)
        return RouteOut(action="fallback", reason="unreachable", agent_id=agent_id, **base)

    async def _end_reason(self, contact_id: str) -> str:
        """Why a contact no longer in routing ended, from the record (after a restart, or an
        end this process did not see)."""
        await self.service.caught_up()
        async with self.uow() as uow:
            found = await PbxRepository(uow.session).contact_status(int(contact_id))
        return "timed_out" if found is not None and found[1] == "timed_out" else "ended"

    def _waiting(self, call_id: str, contact_id: str, held: bool) -> RouteOut | None:
        route = self.center.router.store.route(contact_id)
        if route is None or route.status is ContactStatus.ACTIVE:
            return None
        now = self.center.clock()
        waited = max(0.0, now - route.arrived_at)
        action, prompt = waiting_action(self._announced.get(call_id), now)
        if action == "play":
            self._announced[call_id] = now
            self._announced.move_to_end(call_id)
            while len(self._announced) > 10_000:
                self._announced.popitem(last=False)
        return RouteOut(
            action=action,
            call_id=call_id,
            contact_id=contact_id,
            retry_after=HELD_RETRY_SECONDS if held else POLL_SECONDS,
            position=queue_position(route, iter(self.center.router.store.routes())),
            estimated_wait=estimated_wait(self._waits.get(route.queue, ()), waited),
            waited=round(waited),
            prompt=prompt,
        )

    # --- events --------------------------------------------------------------------------
    async def apply_batch(self, caller: PbxCaller, batch: EventBatchIn) -> EventBatchOut:
        """Each event in order, each in full or not at all (a rejected one writes nothing
        and may be sent again)."""
        results = [await self._apply(caller, event) for event in batch.events]
        count = {s: sum(1 for r in results if r.status == s) for s in ("applied", "duplicate")}
        return EventBatchOut(
            results=results,
            applied=count["applied"],
            duplicates=count["duplicate"],
            rejected=len(results) - count["applied"] - count["duplicate"],
        )

    async def _apply(self, caller: PbxCaller, event: Any) -> EventResult:
        base: dict[str, Any] = {"id": event.id, "call_id": event.call_id, "type": event.type}
        async with self._turn(event.call_id):
            async with self.uow() as uow:
                repo = PbxRepository(uow.session)
                seen = await repo.event(event.id)
                call = None if seen is not None else await repo.call(event.call_id)
            if seen is not None:
                return _duplicate(base, seen.outcome, seen.contact_id)
            try:
                effect = await self._effect(event, call)
            except DomainError as err:
                return EventResult(
                    **base,
                    status="rejected",
                    error=EventError(status=err.status, code=err.code, message=err.message),
                )
            at = event.at or utcnow()
            try:
                async with self.uow() as uow:
                    repo = PbxRepository(uow.session)
                    row = await repo.call(event.call_id, for_update=True)
                    if row is None:
                        row = await repo.add_call(
                            PbxCall(call_id=event.call_id, created_at=utcnow())
                        )
                    if effect.change is not None:
                        effect.change(row)
                    row.updated_at = utcnow()
                    await repo.add_event(
                        PbxEvent(
                            event_id=event.id,
                            call_id=event.call_id,
                            type=event.type,
                            outcome=effect.outcome,
                            contact_id=effect.contact_id,
                            key_id=caller.key_id,
                            occurred_at=at,
                            processed_at=utcnow(),
                        )
                    )
            except IntegrityError:
                # The same event id, delivered to another process at the same moment, won.
                async with self.uow() as uow:
                    seen = await PbxRepository(uow.session).event(event.id)
                if seen is None:
                    raise
                return _duplicate(base, seen.outcome, seen.contact_id)
        contact = None if effect.contact_id is None else str(effect.contact_id)
        return EventResult(**base, status="applied", outcome=effect.outcome, contact_id=contact)

    async def _effect(self, event: Any, call: PbxCall | None) -> _Effect:
        """What the event means for the call, with the service commands it needs already
        done; the call's row is written afterwards, with the event's id."""
        at = event.at or utcnow()
        contact_id = call.contact_id if call is not None else None
        if isinstance(event, OfferedIn):
            if call is not None and call.ended_at is not None:
                raise Conflict(f"call {event.call_id} has ended")

            def offered(row: PbxCall) -> None:
                row.from_number = event.from_ or row.from_number
                row.dialled = event.dialled or row.dialled
                row.queue = event.queue or row.queue
                row.language = event.language or row.language
                row.offered_at = row.offered_at or at

            return _Effect("registered" if call is None else "updated", contact_id, offered)
        if call is None:
            raise NotFound(
                f"call {event.call_id} is unknown: report it `offered`, or ask for its route, first"
            )
        if isinstance(event, HangupIn):
            return await self._hangup(event, call, at)
        if call.ended_at is not None:
            raise Conflict(f"call {event.call_id} has ended")
        if isinstance(event, DtmfIn):

            def typed(row: PbxCall) -> None:
                row.digits = (row.digits + event.digit)[-MAX_DIGITS:]

            return _Effect("recorded", contact_id, typed)
        if contact_id is None:
            raise Conflict(
                f"call {event.call_id} was never routed: ask POST "
                f"/api/telephony/calls/{event.call_id}/route first"
            )
        route = self._accepted(str(contact_id), event.call_id)
        if isinstance(event, AnsweredIn):
            if call.answered_at is not None:
                return _Effect("already_answered", contact_id)

            def answered(row: PbxCall) -> None:
                row.answered_at, row.answered_by = at, event.agent

            return _Effect("answered", contact_id, answered)
        assert isinstance(event, TransferredIn)
        agent_id = int(route.agent_id or 0)
        if event.queue is not None:
            leg = await self.service.transfer(Transfer(str(contact_id), agent_id, event.queue))
            new_leg = int(leg.id)

            def to_queue(row: PbxCall) -> None:
                # The next route request routes the new leg; its own answer is still to come.
                row.contact_id, row.answered_at, row.answered_by = new_leg, None, None
                row.transferred_to = event.to or event.queue

            return _Effect("transferred", new_leg, to_queue)
        await self.service.end(End(str(contact_id), by="agent", reason="transferred"))

        def elsewhere(row: PbxCall) -> None:
            row.transferred_to = event.to

        return _Effect("left", contact_id, elsewhere)

    def _accepted(self, contact_id: str, call_id: str) -> Route:
        route = self.center.router.store.route(contact_id)
        if route is None:
            raise Conflict(f"call {call_id}: its contact {contact_id} has ended")
        if route.status is not ContactStatus.ACTIVE:
            raise Conflict(
                f"call {call_id}: no agent has accepted contact {contact_id} yet (route it "
                "to the agent the route request names)"
            )
        return route

    async def _hangup(self, event: HangupIn, call: PbxCall, at: datetime) -> _Effect:
        """Before an agent answered, the contact ends abandoned; after, it ends and the agent
        wraps up. A call that never reached a queue just ends."""
        contact_id = call.contact_id
        if call.ended_at is not None:
            return _Effect("already_ended", contact_id)

        def ended(row: PbxCall) -> None:
            row.ended_at, row.hangup_cause = at, event.cause

        if contact_id is None:
            return _Effect("ended_unrouted", None, ended)
        route = self.center.router.store.route(str(contact_id))
        if route is None:
            return _Effect("already_ended", contact_id, ended)
        talking = route.status is ContactStatus.ACTIVE and call.answered_at is not None
        try:
            await self.service.end(End(str(contact_id), by="customer", reason="hangup"))
        except Conflict:  # it ended another way a moment ago (agent, supervisor, timeout)
            return _Effect("already_ended", contact_id, ended)
        if talking:
            outcome = "ended"
        elif route.status is ContactStatus.ACTIVE:
            # Accepted in the console, but the PBX never connected the agent's phone.
            outcome = "ended_unanswered"
        else:
            outcome = "abandoned"
        return _Effect(outcome, contact_id, ended)

    # --- the bus -------------------------------------------------------------------------
    async def handle(self, events: list[Event]) -> None:
        """Wake held route requests when routing decides about their contacts; keep what a
        later request needs (why a contact left, how long callers waited)."""
        moved: list[tuple[int, int]] = []
        for event in events:
            data = event.data
            contact_id = str(data.get("contact_id"))
            if event.name == names.CONTACT_ASSIGNED:
                route = self.center.router.store.route(contact_id)
                if route is not None:
                    self._waits[route.queue].append(float(data.get("waited") or 0.0))
            elif event.name == names.CONTACT_TIMED_OUT:
                self._remember(contact_id, "timed_out")
            elif event.name == names.CONTACT_ENDED:
                if data.get("reason") == "transferred":
                    self._remember(contact_id, "transferred")
                elif contact_id not in self._gone:  # "unreachable" stays what it was
                    self._remember(contact_id, "ended")
            elif event.name == names.CONTACT_TRANSFERRED:
                to = str(data.get("to_contact_id"))
                self._remember(contact_id, "transferred", to)
                moved.append((int(contact_id), int(to)))
            else:
                continue
            for wake in self._watchers.get(contact_id, ()):
                wake.set()
        if moved:
            # A transfer made in the console: the PBX's next route request finds the new leg.
            async with self.uow() as uow:
                repo = PbxRepository(uow.session)
                for old, new in moved:
                    await repo.move_contact(old, new)

    def _remember(self, contact_id: str, why: str, to: str | None = None) -> None:
        self._gone[contact_id] = (why, to)
        self._gone.move_to_end(contact_id)
        while len(self._gone) > 10_000:
            self._gone.popitem(last=False)

    def stop(self) -> None:
        """Shutting down: held route requests answer at once (the PBX asks again later)."""
        self._stopping = True
        for watchers in self._watchers.values():
            for wake in watchers:
                wake.set()


def _duplicate(base: dict[str, Any], outcome: str, contact_id: int | None) -> EventResult:
    contact = None if contact_id is None else str(contact_id)
    return EventResult(**base, status="duplicate", outcome=outcome, contact_id=contact)
