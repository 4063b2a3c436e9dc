"""Promises to customers (docs/promises.md) and the reassignment of a leaving agent's work."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter

from app.deps import AgentUser, HotlineDep, SupervisorUser, UoW, ValuationDep
from app.promises.reassign import ReassignIn, ReassignOut, reassign_agent
from app.promises.schemas import PromiseIn, PromiseOut, SettleIn
from app.promises.service import list_promises, make_promise, settle_promise

router = APIRouter(prefix="/api", tags=["promises"])


def _now(hotline: HotlineDep) -> datetime:
    # Routing's clock, the one escalation runs on (tests set a fake one).
    return datetime.fromtimestamp(hotline.center.clock(), UTC)


@router.post("/customers/{customer_id}/promises", status_code=201)
async def create(
    customer_id: int, body: PromiseIn, uow: UoW, user: AgentUser, hotline: HotlineDep
) -> PromiseOut:
    async with uow:
        return await make_promise(uow, customer_id, body, user, _now(hotline))


@router.get("/customers/{customer_id}/promises")
async def read_all(
    customer_id: int, uow: UoW, _: AgentUser, hotline: HotlineDep
) -> list[PromiseOut]:
    async with uow:
        return await list_promises(uow, customer_id, _now(hotline))


@router.post("/promises/{promise_id}/{outcome}")
async def settle(
    promise_id: int,
    outcome: Literal["kept", "broken"],
    uow: UoW,
    user: AgentUser,
    hotline: HotlineDep,
    valuation: ValuationDep,
    body: SettleIn | None = None,
) -> PromiseOut:
    async with uow:
        return await settle_promise(
            uow,
            promise_id,
            outcome,
            user,
            _now(hotline),
            note=body.note if body else "",
            valuation=valuation,
        )


@router.post("/agents/{agent_id}/reassign")
async def reassign(
    agent_id: int, body: ReassignIn, uow: UoW, user: SupervisorUser, hotline: HotlineDep
) -> ReassignOut:
    async with uow:
        return await reassign_agent(uow, agent_id, body, user, _now(hotline))
