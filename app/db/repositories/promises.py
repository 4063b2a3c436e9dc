"""All SQL about customers' promises (docs/promises.md)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Promise
from app.db.models.promises import BROKEN, KEPT, OPEN


class PromiseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, promise: Promise) -> Promise:
        self.session.add(promise)
        await self.session.flush()
        return promise

    async def get(self, promise_id: int) -> Promise | None:
        return (
            await self.session.execute(select(Promise).where(Promise.id == promise_id))
        ).scalar_one_or_none()

    async def open_for_customer(self, customer_id: int) -> list[Promise]:
        """The customer's open promises, soonest due first (the screen pop's order)."""
        stmt = (
            select(Promise)
            .where(Promise.customer_id == customer_id, Promise.status == OPEN)
            .order_by(Promise.due_at, Promise.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def for_customer(self, customer_id: int, *, limit: int = 100) -> list[Promise]:
        """Every promise of the customer, open ones first, then the latest settled."""
        stmt = (
            select(Promise)
            .where(Promise.customer_id == customer_id)
            .order_by((Promise.status == OPEN).desc(), Promise.due_at.desc(), Promise.id.desc())
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def overdue_customers(self, customer_ids: Collection[int], now: datetime) -> set[int]:
        """Of `customer_ids`, those with an open promise past due at `now` (contact
        discipline holds sales work for them)."""
        if not customer_ids:
            return set()
        stmt = (
            select(Promise.customer_id)
            .where(
                Promise.customer_id.in_(list(customer_ids)),
                Promise.status == OPEN,
                Promise.due_at < now,
            )
            .distinct()
        )
        return set((await self.session.execute(stmt)).scalars())

    async def due_for_escalation(self, now: datetime, *, limit: int = 200) -> list[Promise]:
        """Open promises past due that were never escalated."""
        stmt = (
            select(Promise)
            .where(Promise.status == OPEN, Promise.due_at < now, Promise.escalated_at.is_(None))
            .order_by(Promise.due_at, Promise.id)
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def mark_escalated(self, promise_id: int, now: datetime) -> bool:
        """Set ``escalated_at`` only if still open and unescalated: of two checkers (two
        processes) exactly one escalates."""
        result = await self.session.execute(
            update(Promise)
            .where(
                Promise.id == promise_id,
                Promise.status == OPEN,
                Promise.escalated_at.is_(None),
            )
            .values(escalated_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def settle(self, promise_id: int, status: str, now: datetime) -> bool:
        """Open -> kept/broken, compare-and-set on the status; False if it was settled."""
        assert status in (KEPT, BROKEN)
        result = await self.session.execute(
            update(Promise)
            .where(Promise.id == promise_id, Promise.status == OPEN)
            .values(status=status, settled_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def overdue_open(self, now: datetime, *, limit: int = 50) -> list[Promise]:
        """Open promises past due (the wallboard's panel), most overdue first."""
        stmt = (
            select(Promise)
            .where(Promise.status == OPEN, Promise.due_at < now)
            .order_by(Promise.due_at, Promise.id)
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def count_overdue(self, now: datetime) -> int:
        stmt = select(func.count()).where(Promise.status == OPEN, Promise.due_at < now)
        return int((await self.session.execute(stmt)).scalar_one())

    async def broken_counts(self, customer_ids: Sequence[int]) -> dict[int, int]:
        """Broken promises per customer (grading's churn input)."""
        if not customer_ids:
            return {}
        stmt = (
            select(Promise.customer_id, func.count())
            .where(Promise.customer_id.in_(list(customer_ids)), Promise.status == BROKEN)
            .group_by(Promise.customer_id)
        )
        return {int(c): int(n) for c, n in (await self.session.execute(stmt)).all()}

    async def reassign_open(self, from_agent_id: int, values: Mapping[str, Any]) -> int:
        """Move the agent's open promises (``owner_id``); returns how many moved."""
        result = await self.session.execute(
            update(Promise)
            .where(Promise.owner_id == from_agent_id, Promise.status == OPEN)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
