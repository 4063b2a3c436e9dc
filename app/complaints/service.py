"""Complaints: recorded with a deadline, moved through their lifecycle with a note each time."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from app.audit import record_audit
from app.auth.tokens import Principal
from app.complaints.lifecycle import OPEN_STATUSES, IllegalTransition, next_status
from app.complaints.schemas import (
    ComplaintCreate,
    ComplaintOut,
    ComplaintTransitionIn,
    TransitionOut,
)
from app.db.models import Complaint, ComplaintTransition, Interaction
from app.db.repositories.complaints import ComplaintRepository
from app.db.repositories.customers import CustomerRepository
from app.db.repositories.profiles import ProfileRepository
from app.db.repositories.staff import StaffRepository
from app.db.types import utcnow
from app.db.uow import UnitOfWork
from app.errors import Conflict, Invalid, NotFound
from app.events import names as ev


class Regrader(Protocol):
    """What complaints need from customer valuation: regrade one customer, in this transaction.

    :class:`app.customers.valuation.Valuation` is one; complaints do not import it, so the
    customers package (whose profile shows complaints) stays above this one.
    """

    async def regrade(self, uow: UnitOfWork, customer_id: int) -> None: ...


def _target(complaint: Complaint, action: str) -> str:
    """Where `action` takes the complaint, or the 409 saying which actions its status allows."""
    try:
        return next_status(complaint.status, action)
    except IllegalTransition as exc:
        raise Conflict(str(exc), status=complaint.status) from exc


def to_out(
    c: Complaint,
    history: Sequence[ComplaintTransition] = (),
    now: datetime | None = None,
    names: Mapping[int, str] | None = None,
) -> ComplaintOut:
    """The complaint as the API shows it; ``names`` (agent id -> display name, see
    :func:`owner_names`) names its owner."""
    now = now or utcnow()
    fields = {k: getattr(c, k) for k in ComplaintOut.model_fields if hasattr(c, k)}
    fields["overdue"] = c.status in OPEN_STATUSES and c.due_at < now
    fields["first_answer_overdue"] = (
        c.status in OPEN_STATUSES
        and c.first_answered_at is None
        and c.first_answer_due_at is not None
        and c.first_answer_due_at < now
    )
    fields["owner_name"] = (names or {}).get(c.owner_id) if c.owner_id is not None else None
    fields["history"] = [TransitionOut.model_validate(h) for h in history]
    return ComplaintOut.model_validate(fields)


async def owner_names(uow: UnitOfWork, complaints: Iterable[Complaint]) -> dict[int, str]:
    """Display names of these complaints' owners, in one statement (none without owners)."""
    ids = sorted({c.owner_id for c in complaints if c.owner_id is not None})
    if not ids:
        return {}
    agents = await ProfileRepository(uow.session).agents(ids)
    return {agent_id: row.display_name for agent_id, row in agents.items()}


async def _check_owner(uow: UnitOfWork, owner_id: int | None) -> None:
    if owner_id is not None and await StaffRepository(uow.session).get_agent(owner_id) is None:
        raise Invalid(f"owner {owner_id} is not an agent", field="owner_id")


async def open_complaint(
    uow: UnitOfWork,
    data: ComplaintCreate,
    actor: Principal | None,
    deadline_hours: float,
    now: datetime | None = None,
    valuation: Regrader | None = None,
    first_answer_hours: float = 24.0,
) -> ComplaintOut:
    """Record a complaint (or suggestion, or request) owed a first answer within
    ``first_answer_hours`` (never later than its resolution deadline) and a resolution
    within ``deadline_hours``."""
    now = now or utcnow()
    if await CustomerRepository(uow.session).get(data.customer_id) is None:
        raise Invalid(f"customer {data.customer_id} does not exist", field="customer_id")
    if data.interaction_id is not None:
        interaction = await uow.session.get(Interaction, data.interaction_id)
        if interaction is None or interaction.customer_id != data.customer_id:
            raise Invalid(
                f"interaction {data.interaction_id} is not on customer {data.customer_id}",
                field="interaction_id",
            )
    await _check_owner(uow, data.owner_id)
    owner = data.owner_id if data.owner_id is not None else (actor.agent_id if actor else None)
    complaint = Complaint(
        **data.model_dump(exclude={"owner_id"}),
        owner_id=owner,
        status="open",
        due_at=now + timedelta(hours=deadline_hours),
        first_answer_due_at=now + timedelta(hours=min(first_answer_hours, deadline_hours)),
        created_at=now,
        updated_at=now,
    )
    repo = ComplaintRepository(uow.session)
    await repo.add(complaint)
    first = ComplaintTransition(
        complaint_id=complaint.id,
        from_status=None,
        to_status="open",
        note=data.description[:500],
        actor_id=actor.agent_id if actor else None,
        at=now,
    )
    await repo.add_transition(first)
    await record_audit(uow, actor, "complaint.open", "complaint", complaint.id)
    if valuation is not None:  # an open complaint raises churn risk
        await valuation.regrade(uow, data.customer_id)
    return to_out(complaint, [first], now, await owner_names(uow, [complaint]))


async def get_complaint(uow: UnitOfWork, complaint_id: int) -> ComplaintOut:
    repo = ComplaintRepository(uow.session)
    complaint = await repo.get(complaint_id)
    if complaint is None:
        raise NotFound(f"complaint {complaint_id} not found")
    history = (await repo.transitions([complaint_id]))[complaint_id]
    return to_out(complaint, history, names=await owner_names(uow, [complaint]))


async def transition_complaint(
    uow: UnitOfWork,
    complaint_id: int,
    data: ComplaintTransitionIn,
    actor: Principal,
    deadline_hours: float,
    valuation: Regrader | None = None,
) -> ComplaintOut:
    now = utcnow()
    repo = ComplaintRepository(uow.session)
    complaint = await repo.get(complaint_id)
    if complaint is None:
        raise NotFound(f"complaint {complaint_id} not found")
    previous = complaint.status
    target = _target(complaint, data.action)
    if data.action == "resolve" and not data.resolution:
        raise Invalid("resolving a complaint needs a resolution", field="resolution")
    await _check_owner(uow, data.owner_id)
    values: dict[str, Any] = {"status": target, "updated_at": now}
    if data.owner_id is not None:
        values["owner_id"] = data.owner_id
    if data.action == "acknowledge":
        values["acknowledged_at"] = now
    if complaint.first_answered_at is None and data.action in ("acknowledge", "start", "resolve"):
        # Any move forward answers the customer; the first one stops the first-answer clock.
        values["first_answered_at"] = now
    if data.action == "resolve":
        values["resolved_at"], values["resolution"] = now, data.resolution
    elif data.action == "reopen":
        values["reopen_count"] = Complaint.reopen_count + 1
        values["resolved_at"] = None
        values["due_at"] = now + timedelta(hours=deadline_hours)
    # Lands only if nobody moved the complaint since it was read; the loser of a race is told
    # where the winner left it (nothing of the loser's is written: no history, no audit).
    if not await repo.move(complaint_id, previous, values):
        current = await repo.get(complaint_id, fresh=True)
        if current is None:
            raise NotFound(f"complaint {complaint_id} not found")
        _target(current, data.action)  # the 409 naming the status it is in now
        raise Conflict(
            f"complaint {complaint_id} was moved to {current.status} while this request "
            "ran; read it again",
            status=current.status,
        )
    complaint = await repo.get(complaint_id, fresh=True)  # as moved, reopen_count and all
    if complaint is None:  # it was moved in this transaction; nothing deletes it here
        raise NotFound(f"complaint {complaint_id} not found")
    step = ComplaintTransition(
        complaint_id=complaint_id,
        from_status=previous,
        to_status=target,
        note=data.note,
        actor_id=actor.agent_id,
        at=now,
    )
    await repo.add_transition(step)
    await record_audit(
        uow, actor, f"complaint.{data.action}", "complaint", complaint_id, {"from": previous}
    )
    uow.emit(
        ev.COMPLAINT_CHANGED,
        {
            "complaint_id": complaint_id,
            "customer_id": complaint.customer_id,
            "from_status": previous,
            "status": target,
            "action": data.action,
            "owner_id": None if complaint.owner_id is None else str(complaint.owner_id),
        },
    )
    if valuation is not None and (previous in OPEN_STATUSES) != (target in OPEN_STATUSES):
        await valuation.regrade(uow, complaint.customer_id)
    history = (await repo.transitions([complaint_id]))[complaint_id]
    return to_out(complaint, history, now, await owner_names(uow, [complaint]))


async def list_complaints(
    uow: UnitOfWork,
    *,
    customer_id: int | None,
    status: Sequence[str] | None,
    owner_id: int | None,
    severity: str | None,
    category: str | None,
    overdue: bool,
    limit: int,
    offset: int,
) -> tuple[list[ComplaintOut], int]:
    now = utcnow()
    rows, total = await ComplaintRepository(uow.session).search(
        customer_id=customer_id,
        status=status,
        owner_id=owner_id,
        severity=severity,
        category=category,
        overdue_at=now if overdue else None,
        limit=limit,
        offset=offset,
    )
    names = await owner_names(uow, rows)
    customers = await ProfileRepository(uow.session).customers(
        sorted({c.customer_id for c in rows})
    )
    out = [to_out(c, (), now, names) for c in rows]
    for item in out:
        customer = customers.get(item.customer_id)
        item.customer_name = customer.name if customer is not None else None
    return out, total
