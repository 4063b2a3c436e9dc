from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.complaints.schemas import (
    ComplaintCreate,
    ComplaintOut,
    ComplaintTransitionIn,
    Severity,
    Status,
)
from app.complaints.service import (
    get_complaint,
    list_complaints,
    open_complaint,
    transition_complaint,
)
from app.deps import AgentUser, SettingsDep, UoW, ValuationDep
from app.schemas import Page

router = APIRouter(prefix="/api/complaints", tags=["complaints"])


@router.post("", status_code=201)
async def create(
    body: ComplaintCreate,
    uow: UoW,
    user: AgentUser,
    settings: SettingsDep,
    valuation: ValuationDep,
) -> ComplaintOut:
    async with uow:
        return await open_complaint(
            uow,
            body,
            user,
            settings.complaint_deadline_hours,
            valuation=valuation,
            first_answer_hours=settings.complaint_first_answer_hours,
        )


@router.get("")
async def search(
    uow: UoW,
    _: AgentUser,
    customer_id: int | None = None,
    status: Annotated[list[Status] | None, Query()] = None,
    owner_id: int | None = None,
    severity: Severity | None = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    overdue: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[ComplaintOut]:
    async with uow:
        items, total = await list_complaints(
            uow,
            customer_id=customer_id,
            status=status,
            owner_id=owner_id,
            severity=severity,
            category=category,
            overdue=overdue,
            limit=limit,
            offset=offset,
        )
    return Page[ComplaintOut](items=items, total=total, limit=limit, offset=offset)


@router.get("/{complaint_id}")
async def read(complaint_id: int, uow: UoW, _: AgentUser) -> ComplaintOut:
    async with uow:
        return await get_complaint(uow, complaint_id)


@router.post("/{complaint_id}/transitions")
async def transition(
    complaint_id: int,
    body: ComplaintTransitionIn,
    uow: UoW,
    user: AgentUser,
    settings: SettingsDep,
    valuation: ValuationDep,
) -> ComplaintOut:
    async with uow:
        return await transition_complaint(
            uow, complaint_id, body, user, settings.complaint_deadline_hours, valuation
        )
