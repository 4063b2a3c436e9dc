"""All SQL of the supervisor feed: today's outcomes to start from, and who customers are.

The feed lives on the event stream; it reads the record only at start-up (so that "today"
survives a restart) and to learn the grade and lifetime value of a caller it has not seen.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select

from app.db.models import Customer, CustomerValueRow, Interaction
from app.db.prepared import Prepared, in_ids
from app.db.repositories.base import Repository
from app.db.repositories.customers import first_phone

# Endings of a contact nobody answered that count as abandoned (the caller left, or routing
# gave up at the queue's maximum wait).
UNANSWERED_ENDS = ("abandoned", "timed_out")
CALLBACK_SOURCE = "callback"  # the `source` of a callback a supervisor made


# Run on the driver (app/db/prepared.py): the feed learns every new caller.
_CUSTOMERS = Prepared(
    select(
        Customer.id,
        Customer.name,
        CustomerValueRow.grade,
        CustomerValueRow.clv,
        first_phone(Customer.id).label("phone"),
    )
    .outerjoin(CustomerValueRow, CustomerValueRow.customer_id == Customer.id)
    .where(in_ids(Customer.id))
)


class SupervisorRepository(Repository):
    async def day_outcomes(self, since: datetime) -> list[Any]:
        """Contacts answered since ``since``, and those that ended unanswered since then
        (abandoned or timed out): what today's figures count, one row each."""
        stmt = select(
            Interaction.id,
            Interaction.queue,
            Interaction.customer_id,
            Interaction.agent_id,
            Interaction.created_at,
            Interaction.answered_at,
            Interaction.ended_at,
            Interaction.wait_seconds,
            Interaction.handle_seconds,
            Interaction.status,
            Interaction.end_reason,
            Interaction.rating,
        ).where(
            Interaction.queue.is_not(None),
            or_(
                Interaction.answered_at >= since,
                and_(
                    Interaction.answered_at.is_(None),
                    Interaction.ended_at >= since,
                    Interaction.end_reason.in_(UNANSWERED_ENDS),
                ),
            ),
        )
        return list(await self.session.execute(stmt))

    async def callbacks(self, since: datetime) -> list[Any]:
        """Callbacks supervisors made since ``since``: (external_id — the abandoned contact's
        id —, id) of each (app.supervisor.actions.call_back)."""
        stmt = select(Interaction.external_id, Interaction.id).where(
            Interaction.source == CALLBACK_SOURCE, Interaction.created_at >= since
        )
        return list(await self.session.execute(stmt))

    async def abandoned_contact(self, contact_id: int) -> Any | None:
        """What a callback needs of a contact: where it waited, whose it was, how it ended,
        and a number to call (the customer's first phone, else the number it came from)."""
        phone = first_phone(Interaction.customer_id)
        stmt = select(
            Interaction.id,
            Interaction.queue,
            Interaction.channel,
            Interaction.customer_id,
            Interaction.status,
            Interaction.answered_at,
            Interaction.ended_at,
            Interaction.end_reason,
            Interaction.from_address,
            Interaction.language,
            phone.label("phone"),
        ).where(Interaction.id == contact_id)
        return (await self.session.execute(stmt)).first()

    async def customers(self, ids: Iterable[int]) -> list[Any]:
        """Name, grade, lifetime value and a phone number of each customer (one statement)."""
        wanted = sorted(set(ids))
        if not wanted:
            return []
        return await _CUSTOMERS.all(self.db, {"ids": wanted})
