"""Read-only views of the live routing state, for the supervisor wallboard ``snapshot``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from agents.state import AgentState
from routing.config import QueueConfig
from routing.policy import Policy
from routing.priority import effective_priority
from routing.records import ContactStatus
from routing.store import RoutingStore
from routing.wording import Message


@dataclass(frozen=True, slots=True)
class ContactView:
    contact_id: str
    queue: str
    status: ContactStatus
    rule: str
    step: int  # 1-based
    steps: int
    step_label: Message  # codes and facts; app.i18n renders it for the reader
    priority: float  # effective, at snapshot time
    waited: float  # seconds since arrival
    agent_id: str | None


@dataclass(frozen=True, slots=True)
class AgentView:
    agent_id: str
    name: str
    state: AgentState
    reason: str | None
    voice: int
    chats: int
    chat_capacity: int
    idle_since: float
    contacts_today: int


@dataclass(frozen=True, slots=True)
class QueueView:
    name: str
    waiting: int
    offered: int
    oldest_wait: float  # seconds, 0 when empty
    over_sla: int  # waiting longer than the queue's service-level target


@dataclass(frozen=True, slots=True)
class RoutingSnapshot:
    queues: tuple[QueueView, ...]
    contacts: tuple[ContactView, ...]  # waiting and offered, highest priority first
    agents: tuple[AgentView, ...]


def take_snapshot(
    store: RoutingStore, policy: Policy, queues: Mapping[str, QueueConfig], now: float
) -> RoutingSnapshot:
    """Everything a supervisor needs at ``now``. O(contacts + agents): not for hot paths."""
    contacts = []
    for route in store.routes():
        if route.status is ContactStatus.ACTIVE:
            continue
        rule = policy.rule(route.rule)
        contacts.append(
            ContactView(
                contact_id=route.id,
                queue=route.queue,
                status=route.status,
                rule=route.rule,
                step=route.step + 1,
                steps=route.steps,
                step_label=rule.step_label(route.step),
                priority=effective_priority(route.base, route.enqueued_at, policy.aging_rate, now),
                waited=now - route.arrived_at,
                agent_id=route.agent_id,
            )
        )
    contacts.sort(key=lambda c: -c.priority)
    queue_views = []
    for name, config in queues.items():
        mine = [c for c in contacts if c.queue == name]
        waiting = [c for c in mine if c.status is ContactStatus.QUEUED]
        queue_views.append(
            QueueView(
                name=name,
                waiting=len(waiting),
                offered=len(mine) - len(waiting),
                oldest_wait=max((c.waited for c in mine), default=0.0),
                over_sla=sum(c.waited > config.sla_seconds for c in waiting),
            )
        )
    agents = tuple(
        AgentView(
            agent_id=r.id,
            name=r.profile.name,
            state=r.presence.state,
            reason=r.presence.reason,
            voice=r.presence.voice,
            chats=r.presence.chats,
            chat_capacity=r.presence.chat_capacity,
            idle_since=r.presence.idle_since,
            contacts_today=r.contacts_today,
        )
        for r in sorted(store.agents(), key=lambda r: r.id)
    )
    return RoutingSnapshot(tuple(queue_views), tuple(contacts), agents)
