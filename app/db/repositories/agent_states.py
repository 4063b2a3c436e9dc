"""All SQL about agents' state history (app/db/models/agent_states.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import AgentStateRow
from app.db.prepared import Prepared

# Run on the driver (app/db/prepared.py): the projector writes a batch with every few events.
_ADD = Prepared(
    insert(AgentStateRow).values(
        {c: bindparam(c) for c in ("agent_id", "state", "reason", "at", "event_seq")}
    )
)


class AgentStateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, rows: list[dict[str, Any]]) -> None:
        """Changes as the projector saw them: ``agent_id``, ``state``, ``reason``, ``at``,
        ``event_seq`` each; one statement for the batch."""
        await _ADD.many(self.session, rows)

    async def latest(self, agent_ids: list[int]) -> dict[int, tuple[str, str | None]]:
        """Each agent's last recorded (state, reason): what a new event is compared with."""
        if not agent_ids:
            return {}
        last = (
            select(AgentStateRow.agent_id, func.max(AgentStateRow.id).label("id"))
            .where(AgentStateRow.agent_id.in_(agent_ids))
            .group_by(AgentStateRow.agent_id)
            .subquery()
        )
        stmt = select(AgentStateRow.agent_id, AgentStateRow.state, AgentStateRow.reason).join(
            last, AgentStateRow.id == last.c.id
        )
        return {r.agent_id: (r.state, r.reason) for r in await self.session.execute(stmt)}

    async def in_range(self, start: datetime, end: datetime) -> list[Any]:
        """The changes in [start, end) and, per agent, the last one before ``start`` (the
        state the range opens in), ordered by agent and time: (agent_id, state, at)."""
        before = (
            select(AgentStateRow.agent_id, func.max(AgentStateRow.id).label("id"))
            .where(AgentStateRow.at < start)
            .group_by(AgentStateRow.agent_id)
            .subquery()
        )
        opening = select(AgentStateRow.agent_id, AgentStateRow.state, AgentStateRow.at).join(
            before, AgentStateRow.id == before.c.id
        )
        within = select(AgentStateRow.agent_id, AgentStateRow.state, AgentStateRow.at).where(
            AgentStateRow.at >= start, AgentStateRow.at < end
        )
        union = opening.union_all(within).subquery()
        stmt = select(union.c.agent_id, union.c.state, union.c.at).order_by(
            union.c.agent_id, union.c.at
        )
        return list(await self.session.execute(stmt))
