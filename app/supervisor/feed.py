"""The supervisor feed: the event stream as /ws/supervisor messages (docs/supervisor.md).

A subscriber of the bus. It keeps a :class:`~app.supervisor.floor.Floor` up to date from the
events and pushes what changed to every supervisor socket: ``contact.update`` at once,
``queue.update`` and ``agent.update`` coalesced to at most one per key per interval. A socket
gets a ``snapshot`` first; one that comes back with the last ``seq`` it handled gets only
what changed since (built from the bus's retained log), or a new snapshot when that part of
the log is gone. Every socket has a bounded queue (the agent hub's :class:`Connection`): a
wallboard that stops reading is closed (4008), never waited for.

It reads the database only to start (today's outcomes, agents and queues — so "today"
survives a restart) and to learn who a new caller is (grade, lifetime value), never for
live state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from app.contacts.center import ContactCenter
from app.contacts.console_config import ConsoleConfig
from app.contacts.hub import Connection, Socket
from app.db.models import Agent, Queue
from app.db.repositories.complaints import ComplaintRepository
from app.db.repositories.profiles import ProfileRepository
from app.db.repositories.promises import PromiseRepository
from app.db.repositories.staff import StaffRepository
from app.db.repositories.supervisor import SupervisorRepository
from app.db.uow import UnitOfWork
from app.errors import strict_json
from app.events import Event, Subscription
from app.events import names as ev
from app.i18n.names import current_names
from app.i18n.render import render_message
from app.supervisor.coalesce import Cancellable, Coalescer, LoopScheduler, Scheduler
from app.supervisor.config import SupervisorConfig
from app.supervisor.floor import (
    CALLBACK_SOURCE,
    AgentInfo,
    CustomerFacts,
    DayContact,
    Floor,
    LiveContact,
    QueueInfo,
    Touched,
)

log = logging.getLogger(__name__)

Message = dict[str, Any]
REVOKED = 4403  # close code, as on /ws/agent
SNAPSHOT_REUSE = 0.25  # seconds a snapshot serves wallboards connecting at the same seq
LINGER = 0.05
"""Seconds the feed waits after an event for more before handling them: new callers are read
in one statement per batch instead of one per arrival (at 90 calls/s the feed made 0.66
reads per call). Wallboards coalesce their updates to one a second, so no one sees it."""


def localize(message: Message, lang: str) -> Message:
    """A feed message in the reader's language: each contact's step label (a message of
    codes and facts) as words, the message kept beside it as ``step_label_message``."""
    kind = message.get("type")
    if kind == "snapshot":
        return message | {"contacts": [_contact_words(c, lang) for c in message["contacts"]]}
    if kind == "contact.update" and isinstance(message.get("contact"), dict):
        return message | {"contact": _contact_words(message["contact"], lang)}
    return message


class SharedWork:
    """What every wallboard's copy of an update has in common, done once: the message in a
    language, and its JSON text. Every update goes to every wallboard (200 of them in
    bench/supervisor_bench.py), so building and encoding it per socket would cost the server
    that many times over. Keyed by the message's identity; the last ``size`` messages are
    kept (with a reference, so an id is not reused while it is cached) — a wallboard further
    behind than that gets its copy made again, the same."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._words: OrderedDict[tuple[int, str], tuple[Message, Message]] = OrderedDict()
        self._texts: OrderedDict[int, tuple[Message, str]] = OrderedDict()

    def localize(self, message: Message, lang: str) -> Message:
        key = (id(message), lang)
        hit = self._words.get(key)
        if hit is not None and hit[0] is message:
            return hit[1]
        out = localize(message, lang)
        self._words[key] = (message, out)
        if len(self._words) > self.size:
            self._words.popitem(last=False)
        return out

    def text(self, message: Message) -> str:
        """Strict JSON, as the agent's socket writes it: never a bare NaN or a lone surrogate."""
        hit = self._texts.get(id(message))
        if hit is not None and hit[0] is message:
            return hit[1]
        text = strict_json(message)
        self._texts[id(message)] = (message, text)
        if len(self._texts) > self.size:
            self._texts.popitem(last=False)
        return text


class SharedTextSocket:
    """A wallboard's websocket that sends the text :class:`SharedWork` made once for all."""

    def __init__(self, socket: Any, work: SharedWork) -> None:
        self.socket = socket
        self.work = work

    async def send_json(self, data: Any, mode: str = "text") -> None:
        await self.socket.send_text(self.work.text(data))

    async def send_batch(self, messages: list[Message]) -> None:
        """Several messages in one frame, ``{"type":"batch","messages":[…]}``: the texts made
        once for all are joined, not encoded again."""
        texts = ",".join(self.work.text(m) for m in messages)
        await self.socket.send_text('{"type":"batch","messages":[' + texts + "]}")

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        await self.socket.close(code=code, reason=reason)


MAX_BATCH = 256  # messages in one `batch` frame


class FeedConnection(Connection):
    """A wallboard's socket (the agent hub's bounded queue and writer), which — when the
    client asked for it (``batch``) — sends the messages that piled up while the previous
    frame was being written as one ``batch`` frame. A frame costs the server about as much
    to send whatever it holds, and every update goes to every wallboard: with many wallboards
    and a busy floor, the frames, not the bytes, are what the server runs out of. After the
    first message of a frame it waits ``window`` seconds (config ``batch_seconds``) for more;
    a lone message goes alone."""

    batch = False
    window = 0.0  # seconds a batch waits for more after its first message

    async def _write_forever(self) -> None:
        while True:
            items: list[Any] = [await self.queue.get()]
            if self.batch and self.window > 0:
                # What else comes in the next few milliseconds goes in the same frame: a
                # frame costs the server the same whether it holds one update or twenty.
                await asyncio.sleep(self.window)
            while self.batch and len(items) < MAX_BATCH and not self.queue.empty():
                items.append(self.queue.get_nowait())
            messages = [self._localize(m, self.lang) for m in items if isinstance(m, dict)]
            try:
                if len(messages) == 1:
                    await self.socket.send_json(messages[0])
                elif messages:
                    send_batch = getattr(self.socket, "send_batch", None)
                    if send_batch is not None:
                        await send_batch(messages)
                    else:
                        await self.socket.send_json({"type": "batch", "messages": messages})
            except asyncio.CancelledError:
                raise
            except Exception:  # gone: its receive loop sees the disconnect and detaches it
                log.info("supervisor %s: socket did not take an update", self.agent_id)
                self.closed = True
                return


def _contact_words(contact: Message, lang: str) -> Message:
    label = contact.get("step_label")
    if label is None or isinstance(label, str):
        return contact
    return contact | {"step_label": render_message(label, lang), "step_label_message": label}


def day_start(now: float, config: SupervisorConfig) -> float:
    """Midnight of ``now``'s day in the configured time zone, as epoch seconds."""
    local = datetime.fromtimestamp(now, config.zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def next_day_start(now: float, config: SupervisorConfig) -> float:
    local = datetime.fromtimestamp(day_start(now, config), config.zone)
    # A day later by the calendar (not 86,400 s: a day with a clock change is longer).
    following = (local + timedelta(days=1, hours=3)).replace(hour=0)
    return following.timestamp()


def _keys(event: Event) -> tuple[set[str], set[str], set[str]]:
    """The queues, agents and contacts an event names (for a resume)."""
    d = event.data
    queues = {str(d[k]) for k in ("queue", "from_queue", "to_queue") if d.get(k)}
    agents = {str(d["agent_id"])} if d.get("agent_id") is not None else set()
    contacts = {str(d[k]) for k in ("contact_id", "to_contact_id") if d.get(k) is not None}
    if event.name == ev.CONTACT_ARRIVED and d.get("source") == CALLBACK_SOURCE:
        contacts.add(str(d.get("external_id")))  # the abandoned contact it calls back
    return queues, agents, contacts


_DOCTRINE_EVENTS = frozenset(
    {
        ev.PROMISE_MADE,
        ev.PROMISE_KEPT,
        ev.PROMISE_BROKEN,
        ev.PROMISE_ESCALATED,
        ev.COMPLAINT_CHANGED,
        ev.AGENT_REASSIGNED,
    }
)


class SupervisorFeed:
    """See the module docstring. ``scheduler`` is the coalescing clock and timers (tests
    pass a manual one); ``center.clock`` is the time figures are computed at."""

    def __init__(
        self,
        center: ContactCenter,
        uow_factory: Callable[[], UnitOfWork],
        config: SupervisorConfig,
        console: ConsoleConfig | None = None,
        *,
        scheduler: Scheduler | None = None,
        queue_limit: int = 256,
    ) -> None:
        self.center = center
        self.uow_factory = uow_factory
        self.config = config
        self.console = console
        self.scheduler = scheduler or LoopScheduler()
        self.queue_limit = queue_limit
        self.floor = Floor(config)
        self.seq = 0  # every event up to here is in the floor
        self._progress = asyncio.Event()  # set whenever seq moves (see caught_up)
        self.connections: set[Connection] = set()
        self.subscription: Subscription | None = None
        interval = config.coalesce_seconds
        self.queue_updates = Coalescer(interval, self._send_queue, self.scheduler)
        self.agent_updates = Coalescer(interval, self._send_agent, self.scheduler)
        self._day_timer: Cancellable | None = None
        self.sent = 0  # messages queued for sockets (for tests and /api/metrics)
        self.shared = SharedWork()
        # The last snapshot, reused for a moment by wallboards connecting at the same seq:
        # 200 connecting at once get one snapshot built and encoded, not 200.
        self._snapshot: tuple[int, float, Message] | None = None
        # The CRM doctrine's panel (docs/promises.md): promises past due, and complaints late
        # for their first answer or their resolution. Read from the record (time alone makes
        # them late): on start, on promise and complaint events, after each escalation pass.
        self.doctrine: Message = {
            "overdue_promises": [],
            "complaints": {"first_answer_late": 0, "resolution_late": 0},
        }

    # --- start-up -------------------------------------------------------------------------
    async def start(self) -> Subscription:
        """Seed the floor from the record and routing's live state, then subscribe.

        The record is read first (it may take a while); routing's state is read and the
        subscription taken in one synchronous step, so no event falls between them."""
        now = self.center.clock()
        self.floor.new_day(day_start(now, self.config))
        await self._load_staff()
        await self._load_day(datetime.fromtimestamp(self.floor.day_start, UTC))
        ids = {r.contact.customer.customer_id for r in self.center.router.store.routes()}
        await self._learn(_int(i) for i in ids)
        now = self.center.clock()
        self._seed_live(now)
        self.floor.seed_waits(now)  # the chart of today's waits, from the same picture
        self.subscription = self.center.bus.subscribe("supervisor-feed")
        self.seq = self.center.bus.last_seq
        try:
            await self.refresh_doctrine()
        except Exception:  # the panel is extra: the floor must come up without it
            log.exception("supervisor feed: could not read promises and complaints")
        self._schedule_new_day()
        return self.subscription

    async def refresh_doctrine(self, at: float | None = None) -> None:
        """Read the doctrine panel again as of ``at`` (default: routing's clock now);
        wallboards get a ``doctrine`` message if it moved."""
        now = datetime.fromtimestamp(self.center.clock() if at is None else at, UTC)
        async with self.uow_factory() as uow:
            promises = await PromiseRepository(uow.session).overdue_open(now, limit=50)
            first, resolution = await ComplaintRepository(uow.session).late_counts(now)
            profiles = ProfileRepository(uow.session)
            customers = await profiles.customers(sorted({p.customer_id for p in promises}))
            owners = sorted({p.owner_id for p in promises if p.owner_id is not None})
            agents = await profiles.agents(owners) if owners else {}
        panel: Message = {
            "overdue_promises": [
                {
                    "promise_id": p.id,
                    "customer_id": p.customer_id,
                    "customer_name": customers[p.customer_id].name
                    if p.customer_id in customers
                    else None,
                    "owner_id": None if p.owner_id is None else str(p.owner_id),
                    "owner_name": agents[p.owner_id].display_name if p.owner_id in agents else None,
                    "text": p.text,
                    "due_at": p.due_at.timestamp(),
                    "escalated": p.escalated_at is not None,
                }
                for p in promises
            ],
            "complaints": {"first_answer_late": first, "resolution_late": resolution},
        }
        if panel != self.doctrine:
            self.doctrine = panel
            self._snapshot = None
            self._broadcast({"type": "doctrine", "seq": self.seq, **panel})

    async def _load_staff(self, agent_ids: Iterable[int] | None = None) -> None:
        self._snapshot = None  # agents and queues change without an event of their own
        async with self.uow_factory() as uow:
            repo = StaffRepository(uow.session)
            queues = await repo.queues()
            agents = await repo.agents()
        self._set_queues(queues)
        wanted = set(agent_ids) if agent_ids is not None else None
        now = self.center.clock()
        for a in agents:
            if wanted is None or a.id in wanted:
                if a.active:
                    self.floor.set_agent(_agent_info(a), now)
                else:
                    self.floor.agents.pop(str(a.id), None)

    def _set_queues(self, queues: list[Queue]) -> None:
        self.floor.queues = {}
        for q in queues:
            attrs = q.attributes or {}
            info = QueueInfo(
                name=q.name,
                display_name=q.display_name,
                sla_seconds=float(q.sla_seconds),
                skills=tuple(q.skills or ()),
                targets=self.config.targets(float(q.sla_seconds), attrs),
            )
            self.floor.set_queue(info)

    async def _load_day(self, since: datetime) -> None:
        async with self.uow_factory() as uow:
            repo = SupervisorRepository(uow.session)
            rows = await repo.day_outcomes(since)
            made = await repo.callbacks(since)
        self.floor.seed_callbacks({str(r.external_id): str(r.id) for r in made if r.external_id})
        for r in rows:
            answered = r.answered_at is not None
            at = (r.answered_at if answered else r.ended_at) or r.created_at
            ended = r.ended_at.timestamp() if answered and r.ended_at is not None else None
            talk = r.handle_seconds if ended is not None else None
            self.floor.seed_outcome(
                DayContact(
                    id=str(r.id),
                    queue=r.queue,
                    customer_id=r.customer_id,
                    answered=answered,
                    wait=float(r.wait_seconds or 0.0),
                    at=at.timestamp(),
                    agent_id=str(r.agent_id) if r.agent_id is not None else None,
                    talk=talk,
                    # The record keeps no wrap-up time: a contact wrapped up before a
                    # restart counts its talk only (docs/metrics.md).
                    wrapup=0.0 if talk is not None and r.status == "ended" else None,
                    ended_at=ended,
                    timed_out=r.end_reason == "timed_out",
                    rating=r.rating,
                )
            )
        await self._learn(o.customer_id for o in self.floor.day.values())

    async def _learn(self, ids: Iterable[int | None]) -> bool:
        """Learn the customers not known yet; False when the record could not be read."""
        wanted = {i for i in ids if i is not None and i not in self.floor.customers}
        if not wanted:
            return True
        try:
            async with self.uow_factory().reading() as uow:
                rows = await SupervisorRepository(uow).customers(wanted)
        except Exception:
            # Their grade shows as unknown until the next contact of theirs; the figures
            # and the live picture do not wait for the database.
            log.exception("supervisor feed: could not read %d customers", len(wanted))
            return False
        self.floor.learn(
            {
                r.id: CustomerFacts(
                    name=r.name,
                    grade=r.grade,
                    clv=float(r.clv) if r.clv is not None else None,
                    phone=r.phone,
                )
                for r in rows
            }
        )
        return True

    def _seed_live(self, now: float) -> None:
        router = self.center.router
        for route in router.store.routes():
            c = route.contact
            label = None
            try:
                label = router.policy.rule(route.rule).step_label(route.step)
            except (KeyError, IndexError, AttributeError):
                pass
            self.floor.contacts[route.id] = LiveContact(
                id=route.id,
                queue=route.queue,
                channel=route.channel,
                customer_id=_int(c.customer.customer_id),
                arrived_at=route.arrived_at,
                queue_since=route.queue_entered_at,
                status=str(route.status),
                rule=route.rule,
                step=route.step + 1,
                steps=route.steps,
                step_label=label,
                priority=route.base,
                agent_id=route.agent_id,
                answered_at=now if str(route.status) == "active" else None,
            )
        for record in router.store.agents():
            live = self.floor.agents.get(record.id)
            if live is None:
                self.floor.set_agent(AgentInfo(record.id, record.profile.name), now)
                live = self.floor.agents[record.id]
            p = record.presence
            live.state, live.reason = str(p.state), p.reason
            live.pending_break, live.wrapup_until = p.pending_break, p.wrapup_until
            live.missed_in_row = p.missed_in_row
            # Routing knows when an available agent became free; other states started
            # some time before the feed did.
            live.since = p.idle_since if live.state == "available" and p.idle_since else now

    def _schedule_new_day(self) -> None:
        now = self.center.clock()
        delay = max(1.0, next_day_start(now, self.config) - now)
        self._day_timer = self.scheduler.call_later(delay, self.new_day)

    def new_day(self) -> None:
        """Midnight: today's figures start again and every wallboard gets a new snapshot."""
        now = self.center.clock()
        self.floor.new_day(day_start(now, self.config))
        self._snapshot = None
        self.queue_updates.cancel()
        self.agent_updates.cancel()
        for conn in list(self.connections):
            conn.put(self.snapshot())
        self._schedule_new_day()

    def stop(self) -> None:
        if self._day_timer is not None:
            self._day_timer.cancel()
        self.queue_updates.cancel()
        self.agent_updates.cancel()
        if self.subscription is not None:
            self.subscription.close()

    # --- events ---------------------------------------------------------------------------
    async def handle(self, events: list[Event]) -> None:
        """A batch of events: learn new callers (one read), apply, push what changed."""
        arrivals = [_int(e.data.get("customer_id")) for e in events if e.name == ev.CONTACT_ARRIVED]
        await self._learn(arrivals)
        # Accounts changed, and agents the feed has not met (created after it started:
        # creating an account publishes no event) are read again, in one transaction.
        changed_agents = [
            int(e.data["agent_id"])
            for e in events
            if e.name == ev.AGENT_ACCOUNT
            or (e.name == ev.AGENT_STATE and str(e.data["agent_id"]) not in self.floor.agents)
        ]
        if changed_agents or any(e.name == ev.QUEUE_CHANGED for e in events):
            try:
                await self._load_staff(changed_agents)
            except Exception:
                log.exception("supervisor feed: could not reload agents and queues")
        self.apply(events)
        if any(e.name in _DOCTRINE_EVENTS for e in events):
            try:
                await self.refresh_doctrine()
            except Exception:
                log.exception("supervisor feed: could not read promises and complaints")

    def apply(self, events: list[Event]) -> None:
        """Apply events already enriched, and push the changes (synchronous)."""
        queues: dict[str, int] = {}
        agents: dict[str, int] = {}
        contacts: dict[str, int] = {}
        contact_at: dict[str, float] = {}
        outcomes: dict[str, DayContact] = {}
        for event in events:
            if event.seq <= self.seq:
                continue  # seen already (the feed subscribed after it)
            try:
                touched = self.floor.apply(event)
            except Exception:  # one malformed event must not cost the rest of the batch
                log.exception(
                    "supervisor feed: could not apply event %d (%s)", event.seq, event.name
                )
                touched = Touched()
            if event.name == ev.AGENT_ACCOUNT:
                touched = Touched(agents=frozenset({str(event.data["agent_id"])}))
                if event.data.get("revoke"):
                    self._revoked(int(event.data["agent_id"]))
            elif event.name == ev.QUEUE_CHANGED:
                touched = Touched(queues=frozenset(self.floor.queues))
            for key in touched.queues:
                queues[key] = event.seq
            for key in touched.agents:
                agents[key] = event.seq
            for key in touched.contacts:
                contacts[key] = event.seq
                contact_at[key] = event.at
            if touched.outcome is not None:
                outcomes[touched.outcome.id] = touched.outcome
            self.seq = event.seq
        self._progress.set()
        if not self.connections:
            contacts = {}  # no wallboard open: no message to build (see _send_queue)
        for cid, seq in sorted(contacts.items(), key=lambda kv: kv[1]):
            message = self.contact_message(cid, seq, outcomes.get(cid), contact_at[cid])
            if message.get("outcome") == "ended" and cid not in outcomes:
                # An answered contact's end: every wallboard took it off the waiting list
                # when it was answered (a resume still says so, for one that missed it).
                continue
            self._broadcast(message)
        for key, seq in queues.items():
            if key:
                self.queue_updates.touch(key, seq)
        for key, seq in agents.items():
            self.agent_updates.touch(key, seq)

    # --- messages -------------------------------------------------------------------------
    def _now(self) -> float:
        return self.center.clock()

    def contact_message(
        self,
        cid: str,
        seq: int,
        outcome: DayContact | None = None,
        event_at: float | None = None,
    ) -> Message:
        """``event_at``: when the event behind it happened (the bus's time), so a client can
        tell how fresh it is; null in a resume (the events may be many)."""
        c = self.floor.contacts.get(cid)
        message: Message = {
            "type": "contact.update",
            "seq": seq,
            "at": self._now(),
            "event_at": event_at,
        }
        if c is not None and c.status in ("queued", "offered"):
            return message | {"contact_id": cid, "contact": self.floor.contact_view(c)}
        day = outcome or self.floor.day.get(cid)
        if c is not None:  # in an agent's hands: off the waiting list
            result = "answered"
        elif day is not None and not day.answered:
            result = "timed_out" if day.timed_out else "abandoned"
        else:
            result = "ended"
        message |= {"contact_id": cid, "contact": None, "outcome": result}
        if day is not None and not day.answered:
            message["abandoned"] = self.floor.outcome_view(day)
        return message

    def queue_message(self, name: str, seq: int) -> Message:
        now = self._now()
        return {
            "type": "queue.update",
            "seq": seq,
            "at": now,
            "queue": self.floor.queue_view(name, now),
            "floor": self.floor.floor_view(now),
        }

    def agent_message(self, aid: str, seq: int) -> Message:
        now = self._now()
        return {
            "type": "agent.update",
            "seq": seq,
            "at": now,
            "agent": self.floor.agent_view(aid, now),
        }

    def _send_queue(self, key: Hashable, seq: int) -> None:
        # No wallboard open: nothing to build (the floor keeps its state all the same, and a
        # wallboard that connects gets a snapshot built then).
        if self.connections and str(key) in self.floor.queues:
            self._broadcast(self.queue_message(str(key), seq))

    def _send_agent(self, key: Hashable, seq: int) -> None:
        if self.connections:
            self._broadcast(self.agent_message(str(key), seq))

    def _broadcast(self, message: Message) -> None:
        for conn in list(self.connections):
            if conn.put(message):
                self.sent += 1

    def snapshot(self) -> Message:
        """Everything a wallboard shows, as of event ``seq`` (the same one for
        ``SNAPSHOT_REUSE`` seconds while no event came: its ``at`` is that old at most)."""
        now = self._now()
        cached = self._snapshot
        if cached is not None and cached[0] == self.seq and 0 <= now - cached[1] < SNAPSHOT_REUSE:
            return cached[2]
        message = self._build_snapshot(now)
        self._snapshot = (self.seq, now, message)
        return message

    def _build_snapshot(self, now: float) -> Message:
        floor = self.floor
        return {
            "type": "snapshot",
            "stream": self.center.bus.stream,
            "seq": self.seq,
            "at": now,
            "day_start": floor.day_start,
            "settings": {
                "service_level_variant": str(self.config.service_level.variant),
                "short_abandon_seconds": self.config.service_level.short_abandon_seconds,
                "service_level_goal": self.config.service_level_goal,
                "at_risk_share": self.config.at_risk_share,
                "value_grades": list(self.config.value_grades),
                "coalesce_seconds": self.config.coalesce_seconds,
            },
            "queues": [floor.queue_view(name, now) for name in floor.queues],
            "agents": [floor.agent_view(aid, now) for aid in floor.shown_agents()],
            "contacts": [floor.contact_view(c) for c in floor.waiting()],
            "abandoned": floor.abandoned(self.config.abandoned_listed),
            "floor": floor.floor_view(now),
            "names": current_names().table(),
            "break_reasons": self.console.as_hello()["break_reasons"] if self.console else [],
            "doctrine": self.doctrine,
        }

    def resume(self, after: int) -> list[Message] | None:
        """What changed after event ``after``, as the feed's messages (the current view of
        every queue, agent and contact those events touched), or None when the bus no
        longer holds those events (the client gets a snapshot)."""
        if after > self.seq:
            return None
        missed = self.center.bus.since(after)
        if missed is None:
            return None
        queues: dict[str, int] = {}
        agents: dict[str, int] = {}
        contacts: dict[str, int] = {}
        for event in missed:
            if event.seq > self.seq:
                break  # not in the floor yet: it comes as a delta
            q, a, c = _keys(event)
            if event.name == ev.QUEUE_CHANGED:
                q |= set(self.floor.queues)
            for cid in c:
                live = self.floor.contacts.get(cid)
                day = self.floor.day.get(cid)
                if live is not None:
                    q.add(live.queue)
                    if live.agent_id:
                        a.add(live.agent_id)
                if day is not None:
                    q.add(day.queue)
            for key in q:
                queues[key] = event.seq
            for key in a:
                agents[key] = event.seq
            for key in c:
                contacts[key] = event.seq
        now = self._now()
        out: list[Message] = [
            {
                "type": "resume",
                "stream": self.center.bus.stream,
                "after": after,
                "seq": self.seq,
                "at": now,
            }
        ]
        out += [
            self.contact_message(cid, seq)
            for cid, seq in sorted(contacts.items(), key=lambda kv: kv[1])
        ]
        out += [self.queue_message(q, seq) for q, seq in queues.items() if q in self.floor.queues]
        out += [self.agent_message(a, seq) for a, seq in agents.items() if a in self.floor.agents]
        return out

    # --- sockets --------------------------------------------------------------------------
    async def caught_up(self, timeout: float = 1.0) -> None:  # noqa: ASYNC109
        """Wait (bounded) until the floor holds every event published so far, so that a
        wallboard connecting sees what was just done (the feed handles events in batches
        up to LINGER seconds late)."""
        target = self.center.bus.last_seq
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while self.seq < target:
                    self._progress.clear()
                    await self._progress.wait()

    def attach(
        self,
        who: int,
        socket: Socket,
        lang: str,
        after: int | None = None,
        stream: str | None = None,
        batch: bool = False,
    ) -> Connection:
        """A supervisor's socket: a snapshot first, or what it missed since ``after`` when
        it comes back to the same stream; then every update (``batch``: what piles up goes
        in one frame, :class:`FeedConnection`)."""
        conn = FeedConnection(who, socket, lang, self.queue_limit, self.shared.localize)
        conn.batch, conn.window = batch, self.config.batch_seconds
        replay = None
        if after is not None and stream == self.center.bus.stream:
            replay = self.resume(after)
        for message in replay if replay is not None else [self.snapshot()]:
            conn.put(message)
        self.connections.add(conn)
        return conn

    async def detach(self, conn: Connection) -> None:
        self.connections.discard(conn)
        await conn.stop()

    def _revoked(self, agent_id: int) -> None:
        """A supervisor's account was deactivated, demoted or logged out: their feed ends."""
        for conn in list(self.connections):
            if conn.agent_id == agent_id:
                conn.close(REVOKED, "session revoked: log in again")

    def disconnect_all(self, code: int = 1012, reason: str = "server restarting") -> None:
        for conn in list(self.connections):
            conn.close(code, reason)


def _agent_info(a: Agent) -> AgentInfo:
    return AgentInfo(
        id=str(a.id),
        name=a.display_name or a.username,
        team=a.team,
        skills=dict(a.skills or {}),
        role=a.role,
    )


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
