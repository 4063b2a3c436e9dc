from __future__ import annotations

from typing import Any

from app.db.repositories.interactions import InteractionRepository
from app.db.uow import UnitOfWork
from app.errors import NotFound
from app.i18n.render import render_log
from app.interactions.schemas import InteractionOut


def interaction_out(row: Any, lang: str = "en") -> InteractionOut:
    """An interaction with its routing log (stored as codes and facts) in words of ``lang``."""
    out = InteractionOut.model_validate(row)
    out.routing_explanation = render_log(out.routing_explanation, lang)
    return out


async def get_interaction(uow: UnitOfWork, interaction_id: int, lang: str = "en") -> InteractionOut:
    found = await InteractionRepository(uow.session).get(interaction_id)
    if found is None:
        raise NotFound(f"interaction {interaction_id} not found")
    return interaction_out(found, lang)


async def customer_interactions(
    uow: UnitOfWork, customer_id: int, limit: int, offset: int, lang: str = "en"
) -> tuple[list[InteractionOut], int]:
    rows, total = await InteractionRepository(uow.session).for_customer(
        customer_id, limit=limit, offset=offset
    )
    return [interaction_out(r, lang) for r in rows], total
