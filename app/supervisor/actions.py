"""What a supervisor does to the floor (issue 11, "Actions"), each audited.

So far: set an agent's state — a break with a reason, offline, or back to available — as
the agent could from the console (the agent's console follows, ``agent.state_changed``); and
withdraw an open offer (the agent's card goes, the contact keeps its place in the queue and
the withdrawal is on its routing log with the supervisor's name); raise a waiting contact's
priority (on its routing log as an ``escalated`` entry whose reason names the supervisor);
move a waiting contact to another queue (a ``queued`` entry that says who moved it whence);
offer a waiting contact to a named agent (an ``offered`` entry naming the supervisor); call
back a contact abandoned today (a new outbound voice contact, routed like any other).

Each writes its audit entry and applies its change in one transaction: the change is applied
last, and a refusal rolls the entry back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.audit import record_audit
from app.auth.tokens import Principal
from app.contacts.center import ContactCenter
from app.contacts.commands import Arrive
from app.contacts.console_config import ConsoleConfig
from app.contacts.presence import Presence
from app.contacts.service import ContactCenterService
from app.db.repositories.staff import StaffRepository
from app.db.repositories.supervisor import CALLBACK_SOURCE, UNANSWERED_ENDS, SupervisorRepository
from app.db.uow import UnitOfWork
from app.errors import Conflict, Invalid, NotFound

STATES = ("available", "break", "offline")


async def set_agent_state(
    uow: UnitOfWork,
    presence: Presence,
    console: ConsoleConfig,
    actor: Principal,
    agent_id: int,
    state: str,
    reason: str | None,
) -> dict[str, Any]:
    """Put a signed-in agent on ``state``; refused (409) for one who is not signed in — a
    supervisor cannot sign somebody in — and when routing refuses it (offline with a live
    contact). The audit entry and the change stand or fall together: the change is applied
    last in the transaction, and a refusal rolls the entry back."""
    if state not in STATES:
        raise Invalid(f"state: one of {', '.join(STATES)}", field="state")
    if state == "break":
        reasons = console.codes("break_reasons")
        if reason not in reasons:
            raise Invalid(
                f"a break needs a reason: one of {', '.join(sorted(reasons))}", field="reason"
            )
    elif reason is not None:
        raise Invalid("reason: only a break has a reason", field="reason")
    async with uow:
        agent = await StaffRepository(uow.session).get_agent(agent_id)
        if agent is None or not agent.active:
            raise NotFound(f"agent {agent_id} not found")
        record = presence.center.router.store.agent(str(agent_id))
        if record is None or not record.presence.logged_in:
            raise Conflict(f"agent {agent_id} is not signed in: only they can sign in")
        before = str(record.presence.state)
        detail = {"from": before, "to": state, "reason": reason}
        await record_audit(uow, actor, "supervisor.agent_state", "agent", agent_id, detail)
        await uow.session.flush()  # the entry is written before the change is made
        await presence.set_state(agent, state, reason)
    after = presence.center.router.store.agent(str(agent_id))
    p = after.presence if after is not None else None
    return {
        "agent_id": agent_id,
        "state": str(p.state) if p is not None else "offline",
        "reason": p.reason if p is not None else None,
        "pending_break": p.pending_break if p is not None else None,
    }


async def withdraw_offer(
    uow: UnitOfWork, center: ContactCenter, actor: Principal, contact_id: int
) -> dict[str, Any]:
    """Take back the open offer of a waiting contact (409 when it has none: answered,
    expired, rejected or never made; 404 when routing does not know the contact)."""
    cid = str(contact_id)
    router = center.router
    async with uow:
        me = await StaffRepository(uow.session).get_agent(actor.agent_id)
        by = me.display_name if me is not None else actor.username
        offer = router.store.offer(cid)
        if router.store.route(cid) is None:
            raise NotFound(f"contact {contact_id} is not waiting (ended, or never routed)")
        if offer is None:
            raise Conflict(f"contact {contact_id} has no open offer to withdraw")
        detail = {"agent_id": int(offer.agent_id)}
        await record_audit(uow, actor, "supervisor.offer_withdrawn", "contact", cid, detail)
        await uow.session.flush()
        await center.apply(lambda now: router.offer_withdrawn(cid, now, by))
    return {"contact_id": cid, "withdrawn_from": int(offer.agent_id)}


async def raise_priority(
    uow: UnitOfWork, center: ContactCenter, actor: Principal, contact_id: int, points: float
) -> dict[str, Any]:
    """Move a waiting (or ringing) contact up its queue by ``points`` of priority (404
    when routing does not hold it, 409 once an agent has it)."""
    cid = str(contact_id)
    router = center.router
    async with uow:
        me = await StaffRepository(uow.session).get_agent(actor.agent_id)
        by = me.display_name if me is not None else actor.username
        route = router.store.route(cid)
        if route is None:
            raise NotFound(f"contact {contact_id} is not waiting (ended, or never routed)")
        if str(route.status) == "active":
            raise Conflict(f"contact {contact_id} is with an agent already")
        detail = {"points": points, "base_before": route.base}
        await record_audit(uow, actor, "supervisor.priority_raised", "contact", cid, detail)
        await uow.session.flush()
        events = await center.apply(lambda now: router.priority_raised(cid, points, now, by))
    explained = next((e.data["explanation"] for e in events if e.name == "contact.escalated"), {})
    return {"contact_id": cid, "priority": explained.get("priority")}


async def move_contact(
    uow: UnitOfWork, center: ContactCenter, actor: Principal, contact_id: int, queue: str
) -> dict[str, Any]:
    """Move a waiting (or ringing: the offer is withdrawn) contact to ``queue`` (404 when
    routing does not hold it, 409 once an agent has it, 422 for an unknown queue or its own)."""
    cid = str(contact_id)
    router = center.router
    async with uow:
        me = await StaffRepository(uow.session).get_agent(actor.agent_id)
        by = me.display_name if me is not None else actor.username
        route = router.store.route(cid)
        if route is None:
            raise NotFound(f"contact {contact_id} is not waiting (ended, or never routed)")
        if str(route.status) == "active":
            raise Conflict(f"contact {contact_id} is with an agent already")
        if queue not in router.queues:
            raise Invalid(f"queue: no queue named {queue!r}", field="queue")
        if queue == route.queue:
            raise Invalid(f"queue: contact {contact_id} waits in {queue!r} already", field="queue")
        detail = {"from": route.queue, "to": queue}
        await record_audit(uow, actor, "supervisor.contact_moved", "contact", cid, detail)
        await uow.session.flush()
        await center.apply(lambda now: router.contact_moved(cid, queue, now, by))
    return {"contact_id": cid, "from_queue": detail["from"], "queue": queue}


async def offer_to_agent(
    uow: UnitOfWork, center: ContactCenter, actor: Principal, contact_id: int, agent_id: int
) -> dict[str, Any]:
    """Offer a waiting contact to ``agent_id`` whatever its step allows (404 for a contact
    routing does not hold or an unknown agent, 409 when an agent has the contact, or the
    named one is not signed in or cannot take it now). An open offer to another agent is
    withdrawn first."""
    cid, aid = str(contact_id), str(agent_id)
    router = center.router
    async with uow:
        staff = StaffRepository(uow.session)
        me = await staff.get_agent(actor.agent_id)
        by = me.display_name if me is not None else actor.username
        route = router.store.route(cid)
        if route is None:
            raise NotFound(f"contact {contact_id} is not waiting (ended, or never routed)")
        if str(route.status) == "active":
            raise Conflict(f"contact {contact_id} is with an agent already")
        agent = await staff.get_agent(agent_id)
        if agent is None or not agent.active:
            raise NotFound(f"agent {agent_id} not found")
        record = router.store.agent(aid)
        if record is None or not record.presence.logged_in:
            raise Conflict(f"agent {agent_id} is not signed in")
        offer = router.store.offer(cid)
        before = int(offer.agent_id) if offer is not None else None
        detail = {"agent_id": agent_id, "withdrawn_from": before}
        await record_audit(uow, actor, "supervisor.offer_directed", "contact", cid, detail)
        await uow.session.flush()
        await center.apply(lambda now: router.offer_directed(cid, aid, now, by))
    return {"contact_id": cid, "agent_id": agent_id, "withdrawn_from": before}


async def call_back(
    uow_factory: Callable[[], UnitOfWork],
    contacts: ContactCenterService,
    actor: Principal,
    contact_id: int,
) -> dict[str, Any]:
    """Call back a contact that was abandoned (or timed out): a new outbound voice contact for
    the same customer, in the queue they gave up on, routed like any contact; its attributes
    say whose callback it is (``callback: abandoned``, ``callback_of``, ``callback_number``,
    ``callback_by``). Idempotent: its (source, external id) is ("callback", the abandoned
    contact's id), so a second click finds the first callback (``created`` false) and is not
    audited again. 404 for no such contact; 409 for one that was answered, is still live, or
    has no phone number to call.

    The arrival is the service's own transaction; then the audit entry
    (``supervisor.callback``) is written in one more: a refused arrival leaves no entry."""
    async with uow_factory() as uow:
        repo = SupervisorRepository(uow.session)
        row = await repo.abandoned_contact(contact_id)
        me = await StaffRepository(uow.session).get_agent(actor.agent_id)
    by = me.display_name if me is not None else actor.username
    if row is None:
        raise NotFound(f"contact {contact_id} not found")
    if row.answered_at is not None:
        raise Conflict(f"contact {contact_id} was answered: there is nothing to call back")
    if row.ended_at is None:
        raise Conflict(f"contact {contact_id} is still live: it has not been abandoned")
    if row.end_reason not in UNANSWERED_ENDS:
        raise Conflict(f"contact {contact_id} ended ({row.end_reason}), it was not abandoned")
    if row.customer_id is None or not row.queue:
        raise Conflict(f"contact {contact_id} has no customer or queue to call back for")
    number = row.phone or (row.from_address if "@" not in (row.from_address or "@") else None)
    if not number:
        raise Conflict(f"contact {contact_id}: the customer has no phone number to call")
    contact, created = await contacts.arrive(
        Arrive(
            channel="voice",
            queue=row.queue,
            customer_id=row.customer_id,
            intent="callback",
            language=row.language,
            attributes={
                "callback": "abandoned",
                "callback_of": str(contact_id),
                "callback_number": number,
                "callback_by": by,
            },
            source=CALLBACK_SOURCE,
            external_id=str(contact_id),
            direction="outbound",  # the centre calls out
        )
    )
    if created:
        async with uow_factory() as uow:
            detail = {"callback_id": str(contact.id), "queue": row.queue}
            await record_audit(
                uow, actor, "supervisor.callback", "contact", str(contact_id), detail
            )
    return {
        "contact_id": str(contact.id),
        "callback_of": str(contact_id),
        "queue": row.queue,
        "number": number,
        "created": created,
    }
