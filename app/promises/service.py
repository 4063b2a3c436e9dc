"""Recording and settling promises; the commands of docs/promises.md.

Each function runs inside the caller's unit of work (the entry point commits); events are
emitted on it and published only once it commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Protocol

from app.audit import record_audit
from app.auth.tokens import Principal
from app.db.models import Interaction, Promise
from app.db.models.promises import BROKEN, KEPT, OPEN
from app.db.repositories.customers import CustomerRepository
from app.db.repositories.profiles import ProfileRepository
from app.db.repositories.promises import PromiseRepository
from app.db.repositories.staff import StaffRepository
from app.db.uow import UnitOfWork
from app.errors import Conflict, Invalid, NotFound
from app.events import names as ev
from app.promises.schemas import PromiseIn, PromiseOut


class Regrader(Protocol):
    """Customer valuation's incremental regrade (app.customers.valuation.Valuation is one);
    not imported, so the customers package (whose profile shows promises) stays above."""

    async def regrade(self, uow: UnitOfWork, customer_id: int) -> None: ...


def to_out(p: Promise, now: datetime, names: Mapping[int, str] | None = None) -> PromiseOut:
    """The promise as the API and the screen pop show it; ``overdue``: open past due."""
    out = PromiseOut.model_validate(p)
    out.overdue = p.status == OPEN and p.due_at < now
    out.owner_name = (names or {}).get(p.owner_id) if p.owner_id is not None else None
    return out


async def owner_names(uow: UnitOfWork, promises: Iterable[Promise]) -> dict[int, str]:
    ids = sorted({p.owner_id for p in promises if p.owner_id is not None})
    if not ids:
        return {}
    agents = await ProfileRepository(uow.session).agents(ids)
    return {agent_id: row.display_name for agent_id, row in agents.items()}


def event_data(p: Promise) -> dict[str, object]:
    """The payload every promise event carries (docs/events.md)."""
    return {
        "promise_id": p.id,
        "customer_id": p.customer_id,
        "owner_id": None if p.owner_id is None else str(p.owner_id),
        "due_at": p.due_at.timestamp(),
    }


async def make_promise(
    uow: UnitOfWork,
    customer_id: int,
    data: PromiseIn,
    actor: Principal | None,
    now: datetime,
) -> PromiseOut:
    """Record a promise to the customer; its owner is ``data.owner_id`` or the actor."""
    if await CustomerRepository(uow.session).get(customer_id) is None:
        raise NotFound(f"customer {customer_id} not found")
    if data.interaction_id is not None:
        interaction = await uow.session.get(Interaction, data.interaction_id)
        if interaction is None or interaction.customer_id != customer_id:
            raise Invalid(
                f"interaction {data.interaction_id} is not on customer {customer_id}",
                field="interaction_id",
            )
    owner_id = data.owner_id if data.owner_id is not None else (actor.agent_id if actor else None)
    if owner_id is not None:
        owner = await StaffRepository(uow.session).get_agent(owner_id)
        if owner is None or not owner.active:
            raise Invalid(f"owner {owner_id} is not an active agent", field="owner_id")
    promise = Promise(
        customer_id=customer_id,
        interaction_id=data.interaction_id,
        text=data.text,
        due_at=data.due_at.astimezone(UTC),
        owner_id=owner_id,
        created_by_id=actor.agent_id if actor else None,
        status=OPEN,
        created_at=now,
        updated_at=now,
    )
    await PromiseRepository(uow.session).add(promise)
    await record_audit(
        uow, actor, "promise.make", "promise", promise.id, {"customer_id": customer_id}
    )
    uow.emit(ev.PROMISE_MADE, event_data(promise))
    return to_out(promise, now, await owner_names(uow, [promise]))


async def settle_promise(
    uow: UnitOfWork,
    promise_id: int,
    status: str,
    actor: Principal,
    now: datetime,
    note: str = "",
    valuation: Regrader | None = None,
) -> PromiseOut:
    """Mark an open promise kept or broken (once: a settled promise is a 409). A broken one
    raises the customer's churn risk: the customer is regraded in this transaction."""
    if status not in (KEPT, BROKEN):
        raise Invalid(f"a promise is settled kept or broken, not {status}", field="status")
    repo = PromiseRepository(uow.session)
    promise = await repo.get(promise_id)
    if promise is None:
        raise NotFound(f"promise {promise_id} not found")
    if not await repo.settle(promise_id, status, now):
        raise Conflict(f"promise {promise_id} is {promise.status} already", status=promise.status)
    await uow.session.refresh(promise)
    await record_audit(
        uow,
        actor,
        f"promise.{status}",
        "promise",
        promise_id,
        {"customer_id": promise.customer_id, "note": note} if note else None,
    )
    uow.emit(ev.PROMISE_KEPT if status == KEPT else ev.PROMISE_BROKEN, event_data(promise))
    if valuation is not None:
        await valuation.regrade(uow, promise.customer_id)
    return to_out(promise, now, await owner_names(uow, [promise]))


async def list_promises(uow: UnitOfWork, customer_id: int, now: datetime) -> list[PromiseOut]:
    """The customer's promises: open ones first (soonest due first), then settled ones."""
    if await CustomerRepository(uow.session).get(customer_id) is None:
        raise NotFound(f"customer {customer_id} not found")
    rows = await PromiseRepository(uow.session).for_customer(customer_id)
    open_rows = sorted((p for p in rows if p.status == OPEN), key=lambda p: (p.due_at, p.id))
    settled = [p for p in rows if p.status != OPEN]
    names = await owner_names(uow, rows)
    return [to_out(p, now, names) for p in open_rows + settled]
