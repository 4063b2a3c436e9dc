"""All SQL of the customer profile (the 360 view and the screen pop), for many customers at
once: one statement per part, whatever the number of customers (see app/db/loader.py).

The statements are built once, here, with their customer ids as an expanding parameter:
building a statement costs more than running it (SQLAlchemy derives its cache key from
the structure on every build), and every screen pop runs these.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import (
    Agent,
    Complaint,
    Customer,
    CustomerValueRow,
    GradeOverrideRow,
    Interaction,
)
from app.db.models.complaints import OPEN_STATUSES

HEAVY = ("routing_explanation", "transcript")
"""Interaction columns a screen pop leaves out: the record has them, the card does not."""

_IDS = bindparam("ids", expanding=True)


def _recent(with_logs: bool) -> Any:
    order = (Interaction.created_at.desc(), Interaction.id.desc())
    rank = func.row_number().over(partition_by=Interaction.customer_id, order_by=order)
    columns = [c for c in Interaction.__table__.c if with_logs or c.key not in HEAVY]
    ranked = (
        select(*columns, rank.label("rank")).where(Interaction.customer_id.in_(_IDS)).subquery()
    )
    stmt = (
        select(ranked)
        .where(ranked.c.rank <= bindparam("limit"))
        .order_by(ranked.c.customer_id, ranked.c.rank)
    )
    return select(Interaction).from_statement(stmt) if with_logs else stmt


_CUSTOMERS = select(Customer).where(Customer.id.in_(_IDS))
_RECENT = {True: _recent(True), False: _recent(False)}
_STATS = (
    select(
        Interaction.customer_id,
        func.count(),
        func.avg(Interaction.rating),
        func.count(Interaction.rating),
    )
    .where(Interaction.customer_id.in_(_IDS))
    .group_by(Interaction.customer_id)
)
_OPEN_COMPLAINTS = (
    select(Complaint)
    .where(Complaint.customer_id.in_(_IDS), Complaint.status.in_(sorted(OPEN_STATUSES)))
    .order_by(Complaint.customer_id, Complaint.due_at, Complaint.id)
)
_AGENTS = select(Agent.id, Agent.display_name, Agent.team).where(Agent.id.in_(_IDS))
_VALUES = select(CustomerValueRow).where(CustomerValueRow.customer_id.in_(_IDS))
_OVERRIDES = select(GradeOverrideRow).where(GradeOverrideRow.customer_id.in_(_IDS))


class ProfileRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def customers(self, ids: Sequence[int]) -> dict[int, Customer]:
        rows = await self.session.execute(_CUSTOMERS, {"ids": list(ids)})
        return {c.id: c for c in rows.scalars()}

    async def recent_interactions(
        self, customer_ids: Sequence[int], limit: int, *, with_logs: bool
    ) -> dict[int, list[Any]]:
        """Each customer's latest ``limit`` interactions, newest first: ORM rows, or — without
        logs — plain rows lacking the routing log and the transcript."""
        params = {"ids": list(customer_ids), "limit": limit}
        result = await self.session.execute(_RECENT[with_logs], params)
        found: dict[int, list[Any]] = defaultdict(list)
        for row in result.scalars() if with_logs else result:
            found[row.customer_id].append(row)
        return found

    async def interaction_stats(
        self, customer_ids: Sequence[int]
    ) -> dict[int, tuple[int, float | None, int]]:
        """Per customer: interactions, average rating, ratings given."""
        rows = await self.session.execute(_STATS, {"ids": list(customer_ids)})
        return {
            cid: (int(n), float(avg) if avg is not None else None, int(rated))
            for cid, n, avg, rated in rows
        }

    async def open_complaints(
        self, customer_ids: Sequence[int], limit: int
    ) -> dict[int, list[Complaint]]:
        """Each customer's open complaints, the nearest deadline first."""
        rows = await self.session.execute(_OPEN_COMPLAINTS, {"ids": list(customer_ids)})
        found: dict[int, list[Complaint]] = defaultdict(list)
        for c in rows.scalars():
            if len(found[c.customer_id]) < limit:
                found[c.customer_id].append(c)
        return found

    async def agents(self, ids: Sequence[int]) -> dict[int, Any]:
        """id, display name and team of these agents."""
        rows = await self.session.execute(_AGENTS, {"ids": list(ids)})
        return {row.id: row for row in rows}

    async def values(
        self, customer_ids: Sequence[int]
    ) -> tuple[dict[int, CustomerValueRow], dict[int, GradeOverrideRow]]:
        """Stored values and manual grade overrides of these customers."""
        rows = await self.session.execute(_VALUES, {"ids": list(customer_ids)})
        values = {row.customer_id: row for row in rows.scalars()}
        if not values:  # an override shows only beside a value (as value_of has it)
            return values, {}
        rows = await self.session.execute(_OVERRIDES, {"ids": list(values)})
        return values, {row.customer_id: row for row in rows.scalars()}
