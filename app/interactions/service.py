from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.db.repositories.interactions import InteractionRepository
from app.db.repositories.profiles import ProfileRepository
from app.db.uow import UnitOfWork
from app.errors import NotFound
from app.i18n.render import render_log
from app.interactions.schemas import InteractionOut


def interaction_out(
    row: Any, lang: str = "en", names: dict[int, str] | None = None
) -> InteractionOut:
    """An interaction with its routing log (stored as codes and facts) in words of ``lang``;
    ``names``: agents' display names by id, for ``agent_name``."""
    out = InteractionOut.model_validate(row)
    out.routing_explanation = render_log(out.routing_explanation, lang)
    if names and out.agent_id is not None:
        out.agent_name = names.get(out.agent_id)
    return out


async def agent_names(uow: UnitOfWork, rows: Iterable[Any]) -> dict[int, str]:
    """Display names of the agents who handled these interactions (one query)."""
    ids = sorted({r.agent_id for r in rows if r.agent_id is not None})
    found = await ProfileRepository(uow.session).agents(ids) if ids else {}
    return {agent_id: row.display_name for agent_id, row in found.items()}


async def get_interaction(uow: UnitOfWork, interaction_id: int, lang: str = "en") -> InteractionOut:
    found = await InteractionRepository(uow.session).get(interaction_id)
    if found is None:
        raise NotFound(f"interaction {interaction_id} not found")
    return interaction_out(found, lang, await agent_names(uow, [found]))


async def customer_interactions(
    uow: UnitOfWork, customer_id: int, limit: int, offset: int, lang: str = "en"
) -> tuple[list[InteractionOut], int]:
    rows, total = await InteractionRepository(uow.session).for_customer(
        customer_id, limit=limit, offset=offset
    )
    names = await agent_names(uow, rows)
    return [interaction_out(r, lang, names) for r in rows], total
