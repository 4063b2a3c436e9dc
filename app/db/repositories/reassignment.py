"""All SQL of moving a leaving agent's work to others (docs/promises.md, reassignment)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Complaint, Customer, Interaction, Promise
from app.db.models.complaints import OPEN_STATUSES
from app.db.models.promises import OPEN

# A pending callback's owner when it is not the agent of its contact (it was reassigned);
# TodayRepository.pending_callbacks lists it for this agent instead.
CALLBACK_OWNER = "_callback_owner"
_callback_at = Interaction.attributes["_callback_at"].as_string()
_callback_done = Interaction.attributes["_callback_done_at"].as_string()
_callback_owner = Interaction.attributes[CALLBACK_OWNER].as_string()


def callback_owned_by(agent_id: int) -> object:
    """The condition "this pending callback is ``agent_id``'s": reassigned to them, or theirs
    from their contact and not reassigned."""
    return or_(
        and_(Interaction.agent_id == agent_id, _callback_owner.is_(None)),
        _callback_owner == str(agent_id),
    )


class ReassignmentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def managed_customers(self, agent_id: int) -> list[int]:
        stmt = select(Customer.id).where(Customer.account_manager_id == agent_id)
        return list((await self.session.execute(stmt.order_by(Customer.id))).scalars())

    async def open_complaints(self, agent_id: int) -> list[int]:
        stmt = select(Complaint.id).where(
            Complaint.owner_id == agent_id, Complaint.status.in_(sorted(OPEN_STATUSES))
        )
        return list((await self.session.execute(stmt.order_by(Complaint.id))).scalars())

    async def open_promises(self, agent_id: int) -> list[int]:
        stmt = select(Promise.id).where(Promise.owner_id == agent_id, Promise.status == OPEN)
        return list((await self.session.execute(stmt.order_by(Promise.id))).scalars())

    async def pending_callbacks(self, agent_id: int) -> list[tuple[int, dict[str, object]]]:
        stmt = select(Interaction.id, Interaction.attributes).where(
            callback_owned_by(agent_id),  # type: ignore[arg-type]
            _callback_at.is_not(None),
            _callback_done.is_(None),
        )
        rows = await self.session.execute(stmt.order_by(Interaction.id))
        return [(int(r.id), dict(r.attributes or {})) for r in rows]

    async def set_manager(self, customer_ids: Sequence[int], agent_id: int) -> None:
        if customer_ids:
            await self.session.execute(
                update(Customer)
                .where(Customer.id.in_(list(customer_ids)))
                .values(account_manager_id=agent_id, version=Customer.version + 1)
                .execution_options(synchronize_session=False)
            )

    async def set_complaint_owner(self, complaint_ids: Sequence[int], agent_id: int) -> None:
        if complaint_ids:
            await self.session.execute(
                update(Complaint)
                .where(Complaint.id.in_(list(complaint_ids)))
                .values(owner_id=agent_id)
                .execution_options(synchronize_session=False)
            )

    async def set_promise_owner(self, promise_ids: Sequence[int], agent_id: int) -> None:
        if promise_ids:
            await self.session.execute(
                update(Promise)
                .where(Promise.id.in_(list(promise_ids)))
                .values(owner_id=agent_id)
                .execution_options(synchronize_session=False)
            )

    async def set_callback_owner(
        self, interaction_id: int, attributes: dict[str, object], agent_id: int
    ) -> None:
        await self.session.execute(
            update(Interaction)
            .where(Interaction.id == interaction_id)
            .values(attributes={**attributes, CALLBACK_OWNER: str(agent_id)})
            .execution_options(synchronize_session=False)
        )
