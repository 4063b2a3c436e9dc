from __future__ import annotations

from typing import Any

from app.auth.tokens import Principal
from app.db.models import AuditEntry
from app.db.uow import UnitOfWork


async def record_audit(
    uow: UnitOfWork,
    actor: Principal | None,
    action: str,
    entity: str,
    entity_id: int | str | None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Written in the same transaction as the change, so the log never disagrees with the data."""
    uow.session.add(
        AuditEntry(
            actor_id=actor.agent_id if actor else None,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            detail=detail or {},
        )
    )
