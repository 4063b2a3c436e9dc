"""The interaction projector: the live path's events written to the customer record.

A durable subscriber of the bus. It writes events in batches (one transaction per batch),
idempotently — each interaction row remembers the last event applied to it, and the
consumer's cursor is committed in the same transaction — and retries a batch that fails
until the database takes it. Commands that need the record to be up to date wait for
:meth:`InteractionProjector.reached`; a wrap-up right after its contact's end writes that
contact's events itself (:meth:`InteractionProjector.write_ahead`), and each row write is
compare-and-set on the row's last applied event, so the batch skips what it wrote.

It also keeps agents' state history (``agent_states``) from ``agent.state_changed``, in the
same transactions, so a replayed batch writes no change twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from app.contacts import events as ev
from app.contacts.messages import explanation_entry
from app.db.repositories.agent_states import AgentStateRepository
from app.db.repositories.events import EventCursorRepository
from app.db.repositories.interactions import InteractionRepository
from app.db.uow import UnitOfWork
from app.events import Event

log = logging.getLogger(__name__)

CONSUMER = "interactions"
RETRY_MAX_SECONDS = 5.0
CONTACT_EVENTS = frozenset(
    {
        ev.CONTACT_QUEUED,
        ev.CONTACT_OFFERED,
        ev.OFFER_CANCELLED,
        ev.CONTACT_ASSIGNED,
        ev.CONTACT_ESCALATED,
        ev.CONTACT_OVERFLOWED,
        ev.CONTACT_TIMED_OUT,
        ev.CONTACT_ENDED,
    }
)


class InteractionProjector:
    def __init__(self, uow_factory: Callable[[], UnitOfWork], committed: int = 0) -> None:
        self.uow_factory = uow_factory
        self.committed = committed  # every event up to here is on the record
        self.failures = 0
        self._progress = asyncio.Event()
        # Each agent's last state in their history, as committed (see _log_states).
        self._last_states: dict[int, tuple[str, str | None]] = {}

    async def handle(self, events: list[Event]) -> None:
        """Write one batch; on failure wait and try again, as long as it takes."""
        delay = 0.05
        while True:
            try:
                await self._write(events)
                break
            except asyncio.CancelledError:
                raise
            except Exception:
                self.failures += 1
                log.exception(
                    "projector: events %d..%d not written; retrying in %.2f s",
                    events[0].seq,
                    events[-1].seq,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_SECONDS)
        self.committed = events[-1].seq
        self._progress.set()
        self._progress = asyncio.Event()

    def advanced(self, seq: int) -> None:
        """Another writer (shared mode's lease holder) put events up to ``seq`` on the
        record: wake whoever waits for them here."""
        if seq > self.committed:
            self.committed = seq
            self._progress.set()
            self._progress = asyncio.Event()

    async def reached(self, seq: int, timeout: float = 5.0) -> bool:  # noqa: ASYNC109
        """Wait until every event up to ``seq`` is on the record (False on timeout)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.committed < seq:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(self._progress.wait(), remaining)
            except TimeoutError:
                return False
        return True

    async def write_ahead(self, contact_id: int, events: Iterable[Event]) -> bool:
        """``contact_id``'s events among ``events`` (up to its end), written now by a command
        that cannot wait for the next batch: a wrap-up. The row's last applied event says
        which are new, and the write lands only over the row as it was read; the batch that
        carries the same events later finds them applied and skips them. False when the row
        changed meanwhile, and nothing was written: wait for :meth:`reached` instead."""
        mine = [e for e in _contact_events(events) if int(e.data["contact_id"]) == contact_id]
        async with self.uow_factory().autocommit() as uow:
            repo = InteractionRepository(uow)
            row = (await repo.projection_rows([contact_id])).get(contact_id)
            if row is None:
                return False
            applied = [_apply_new(row, event) for event in mine]  # every one, in order
            return not any(applied) or await repo.save_projection_row(row)

    async def _write(self, events: list[Event]) -> None:
        mine = list(_contact_events(events))
        states = [e for e in events if e.name == ev.AGENT_STATE]
        async with self.uow_factory() as uow:
            last_states = await self._log_states(uow, states)
            repo = InteractionRepository(uow)
            ids = sorted({int(e.data["contact_id"]) for e in mine})
            rows = await repo.projection_rows(ids)
            changed: dict[int, dict[str, Any]] = {}
            for event in mine:
                key = int(event.data["contact_id"])
                row = rows.get(key)  # None: unknown to the record
                if row is not None and _apply_new(row, event):
                    changed[key] = row
            await repo.save_projection(list(changed.values()))
            await EventCursorRepository(uow).set(CONSUMER, events[-1].seq)
        self._last_states |= last_states  # committed: what the next batch compares with

    async def _log_states(
        self, uow: UnitOfWork, events: list[Event]
    ) -> dict[int, tuple[str, str | None]]:
        """Agents' state changes into their history (reports' logged-in, break and handling
        time). ``agent.state_changed`` is published after every command that touches an
        agent, changed or not: a row is written only when the state (or break reason)
        differs from the agent's last one. Returns the agents' states as of this batch."""
        if not events:
            return {}
        repo = AgentStateRepository(uow)
        agents = {int(e.data["agent_id"]) for e in events}
        unknown = sorted(agents - self._last_states.keys())
        last = {a: self._last_states[a] for a in agents if a in self._last_states}
        last |= await repo.latest(unknown)
        rows = []
        for event in events:
            agent = int(event.data["agent_id"])
            state = str(event.data["state"])
            reason = event.data.get("reason") if state == "break" else None
            if last.get(agent) == (state, reason):
                continue
            last[agent] = (state, reason)
            rows.append(
                {"agent_id": agent, "state": state, "reason": reason, "at": _at(event)}
                | {"event_seq": event.seq}
            )
        await repo.add(rows)
        return last


class _Row:
    """Attribute access over a projection row, so :func:`apply_event` reads like the model."""

    __slots__ = ("_d",)

    def __init__(self, d: dict[str, Any]) -> None:
        object.__setattr__(self, "_d", d)

    def __getattr__(self, name: str) -> Any:
        return self._d[name]

    def __setattr__(self, name: str, value: Any) -> None:
        self._d[name] = value


def _contact_events(events: Iterable[Event]) -> Iterator[Event]:
    return (e for e in events if e.name in CONTACT_EVENTS)


def _apply_new(row: dict[str, Any], event: Event) -> bool:
    """``event`` applied to its projection ``row``, unless the row has it already (a
    replay, or a wrap-up's write ahead); whether it was."""
    if (row["last_event_seq"] or 0) >= event.seq:
        return False
    apply_event(_Row(row), event)
    row["last_event_seq"] = event.seq
    return True


def _at(event: Event) -> datetime:
    return datetime.fromtimestamp(event.at, UTC)


def _log(i: Any, event: Event, kind: str, **fields: Any) -> None:
    # Appended to the routing explanation when the row is saved, never read back here.
    i.explanation_added.append(explanation_entry(kind, event.at, **fields))


def apply_event(i: Any, event: Event) -> None:
    """One event's change to its interaction row."""
    d = event.data
    name = event.name
    if name == ev.CONTACT_QUEUED:
        i.status, i.queue = "queued", d["queue"]
        _log(i, event, "queued", queue=d["queue"], **d["explanation"])
    elif name == ev.CONTACT_OFFERED:
        i.status, i.agent_id = "offered", int(d["agent_id"])
        i.offered_at = i.offered_at or _at(event)
        _log(i, event, "offered", agent_id=int(d["agent_id"]), **d["explanation"])
    elif name == ev.OFFER_CANCELLED:
        if d["cause"] != "abandoned":
            i.status, i.agent_id = "queued", None
        _log(
            i,
            event,
            "offer_cancelled",
            agent_id=int(d["agent_id"]),
            cause=d["cause"],
            reason=d["reason"],
        )
    elif name == ev.CONTACT_ASSIGNED:
        i.status, i.agent_id, i.answered_at = "active", int(d["agent_id"]), _at(event)
        i.wait_seconds = round(d["waited"], 3)
        _log(i, event, "assigned", agent_id=int(d["agent_id"]), waited=round(d["waited"], 1))
    elif name == ev.CONTACT_ESCALATED:
        _log(i, event, "escalated", **d["explanation"])
    elif name == ev.CONTACT_OVERFLOWED:
        i.queue = d["to_queue"]
        _log(i, event, "overflowed", from_queue=d["from_queue"], to_queue=d["to_queue"])
    elif name == ev.CONTACT_TIMED_OUT:
        _end(i, event, "timed_out", "system")
        _log(i, event, "timed_out", queue=d["queue"], waited=round(d["waited"], 1))
    elif name == ev.CONTACT_ENDED:
        if d["abandoned"]:
            _end(i, event, "abandoned", d["ended_by"])
            _log(i, event, "abandoned", reason=d["reason"])
        else:
            _end(
                i,
                event,
                d["reason"] if d["reason"] == "transferred" else "completed",
                d["ended_by"],
            )
            i.status = "wrapup"
            _log(i, event, "ended", agent_id=int(d["agent_id"] or 0), reason=d["reason"])


def _end(i: Any, event: Event, reason: str, by: str) -> None:
    i.status, i.end_reason, i.ended_by, i.ended_at = "ended", reason, by, _at(event)
    if i.answered_at is None:
        i.wait_seconds = round(event.at - i.created_at.timestamp(), 3)
    else:
        i.handle_seconds = round(event.at - i.answered_at.timestamp(), 3)
