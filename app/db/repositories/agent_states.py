"""All SQL about agents' state history (app/db/models/agent_states.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select

from app.db.models import AgentStateRow
from app.db.prepared import Prepared, in_ids
from app.db.repositories.base import Repository

# Run on the driver (app/db/prepared.py): the projector writes a batch with every few events.
_ADD = Prepared(
    insert(AgentStateRow).values(
        {c: bindparam(c) for c in ("agent_id", "state", "reason", "at", "event_seq")}
    )
)
_LAST = select(AgentStateRow.agent_id, func.max(AgentStateRow.id).label("id"))
_LAST = _LAST.where(in_ids(AgentStateRow.agent_id)).group_by(AgentStateRow.agent_id)
_LATEST_ROWS = _LAST.subquery()
_LATEST = Prepared(
    select(AgentStateRow.agent_id, AgentStateRow.state, AgentStateRow.reason).join(
        _LATEST_ROWS, AgentStateRow.id == _LATEST_ROWS.c.id
    )
)


class AgentStateRepository(Repository):
    async def add(self, rows: list[dict[str, Any]]) -> None:
        """Changes as the projector saw them: ``agent_id``, ``state``, ``reason``, ``at``,
        ``event_seq`` each; one statement for the batch."""
        await _ADD.many(self.db, rows)

    async def latest(self, agent_ids: list[int]) -> dict[int, tuple[str, str | None]]:
        """Each agent's last recorded (state, reason): what a new event is compared with."""
        if not agent_ids:
            return {}
        rows = await _LATEST.all(self.db, {"ids": agent_ids})
        return {r.agent_id: (r.state, r.reason) for r in rows}

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
