"""The signed-in agent's own day: the queues they serve, their figures, their open complaints,
their callbacks. Everything here is about the caller; no one reads another agent's day."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from app.complaints.lifecycle import OPEN_STATUSES
from app.complaints.schemas import ComplaintOut
from app.complaints.service import list_complaints
from app.contacts.today import (
    CallbackDoneOut,
    CallbacksOut,
    QueueWaitsOut,
    TodayOut,
    figures_today,
    mark_callback_done,
    pending_callbacks,
    queue_waits,
)
from app.db.repositories.staff import StaffRepository
from app.deps import AgentUser, HotlineDep, UoW
from app.errors import Unauthorized
from app.schemas import Page

router = APIRouter(prefix="/api/me", tags=["me"])

# Offsets of the world's clocks from UTC run from -12:00 to +14:00.
UtcOffset = Annotated[
    int,
    Query(
        ge=-14 * 60,
        le=14 * 60,
        description="minutes the agent's clock is ahead of UTC (e.g. 480 for UTC+8): "
        "where their day starts",
    ),
]


@router.get("/queues")
async def my_queues(hotline: HotlineDep, uow: UoW, user: AgentUser) -> QueueWaitsOut:
    """The queues the caller serves (their skills cover the queue's) and any queue where a
    contact waits for them, with how many wait there now and how many could be theirs."""
    async with uow:
        repo = StaffRepository(uow.session)
        agent = await repo.get_agent(user.agent_id)
        queues = await repo.queues()
    if agent is None:  # deleted since the token was checked
        raise Unauthorized("this account is no longer active")
    return queue_waits(hotline.center, agent, queues)


@router.get("/today")
async def my_figures(
    hotline: HotlineDep, uow: UoW, user: AgentUser, utc_offset: UtcOffset = 0
) -> TodayOut:
    """The caller's figures since the start of their day: handled, average handle time,
    missed and declined offers (definitions in docs/console.md)."""
    now = datetime.fromtimestamp(hotline.center.clock(), UTC)
    async with uow:
        return await figures_today(uow, user.agent_id, now, utc_offset)


@router.get("/complaints")
async def my_complaints(
    uow: UoW,
    user: AgentUser,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[ComplaintOut]:
    """The caller's open complaints (open, acknowledged, in progress), nearest deadline first."""
    async with uow:
        items, total = await list_complaints(
            uow,
            customer_id=None,
            status=sorted(OPEN_STATUSES),
            owner_id=user.agent_id,
            severity=None,
            category=None,
            overdue=False,
            limit=limit,
            offset=offset,
        )
    return Page[ComplaintOut](items=items, total=total, limit=limit, offset=offset)


@router.get("/callbacks")
async def my_callbacks(hotline: HotlineDep, uow: UoW, user: AgentUser) -> CallbacksOut:
    """The callbacks the caller scheduled at wrap-up and has not made yet, soonest first."""
    now = datetime.fromtimestamp(hotline.center.clock(), UTC)
    async with uow:
        return await pending_callbacks(uow, user.agent_id, now)


@router.post("/callbacks/{interaction_id}/done")
async def callback_done(
    interaction_id: int, hotline: HotlineDep, uow: UoW, user: AgentUser
) -> CallbackDoneOut:
    """The caller made this callback: it leaves their list (404 if it is not theirs, 409 if
    it was marked done already)."""
    now = datetime.fromtimestamp(hotline.center.clock(), UTC)
    async with uow:
        return await mark_callback_done(uow, user.agent_id, interaction_id, now)
