"""The unit of work of one router call: decisions out, plus what to match afterwards."""

from __future__ import annotations

from dataclasses import dataclass, field

from agents.profile import CHAT, TASK, VOICE
from agents.state import AgentEvent, AgentRules, transition
from routing.decisions import AgentStateChanged, Decision
from routing.records import AgentRecord, Timer, TimerKind
from routing.store import RoutingStore


@dataclass(slots=True)
class Batch:
    """Collects the decisions of one event.

    ``freed``: agents that may be able to take a contact now; ``touched``: contacts that
    are waiting with a new or wider eligible set. The dispatcher matches both at the end,
    so every event leaves no free eligible agent next to a waiting contact.
    """

    now: float
    out: list[Decision] = field(default_factory=list)
    freed: set[str] = field(default_factory=set)
    touched: set[str] = field(default_factory=set)


def apply_agent_event(
    store: RoutingStore, record: AgentRecord, event: AgentEvent, batch: Batch, rules: AgentRules
) -> None:
    """Run the agent state machine, save, and report a visible change.

    Raises IllegalTransition before anything is written.
    """
    old = record.presence
    new = transition(old, event, batch.now, rules)
    record.presence = new
    if new.state is not old.state or new.reason != old.reason:
        batch.out.append(AgentStateChanged(record.profile.id, new.state, new.reason, new.load))
    if new.wrapup_until is not None and new.wrapup_until != old.wrapup_until:
        store.schedule(
            Timer(new.wrapup_until, TimerKind.WRAPUP, record.profile.id, new.wrapup_until)
        )
    store.save_agent(record)
    if new.can_take(VOICE) or new.can_take(CHAT) or new.can_take(TASK):
        batch.freed.add(record.profile.id)
