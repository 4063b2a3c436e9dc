"""All SQL of an agent's day: their figures, their pending callbacks.

Callbacks live in the interaction's attributes (``_callback_at``, written by the wrap-up;
``_callback_done_at`` once the agent has made the call), read with SQLAlchemy's JSON
operators, which both databases speak (``->>`` on PostgreSQL, ``json_extract`` on SQLite).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Customer, Interaction

CALLBACK_AT = "_callback_at"
CALLBACK_DONE_AT = "_callback_done_at"
CALLBACK_DONE_BY = "_callback_done_by"

_callback_at = Interaction.attributes[CALLBACK_AT].as_string()
_callback_done = Interaction.attributes[CALLBACK_DONE_AT].as_string()


class TodayRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def handled_since(self, agent_id: int, since: datetime) -> tuple[int, float | None]:
        """Contacts the agent answered since ``since`` that have ended (so have a handle
        time), and their average handle time in seconds (None when there are none)."""
        stmt = select(func.count(), func.avg(Interaction.handle_seconds)).where(
            Interaction.agent_id == agent_id,
            Interaction.answered_at >= since,
            Interaction.handle_seconds.is_not(None),
        )
        count, avg = (await self.session.execute(stmt)).one()
        return int(count), (float(avg) if avg is not None else None)

    async def routing_logs_since(self, since: datetime, offered_after: datetime) -> list[Any]:
        """The routing logs of contacts offered to anyone after ``offered_after`` and still
        live or ended after ``since``: every offer made since ``since`` is in one of them.
        (``offered_at`` is a contact's first offer, so it bounds all of its offers.)"""
        stmt = select(Interaction.routing_explanation).where(
            Interaction.offered_at >= offered_after,
            (Interaction.ended_at.is_(None)) | (Interaction.ended_at >= since),
        )
        return list((await self.session.execute(stmt)).scalars())

    async def pending_callbacks(self, agent_id: int, limit: int) -> list[Any]:
        """The agent's callbacks not yet marked done, with the customer's name (any order:
        the times may carry different offsets, the caller sorts them as times)."""
        stmt = (
            select(
                Interaction.id,
                Interaction.customer_id,
                Interaction.channel,
                Interaction.from_address,
                Interaction.disposition,
                Interaction.notes,
                Interaction.ended_at,
                Interaction.attributes,
                Customer.name.label("customer_name"),
            )
            .join(Customer, Customer.id == Interaction.customer_id)
            .where(
                Interaction.agent_id == agent_id,
                _callback_at.is_not(None),
                _callback_done.is_(None),
            )
            .order_by(Interaction.id)
            .limit(limit)
        )
        return list(await self.session.execute(stmt))

    async def callback(self, interaction_id: int) -> Any | None:
        """Agent, attributes and customer of one interaction (why a mark-done missed)."""
        stmt = select(
            Interaction.id, Interaction.agent_id, Interaction.customer_id, Interaction.attributes
        ).where(Interaction.id == interaction_id)
        return (await self.session.execute(stmt)).first()

    async def mark_callback_done(
        self, interaction_id: int, agent_id: int, attributes: Mapping[str, Any]
    ) -> bool:
        """Write ``attributes`` (the old ones plus the done marker) only if the callback is
        the agent's and still pending: of two concurrent marks exactly one lands (the
        condition is re-checked on the row as the first writer committed it)."""
        stmt = (
            update(Interaction)
            .where(
                Interaction.id == interaction_id,
                Interaction.agent_id == agent_id,
                _callback_at.is_not(None),
                _callback_done.is_(None),
            )
            .values(attributes=dict(attributes))
            .execution_options(synchronize_session=False)
        )
        result = await self.session.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]
