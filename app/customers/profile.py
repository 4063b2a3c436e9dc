"""The 360 view of a customer: record, value, recent contacts, open complaints, satisfaction."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from app.complaints.schemas import ComplaintOut
from app.complaints.service import to_out as complaint_out
from app.customers.grades import value_of
from app.customers.schemas import CustomerOut
from app.customers.service import get_customer, load_out
from app.customers.value_schemas import ValueOut
from app.db.repositories.complaints import ComplaintRepository
from app.db.repositories.customers import CustomerRepository
from app.db.repositories.interactions import InteractionRepository
from app.db.repositories.staff import StaffRepository
from app.db.uow import UnitOfWork
from app.interactions.schemas import InteractionOut
from app.interactions.service import interaction_out


class AgentBrief(BaseModel):
    id: int
    display_name: str
    team: str | None


class CustomerProfile(BaseModel):
    customer: CustomerOut
    account_manager: AgentBrief | None
    value: ValueOut | None
    last_interactions: list[InteractionOut]
    interaction_count: int
    open_complaints: list[ComplaintOut]
    average_rating: float | None
    ratings: int


async def build_profile(
    uow: UnitOfWork, customer_id: int, lang: str = "en", *, with_logs: bool = True
) -> CustomerProfile:
    """The customer's 360 view; reasons and routing logs in words of ``lang``."""
    customer = await get_customer(uow, customer_id)
    interactions, count = await InteractionRepository(uow.session).for_customer(customer_id)
    complaints = await ComplaintRepository(uow.session).open_for_customer(customer_id)
    avg, n = await InteractionRepository(uow.session).rating_summary(customer_id)
    manager = None
    if customer.account_manager_id is not None:
        agent = await StaffRepository(uow.session).get_agent(customer.account_manager_id)
        if agent is not None:
            manager = AgentBrief(id=agent.id, display_name=agent.display_name, team=agent.team)
    return CustomerProfile(
        customer=await load_out(CustomerRepository(uow.session), customer),
        account_manager=manager,
        value=await value_of(uow, customer_id, lang),
        # The offer card shows no routing logs: it skips rendering them (with_logs=False).
        last_interactions=[
            interaction_out(i, lang) if with_logs else _without_log(i) for i in interactions
        ],
        interaction_count=count,
        open_complaints=[complaint_out(c) for c in complaints],
        average_rating=round(avg, 2) if avg is not None else None,
        ratings=n,
    )


def _without_log(i: Any) -> InteractionOut:
    out = InteractionOut.model_validate(i)
    out.routing_explanation = []
    return out
