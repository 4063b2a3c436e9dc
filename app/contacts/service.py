"""The contact-center service: one method per command, the same for every entry point.

Each method owns its transaction (a unit of work) and calls the router through
:meth:`ContactCenter.apply`, which holds the routing lock for the pure core and the outbox
append alone. Effects — the record, screen pops, socket messages — follow from the events.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from app.auth.tokens import Principal
from app.contacts import events as ev
from app.contacts.center import ContactCenter
from app.contacts.commands import (
    Accept,
    Arrive,
    End,
    ExtendWrapupTime,
    MarkCallback,
    Reject,
    SaveNotes,
    SaveWrapupDraft,
    Transfer,
)
from app.contacts.console_config import ConsoleConfig
from app.contacts.intake import identify, open_interaction, routing_contact, routing_customer
from app.contacts.intake_gate import IntakeGate
from app.contacts.messages import iso
from app.contacts.projector import InteractionProjector
from app.contacts.schemas import ContactOut, WrapupIn
from app.contacts.wrapup import DRAFT_KEY, save_wrapup
from app.customers.valuation import Valuation
from app.db.models import Interaction
from app.db.repositories.interactions import InteractionRepository
from app.db.repositories.staff import StaffRepository
from app.db.types import utcnow
from app.db.uow import UnitOfWork
from app.errors import Conflict, DomainError, Invalid, NotFound
from app.interactions.service import interaction_out
from routing import AgentState, Decision
from routing.records import ContactStatus, Route

log = logging.getLogger(__name__)


class ContactCenterService:
    def __init__(
        self,
        center: ContactCenter,
        uow_factory: Callable[[], UnitOfWork],
        projector: InteractionProjector,
        console: ConsoleConfig,
        valuation: Valuation,
        region: str,
        complaint_deadline_hours: float,
        intake: IntakeGate | None = None,
        write_ahead: bool = True,
    ) -> None:
        self.center = center
        self.router = center.router
        self.uow = uow_factory
        self.projector = projector
        self.console = console
        self.valuation = valuation
        self.region = region
        self.complaint_deadline_hours = complaint_deadline_hours
        # Arrivals queue at this door rather than crowd the database and the event loop: when
        # intake is saturated the agents' own commands (accept, end, wrap-up) stay fast.
        self.intake = intake or IntakeGate()
        # The event that ended each contact, so its wrap-up waits for that and no more.
        self._ended_at_seq: dict[str, int] = {}
        # A wrap-up writes its contact's end itself rather than wait for the projector's
        # next batch (off in shared mode, where the lease holder writes the record).
        self.write_ahead = write_ahead

    # --- arrival -------------------------------------------------------------------------
    async def arrive(self, cmd: Arrive, *, refusable: bool = False) -> tuple[ContactOut, bool]:
        """Commit the contact's row, then route it. Returns (contact, created): a repeated
        (source, external_id) returns the contact the first delivery made.

        Waits its turn at the intake door; ``refusable`` (an arrival its sender can retry:
        HTTP, a SIP INVITE, a PBX route request) raises :class:`Overloaded` instead when the
        door's backlog is full."""
        async with self.intake.slot(refusable=refusable):
            return await self._arrive(cmd)

    async def _arrive(self, cmd: Arrive) -> tuple[ContactOut, bool]:
        for attempt in (1, 2):
            try:
                # A known caller's arrival is one INSERT, committed by itself (identify()
                # begins a transaction for a new caller's three).
                async with self.uow().autocommit() as uow:
                    # First: a queue routing does not know yet is read through the session,
                    # which the driver statements below then share.
                    await self._check_queue(uow, cmd.queue)
                    facts = await identify(uow, cmd, self.region)
                    assert facts.customer_id is not None
                    customer_id = int(facts.customer_id)
                    interaction = await open_interaction(uow, cmd, customer_id, self._now())
                    contact = routing_contact(interaction, facts)
                    uow.emit(ev.CONTACT_ARRIVED, _arrived(interaction))
                break
            except IntegrityError:
                # A unique index refused a row another delivery committed first: the same
                # (source, external_id) — its contact is the answer — or the same new
                # caller's identity — once more finds that customer. Checking before
                # inserting would cost every arrival a round trip for the rare repeat.
                if cmd.source and cmd.external_id:
                    existing = await self._by_external_id(cmd.source, cmd.external_id)
                    if existing is not None:
                        return existing, False
                if attempt == 2:
                    raise
        try:
            await self.center.apply(lambda now: self.router.contact_arrived(contact, now))
        except DomainError:
            await self._mark_failed(interaction.id)
            raise
        return self._out(interaction), True

    async def _by_external_id(self, source: str, external_id: str) -> ContactOut | None:
        async with self.uow() as uow:
            found = await InteractionRepository(uow.session).by_external_id(source, external_id)
        return None if found is None else self._out(found)

    async def _check_queue(self, uow: UnitOfWork, name: str) -> None:
        """Known to routing (the usual case, no query), or learnt from the database."""
        if name in self.router.queues:
            return
        queue = await StaffRepository(uow.session).queue_by_name(name)
        if queue is None:
            raise Invalid(f"queue {name!r} does not exist", field="queue")
        if queue.overflow_queue and queue.overflow_queue not in self.router.queues:
            await self._check_queue(uow, queue.overflow_queue)
        self.center.ensure_queue(queue)

    async def _mark_failed(self, interaction_id: int) -> None:
        async with self.uow() as uow:
            failed = await InteractionRepository(uow.session).get(interaction_id)
            if failed is not None:
                failed.status, failed.end_reason, failed.ended_at = "ended", "failed", utcnow()
                failed.ended_by = "system"

    # --- reading -------------------------------------------------------------------------
    async def caught_up(self, timeout: float = 2.0) -> None:  # noqa: ASYNC109
        """Wait (bounded) until the record holds every event routing has published so far:
        a reader sees the effect of what they just did (read-your-writes)."""
        await self.projector.reached(self.center.bus.last_seq, timeout=timeout)

    async def get(self, contact_id: str, lang: str = "en") -> ContactOut:
        key = _int_id(contact_id)
        await self.caught_up()
        async with self.uow() as uow:
            found = await InteractionRepository(uow.session).get(key)
        if found is None:
            raise NotFound(f"contact {contact_id} not found")
        return self._out(found, lang)

    def _out(self, i: Interaction, lang: str = "en") -> ContactOut:
        route = self.router.store.route(str(i.id))
        live = str(route.status) if route is not None else "ended"
        return ContactOut(id=str(i.id), interaction=interaction_out(i, lang), live_status=live)

    # --- offers --------------------------------------------------------------------------
    async def accept(self, cmd: Accept) -> None:
        aid = str(cmd.agent_id)
        await self.center.apply(lambda now: self.router.offer_accepted(cmd.contact_id, aid, now))

    async def reject(self, cmd: Reject) -> None:
        aid, reason = str(cmd.agent_id), cmd.reason
        await self.center.apply(
            lambda now: self.router.offer_rejected(cmd.contact_id, aid, now, reason)
        )

    async def mark_callback(self, cmd: MarkCallback) -> None:
        """The contact, still live in routing, becomes a callback: only its record changes
        (routing keeps its place and age; the screen pop of its offer shows the attributes).
        Conflict when it has already ended."""
        cid = cmd.contact_id
        self._live_route(cid)
        async with self.uow() as uow:
            i = await InteractionRepository(uow.session).get(_int_id(cid), for_update=True)
            if i is None:
                raise NotFound(f"contact {cid} not found")
            # New containers, so the JSON columns are seen to change.
            i.attributes = {
                **i.attributes,
                **cmd.attributes,
                "callback": "requested",
                "callback_number": cmd.number,
            }
            if cmd.path_entry:
                i.ivr_path = [*i.ivr_path, cmd.path_entry]

    # --- ending, wrap-up, notes, transfer ------------------------------------------------
    async def end(self, cmd: End) -> None:
        """Hang-up or chat close from any side; an unanswered contact ends as abandoned."""
        cid = cmd.contact_id

        def call(now: float) -> list[Decision]:
            route = self._live_route(cid)
            if cmd.agent_id is not None:
                self._in_hands(route, cmd.agent_id)
            if cmd.reason == "completed" and route.status is not ContactStatus.ACTIVE:
                raise Invalid(f"contact {cid} was not answered; it can only end as abandoned")
            return self.router.contact_ended(cid, now, cmd.reason or "hangup")

        await self._known(cid)
        events = await self.center.apply(call, ended_by={cid: cmd.by})
        self._ended_at_seq[cid] = events[-1].seq if events else self.center.bus.last_seq
        while len(self._ended_at_seq) > 10_000:  # never wrapped up: forget the oldest
            del self._ended_at_seq[next(iter(self._ended_at_seq))]

    async def end_and_read(self, cmd: End, lang: str = "en") -> ContactOut:
        await self.end(cmd)
        return await self.get(cmd.contact_id, lang)

    async def wrap_up(self, actor: Principal, data: WrapupIn) -> tuple[int, int | None]:
        """Disposition, notes, complaint, callback on the record; the agent moves on."""
        seq = self._ended_at_seq.pop(data.contact_id, None)
        await self._end_on_record(data.contact_id, seq)
        async with self.uow() as uow:
            interaction_id, complaint_id = await save_wrapup(
                uow,
                data,
                actor,
                self.console,
                self.complaint_deadline_hours,
                self.valuation,
                self._now(),
            )
            uow.emit(
                ev.CONTACT_WRAPPED_UP,
                {
                    "contact_id": data.contact_id,
                    "agent_id": str(actor.agent_id),
                    "disposition": data.disposition,
                    "complaint_id": complaint_id,
                },
            )
        aid = str(actor.agent_id)
        record = self.router.store.agent(aid)
        if record is not None and record.presence.state is AgentState.WRAPUP:
            try:
                await self.center.apply(lambda now: self.router.wrapup_done(aid, now))
            except Conflict:
                pass  # the wrap-up timer ended it a moment ago
        return interaction_id, complaint_id

    async def _end_on_record(self, contact_id: str, seq: int | None) -> None:
        """The contact's end must be on the record before its wrap-up. The projector writes
        it with its next batch, which under load is a batch or two away (its transaction's
        round trips, each waiting for a busy event loop): the wrap-up writes this contact's
        events itself instead, from the bus's memory, and waits only when it cannot."""
        if seq is None:  # ended before a restart, or by another process: wait for all
            await self.projector.reached(self.center.bus.last_seq)
            return
        committed = self.projector.committed
        if committed >= seq:
            return
        pending = self.center.bus.since(committed) if self.write_ahead else None
        if pending is not None:
            upto = itertools.takewhile(lambda e: e.seq <= seq, pending)
            if await self.projector.write_ahead(_int_id(contact_id), upto):
                return
        await self.projector.reached(seq)

    async def save_notes(self, cmd: SaveNotes) -> datetime:
        """Notes as the agent types: on the record at once, so a restart keeps them."""
        cid = cmd.contact_id
        route = self.router.store.route(cid)
        live = (
            route is not None
            and route.status is ContactStatus.ACTIVE
            and route.agent_id == str(cmd.agent_id)
        )
        async with self.uow() as uow:
            i = await InteractionRepository(uow.session).get(_int_id(cid), for_update=True)
            in_wrapup = i is not None and i.status == "wrapup" and i.agent_id == cmd.agent_id
            if i is None or not (live or in_wrapup):
                raise NotFound(f"contact {cid} is not in your hands")
            i.notes = cmd.notes
            at = utcnow()
            uow.emit(ev.NOTES_SAVED, {"contact_id": cid, "agent_id": str(cmd.agent_id)})
        return at

    async def save_wrapup_draft(self, cmd: SaveWrapupDraft) -> datetime:
        """The wrap-up form as the agent fills it in, kept on the record (the interaction's
        ``_wrapup_draft`` attribute, and its notes): when the wrap-up time ends unsaved, the
        server saves it as the wrap-up (:class:`app.contacts.wrapup.WrapupCloser`)."""
        cid = cmd.contact_id
        if cmd.disposition and cmd.disposition not in self.console.codes("dispositions"):
            raise Invalid(f"unknown disposition {cmd.disposition!r}", field="disposition")
        # The end must be on the record first (the record says "wrapup" from then on).
        seq = self._ended_at_seq.get(cid)
        await self.projector.reached(self.center.bus.last_seq if seq is None else seq)
        async with self.uow() as uow:
            i = await InteractionRepository(uow.session).get(_int_id(cid), for_update=True)
            if i is None or i.agent_id != cmd.agent_id:
                raise NotFound(f"contact {cid} is not one of yours")
            if i.status != "wrapup":
                raise Conflict(f"contact {cid} is not awaiting its wrap-up (saved, or not ended)")
            at = utcnow()
            draft = {
                "disposition": cmd.disposition,
                "complaint": cmd.complaint,
                "callback_at": cmd.callback_at,
                "task": cmd.task,
                "promise": cmd.promise,
                "saved_at": iso(at),
            }
            # A new dict, so the JSON column is seen to change.
            i.attributes = {**i.attributes, DRAFT_KEY: draft}
            i.notes = cmd.notes
        return at

    async def extend_wrapup(self, cmd: ExtendWrapupTime) -> tuple[float, bool]:
        """More time for the agent's wrap-up, within the maximum: (its new end, whether it
        can be extended again). Conflict when not in wrap-up or already at the maximum."""
        aid = str(cmd.agent_id)
        step = self.router.settings.wrapup_extend_seconds
        seconds = step if cmd.seconds is None else cmd.seconds
        events = await self.center.apply(lambda now: self.router.wrapup_extended(aid, now, seconds))
        extended = next(e.data for e in events if e.name == ev.AGENT_WRAPUP_EXTENDED)
        return extended["wrapup_until"], extended["wrapup_until"] < extended["latest"]

    async def transfer(self, cmd: Transfer) -> ContactOut:
        """The contact leaves this agent (who wraps up their part) and waits in ``queue`` as
        a new leg on the customer's record, linked to the first."""
        cid = cmd.contact_id
        route = self._in_hands(self._live_route(cid), cmd.agent_id)
        if cmd.queue == route.queue:
            raise Invalid(f"contact {cid} is already in queue {cmd.queue!r}", field="queue")
        async with self.uow() as uow:
            await self._check_queue(uow, cmd.queue)
            first = await InteractionRepository(uow.session).get(int(cid))
            if first is None:
                raise NotFound(f"contact {cid} not found")
            leg = await InteractionRepository(uow.session).add(_next_leg(first, cmd, self._now()))
            facts = await routing_customer(uow, first.customer_id)
            assert facts is not None  # the interaction's customer: a foreign key
            contact = routing_contact(leg, facts)
            uow.emit(ev.CONTACT_ARRIVED, _arrived(leg))

        def call(now: float) -> list[Decision]:
            self._in_hands(self._live_route(cid), cmd.agent_id)
            ended = self.router.contact_ended(cid, now, "transferred")
            # Never back to the agent who sent it away (a preference would pick them again).
            arrived = self.router.contact_arrived(contact, now, never_to=[str(cmd.agent_id)])
            return ended + arrived

        moved = {"contact_id": cid, "to_contact_id": str(leg.id), "agent_id": str(cmd.agent_id)}
        moved |= {"from_queue": route.queue, "to_queue": cmd.queue}
        try:
            await self.center.apply(
                call, ended_by={cid: "agent"}, extra=[(ev.CONTACT_TRANSFERRED, moved)]
            )
        except DomainError:
            await self._mark_failed(leg.id)
            raise
        return self._out(leg)

    # --- helpers -------------------------------------------------------------------------
    def _now(self) -> datetime:
        """Routing's clock, so the record and the router agree on when things happened."""
        return datetime.fromtimestamp(self.center.clock(), UTC)

    async def _known(self, contact_id: str) -> None:
        if self.router.store.route(contact_id) is None:
            await self.get(contact_id)  # 404 when unknown
            raise Conflict(f"contact {contact_id} has already ended")

    def _live_route(self, contact_id: str) -> Route:
        route = self.router.store.route(contact_id)
        if route is None:
            raise Conflict(f"contact {contact_id} has already ended or never arrived")
        return route

    @staticmethod
    def _in_hands(route: Route, agent_id: int) -> Route:
        if route.agent_id != str(agent_id) or route.status is not ContactStatus.ACTIVE:
            raise NotFound(f"contact {route.id} is not in your hands")
        return route


def _int_id(contact_id: str) -> int:
    if not contact_id.isdigit() or len(contact_id) > 18:
        raise NotFound(f"contact {contact_id!r} not found")
    return int(contact_id)


def _arrived(i: Interaction) -> dict[str, object]:
    return {
        "contact_id": str(i.id),
        "customer_id": i.customer_id,
        "channel": i.channel,
        "direction": i.direction,
        "queue": i.queue,
        "source": i.source,
        "external_id": i.external_id,
        "created_at": i.created_at.astimezone(UTC).timestamp(),
    }


def _next_leg(first: Interaction, cmd: Transfer, now: datetime) -> Interaction:
    return Interaction(
        customer_id=first.customer_id,
        channel=first.channel,
        direction=first.direction,
        queue=cmd.queue,
        status="queued",
        intent=first.intent,
        from_address=first.from_address,
        ivr_path=list(first.ivr_path),
        attributes={**first.attributes, "_transferred_from": str(first.id)},
        created_at=now,
        language=first.language,
        priority=first.priority,
    )
