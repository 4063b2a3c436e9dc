"""All SQL of care and win-back work (docs/care.md): the facts the care rules read, the
tasks they made (``care_tasks``, unique per customer, rule and occasion) and what contact
discipline checks before a task or callback reaches a customer."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import CareTask, Complaint, Customer, CustomerValueRow, Interaction, Transaction
from app.db.models.care import DONE, HELD, RELEASED
from app.db.repositories.promises import PromiseRepository

# A complaint in one of these is the customer's open problem (app/complaints/lifecycle.py).
CLOSED_COMPLAINT = ("resolved", "closed")


class CareRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # facts for the rules ------------------------------------------------------------------
    async def profiles(self, customer_ids: Collection[int]) -> dict[int, dict[str, Any]]:
        """Grade, lifecycle, churn risk, account manager and purchase span per customer."""
        if not customer_ids:
            return {}
        spans = (
            select(
                Transaction.customer_id.label("cid"),
                func.min(Transaction.occurred_at).label("first"),
                func.max(Transaction.occurred_at).label("last"),
                func.count().label("n"),
            )
            .where(Transaction.customer_id.in_(customer_ids))
            .group_by(Transaction.customer_id)
            .subquery()
        )
        stmt = (
            select(
                Customer.id,
                Customer.account_manager_id,
                CustomerValueRow.grade,
                CustomerValueRow.lifecycle,
                CustomerValueRow.churn_risk,
                spans.c.first,
                spans.c.last,
                spans.c.n,
            )
            .outerjoin(CustomerValueRow, CustomerValueRow.customer_id == Customer.id)
            .outerjoin(spans, spans.c.cid == Customer.id)
            .where(Customer.id.in_(customer_ids))
        )
        out: dict[int, dict[str, Any]] = {}
        for row in await self.session.execute(stmt):
            out[row.id] = {
                "account_manager_id": row.account_manager_id,
                "grade": row.grade,
                "lifecycle": row.lifecycle,
                "churn_risk": row.churn_risk,
                "first_purchase_at": _aware(row.first),
                "last_purchase_at": _aware(row.last),
                "purchases": int(row.n or 0),
            }
        return out

    async def drifting(self, churn_threshold: float | None) -> list[int]:
        """Customers in ``decline``, or at or above the churn threshold."""
        cond = CustomerValueRow.lifecycle == "decline"
        if churn_threshold is not None:
            cond = or_(cond, CustomerValueRow.churn_risk >= churn_threshold)
        rows = await self.session.scalars(select(CustomerValueRow.customer_id).where(cond))
        return list(rows)

    async def closed_complaints(self, since: datetime) -> list[tuple[int, int, datetime]]:
        """(customer, complaint, closed at) of complaints closed since ``since``: resolved at,
        or for a complaint closed without a resolution time, its last change."""
        closed_at = func.coalesce(Complaint.resolved_at, Complaint.updated_at)
        stmt = select(Complaint.customer_id, Complaint.id, closed_at).where(
            Complaint.status.in_(CLOSED_COMPLAINT), closed_at >= since
        )
        return [(r[0], r[1], _aware(r[2]) or since) for r in await self.session.execute(stmt)]

    async def large_purchases(
        self, since: datetime, min_amount: float
    ) -> list[tuple[int, int, float, datetime]]:
        """(customer, transaction, amount, when) of purchases of at least ``min_amount``."""
        stmt = select(
            Transaction.customer_id, Transaction.id, Transaction.amount, Transaction.occurred_at
        ).where(Transaction.occurred_at >= since, Transaction.amount >= min_amount)
        return [
            (r[0], r[1], float(r[2]), _aware(r[3]) or since)
            for r in await self.session.execute(stmt)
        ]

    async def silent_candidates(self, quiet_since: datetime) -> list[int]:
        """Customers with two purchases or more and none since ``quiet_since`` (the rule
        then compares the silence with each one's usual interval)."""
        stmt = (
            select(Transaction.customer_id)
            .group_by(Transaction.customer_id)
            .having(func.count() >= 2, func.max(Transaction.occurred_at) < quiet_since)
        )
        return list(await self.session.scalars(stmt))

    # tasks --------------------------------------------------------------------------------
    async def add_task(self, task: CareTask) -> bool:
        """Store a new task; False when its (customer, rule, occasion) is already there."""
        exists = await self.session.scalar(
            select(CareTask.id).where(
                CareTask.customer_id == task.customer_id,
                CareTask.rule == task.rule,
                CareTask.occasion == task.occasion,
            )
        )
        if exists is not None:
            return False
        try:
            async with self.session.begin_nested():  # another process made it meanwhile
                self.session.add(task)
                await self.session.flush()
        except IntegrityError:
            return False
        return True

    async def held(self, limit: int) -> list[CareTask]:
        stmt = select(CareTask).where(CareTask.status == HELD).order_by(CareTask.due_at)
        return list(await self.session.scalars(stmt.limit(limit)))

    async def get(self, task_id: int) -> CareTask | None:
        return await self.session.get(CareTask, task_id)

    async def list(self, status: str | None, limit: int) -> list[CareTask]:
        stmt = select(CareTask).order_by(CareTask.id.desc()).limit(limit)
        if status is not None:
            stmt = stmt.where(CareTask.status == status)
        return list(await self.session.scalars(stmt))

    async def set_hold(self, task_id: int, hold: dict[str, Any] | None) -> None:
        await self.session.execute(
            update(CareTask)
            .where(CareTask.id == task_id, CareTask.status == HELD)
            .values(hold=hold)
        )

    async def released(self, task_id: int, interaction_id: int, at: datetime) -> None:
        await self.session.execute(
            update(CareTask)
            .where(CareTask.id == task_id, CareTask.status == HELD)
            .values(status=RELEASED, hold=None, interaction_id=interaction_id, released_at=at)
        )

    async def for_interaction(self, interaction_id: int) -> CareTask | None:
        return await self.session.scalar(
            select(CareTask).where(CareTask.interaction_id == interaction_id)
        )

    async def done(self, task_id: int, outcome: dict[str, Any], result: str, at: datetime) -> None:
        await self.session.execute(
            update(CareTask)
            .where(CareTask.id == task_id)
            .values(status=DONE, outcome=outcome, result=result, done_at=at)
        )

    async def rate_interaction(self, interaction_id: int, rating: int) -> None:
        """A follow-up's answer as the contact's rating (counts like a survey's)."""
        await self.session.execute(
            update(Interaction).where(Interaction.id == interaction_id).values(rating=rating)
        )

    # contact discipline -------------------------------------------------------------------
    async def open_complaints(self, customer_ids: Collection[int]) -> set[int]:
        if not customer_ids:
            return set()
        stmt = select(Complaint.customer_id).where(
            Complaint.customer_id.in_(customer_ids), Complaint.status.not_in(CLOSED_COMPLAINT)
        )
        return set(await self.session.scalars(stmt.distinct()))

    async def opt_outs(self, customer_ids: Collection[int]) -> dict[int, tuple[bool, bool]]:
        """(do not call, do not message) per customer; ``do_not_contact`` means both."""
        if not customer_ids:
            return {}
        dnc = getattr(Customer, "do_not_call", None)
        dnm = getattr(Customer, "do_not_message", None)
        cols: list[Any] = [Customer.id, Customer.do_not_contact]
        cols += [dnc if dnc is not None else Customer.do_not_contact]
        cols += [dnm if dnm is not None else Customer.do_not_contact]
        rows = await self.session.execute(select(*cols).where(Customer.id.in_(customer_ids)))
        return {r[0]: (bool(r[1] or r[2]), bool(r[1] or r[3])) for r in rows}

    async def outbound_counts(
        self, customer_ids: Collection[int], since: datetime
    ) -> dict[int, int]:
        """Outbound contacts (tasks and callbacks, in every queue) made since ``since``."""
        if not customer_ids:
            return {}
        stmt = (
            select(Interaction.customer_id, func.count())
            .where(
                and_(
                    Interaction.customer_id.in_(customer_ids),
                    Interaction.direction == "outbound",
                    Interaction.created_at >= since,
                )
            )
            .group_by(Interaction.customer_id)
        )
        return {r[0]: int(r[1]) for r in await self.session.execute(stmt)}

    async def overdue_promises(self, customer_ids: Collection[int], now: datetime) -> set[int]:
        """Customers with an open promise past due."""
        return set(await PromiseRepository(self.session).overdue_customers(customer_ids, now))


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
