"""All SQL of an agent's day: their figures, their pending callbacks.

Callbacks live in the interaction's attributes (``_callback_at``, written by the wrap-up;
``_callback_done_at`` once the agent has made the call, or the server has made it a contact),
read with SQLAlchemy's JSON operators, which both databases speak (``->>`` on PostgreSQL,
``json_extract`` on SQLite). ``callback_due_at`` holds a pending one's time, indexed, for the
server's pass that makes them at their time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Customer, Interaction
from app.db.repositories.customers import first_phone
from app.db.repositories.reassignment import callback_owned_by

CALLBACK_AT = "_callback_at"
CALLBACK_DONE_AT = "_callback_done_at"
CALLBACK_DONE_BY = "_callback_done_by"
CALLBACK_CONTACT = "_callback_contact_id"  # the contact the server made for it
CALLBACK_ERROR = "_callback_error"  # why the server could not make it

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
                # Theirs from their contact, or reassigned to them (docs/promises.md).
                callback_owned_by(agent_id),  # type: ignore[arg-type]
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
                callback_owned_by(agent_id),  # type: ignore[arg-type]
                _callback_at.is_not(None),
                _callback_done.is_(None),
            )
            .values(attributes=dict(attributes), callback_due_at=None)
            .execution_options(synchronize_session=False)
        )
        result = await self.session.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def schedule_callback(self, interaction_id: int, due: datetime) -> None:
        """The wrap-up asked for a callback at ``due``: the server makes it then."""
        stmt = (
            update(Interaction)
            .where(Interaction.id == interaction_id)
            .values(callback_due_at=due)
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(stmt)

    async def due_callbacks(self, now: datetime, limit: int) -> list[Any]:
        """Callbacks due by ``now`` and not yet made, the longest overdue first, with what
        making one needs: the queue, the agent who promised it, the language, and a number
        to call (the number the contact came from when it is a phone, else the customer's
        first phone: chosen by the caller)."""
        phone = first_phone(Interaction.customer_id)
        stmt = (
            select(
                Interaction.id,
                Interaction.customer_id,
                Interaction.queue,
                Interaction.agent_id,
                Interaction.channel,
                Interaction.language,
                Interaction.from_address,
                Interaction.callback_due_at,
                phone.label("phone"),
            )
            .where(Interaction.callback_due_at <= now)
            .order_by(Interaction.callback_due_at, Interaction.id)
            .limit(limit)
        )
        return list(await self.session.execute(stmt))

    async def callback_made(self, interaction_id: int, contact_id: int, at: datetime) -> bool:
        """The server made the callback (the new contact ``contact_id``): it leaves the
        pending ones and the agent's list. False when it had gone already (the agent marked
        it done meanwhile, or another pass made it): the condition is checked on the row."""
        row = (
            await self.session.execute(
                select(Interaction.attributes).where(
                    Interaction.id == interaction_id, Interaction.callback_due_at.is_not(None)
                )
            )
        ).first()
        if row is None:
            return False
        attributes = {
            **(row.attributes or {}),
            CALLBACK_DONE_AT: at.isoformat(),
            CALLBACK_DONE_BY: "system",
            CALLBACK_CONTACT: str(contact_id),
        }
        stmt = (
            update(Interaction)
            .where(Interaction.id == interaction_id, Interaction.callback_due_at.is_not(None))
            .values(attributes=attributes, callback_due_at=None)
            .execution_options(synchronize_session=False)
        )
        result = await self.session.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def callback_not_made(self, interaction_id: int, why: str) -> None:
        """The server could not make it (``why``): it stops trying; the callback stays on the
        agent's list, with the reason, for them to make by hand."""
        row = (
            await self.session.execute(
                select(Interaction.attributes).where(Interaction.id == interaction_id)
            )
        ).first()
        if row is None:
            return
        attributes = {**(row.attributes or {}), CALLBACK_ERROR: why}
        stmt = (
            update(Interaction)
            .where(Interaction.id == interaction_id)
            .values(attributes=attributes, callback_due_at=None)
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(stmt)
