from __future__ import annotations

from fastapi import APIRouter

from app.db.repositories.staff import StaffRepository
from app.deps import AdminUser, AgentUser, HotlineDep, SupervisorUser, UoW
from app.staff.schemas import AgentCreate, AgentOut, AgentUpdate, QueueCreate, QueueOut, QueueUpdate
from app.staff.service import create_agent, create_queue, get_agent, update_agent, update_queue

router = APIRouter(prefix="/api", tags=["administration"])


@router.get("/agents")
async def list_agents(uow: UoW, _: SupervisorUser) -> list[AgentOut]:
    async with uow:
        return [AgentOut.model_validate(a) for a in await StaffRepository(uow.session).agents()]


@router.post("/agents", status_code=201)
async def add_agent(body: AgentCreate, uow: UoW, user: AdminUser) -> AgentOut:
    async with uow:
        return await create_agent(uow, body, user)


@router.get("/agents/{agent_id}")
async def read_agent(agent_id: int, uow: UoW, _: SupervisorUser) -> AgentOut:
    async with uow:
        return AgentOut.model_validate(await get_agent(uow, agent_id))


@router.patch(
    "/agents/{agent_id}",
    responses={409: {"description": "it would leave no active admin"}},
)
async def change_agent(
    agent_id: int, body: AgentUpdate, uow: UoW, user: AdminUser, hotline: HotlineDep
) -> AgentOut:
    async with uow:
        return await update_agent(uow, agent_id, body, user, hotline.accounts)


@router.get("/queues")
async def list_queues(uow: UoW, _: AgentUser) -> list[QueueOut]:
    async with uow:
        return [QueueOut.model_validate(q) for q in await StaffRepository(uow.session).queues()]


@router.post("/queues", status_code=201)
async def add_queue(body: QueueCreate, uow: UoW, user: AdminUser) -> QueueOut:
    async with uow:
        return await create_queue(uow, body, user)


@router.patch("/queues/{queue_id}")
async def change_queue(queue_id: int, body: QueueUpdate, uow: UoW, user: AdminUser) -> QueueOut:
    async with uow:
        return await update_queue(uow, queue_id, body, user)
