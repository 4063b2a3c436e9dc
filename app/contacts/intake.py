"""A contact arrives: find (or create) its customer, open the interaction, gather routing facts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.contacts.commands import Arrive
from app.customers.identity import normalise_identity
from app.db.models import Customer, Interaction
from app.db.repositories.intake import IntakeRepository
from app.db.repositories.interactions import InteractionRepository
from app.db.uow import UnitOfWork
from app.errors import Invalid
from routing import Contact
from routing import Customer as RoutingCustomer


async def identify(uow: UnitOfWork, data: Arrive, region: str) -> RoutingCustomer:
    """By customer id, phone or e-mail, with what routing needs to know of them (one round
    trip); an unknown caller becomes a prospect customer, who has no history yet."""
    repo = IntakeRepository(uow)
    if data.customer_id is not None:
        found = await repo.caller_by_id(data.customer_id)
        if found is None:
            raise Invalid(f"customer {data.customer_id} does not exist", field="customer_id")
        return _facts(found)
    if not data.from_:
        raise Invalid("a contact needs `from` (phone or e-mail) or `customer_id`", field="from")
    kind = "email" if "@" in data.from_ else "phone"
    value = normalise_identity(kind, data.from_, region)
    found = await repo.caller_by_identity(kind, value)
    if found is not None:
        return _facts(found)
    # A new caller's customer, identity and interaction are written together.
    await uow.begin()
    prospect = await repo.add_prospect(
        Customer(
            name=data.name or value,
            language=data.language or "zh",
            is_prospect=True,
            attributes={"source": data.channel},
        ),
        kind,
        value,
    )
    return RoutingCustomer(customer_id=str(prospect.id))


async def open_interaction(
    uow: UnitOfWork, data: Arrive, customer_id: int, now: datetime
) -> Interaction:
    """The contact's row, before it is routed: an offer never names a contact the record
    lacks, and a restart finds what it needs to put the contact back in its place."""
    return await InteractionRepository(uow).open(
        Interaction(
            customer_id=customer_id,
            channel=data.channel,
            direction=data.direction,
            queue=data.queue,
            status="queued",
            intent=data.intent,
            from_address=data.from_,
            ivr_path=list(data.ivr_path),
            attributes=dict(data.attributes),
            created_at=now,
            source=data.source,
            external_id=data.external_id,
            language=data.language,
            priority=data.priority,
        )
    )


async def routing_customer(uow: UnitOfWork, customer_id: int) -> RoutingCustomer | None:
    """What the policy matches on (None: no such customer)."""
    found = await IntakeRepository(uow).caller_by_id(customer_id)
    return None if found is None else _facts(found)


def _facts(row: Any) -> RoutingCustomer:
    """Grade, lifecycle, churn, manager, last agent, complaint: from
    :class:`IntakeRepository`'s row."""
    # SQLite hands the flag back as 0/1; None: no account manager.
    manager_left = row.account_manager_id is not None and row.manager_active in (False, 0)
    return RoutingCustomer(
        customer_id=str(row.id),
        grade=row.grade,
        lifecycle=row.lifecycle,
        churn_risk=row.churn_risk,
        # A deactivated account manager routes as their team (docs/promises.md).
        account_manager_agent_id=None if manager_left else _sid(row.account_manager_id),
        account_manager_team=row.manager_team if manager_left else None,
        last_agent_id=_sid(row.last_agent),
        last_contact_at=row.last_at.timestamp() if row.last_at else None,
        open_complaint_owner_id=_sid(row.complaint_owner),
        has_open_complaint=bool(row.has_complaint),
    )


def _sid(agent_id: int | None) -> str | None:
    return None if agent_id is None else str(agent_id)


def routing_contact(interaction: Interaction, customer: RoutingCustomer) -> Contact:
    attrs = {k: str(v) for k, v in interaction.attributes.items() if not k.startswith("_")}
    return Contact(
        id=str(interaction.id),
        channel=interaction.channel,
        queue=interaction.queue or "",
        created_at=interaction.created_at.timestamp(),
        customer=customer,
        language=interaction.language,
        base_priority=interaction.priority,
        intent=interaction.intent,
        attributes=attrs,
    )
