"""The 360 view of a customer: record, value, recent contacts, open complaints, satisfaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from app.complaints.schemas import ComplaintOut
from app.complaints.service import to_out as complaint_out
from app.customers.grades import value_out
from app.customers.schemas import CustomerOut
from app.customers.service import to_out
from app.customers.value_schemas import OverrideOut, ValueOut
from app.db.repositories.profiles import ProfileRepository
from app.db.types import utcnow
from app.db.uow import UnitOfWork
from app.errors import NotFound
from app.interactions.schemas import InteractionOut
from app.interactions.service import interaction_out
from app.promises.schemas import PromiseOut
from app.promises.service import to_out as promise_out


class AgentBrief(BaseModel):
    id: int
    display_name: str
    team: str | None


class CustomerProfile(BaseModel):
    customer: CustomerOut
    # Open promises first (docs/promises.md): soonest due first, ``overdue`` past due.
    open_promises: list[PromiseOut] = []
    account_manager: AgentBrief | None
    value: ValueOut | None
    last_interactions: list[InteractionOut]
    interaction_count: int
    open_complaints: list[ComplaintOut]
    average_rating: float | None
    ratings: int


RECENT = 20  # interactions a profile shows
COMPLAINTS = 100  # open complaints a profile shows


async def build_profile(
    uow: UnitOfWork, customer_id: int, lang: str | None = "en", *, with_logs: bool = True
) -> CustomerProfile:
    """The customer's 360 view; reasons and routing logs in words of ``lang``."""
    found = await build_profiles(uow, [customer_id], lang, with_logs=with_logs)
    if customer_id not in found:
        raise NotFound(f"customer {customer_id} not found")
    return found[customer_id]


async def build_profiles(
    uow: UnitOfWork,
    customer_ids: Sequence[int],
    lang: str | None = "en",
    *,
    with_logs: bool = True,
) -> dict[int, CustomerProfile]:
    """The 360 views of these customers (those that exist), with a fixed number of
    statements whatever their number: screen pops are built in batches (app/db/loader.py).
    The offer card shows no routing logs: ``with_logs=False`` neither reads nor renders them.
    ``lang=None``: the value's reasons are left as messages, their texts empty — an offer
    card is put in words where it leaves, in each reader's language (messages.localize)."""
    ids = sorted(set(customer_ids))
    repo = ProfileRepository(uow)  # on the driver; routing logs through the ORM session
    customers, values, overrides, stats, complaining, promised, managers = await repo.cards(ids)
    if not customers:
        return {}
    ids = sorted(customers)
    identities = await repo.identities(ids)
    # A list nobody in the batch has costs no statement: most callers have no open
    # complaint or promise, and a screen pop is read for every offer.
    having = [cid for cid in ids if stats.get(cid, (0,))[0]]
    recent = await repo.recent_interactions(having, RECENT, with_logs=with_logs) if having else {}
    having = [cid for cid in ids if cid in complaining]
    complaints = await repo.open_complaints(having, COMPLAINTS) if having else {}
    having = [cid for cid in ids if cid in promised]
    promises = await repo.open_promises(having) if having else {}
    # Staff are named, not numbered. Account managers come with the customers, and a card's
    # recent contacts with their agents' names; the rest — the agents of a full profile's
    # contacts, the owners of open complaints and promises — in one more statement, only
    # when there are any.
    staff = {c.owner_id for rows in complaints.values() for c in rows}
    staff |= {p.owner_id for rows in promises.values() for p in rows}
    if with_logs:
        staff |= {i.agent_id for rows in recent.values() for i in rows}
    staff_ids = sorted(a for a in staff if a is not None)
    agents = await repo.agents(staff_ids) if staff_ids else {}
    names = {agent_id: row.display_name for agent_id, row in agents.items()}
    names |= {m.id: m.display_name for m in managers.values()}
    profiles = {}
    now = utcnow()
    for cid, customer in customers.items():
        count, avg, rated = stats.get(cid, (0, None, 0))
        manager = managers.get(cid)
        profiles[cid] = CustomerProfile(
            customer=to_out(customer, identities.get(cid, [])),
            open_promises=[promise_out(p, now, names) for p in promises.get(cid, [])],
            account_manager=AgentBrief.model_validate(manager._mapping) if manager else None,
            value=_value(values.get(cid), overrides.get(cid), lang),
            last_interactions=[
                interaction_out(i, lang or "en", names) if with_logs else _without_log(i)
                for i in recent.get(cid, [])
            ],
            interaction_count=count,
            open_complaints=[complaint_out(c, names=names) for c in complaints.get(cid, [])],
            average_rating=round(avg, 2) if avg is not None else None,
            ratings=rated,
        )
    return profiles


def _value(row: Any, override: Any, lang: str | None) -> ValueOut | None:
    """``row``, ``override``: rows of :class:`CustomerValueRow`, :class:`GradeOverrideRow`."""
    if row is None:
        return None
    out = value_out(row, lang)
    out.override = OverrideOut.model_validate(override) if override else None
    return out


def _without_log(row: Any) -> InteractionOut:
    fields = dict(row._mapping) | {"routing_explanation": [], "transcript": []}
    return InteractionOut.model_validate(fields)
