from __future__ import annotations

from fastapi import APIRouter

from app.deps import AgentUser, HotlineDep, UoW
from app.i18n.http import Lang
from app.interactions.schemas import InteractionOut
from app.interactions.service import get_interaction

router = APIRouter(prefix="/api/interactions", tags=["interactions"])


@router.get("/{interaction_id}")
async def read(
    interaction_id: int, uow: UoW, _: AgentUser, lang: Lang, hotline: HotlineDep
) -> InteractionOut:
    """The interaction; its routing log in the reader's language (``?lang=``,
    ``Accept-Language``). It includes what routing did up to this request."""
    await hotline.contacts.caught_up()
    async with uow:
        return await get_interaction(uow, interaction_id, lang)
