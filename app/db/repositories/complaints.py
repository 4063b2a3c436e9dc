"""All SQL about complaints and their transitions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Complaint, ComplaintTransition
from app.db.models.complaints import OPEN_STATUSES


class ComplaintRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, complaint: Complaint) -> Complaint:
        self.session.add(complaint)
        await self.session.flush()
        return complaint

    async def get(self, complaint_id: int, *, fresh: bool = False) -> Complaint | None:
        """The complaint; `fresh` reloads it over what this session holds already."""
        stmt = select(Complaint).where(Complaint.id == complaint_id)
        if fresh:
            stmt = stmt.execution_options(populate_existing=True)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def move(
        self, complaint_id: int, expected_status: str, values: Mapping[str, Any]
    ) -> bool:
        """Write `values` only if the complaint is still in `expected_status`; False if not.

        A compare-and-set in one statement, so that of concurrent moves from the same status
        exactly one lands. ``SELECT ... FOR UPDATE`` would not do: SQLite ignores it, and two
        processes on one SQLite file both read "open" and both move it. A conditional UPDATE
        is atomic on both databases: PostgreSQL re-checks the condition on the row as the
        first mover committed it (the loser matches no row), SQLite runs writers one at a
        time. The status is the whole precondition: whether an action is allowed depends on
        nothing else, and counters are bumped in SQL (``reopen_count + 1``), never copied.
        """
        result = await self.session.execute(
            update(Complaint)
            .where(Complaint.id == complaint_id, Complaint.status == expected_status)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def add_transition(self, transition: ComplaintTransition) -> None:
        self.session.add(transition)
        await self.session.flush()

    async def transitions(
        self, complaint_ids: Sequence[int]
    ) -> dict[int, list[ComplaintTransition]]:
        out: dict[int, list[ComplaintTransition]] = {cid: [] for cid in complaint_ids}
        if complaint_ids:
            stmt = (
                select(ComplaintTransition)
                .where(ComplaintTransition.complaint_id.in_(complaint_ids))
                .order_by(ComplaintTransition.id)
            )
            for row in (await self.session.execute(stmt)).scalars():
                out[row.complaint_id].append(row)
        return out

    async def search(
        self,
        *,
        customer_id: int | None = None,
        status: Sequence[str] | None = None,
        owner_id: int | None = None,
        severity: str | None = None,
        category: str | None = None,
        overdue_at: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[Complaint], int]:
        stmt = select(Complaint)
        if customer_id is not None:
            stmt = stmt.where(Complaint.customer_id == customer_id)
        if status:
            stmt = stmt.where(Complaint.status.in_(status))
        if owner_id is not None:
            stmt = stmt.where(Complaint.owner_id == owner_id)
        if severity:
            stmt = stmt.where(Complaint.severity == severity)
        if category:
            stmt = stmt.where(Complaint.category == category)
        if overdue_at is not None:
            stmt = stmt.where(Complaint.status.in_(OPEN_STATUSES), Complaint.due_at < overdue_at)
        total = await self.session.scalar(select(func.count()).select_from(stmt.subquery()))
        rows = await self.session.execute(
            stmt.order_by(Complaint.due_at, Complaint.id).limit(limit).offset(offset)
        )
        return list(rows.scalars()), int(total or 0)

    async def late_counts(self, now: datetime) -> tuple[int, int]:
        """Open complaints (first answer late, resolution late) at ``now``: unanswered past
        their first-answer deadline, and open past their resolution deadline (the wallboard)."""
        open_ = Complaint.status.in_(sorted(OPEN_STATUSES))
        first = select(func.count()).where(
            open_,
            Complaint.first_answered_at.is_(None),
            Complaint.first_answer_due_at < now,
        )
        resolution = select(func.count()).where(open_, Complaint.due_at < now)
        return (
            int((await self.session.execute(first)).scalar_one()),
            int((await self.session.execute(resolution)).scalar_one()),
        )
