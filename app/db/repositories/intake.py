"""The SQL of a contact's arrival: who calls, and what routing needs to know of them.

Every arrival pays for these statements, so a known caller costs one round trip: the
customer found by identity or id, with the routing facts, in a single SELECT — built once,
here (building a statement costs SQLAlchemy more than running it).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, bindparam, exists, select

from app.db.models import (
    Agent,
    Complaint,
    Customer,
    CustomerIdentity,
    CustomerValueRow,
    Interaction,
)
from app.db.models.complaints import OPEN_STATUSES
from app.db.prepared import Prepared, PreparedInsert, one_of
from app.db.repositories.base import Repository


def _with_facts(stmt: Select[Any]) -> Select[Any]:
    """``stmt`` (FROM customers) plus the routing facts of each customer: grade, lifecycle
    and churn risk; agent and time of the last answered contact; owner of the oldest open
    complaint, and whether there is one."""
    last = (
        select(Interaction.agent_id, Interaction.answered_at)
        .where(Interaction.customer_id == Customer.id, Interaction.answered_at.is_not(None))
        .order_by(Interaction.answered_at.desc(), Interaction.id.desc())
        .limit(1)
    )
    open_complaints = select(Complaint.owner_id).where(
        Complaint.customer_id == Customer.id, one_of(Complaint.status, OPEN_STATUSES)
    )
    oldest = open_complaints.order_by(Complaint.created_at, Complaint.id).limit(1)
    manager = select(Agent.active, Agent.team).where(Agent.id == Customer.account_manager_id)
    return stmt.outerjoin(
        CustomerValueRow, CustomerValueRow.customer_id == Customer.id
    ).add_columns(
        CustomerValueRow.grade,
        CustomerValueRow.lifecycle,
        CustomerValueRow.churn_risk,
        last.with_only_columns(Interaction.agent_id).scalar_subquery().label("last_agent"),
        last.with_only_columns(Interaction.answered_at).scalar_subquery().label("last_at"),
        oldest.scalar_subquery().label("complaint_owner"),
        exists(open_complaints).label("has_complaint"),
        manager.with_only_columns(Agent.active).scalar_subquery().label("manager_active"),
        manager.with_only_columns(Agent.team).scalar_subquery().label("manager_team"),
    )


CALLER = (Customer.id, Customer.account_manager_id)
_BY_IDENTITY = _with_facts(
    select(*CALLER)
    .select_from(CustomerIdentity)
    .join(Customer, Customer.id == CustomerIdentity.customer_id)
    .where(CustomerIdentity.kind == bindparam("kind"), CustomerIdentity.value == bindparam("value"))
)
_BY_ID = _with_facts(select(*CALLER).where(Customer.id == bindparam("id")))
# Run on the driver (app/db/prepared.py): every arrival pays for these.
_CALLER_BY_IDENTITY = Prepared(_BY_IDENTITY)
_CALLER_BY_ID = Prepared(_BY_ID)
_NEW_CUSTOMER = PreparedInsert(Customer)
_NEW_IDENTITY = PreparedInsert(CustomerIdentity)


class IntakeRepository(Repository):
    async def caller_by_identity(self, kind: str, value: str) -> Any | None:
        """The customer with this phone or e-mail (id, account manager) and their facts."""
        return await _CALLER_BY_IDENTITY.first(self.db, {"kind": kind, "value": value})

    async def caller_by_id(self, customer_id: int) -> Any | None:
        """The customer (id, account manager) and their facts."""
        return await _CALLER_BY_ID.first(self.db, {"id": customer_id})

    async def add_prospect(self, customer: Customer, kind: str, value: str) -> Customer:
        """A new caller: their customer row and the identity they called from (``customer``
        gets its id; the session does not track it)."""
        await _NEW_CUSTOMER.add(self.db, customer)
        await _NEW_IDENTITY.add(
            self.db, CustomerIdentity(customer_id=customer.id, kind=kind, value=value)
        )
        return customer
