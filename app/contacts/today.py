"""An agent's day, for the console's "My day" panels: the queues they serve and how many
wait there, their own figures today, their pending callbacks.

Definitions (docs/console.md, "My day"):

- *waiting* in a queue: contacts queued there now (not offered, not taken), from the router's
  live state; *for you*: those of them whose current escalation step admits this agent
  (skills, language, team, a preferred-agent step naming them), so they could be offered to
  them next; *longest wait*: since the oldest of them entered the queue.
- *handled*: contacts the agent answered since the start of their day and that have ended;
  *average handle time*: the mean of their ``handle_seconds`` (answer to end; the wrap-up
  time is not on the record, so it is not in it).
- *missed offers*: offers made to the agent that ran out (``offer_cancelled`` with cause
  ``expired`` in the contacts' routing logs, the record of what routing did); *declined*:
  those the agent rejected. Offers withdrawn because the customer left or the agent went on
  break are neither.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from agents.profile import Agent as RoutingAgent
from app.contacts.center import ContactCenter
from app.contacts.presence import routing_profile
from app.db.models import Agent, Queue
from app.db.repositories.today import (
    CALLBACK_AT,
    CALLBACK_DONE_AT,
    CALLBACK_DONE_BY,
    TodayRepository,
)
from app.db.uow import UnitOfWork
from app.errors import Conflict, NotFound
from app.schemas import Output
from routing.records import ContactStatus, Route

CALLBACKS_SHOWN = 200
# A contact's offers fall within a day of its first one (contacts wait minutes, not days):
# the routing logs read for "missed offers" are those of contacts first offered since then.
OFFER_LOOKBACK = timedelta(days=1)


class QueueWaitOut(Output):
    name: str
    display_name: str
    waiting: int  # queued here now
    for_you: int  # of which this agent could be offered next
    longest_wait_seconds: float | None  # the oldest of them, since it entered the queue
    sla_seconds: int  # the queue's service-level target (answer within)


class QueueWaitsOut(Output):
    queues: list[QueueWaitOut]
    waiting: int
    for_you: int
    at: datetime


class TodayOut(Output):
    since: datetime  # the start of the agent's day, in UTC
    handled: int
    average_handle_seconds: float | None
    missed_offers: int
    declined_offers: int


class CallbackOut(Output):
    interaction_id: int
    customer_id: int
    customer_name: str
    channel: str
    from_address: str | None  # where the contact came from: the number to call back
    disposition: str | None
    notes: str | None
    due_at: datetime
    overdue: bool


class CallbacksOut(Output):
    items: list[CallbackOut]
    total: int
    overdue: int


class CallbackDoneOut(Output):
    interaction_id: int
    done_at: datetime


def day_start(now: datetime, utc_offset_minutes: int) -> datetime:
    """Midnight of ``now``'s day where the clock is ``utc_offset_minutes`` ahead of UTC, in
    UTC (the agent's day, as their browser's clock has it)."""
    offset = timedelta(minutes=utc_offset_minutes)
    local = now.astimezone(UTC) + offset
    return datetime(local.year, local.month, local.day, tzinfo=UTC) - offset


def _serves(agent: RoutingAgent, queue: Queue) -> bool:
    """The queue's required skills are all the agent's: its contacts are the agent's work."""
    return all(agent.skills.get(skill, 0) >= 1 for skill in queue.skills)


def queue_waits(center: ContactCenter, agent: Agent, queues: Sequence[Queue]) -> QueueWaitsOut:
    """The queues the agent serves (and any other where a contact waits for them), with
    what waits there now. Reads the router's state in one synchronous pass, so it sees one
    moment of it (nothing else runs on the event loop meanwhile)."""
    now = center.clock()
    record = center.router.store.agent(str(agent.id))
    profile = record.profile if record is not None else routing_profile(agent)
    waiting: dict[str, list[Route]] = defaultdict(list)
    for route in center.router.store.routes():
        if route.status == ContactStatus.QUEUED:
            waiting[route.queue].append(route)
    out = []
    for queue in queues:
        routes = waiting.get(queue.name, [])
        for_me = sum(1 for r in routes if any(p.admits(profile) for p in r.pools))
        if not _serves(profile, queue) and not for_me:
            continue
        oldest = min((r.queue_entered_at for r in routes), default=None)
        out.append(
            QueueWaitOut(
                name=queue.name,
                display_name=queue.display_name,
                waiting=len(routes),
                for_you=for_me,
                longest_wait_seconds=round(now - oldest, 1) if oldest is not None else None,
                sla_seconds=queue.sla_seconds,
            )
        )
    return QueueWaitsOut(
        queues=out,
        waiting=sum(q.waiting for q in out),
        for_you=sum(q.for_you for q in out),
        at=datetime.fromtimestamp(now, UTC),
    )


def _count_offers(logs: Iterable[list[Any]], agent_id: int, since: datetime) -> tuple[int, int]:
    """(missed, declined) offers to the agent since ``since`` in these routing logs."""
    missed = declined = 0
    for log in logs:
        for entry in log or ():
            if not isinstance(entry, dict) or entry.get("event") != "offer_cancelled":
                continue
            if entry.get("agent_id") != agent_id or not _at_or_after(entry.get("at"), since):
                continue
            if entry.get("cause") == "expired":
                missed += 1
            elif entry.get("cause") == "rejected":
                declined += 1
    return missed, declined


def _at_or_after(at: Any, since: datetime) -> bool:
    """Whether a log entry's time (ISO 8601 text) is at or after ``since``."""
    if not isinstance(at, str):
        return False
    try:
        when = datetime.fromisoformat(at.replace("Z", "+00:00"))
    except ValueError:
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when >= since


async def figures_today(
    uow: UnitOfWork, agent_id: int, now: datetime, utc_offset_minutes: int = 0
) -> TodayOut:
    """The agent's own figures since the start of their day (see the module docstring)."""
    since = day_start(now, utc_offset_minutes)
    repo = TodayRepository(uow.session)
    handled, average = await repo.handled_since(agent_id, since)
    logs = await repo.routing_logs_since(since, since - OFFER_LOOKBACK)
    missed, declined = _count_offers(logs, agent_id, since)
    return TodayOut(
        since=since,
        handled=handled,
        average_handle_seconds=round(average, 1) if average is not None else None,
        missed_offers=missed,
        declined_offers=declined,
    )


def _due(row: Any) -> datetime | None:
    raw = (row.attributes or {}).get(CALLBACK_AT)
    try:
        due = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        return None  # written by hand, unreadable: not a callback anyone can keep
    return due if due.tzinfo is not None else due.replace(tzinfo=UTC)


def _callback_out(row: Any, due: datetime, now: datetime) -> CallbackOut:
    return CallbackOut(
        interaction_id=row.id,
        customer_id=row.customer_id,
        customer_name=row.customer_name,
        channel=row.channel,
        from_address=row.from_address,
        disposition=row.disposition,
        notes=row.notes,
        due_at=due,
        overdue=due < now,
    )


async def pending_callbacks(uow: UnitOfWork, agent_id: int, now: datetime) -> CallbacksOut:
    """The agent's callbacks not yet made, the soonest due first."""
    rows = await TodayRepository(uow.session).pending_callbacks(agent_id, CALLBACKS_SHOWN)
    dated = [(due, row) for row in rows if (due := _due(row)) is not None]
    dated.sort(key=lambda pair: (pair[0], pair[1].id))
    items = [_callback_out(row, due, now) for due, row in dated]
    return CallbacksOut(items=items, total=len(items), overdue=sum(c.overdue for c in items))


async def mark_callback_done(
    uow: UnitOfWork, agent_id: int, interaction_id: int, now: datetime
) -> CallbackDoneOut:
    """The agent made the callback: it leaves their list. Only theirs, and only once (409)."""
    repo = TodayRepository(uow.session)
    row = await repo.callback(interaction_id)
    attributes = dict(row.attributes or {}) if row is not None else {}
    # Whose it is: the reassigned owner (docs/promises.md) or the agent of the contact.
    owner = attributes.get("_callback_owner")
    mine = (
        str(owner) == str(agent_id)
        if owner is not None
        else row is not None and row.agent_id == agent_id
    )
    if row is None or not mine or CALLBACK_AT not in attributes:
        raise NotFound(f"callback {interaction_id} is not one of yours")
    if attributes.get(CALLBACK_DONE_AT) is not None:
        raise Conflict(f"callback {interaction_id} is already done")
    attributes[CALLBACK_DONE_AT] = now.isoformat()
    attributes[CALLBACK_DONE_BY] = agent_id
    if not await repo.mark_callback_done(interaction_id, agent_id, attributes):
        raise Conflict(f"callback {interaction_id} is already done")
    return CallbackDoneOut(interaction_id=interaction_id, done_at=now)
