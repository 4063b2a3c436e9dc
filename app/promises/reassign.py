"""A leaving agent's work, moved in one audited action (docs/promises.md, reassignment).

What moves: the customers they manage (``account_manager_id``), their open complaints and
open promises (``owner_id``), and their pending callbacks (listed for the new owner). To an
agent: everything goes to them. To a team: the items are dealt round-robin over the team's
active agents (in id order), so nobody inherits the whole book. Until it is done, routing
treats a deactivated account manager's customers as their team's (app/contacts/intake.py).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, model_validator

from app.audit import record_audit
from app.auth.tokens import Principal
from app.db.repositories.reassignment import ReassignmentRepository
from app.db.repositories.staff import StaffRepository
from app.db.uow import UnitOfWork
from app.errors import Invalid, NotFound
from app.events import names as ev
from app.schemas import Input, Output


class ReassignIn(Input):
    """Exactly one of ``to_agent_id`` and ``to_team``."""

    to_agent_id: int | None = None
    to_team: str | None = Field(None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _one(self) -> ReassignIn:
        if (self.to_agent_id is None) == (self.to_team is None):
            raise ValueError("name exactly one of to_agent_id and to_team")
        return self


class ReassignOut(Output):
    agent_id: int
    to_agent_ids: list[int]
    customers: int
    complaints: int
    promises: int
    callbacks: int


async def reassign_agent(
    uow: UnitOfWork, agent_id: int, data: ReassignIn, actor: Principal, now: datetime
) -> ReassignOut:
    """Move the agent's work (see the module doc); one audit entry lists the counts."""
    staff = StaffRepository(uow.session)
    agent = await staff.get_agent(agent_id)
    if agent is None:
        raise NotFound(f"agent {agent_id} not found")
    if data.to_agent_id is not None:
        target = await staff.get_agent(data.to_agent_id)
        if target is None or not target.active:
            raise Invalid(f"agent {data.to_agent_id} is not an active agent", field="to_agent_id")
        if target.id == agent_id:
            raise Invalid("an agent's work cannot move to themself", field="to_agent_id")
        targets = [target.id]
    else:
        targets = [
            a.id
            for a in await staff.agents(active_only=True)
            if a.team == data.to_team and a.id != agent_id
        ]
        if not targets:
            raise Invalid(f"team {data.to_team} has no other active agent", field="to_team")
    repo = ReassignmentRepository(uow.session)
    customers = await repo.managed_customers(agent_id)
    complaints = await repo.open_complaints(agent_id)
    promises = await repo.open_promises(agent_id)
    callbacks = await repo.pending_callbacks(agent_id)

    def deal(ids: list[int]) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {t: [] for t in targets}
        for n, item in enumerate(ids):
            out[targets[n % len(targets)]].append(item)
        return out

    for to, ids in deal(customers).items():
        await repo.set_manager(ids, to)
    for to, ids in deal(complaints).items():
        await repo.set_complaint_owner(ids, to)
    for to, ids in deal(promises).items():
        await repo.set_promise_owner(ids, to)
    attrs = dict(callbacks)
    for to, ids in deal([i for i, _ in callbacks]).items():
        for interaction_id in ids:
            await repo.set_callback_owner(interaction_id, attrs[interaction_id], to)
    counts = {
        "customers": len(customers),
        "complaints": len(complaints),
        "promises": len(promises),
        "callbacks": len(callbacks),
    }
    await record_audit(
        uow,
        actor,
        "agent.reassign",
        "agent",
        agent_id,
        {"to_agent_ids": targets, "to_team": data.to_team, **counts},
    )
    uow.emit(
        ev.AGENT_REASSIGNED,
        {
            "agent_id": str(agent_id),
            "to_agent_ids": [str(t) for t in targets],
            "at": now.timestamp(),
            **counts,
        },
    )
    return ReassignOut(agent_id=agent_id, to_agent_ids=targets, **counts)
