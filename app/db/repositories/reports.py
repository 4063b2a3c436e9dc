"""All SQL of the reports (docs/reports.md): finished contacts, complaints and ratings over a
time range, each report in one statement.

Contacts come back one narrow row each and are bucketed and counted in Python
(app/reports/service.py): the service-level variants and per-grade targets are defined once,
in app/metrics/figures.py, and bucketing in a time zone with daylight saving is not the same
SQL on PostgreSQL and SQLite. Ratings, whose roll-up is a plain count, are grouped in the
database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Agent, Complaint, CustomerValueRow, Interaction, Queue
from app.db.models.complaints import OPEN_STATUSES
from app.db.repositories.supervisor import UNANSWERED_ENDS


class ReportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def outcomes(self, start: datetime, end: datetime) -> list[Any]:
        """Contacts answered in [start, end), and those that ended unanswered (abandoned or
        timed out) in it — what the wallboard's figures count — with the customer's grade as
        the record holds it now: one row each, one statement."""
        stmt = (
            select(
                Interaction.id,
                Interaction.queue,
                Interaction.agent_id,
                Interaction.created_at,
                Interaction.answered_at,
                Interaction.ended_at,
                Interaction.wait_seconds,
                Interaction.handle_seconds,
                Interaction.wrapped_up_at,
                Interaction.rating,
                CustomerValueRow.grade,
            )
            .outerjoin(CustomerValueRow, CustomerValueRow.customer_id == Interaction.customer_id)
            .where(
                Interaction.queue.is_not(None),
                or_(
                    and_(Interaction.answered_at >= start, Interaction.answered_at < end),
                    and_(
                        Interaction.answered_at.is_(None),
                        Interaction.end_reason.in_(UNANSWERED_ENDS),
                        Interaction.ended_at >= start,
                        Interaction.ended_at < end,
                    ),
                ),
            )
        )
        return list(await self.session.execute(stmt))

    async def queues(self) -> list[Any]:
        """Every queue's name, display name, target and attributes (its per-grade targets)."""
        stmt = select(Queue.name, Queue.display_name, Queue.sla_seconds, Queue.attributes)
        return list(await self.session.execute(stmt))

    async def agent_names(self) -> dict[int, str]:
        """Display name of every agent account (reports name agents who have left too)."""
        rows = await self.session.execute(select(Agent.id, Agent.display_name))
        return {int(r.id): str(r.display_name) for r in rows}

    async def complaints(self, start: datetime, end: datetime) -> list[Any]:
        """Complaints opened in [start, end) and those still open now, whenever opened."""
        stmt = select(
            Complaint.id,
            Complaint.category,
            Complaint.severity,
            Complaint.status,
            Complaint.created_at,
            Complaint.due_at,
            Complaint.first_answer_due_at,
            Complaint.first_answered_at,
            Complaint.acknowledged_at,
            Complaint.resolved_at,
        ).where(
            or_(
                and_(Complaint.created_at >= start, Complaint.created_at < end),
                Complaint.status.in_(sorted(OPEN_STATUSES)),
            )
        )
        return list(await self.session.execute(stmt))

    async def ratings(self, start: datetime, end: datetime) -> list[Any]:
        """Rated contacts that ended in [start, end), counted per agent, queue, the
        customer's grade and score (GROUP BY in the database)."""
        stmt = (
            select(
                Interaction.agent_id,
                Interaction.queue,
                CustomerValueRow.grade,
                Interaction.rating,
                func.count().label("n"),
            )
            .outerjoin(CustomerValueRow, CustomerValueRow.customer_id == Interaction.customer_id)
            .where(
                Interaction.rating.is_not(None),
                Interaction.ended_at >= start,
                Interaction.ended_at < end,
            )
            .group_by(
                Interaction.agent_id, Interaction.queue, CustomerValueRow.grade, Interaction.rating
            )
        )
        return list(await self.session.execute(stmt))
