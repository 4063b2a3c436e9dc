"""All SQL about customers, their identities and transactions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ScalarSelect, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Customer, CustomerIdentity, CustomerValueRow, Transaction


def first_phone(customer_id: Any) -> ScalarSelect[Any]:
    """A correlated subquery: the customer's first phone number (for a number to call)."""
    return (
        select(func.min(CustomerIdentity.value))
        .where(CustomerIdentity.customer_id == customer_id, CustomerIdentity.kind == "phone")
        .scalar_subquery()
    )


class CustomerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, customer_id: int) -> Customer | None:
        return await self.session.get(Customer, customer_id)

    async def get_fresh(self, customer_id: int) -> Customer | None:
        """The customer as the database has it now, over what this session loaded before."""
        stmt = (
            select(Customer)
            .where(Customer.id == customer_id)
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    # Writers of one customer's record go one at a time, on both databases, by starting with
    # an UPDATE of the customer's row: PostgreSQL holds the row lock to the end of the
    # transaction (a second writer waits, then re-checks its WHERE against the committed row),
    # and SQLite's first write takes the database's single write lock; whatever the writer
    # reads afterwards is what the previous writer committed. ``SELECT ... FOR UPDATE`` would
    # serve PostgreSQL only: SQLite ignores it, and two processes on one file both proceed.

    async def claim(self, customer_id: int, expected_version: int | None = None) -> bool:
        """Bump the record's version, if it is still `expected_version` (when given).

        False when the customer does not exist or is at another version (someone changed it
        since the caller read it): the caller answers 404 or 409 and writes nothing.
        """
        stmt = update(Customer).where(Customer.id == customer_id)
        if expected_version is not None:
            stmt = stmt.where(Customer.version == expected_version)
        stmt = stmt.values(version=Customer.version + 1).execution_options(
            synchronize_session=False
        )
        return bool((await self.session.execute(stmt)).rowcount)  # type: ignore[attr-defined]

    async def lock(self, customer_id: int) -> None:
        """Queue behind other writers of this customer without changing the record (for
        recomputing what is derived from it, e.g. its grade). No version bump: a client's
        pending edit is not stale because a purchase arrived."""
        stmt = (
            update(Customer)
            .where(Customer.id == customer_id)
            # Both named, so that no column default (updated_at) changes the row either.
            .values(version=Customer.version, updated_at=Customer.updated_at)
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(stmt)

    async def add(self, customer: Customer) -> Customer:
        self.session.add(customer)
        await self.session.flush()
        return customer

    async def identities(self, customer_ids: Sequence[int]) -> dict[int, list[CustomerIdentity]]:
        out: dict[int, list[CustomerIdentity]] = {cid: [] for cid in customer_ids}
        if not customer_ids:
            return out
        stmt = (
            select(CustomerIdentity)
            .where(CustomerIdentity.customer_id.in_(customer_ids))
            .order_by(CustomerIdentity.id)
        )
        for ident in (await self.session.execute(stmt)).scalars():
            out[ident.customer_id].append(ident)
        return out

    async def owners_of(self, kind: str, values: Sequence[str]) -> dict[str, int]:
        """Which customer holds each identity value already."""
        if not values:
            return {}
        stmt = select(CustomerIdentity.value, CustomerIdentity.customer_id).where(
            CustomerIdentity.kind == kind, CustomerIdentity.value.in_(values)
        )
        return {v: cid for v, cid in (await self.session.execute(stmt)).all()}

    async def replace_identities(self, customer_id: int, kind: str, values: Sequence[str]) -> None:
        current = (await self.identities([customer_id]))[customer_id]
        keep = set(values)
        for ident in current:
            if ident.kind == kind and ident.value not in keep:
                await self.session.delete(ident)
        have = {i.value for i in current if i.kind == kind}
        await self.session.flush()
        for value in values:
            if value not in have:
                self.session.add(CustomerIdentity(customer_id=customer_id, kind=kind, value=value))
        await self.session.flush()

    async def find_by_identity(self, kind: str, value: str) -> Customer | None:
        stmt = (
            select(Customer)
            .join(CustomerIdentity, CustomerIdentity.customer_id == Customer.id)
            .where(CustomerIdentity.kind == kind, CustomerIdentity.value == value)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def search(
        self,
        *,
        name: str | None = None,
        ids: Sequence[int] | None = None,
        grade: str | None = None,
        lifecycle: str | None = None,
        churn_min: float | None = None,
        churn_max: float | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[Customer], int]:
        stmt = select(Customer)
        if grade or lifecycle or churn_min is not None or churn_max is not None:
            v = CustomerValueRow
            stmt = stmt.join(v, v.customer_id == Customer.id)
            if grade:
                stmt = stmt.where(v.grade == grade)
            if lifecycle:
                stmt = stmt.where(v.lifecycle == lifecycle)
            if churn_min is not None:
                stmt = stmt.where(v.churn_risk >= churn_min)
            if churn_max is not None:
                stmt = stmt.where(v.churn_risk <= churn_max)
        if name:
            stmt = stmt.where(func.lower(Customer.name).contains(name.lower(), autoescape=True))
        if ids is not None:
            stmt = stmt.where(Customer.id.in_(ids))
        total = await self.session.scalar(select(func.count()).select_from(stmt.subquery()))
        rows = await self.session.execute(stmt.order_by(Customer.id).limit(limit).offset(offset))
        return list(rows.scalars()), int(total or 0)

    async def add_transaction(self, tx: Transaction) -> Transaction:
        self.session.add(tx)
        await self.session.flush()
        return tx

    async def transaction_by_reference(self, reference: str) -> Transaction | None:
        stmt = select(Transaction).where(Transaction.reference == reference)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def transactions(
        self, customer_id: int, *, since: datetime | None = None, limit: int = 100, offset: int = 0
    ) -> list[Transaction]:
        stmt = select(Transaction).where(Transaction.customer_id == customer_id)
        if since is not None:
            stmt = stmt.where(Transaction.occurred_at >= since)
        stmt = stmt.order_by(Transaction.occurred_at.desc(), Transaction.id.desc())
        return list((await self.session.execute(stmt.limit(limit).offset(offset))).scalars())
