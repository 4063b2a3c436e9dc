"""Shared mode as the composition root plugs it into the live path (app.contacts.wiring)."""

from __future__ import annotations

from collections.abc import Callable

from app.contacts.center import ContactCenter
from app.contacts.hub import AgentHub
from app.contacts.projector import InteractionProjector
from app.db.uow import UnitOfWork
from app.events.runner import Handler
from app.shared.center import SharedContactCenter, open_shared_center
from app.shared.gates import ProjectorGate, adopt_orphans_forever, once_per_agent
from routing import Router


class RedisCluster:
    """One contact center of several processes sharing ``redis_url`` under ``prefix``."""

    def __init__(self, redis_url: str, prefix: str, agent_grace_seconds: float = 30.0) -> None:
        self.redis_url = redis_url
        self.prefix = prefix
        self.agent_grace_seconds = agent_grace_seconds

    async def open(
        self, router: Router, first_seq: int, clock: Callable[[], float]
    ) -> tuple[ContactCenter, bool]:
        return await open_shared_center(self.redis_url, self.prefix, router, first_seq, clock)

    def record(
        self, center: ContactCenter, projector: InteractionProjector, uow: Callable[[], UnitOfWork]
    ) -> Handler:
        assert isinstance(center, SharedContactCenter)
        center.background.append(lambda: adopt_orphans_forever(center, projector, uow))
        return ProjectorGate(center, projector, uow).handle

    def per_agent(self, center: ContactCenter, hub: AgentHub, handle: Handler) -> Handler:
        assert isinstance(center, SharedContactCenter)
        center.hub = hub  # whose sockets this process holds, for the cluster's presence
        center.agent_grace_seconds = self.agent_grace_seconds
        return once_per_agent(center, hub, handle)

    async def ready(self, center: ContactCenter) -> None:
        assert isinstance(center, SharedContactCenter)
        center.start_replication()
        await center.caught_up()
        await center.barrier()
