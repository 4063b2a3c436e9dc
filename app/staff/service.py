"""Administration of agents and queues, and logging in and out."""

from __future__ import annotations

import logging

from app.audit import record_audit
from app.auth.passwords import hash_password_async, verify_password_async
from app.auth.throttle import LoginGuard
from app.auth.tokens import Principal
from app.db.models import Agent, Queue
from app.db.repositories.staff import StaffRepository
from app.db.uow import UnitOfWork
from app.errors import Conflict, Invalid, NotFound, Unauthorized
from app.events.names import AGENT_ACCOUNT, QUEUE_CHANGED
from app.staff.accounts import AccountCache
from app.staff.schemas import (
    GRADE_TARGETS_KEY,
    AgentCreate,
    AgentOut,
    AgentUpdate,
    QueueCreate,
    QueueOut,
    QueueUpdate,
)

log = logging.getLogger(__name__)

# One answer for an unknown username, a wrong password and an inactive account.
WRONG_LOGIN = "wrong username or password"


async def log_in(
    uow: UnitOfWork, guard: LoginGuard, username: str, password: str, address: str
) -> Agent:
    """The agent whose username and password these are, or Unauthorized; TooManyAttempts
    (before any hashing) when the address or the account is over its failed-login limit.

    The connection is released before the password is checked: a hash takes tens of
    milliseconds, and on SQLite the one pooled connection is everyone's. Only failures count
    towards the limits (app/auth/throttle.py).
    """
    guard.check(username, address)
    async with uow:
        agent = await StaffRepository(uow.session).agent_by_username(username)
    # An unknown username is checked against a dummy hash: it costs the same time. The guard
    # looks again when the check's turn comes, after the guesses queued before it failed.
    ok = await verify_password_async(
        agent.password_hash if agent else None,
        password,
        before=lambda: guard.check(username, address),
    )
    if agent is not None and ok and agent.active:
        guard.succeeded(username)
        return agent
    if guard.failed(username, address):
        # Audited whether or not the username exists: the lock itself does not tell.
        async with uow:
            await record_audit(
                uow,
                None,
                "auth.lockout",
                "agent",
                agent.id if agent else None,
                {
                    "username": username,
                    "address": address,
                    "failures": guard.account_failures,
                    "seconds": guard.lockout,
                },
            )
        log.warning("login locked for %ds after %d failures", guard.lockout, guard.account_failures)
    raise Unauthorized(WRONG_LOGIN)


async def log_out(uow: UnitOfWork, accounts: AccountCache, principal: Principal) -> None:
    """Revoke every token of the account (all its sessions, this one included) and close its
    sockets."""
    version = await StaffRepository(uow.session).bump_token_version(principal.agent_id)
    if version is None:
        raise NotFound(f"agent {principal.agent_id} not found")
    await record_audit(uow, principal, "auth.logout", "agent", principal.agent_id)
    accounts.forget_after_commit(uow, principal.agent_id)
    uow.emit(
        AGENT_ACCOUNT,
        {"agent_id": str(principal.agent_id), "fields": [], "revoke": True, "why": "logged out"},
    )


async def create_agent(uow: UnitOfWork, data: AgentCreate, actor: Principal | None) -> AgentOut:
    # Hashed before the first statement: the transaction holds no connection meanwhile.
    password_hash = await hash_password_async(data.password)
    repo = StaffRepository(uow.session)
    if await repo.agent_by_username(data.username):
        raise Conflict(f"username {data.username!r} is taken")
    fields = data.model_dump(exclude={"password"})
    agent = Agent(**fields, password_hash=password_hash)
    await repo.add(agent)
    await record_audit(uow, actor, "agent.create", "agent", agent.id, {"username": data.username})
    # Published after the commit like any account change, so the wallboard lists the new
    # agent at once instead of when they first sign in (`fields`: every field that was set).
    uow.emit(
        AGENT_ACCOUNT,
        {"agent_id": str(agent.id), "fields": sorted(fields), "revoke": False, "created": True},
    )
    return AgentOut.model_validate(agent)


async def get_agent(uow: UnitOfWork, agent_id: int) -> Agent:
    agent = await StaffRepository(uow.session).get_agent(agent_id)
    if agent is None:
        raise NotFound(f"agent {agent_id} not found")
    return agent


async def update_agent(
    uow: UnitOfWork,
    agent_id: int,
    data: AgentUpdate,
    actor: Principal,
    accounts: AccountCache | None = None,
) -> AgentOut:
    repo = StaffRepository(uow.session)
    changes = data.model_dump(exclude_unset=True)
    for key, value in changes.items():
        if value is None and key not in ("team", "sip_uri"):
            raise Invalid(f"{key} cannot be null", field=key)
    password = changes.pop("password", None)
    # Hashed before the first statement: the transaction holds no connection meanwhile.
    password_hash = await hash_password_async(password) if password else None
    # Whoever may take an admin away locks the admins first (always before the agent's own
    # row: one order for everyone, no deadlock), so two admins demoting each other take
    # turns and the second finds itself the last.
    admins = None
    if changes.get("role", "admin") != "admin" or changes.get("active") is False:
        admins = await repo.lock_active_admins()
    agent = await repo.get_agent(agent_id, for_update=True)
    if agent is None:
        raise NotFound(f"agent {agent_id} not found")
    changed = {k: v for k, v in changes.items() if getattr(agent, k) != v}
    if password:
        changed["password"] = True
    if not changed:
        # Nothing to do (a repeat of a change already made): no audit row, no event.
        return AgentOut.model_validate(agent)
    others = [a for a in admins if a != agent.id] if admins is not None else None
    if agent.role == "admin" and agent.active and others == []:
        raise Conflict(
            "the last active admin cannot be demoted or deactivated; "
            "make another agent admin first",
            agent_id=agent_id,
        )
    was_active, old_role = agent.active, agent.role
    for key, value in changed.items():
        if key != "password":
            setattr(agent, key, value)
    if password_hash:
        agent.password_hash = password_hash
    # Open sessions follow the account: deactivated, given another role or a new password,
    # every token issued so far is revoked and its sockets are closed now. Reactivating
    # does not revive them: the version moved on when the account was deactivated.
    why = None
    if was_active and not agent.active:
        why = "deactivated"
    elif agent.role != old_role:
        why = f"role changed to {agent.role}"
    elif password:
        why = "password changed"
    if why is not None:
        agent.token_version += 1
    await uow.session.flush()
    fields = sorted(changed)
    await record_audit(uow, actor, "agent.update", "agent", agent_id, {"fields": fields})
    if accounts is not None:
        accounts.forget_after_commit(uow, agent_id)
    uow.emit(
        AGENT_ACCOUNT,
        {"agent_id": str(agent_id), "fields": fields, "revoke": why is not None}
        | ({"why": why} if why else {}),
    )
    return AgentOut.model_validate(agent)


async def _check_overflow(repo: StaffRepository, name: str, overflow: str | None) -> None:
    """The overflow queue exists and its chain of overflows never leads back here: a cycle
    would pass a contact round the queues for ever (routing refuses to load one)."""
    if overflow is None:
        return
    if overflow == name:
        raise Invalid("a queue cannot overflow into itself", field="overflow_queue")
    chain = [name]
    current: str | None = overflow
    while current is not None:
        if current in chain:
            loop = " -> ".join([*chain, current])
            raise Invalid(f"overflow would loop: {loop}", field="overflow_queue")
        queue = await repo.queue_by_name(current)
        if queue is None:
            raise Invalid(f"overflow queue {current!r} does not exist", field="overflow_queue")
        chain.append(current)
        current = queue.overflow_queue


async def create_queue(uow: UnitOfWork, data: QueueCreate, actor: Principal | None) -> QueueOut:
    repo = StaffRepository(uow.session)
    if await repo.queue_by_name(data.name):
        raise Conflict(f"queue {data.name!r} exists")
    await _check_overflow(repo, data.name, data.overflow_queue)
    fields = data.model_dump(exclude={"sla_by_grade"})
    queue = Queue(**fields, attributes={GRADE_TARGETS_KEY: data.sla_by_grade})
    await repo.add(queue)
    await record_audit(uow, actor, "queue.create", "queue", queue.id, {"name": data.name})
    uow.emit(QUEUE_CHANGED, {"name": queue.name})
    return QueueOut.model_validate(queue)


async def update_queue(
    uow: UnitOfWork, queue_id: int, data: QueueUpdate, actor: Principal
) -> QueueOut:
    repo = StaffRepository(uow.session)
    queue = await repo.get_queue(queue_id, for_update=True)
    if queue is None:
        raise NotFound(f"queue {queue_id} not found")
    changes = data.model_dump(exclude_unset=True)
    for key, value in changes.items():
        if value is None and key != "overflow_queue":
            raise Invalid(f"{key} cannot be null", field=key)
    if "overflow_queue" in changes:
        await _check_overflow(repo, queue.name, changes["overflow_queue"])
    if "sla_by_grade" in changes:
        # Kept in the queue's attributes: a new mapping (a change SQLAlchemy sees).
        targets = changes.pop("sla_by_grade")
        if (queue.attributes or {}).get(GRADE_TARGETS_KEY, {}) != targets:
            changes["attributes"] = {**(queue.attributes or {}), GRADE_TARGETS_KEY: targets}
    changed = {k: v for k, v in changes.items() if getattr(queue, k) != v}
    if not changed:
        # Nothing to do (a repeat of a change already made): no audit row, no event.
        return QueueOut.model_validate(queue)
    for key, value in changed.items():
        setattr(queue, key, value)
    await uow.session.flush()
    fields = sorted("sla_by_grade" if k == "attributes" else k for k in changed)
    await record_audit(uow, actor, "queue.update", "queue", queue_id, {"fields": fields})
    uow.emit(QUEUE_CHANGED, {"name": queue.name})
    return QueueOut.model_validate(queue)
