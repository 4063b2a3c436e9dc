from __future__ import annotations

from fastapi import APIRouter

from app.deps import AgentUser, UoW
from app.interactions.schemas import InteractionOut
from app.interactions.service import get_interaction

router = APIRouter(prefix="/api/interactions", tags=["interactions"])


@router.get("/{interaction_id}")
async def read(interaction_id: int, uow: UoW, _: AgentUser) -> InteractionOut:
    async with uow:
        return await get_interaction(uow, interaction_id)
