"""All SQL about customer value: the per-customer aggregates, stored values, overrides, moves."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Float, and_, case, cast, delete, func, insert, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import (
    CareTask,
    Complaint,
    Customer,
    CustomerValueRow,
    GradeChange,
    GradeOverrideRow,
    GradingSnapshot,
    Interaction,
    Promise,
    Transaction,
)
from app.db.models.care import WON_BACK
from app.db.models.complaints import OPEN_STATUSES
from app.db.models.promises import BROKEN
from app.grading import (
    LOW_RATING_MAX,
    BaseSnapshot,
    CustomerStats,
    CustomerValue,
    GradeOverride,
    GradingConfig,
    window_bounds,
)

VALUE_COLUMNS = [c.name for c in CustomerValueRow.__table__.columns]


def _stats_select(now: datetime, config: GradingConfig, customer_ids: Sequence[int] | None) -> Any:
    """One statement; each window exactly as CustomerStats documents it (lower <= at < upper)."""
    b = window_bounds(now, config)
    t = Transaction
    v = func.coalesce(t.margin, t.amount) if config.value_measure == "margin" else t.amount
    v = cast(v, Float)

    def total(cond: Any, what: Any) -> Any:
        return func.coalesce(func.sum(case((cond, what), else_=literal(0))), 0)

    tx_where = [t.occurred_at < b["now"]]
    if customer_ids is not None:
        tx_where.append(t.customer_id.in_(customer_ids))
    tx = (
        select(
            t.customer_id.label("cid"),
            func.count().label("purchases"),
            func.min(t.occurred_at).label("first_at"),
            func.max(t.occurred_at).label("last_at"),
            func.coalesce(func.sum(v), 0).label("value_total"),
            total(t.occurred_at >= b["t12"], v).label("value_12m"),
            total(t.occurred_at >= b["t12"], 1).label("purchases_12m"),
            total(t.occurred_at >= b["recent"], v).label("value_recent"),
            total(t.occurred_at >= b["recent"], 1).label("purchases_recent"),
            total(and_(t.occurred_at >= b["baseline"], t.occurred_at < b["recent"]), v).label(
                "value_baseline"
            ),
            total(and_(t.occurred_at >= b["baseline"], t.occurred_at < b["recent"]), 1).label(
                "purchases_baseline"
            ),
        )
        .where(*tx_where)
        .group_by(t.customer_id)
        .subquery()
    )
    c = Complaint
    cp = (
        select(
            c.customer_id.label("cid"),
            total(c.status.in_(OPEN_STATUSES), 1).label("open_complaints"),
            total(c.created_at >= b["t12"], 1).label("complaints_12m"),
        )
        .where(c.created_at < b["now"])
        .group_by(c.customer_id)
        .subquery()
    )
    p = Promise
    pr = (
        select(
            p.customer_id.label("cid"),
            func.count().label("broken_promises_12m"),
        )
        .where(
            p.status == BROKEN,
            p.settled_at.is_not(None),
            p.settled_at >= b["t12"],
            p.settled_at < b["now"],
        )
        .group_by(p.customer_id)
        .subquery()
    )
    i = Interaction
    rt = (
        select(
            i.customer_id.label("cid"),
            func.count(i.rating).label("ratings_count"),
            func.avg(cast(i.rating, Float)).label("avg_rating"),
            total(i.rating <= LOW_RATING_MAX, 1).label("low_ratings"),
        )
        .where(i.rating.is_not(None))
        .group_by(i.customer_id)
        .subquery()
    )
    # Care work's outcome (docs/care.md): the latest win-back that won the customer back.
    wb = (
        select(CareTask.customer_id.label("cid"), func.max(CareTask.done_at).label("won_back_at"))
        .where(CareTask.result == WON_BACK, CareTask.done_at < b["now"])
        .group_by(CareTask.customer_id)
        .subquery()
    )
    stmt = (
        select(
            Customer.id, Customer.created_at, tx, cp, pr.c.broken_promises_12m, rt, wb.c.won_back_at
        )
        .outerjoin(tx, tx.c.cid == Customer.id)
        .outerjoin(cp, cp.c.cid == Customer.id)
        .outerjoin(pr, pr.c.cid == Customer.id)
        .outerjoin(rt, rt.c.cid == Customer.id)
        .outerjoin(wb, wb.c.cid == Customer.id)
    )
    if customer_ids is not None:
        stmt = stmt.where(Customer.id.in_(customer_ids))
    return stmt.order_by(Customer.id)


def _row_to_stats(row: Any) -> CustomerStats:
    return CustomerStats(
        customer_id=row.id,
        created_at=row.created_at,
        purchases=row.purchases or 0,
        first_purchase_at=_aware(row.first_at),
        last_purchase_at=_aware(row.last_at),
        value_total=float(row.value_total or 0),
        value_12m=float(row.value_12m or 0),
        purchases_12m=int(row.purchases_12m or 0),
        value_recent=float(row.value_recent or 0),
        purchases_recent=int(row.purchases_recent or 0),
        value_baseline=float(row.value_baseline or 0),
        purchases_baseline=int(row.purchases_baseline or 0),
        open_complaints=int(row.open_complaints or 0),
        complaints_12m=int(row.complaints_12m or 0),
        broken_promises_12m=int(row.broken_promises_12m or 0),
        ratings_count=int(row.ratings_count or 0),
        avg_rating=float(row.avg_rating) if row.avg_rating is not None else None,
        low_ratings=int(row.low_ratings or 0),
        won_back_at=_aware(row.won_back_at),
    )


def _aware(moment: Any) -> datetime | None:
    # min()/max() over a decorated column come back untyped on SQLite: a naive value or a string.
    if moment is None or isinstance(moment, datetime):
        return moment
    return datetime.fromisoformat(str(moment))


def value_row(value: CustomerValue) -> dict[str, Any]:
    return {name: getattr(value, name) for name in VALUE_COLUMNS}


class ValueRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def stream_stats(
        self, now: datetime, config: GradingConfig, customer_ids: Sequence[int] | None = None
    ) -> AsyncIterator[CustomerStats]:
        stmt = _stats_select(now, config, customer_ids)
        result = await self.session.stream(stmt.execution_options(yield_per=20_000))
        async for row in result:
            yield _row_to_stats(row)

    async def stats_for(
        self, customer_id: int, now: datetime, config: GradingConfig
    ) -> CustomerStats | None:
        async for stats in self.stream_stats(now, config, [customer_id]):
            return stats
        return None

    async def overrides(
        self, customer_ids: Sequence[int] | None = None
    ) -> dict[int, GradeOverride]:
        stmt = select(GradeOverrideRow)
        if customer_ids is not None:
            stmt = stmt.where(GradeOverrideRow.customer_id.in_(customer_ids))
        rows = (await self.session.execute(stmt)).scalars()
        return {
            r.customer_id: GradeOverride(r.grade, r.reason, r.set_by, r.expires_at) for r in rows
        }

    async def override_row(self, customer_id: int) -> GradeOverrideRow | None:
        return await self.session.get(GradeOverrideRow, customer_id)

    async def set_override(self, row: GradeOverrideRow) -> None:
        await self.session.merge(row)
        await self.session.flush()

    async def clear_override(self, customer_id: int) -> bool:
        result = await self.session.execute(
            delete(GradeOverrideRow).where(GradeOverrideRow.customer_id == customer_id)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def latest_snapshot(self) -> BaseSnapshot | None:
        stmt = select(GradingSnapshot).order_by(GradingSnapshot.id.desc()).limit(1)
        row = (await self.session.execute(stmt)).scalar_one_or_none()
        return BaseSnapshot.from_dict(row.data) if row else None

    async def save_snapshot(self, snapshot: BaseSnapshot) -> None:
        self.session.add(GradingSnapshot(computed_at=snapshot.computed_at, data=snapshot.to_dict()))
        await self.session.flush()

    async def graded_count(self) -> int:
        """Graded customers with purchases: the size of the ranked base as stored now."""
        v = CustomerValueRow
        return int(await self.session.scalar(select(func.count()).where(v.rank.is_not(None))) or 0)

    async def get(self, customer_id: int) -> CustomerValueRow | None:
        return await self.session.get(CustomerValueRow, customer_id)

    async def exact_rank(self, customer_id: int, value_12m: float, prospect_grade: str) -> int:
        """1 + customers ranked above: higher 12-month value, ties to the lower id."""
        v = CustomerValueRow
        above = await self.session.scalar(
            select(func.count()).where(
                v.computed_grade != prospect_grade,
                v.customer_id != customer_id,
                or_(
                    v.value_12m > value_12m,
                    and_(v.value_12m == value_12m, v.customer_id < customer_id),
                ),
            )
        )
        return int(above or 0) + 1

    async def save_one(self, value: CustomerValue, now: datetime) -> str | None:
        """Store one customer's value; returns the previous effective grade."""
        current = await self.get(value.customer_id)
        previous = current.grade if current else None
        if current is None:
            self.session.add(CustomerValueRow(**value_row(value)))
        else:
            for key, item in value_row(value).items():
                setattr(current, key, item)
        if previous != value.grade:
            self.session.add(
                GradeChange(
                    customer_id=value.customer_id, from_grade=previous, to_grade=value.grade, at=now
                )
            )
        await self.session.flush()
        return previous

    async def grades_of(self, customer_ids: Sequence[int]) -> dict[int, str]:
        stmt = select(CustomerValueRow.customer_id, CustomerValueRow.grade).where(
            CustomerValueRow.customer_id.in_(customer_ids)
        )
        return {cid: grade for cid, grade in (await self.session.execute(stmt)).all()}

    async def save_many(self, values: Sequence[CustomerValue], now: datetime) -> int:
        """Bulk store a batch; records grade moves. Returns how many grades changed."""
        if not values:
            return 0
        before = await self.grades_of([v.customer_id for v in values])
        moves = [
            {
                "customer_id": v.customer_id,
                "from_grade": before.get(v.customer_id),
                "to_grade": v.grade,
                "at": now,
            }
            for v in values
            if before.get(v.customer_id) != v.grade
        ]
        ids = [v.customer_id for v in values]
        await self.session.execute(
            delete(CustomerValueRow).where(CustomerValueRow.customer_id.in_(ids))
        )
        await self.session.execute(insert(CustomerValueRow), [value_row(v) for v in values])
        if moves:
            await self.session.execute(insert(GradeChange), moves)
        return len(moves)

    async def pyramid(self) -> list[tuple[str, int, float]]:
        """Per effective grade: customers and their summed 12-month value."""
        v = CustomerValueRow
        stmt = select(v.grade, func.count(), func.coalesce(func.sum(v.value_12m), 0)).group_by(
            v.grade
        )
        return [(g, int(n), float(s)) for g, n, s in (await self.session.execute(stmt)).all()]

    async def movements_since(self, since: datetime) -> list[tuple[str | None, str, int]]:
        """(grade at `since`, grade now, customers) for customers whose grade moved since then."""
        g = GradeChange
        first = (
            select(
                g.customer_id,
                g.from_grade,
                func.row_number()
                .over(partition_by=g.customer_id, order_by=(g.at, g.id))
                .label("rn"),
            )
            .where(g.at >= since)
            .subquery()
        )
        v = CustomerValueRow
        stmt = (
            select(first.c.from_grade, v.grade, func.count())
            .join(v, v.customer_id == first.c.customer_id)
            .where(first.c.rn == 1, first.c.from_grade.is_distinct_from(v.grade))
            .group_by(first.c.from_grade, v.grade)
        )
        return [(a, b, int(n)) for a, b, n in (await self.session.execute(stmt)).all()]
