"""A contact arrives: find (or create) its customer, open the interaction, gather routing facts."""

from __future__ import annotations

from datetime import datetime

from app.contacts.commands import Arrive
from app.customers.identity import normalise_identity
from app.db.models import Customer, CustomerIdentity, Interaction
from app.db.repositories.complaints import ComplaintRepository
from app.db.repositories.customers import CustomerRepository
from app.db.repositories.interactions import InteractionRepository
from app.db.repositories.values import ValueRepository
from app.db.uow import UnitOfWork
from app.errors import Invalid
from routing import Contact
from routing import Customer as RoutingCustomer


async def identify(uow: UnitOfWork, data: Arrive, region: str) -> Customer:
    """By customer id, phone or e-mail; an unknown caller becomes a prospect customer."""
    repo = CustomerRepository(uow.session)
    if data.customer_id is not None:
        found = await repo.get(data.customer_id)
        if found is None:
            raise Invalid(f"customer {data.customer_id} does not exist", field="customer_id")
        return found
    if not data.from_:
        raise Invalid("a contact needs `from` (phone or e-mail) or `customer_id`", field="from")
    kind = "email" if "@" in data.from_ else "phone"
    value = normalise_identity(kind, data.from_, region)
    found = await repo.find_by_identity(kind, value)
    if found is not None:
        return found
    prospect = await repo.add(
        Customer(
            name=data.name or value,
            language=data.language or "zh",
            is_prospect=True,
            attributes={"source": data.channel},
        )
    )
    uow.session.add(CustomerIdentity(customer_id=prospect.id, kind=kind, value=value))
    await uow.session.flush()
    return prospect


async def open_interaction(
    uow: UnitOfWork, data: Arrive, customer: Customer, now: datetime
) -> Interaction:
    """The contact's row, before it is routed: an offer never names a contact the record
    lacks, and a restart finds what it needs to put the contact back in its place."""
    return await InteractionRepository(uow.session).add(
        Interaction(
            customer_id=customer.id,
            channel=data.channel,
            direction="inbound",
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


async def routing_customer(uow: UnitOfWork, customer: Customer) -> RoutingCustomer:
    """What the policy matches on: grade, lifecycle, churn, manager, last agent, complaint."""
    value = await ValueRepository(uow.session).get(customer.id)
    last = await InteractionRepository(uow.session).last_served(customer.id)
    complaint = await ComplaintRepository(uow.session).oldest_open(customer.id)
    last_at = last.answered_at if last else None
    return RoutingCustomer(
        customer_id=str(customer.id),
        grade=value.grade if value else None,
        lifecycle=value.lifecycle if value else None,
        churn_risk=value.churn_risk if value else None,
        account_manager_agent_id=_sid(customer.account_manager_id),
        last_agent_id=_sid(last.agent_id) if last else None,
        last_contact_at=last_at.timestamp() if last_at else None,
        open_complaint_owner_id=_sid(complaint.owner_id) if complaint else None,
        has_open_complaint=complaint is not None,
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
