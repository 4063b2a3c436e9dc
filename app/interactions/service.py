from __future__ import annotations

from app.db.repositories.interactions import InteractionRepository
from app.db.uow import UnitOfWork
from app.errors import NotFound
from app.interactions.schemas import InteractionOut


async def get_interaction(uow: UnitOfWork, interaction_id: int) -> InteractionOut:
    found = await InteractionRepository(uow.session).get(interaction_id)
    if found is None:
        raise NotFound(f"interaction {interaction_id} not found")
    return InteractionOut.model_validate(found)


async def customer_interactions(
    uow: UnitOfWork, customer_id: int, limit: int, offset: int
) -> tuple[list[InteractionOut], int]:
    rows, total = await InteractionRepository(uow.session).for_customer(
        customer_id, limit=limit, offset=offset
    )
    return [InteractionOut.model_validate(r) for r in rows], total
