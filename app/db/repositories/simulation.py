"""All SQL of the routing-policy simulator: a period's recorded contacts with the routing
facts they had, and the agents' profiles (docs/simulator.md).

One SELECT for the contacts: each row carries its customer's grade, lifecycle and churn risk
(as graded now: grades are not kept per day), account manager, the agent and time of the
customer's previous answered contact *before this one*, the owner of a complaint open when it
arrived, and the queue it first waited in (the first entry of its routing log: an overflow
later moved it to ``queue``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.db.models import Agent, Complaint, Customer, CustomerValueRow, Interaction
from app.db.types import UTCDateTime

ROUTED_CHANNELS = ("voice", "chat")


def _contacts_statement() -> Any:
    earlier = aliased(Interaction)
    previous = (
        select(earlier.agent_id, earlier.answered_at)
        .where(
            earlier.customer_id == Interaction.customer_id,
            earlier.answered_at.is_not(None),
            earlier.answered_at < Interaction.created_at,
        )
        .order_by(earlier.answered_at.desc(), earlier.id.desc())
        .limit(1)
    )
    open_then = (
        select(Complaint.owner_id)
        .where(
            Complaint.customer_id == Interaction.customer_id,
            Complaint.created_at <= Interaction.created_at,
            or_(Complaint.resolved_at.is_(None), Complaint.resolved_at > Interaction.created_at),
        )
        .order_by(Complaint.created_at, Complaint.id)
        .limit(1)
    )
    first_queue = Interaction.routing_explanation[(0, "queue")].as_string()
    return (
        select(
            Interaction.id,
            Interaction.created_at,
            Interaction.queue,
            Interaction.channel,
            Interaction.customer_id,
            Interaction.offered_at,
            Interaction.answered_at,
            Interaction.ended_at,
            Interaction.wait_seconds,
            Interaction.handle_seconds,
            Interaction.end_reason,
            Interaction.agent_id,
            Interaction.language,
            Interaction.priority,
            Interaction.intent,
            Interaction.attributes,
            first_queue.label("first_queue"),
            Customer.account_manager_id,
            CustomerValueRow.grade,
            CustomerValueRow.lifecycle,
            CustomerValueRow.churn_risk,
            previous.with_only_columns(earlier.agent_id).scalar_subquery().label("last_agent"),
            previous.with_only_columns(earlier.answered_at).scalar_subquery().label("last_at"),
            open_then.scalar_subquery().label("complaint_owner"),
        )
        .join(Customer, Customer.id == Interaction.customer_id)
        .outerjoin(CustomerValueRow, CustomerValueRow.customer_id == Interaction.customer_id)
        .where(
            and_(
                Interaction.created_at >= _param("start"),
                Interaction.created_at < _param("end"),
                Interaction.direction == "inbound",
                Interaction.channel.in_(ROUTED_CHANNELS),
                Interaction.queue.is_not(None),
            )
        )
        .order_by(Interaction.created_at, Interaction.id)
    )


def _param(name: str) -> Any:
    return bindparam(name, type_=UTCDateTime())


_CONTACTS = _contacts_statement()


class SimulationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def contacts(self, start: datetime, end: datetime) -> list[Any]:
        """Inbound calls and chats that arrived in ``[start, end)``, oldest first, with the
        routing facts of the module docstring."""
        result = await self.session.execute(_CONTACTS, {"start": start, "end": end})
        return list(result)

    async def count(self, start: datetime, end: datetime) -> int:
        """How many contacts :meth:`contacts` would return (a cheap check before a job)."""
        stmt = select(func.count()).select_from(_CONTACTS.subquery())
        return int((await self.session.execute(stmt, {"start": start, "end": end})).scalar_one())

    async def agents(self) -> list[Agent]:
        """Every staff account (a roster may name anyone who takes contacts)."""
        return list((await self.session.execute(select(Agent).order_by(Agent.id))).scalars())
