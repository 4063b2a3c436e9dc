"""Administration of agents and queues, and logging in."""

from __future__ import annotations

from app.audit import record_audit
from app.auth.passwords import hash_password, verify_password
from app.auth.tokens import Principal
from app.db.models import Agent, Queue
from app.db.repositories.staff import StaffRepository
from app.db.uow import UnitOfWork
from app.errors import Conflict, Invalid, NotFound, Unauthorized
from app.events.names import AGENT_ACCOUNT, QUEUE_CHANGED
from app.staff.schemas import AgentCreate, AgentOut, AgentUpdate, QueueCreate, QueueOut, QueueUpdate

# Verifying against a real hash for unknown users keeps the timing the same as a bad password.
_DUMMY_HASH = hash_password("not-a-real-password")


async def authenticate(uow: UnitOfWork, username: str, password: str) -> Principal:
    agent = await StaffRepository(uow.session).agent_by_username(username)
    ok = verify_password(agent.password_hash if agent else _DUMMY_HASH, password)
    if agent is None or not ok or not agent.active:
        raise Unauthorized("wrong username or password")
    return Principal(agent.id, agent.username, agent.role)


async def create_agent(uow: UnitOfWork, data: AgentCreate, actor: Principal | None) -> AgentOut:
    repo = StaffRepository(uow.session)
    if await repo.agent_by_username(data.username):
        raise Conflict(f"username {data.username!r} is taken")
    fields = data.model_dump(exclude={"password"})
    agent = Agent(**fields, password_hash=hash_password(data.password))
    await repo.add(agent)
    await record_audit(uow, actor, "agent.create", "agent", agent.id, {"username": data.username})
    return AgentOut.model_validate(agent)


async def get_agent(uow: UnitOfWork, agent_id: int) -> Agent:
    agent = await StaffRepository(uow.session).get_agent(agent_id)
    if agent is None:
        raise NotFound(f"agent {agent_id} not found")
    return agent


async def update_agent(
    uow: UnitOfWork, agent_id: int, data: AgentUpdate, actor: Principal
) -> AgentOut:
    agent = await get_agent(uow, agent_id)
    changes = data.model_dump(exclude_unset=True)
    password = changes.pop("password", None)
    was_active, old_role = agent.active, agent.role
    for key, value in changes.items():
        if value is None and key not in ("team", "sip_uri"):
            raise Invalid(f"{key} cannot be null", field=key)
        setattr(agent, key, value)
    if password:
        agent.password_hash = hash_password(password)
    await uow.session.flush()
    await record_audit(uow, actor, "agent.update", "agent", agent_id, {"fields": sorted(changes)})
    # Open sessions follow the account: deactivated or given another role, they end now.
    why = "deactivated" if was_active and not agent.active else None
    if why is None and agent.role != old_role:
        why = f"role changed to {agent.role}"
    uow.emit(
        AGENT_ACCOUNT,
        {"agent_id": str(agent_id), "fields": sorted(changes), "revoke": why is not None}
        | ({"why": why} if why else {}),
    )
    return AgentOut.model_validate(agent)


async def _check_overflow(repo: StaffRepository, name: str, overflow: str | None) -> None:
    if overflow is None:
        return
    if overflow == name:
        raise Invalid("a queue cannot overflow into itself", field="overflow_queue")
    if await repo.queue_by_name(overflow) is None:
        raise Invalid(f"overflow queue {overflow!r} does not exist", field="overflow_queue")


async def create_queue(uow: UnitOfWork, data: QueueCreate, actor: Principal | None) -> QueueOut:
    repo = StaffRepository(uow.session)
    if await repo.queue_by_name(data.name):
        raise Conflict(f"queue {data.name!r} exists")
    await _check_overflow(repo, data.name, data.overflow_queue)
    queue = Queue(**data.model_dump())
    await repo.add(queue)
    await record_audit(uow, actor, "queue.create", "queue", queue.id, {"name": data.name})
    uow.emit(QUEUE_CHANGED, {"name": queue.name})
    return QueueOut.model_validate(queue)


async def update_queue(
    uow: UnitOfWork, queue_id: int, data: QueueUpdate, actor: Principal
) -> QueueOut:
    repo = StaffRepository(uow.session)
    queue = await repo.get_queue(queue_id)
    if queue is None:
        raise NotFound(f"queue {queue_id} not found")
    changes = data.model_dump(exclude_unset=True)
    if "overflow_queue" in changes:
        await _check_overflow(repo, queue.name, changes["overflow_queue"])
    for key, value in changes.items():
        if value is None and key != "overflow_queue":
            raise Invalid(f"{key} cannot be null", field=key)
        setattr(queue, key, value)
    await uow.session.flush()
    await record_audit(uow, actor, "queue.update", "queue", queue_id, {"fields": sorted(changes)})
    uow.emit(QUEUE_CHANGED, {"name": queue.name})
    return QueueOut.model_validate(queue)
