"""The floor as a supervisor sees it: a projection of the event stream, in memory.

:class:`Floor` holds what is live (contacts waiting, offered and in agents' hands; agents
and their states) and what happened today (each finished contact's outcome, each agent's
time per state), and answers the views the supervisor feed sends (docs/supervisor.md).
It does no I/O and reads no clock: the feed hands it events, seeds and ``now``. Every figure
comes from :mod:`app.metrics.figures`, so the wallboard and the reports cannot disagree.

Outcomes are kept per contact id, so seeding from the record and then applying an event the
record already held changes nothing (a replay is harmless).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.events import Event
from app.events import names as ev
from app.metrics.erlang import staffing
from app.metrics.figures import Outcome, figures, figures_by_grade, occupancy
from app.supervisor.config import SupervisorConfig
from app.supervisor.series import WaitPeaks

WAITING = ("queued", "offered")
CALLBACK_SOURCE = "callback"  # the `source` of a callback a supervisor made (app.supervisor)
AGENT_STATES = ("available", "offered", "busy", "wrapup", "break")
# Time in these states is handling a contact (talk + wrap-up) for occupancy.
HANDLING = ("busy", "wrapup")
# "Agents needed now" reads the traffic of this last stretch of time (Erlang C).
STAFFING_WINDOW = 1800.0


@dataclass(slots=True)
class CustomerFacts:
    """Who is behind a contact, as the wallboard shows them."""

    name: str | None = None
    grade: str | None = None
    clv: float | None = None  # lifetime value
    phone: str | None = None


@dataclass(slots=True)
class QueueInfo:
    name: str
    display_name: str
    sla_seconds: float
    skills: tuple[str, ...] = ()
    targets: dict[str, float] = field(default_factory=dict)  # grade -> its own target


@dataclass(slots=True)
class AgentInfo:
    id: str
    name: str
    team: str | None = None
    skills: dict[str, int] = field(default_factory=dict)
    role: str = "agent"


@dataclass(slots=True)
class LiveContact:
    id: str
    queue: str
    channel: str
    customer_id: int | None
    arrived_at: float
    queue_since: float
    status: str = "queued"  # queued | offered | active
    rule: str | None = None
    step: int | None = None
    steps: int | None = None
    step_label: Any = None  # a message: app.i18n renders it for the reader
    priority: float | None = None
    agent_id: str | None = None
    answered_at: float | None = None


@dataclass(slots=True)
class DayContact:
    """One contact's outcome today, in the queue it was answered or abandoned in."""

    id: str
    queue: str
    customer_id: int | None
    answered: bool
    wait: float
    at: float  # answered or abandoned at
    agent_id: str | None = None
    talk: float | None = None  # known once it ended
    wrapup: float | None = None  # known once the wrap-up was saved
    ended_at: float | None = None
    timed_out: bool = False
    rating: int | None = None

    @property
    def handled(self) -> bool:
        """Answered and its handling over: counted in handle times."""
        return self.answered and self.talk is not None and self.wrapup is not None


@dataclass(slots=True)
class AgentLive:
    info: AgentInfo
    state: str = "offline"
    reason: str | None = None
    pending_break: str | None = None
    since: float = 0.0  # in this state since
    wrapup_until: float | None = None
    missed_in_row: int = 0
    left_wrapup_at: float | None = None
    # Seconds per state today (the open interval since ``since`` is added when read).
    seconds: dict[str, float] = field(default_factory=dict)
    counted_from: float = 0.0  # the state time counts from here (start of day or start-up)


@dataclass(frozen=True, slots=True)
class Touched:
    """What one event changed: the keys whose views the feed sends again."""

    queues: frozenset[str] = frozenset()
    agents: frozenset[str] = frozenset()
    contacts: frozenset[str] = frozenset()
    outcome: DayContact | None = None  # a contact answered or abandoned by this event


NOTHING = Touched()


class DayIndex(dict[str, DayContact]):
    """Today's outcomes by contact id, also by agent and by queue: an agent's or a queue's
    view reads its own, not the whole day (tens of thousands of contacts by the evening, and
    a view per agent a second while wallboards watch). An outcome's queue and agent never
    change once recorded; its talk, wrap-up and rating do, in place."""

    def __init__(self, items: Mapping[str, DayContact] | None = None) -> None:
        super().__init__()
        self.by_agent: dict[str, dict[str, DayContact]] = {}
        self.by_queue: dict[str, dict[str, DayContact]] = {}
        for key, value in (items or {}).items():
            self[key] = value

    def __setitem__(self, key: str, value: DayContact) -> None:
        old = self.get(key)
        if old is not None:
            self._drop(key, old)
        super().__setitem__(key, value)
        if value.agent_id is not None:
            self.by_agent.setdefault(value.agent_id, {})[key] = value
        self.by_queue.setdefault(value.queue, {})[key] = value

    def _drop(self, key: str, old: DayContact) -> None:
        if old.agent_id is not None:
            self.by_agent.get(old.agent_id, {}).pop(key, None)
        self.by_queue.get(old.queue, {}).pop(key, None)

    def of_agent(self, agent_id: str) -> list[DayContact]:
        return list(self.by_agent.get(agent_id, {}).values())

    def of_queue(self, queue: str) -> list[DayContact]:
        return list(self.by_queue.get(queue, {}).values())


class Floor:
    """Live contacts, agents and today's outcomes; see the module docstring."""

    def __init__(self, config: SupervisorConfig) -> None:
        self.config = config
        self.queues: dict[str, QueueInfo] = {}
        self.agents: dict[str, AgentLive] = {}
        self.contacts: dict[str, LiveContact] = {}
        # The waiting contacts' ids by queue, kept up to date as events touch contacts: the
        # wait chart counts a queue's waiting contacts after every event, and counting them
        # over all live contacts made each event cost as much as the backlog was long.
        self._waiting: dict[str, dict[str, None]] = {}
        self._waiting_in: dict[str, str] = {}  # contact id -> the queue it waits in
        self.customers: dict[int, CustomerFacts] = {}
        self.day = DayIndex()
        self.day_start = 0.0
        self.waits = WaitPeaks()
        # Today's abandoned contact -> the callback a supervisor made for it, and back.
        self.callbacks: dict[str, str] = {}
        self.callback_of: dict[str, str] = {}

    # --- seeding --------------------------------------------------------------------------
    def set_queue(self, info: QueueInfo) -> None:
        self.queues[info.name] = info

    def set_agent(self, info: AgentInfo, now: float) -> None:
        live = self.agents.get(info.id)
        if live is None:
            self.agents[info.id] = AgentLive(info, since=now, counted_from=now)
        else:
            live.info = info

    def learn(self, customers: Mapping[int, CustomerFacts]) -> None:
        self.customers.update(customers)

    def seed_outcome(self, outcome: DayContact) -> None:
        if outcome.at >= self.day_start:
            self.day[outcome.id] = outcome

    def seed_callbacks(self, made: Mapping[str, str]) -> None:
        """Callbacks made today: abandoned contact id -> the callback's contact id."""
        self.callbacks.update(made)
        self.callback_of.update({v: k for k, v in made.items()})

    def seed_waits(self, now: float) -> None:
        """Today's chart of waiting contacts, rebuilt from today's outcomes (each waited from
        ``at - wait`` to ``at``) and the contacts waiting now."""
        finished = ((o.queue, o.at - o.wait, o.at) for o in self.day.values())
        live = (
            (c.queue, c.arrived_at, None) for c in self.contacts.values() if c.status in WAITING
        )
        self.waits.seed([*finished, *live], now)
        self._waiting, self._waiting_in = {}, {}
        for cid in self.contacts:  # seeded straight into self.contacts: index them once
            self._reindex(cid)

    def new_day(self, day_start: float) -> None:
        """Today's figures start again at ``day_start``; what is live stays."""
        self.day_start = day_start
        self.day = DayIndex({k: v for k, v in self.day.items() if v.at >= day_start})
        self.callbacks = {k: v for k, v in self.callbacks.items() if k in self.day}
        self.callback_of = {v: k for k, v in self.callbacks.items()}
        self.waits.new_day(day_start)
        for agent in self.agents.values():
            agent.seconds = {}
            agent.counted_from = max(agent.counted_from, day_start)
            agent.since = max(agent.since, day_start) if agent.state != "offline" else agent.since

    # --- events ---------------------------------------------------------------------------
    def apply(self, event: Event) -> Touched:
        """One event's change; returns what it touched."""
        handler = _HANDLERS.get(event.name)
        if handler is None:
            return NOTHING
        touched = handler(self, event.data, event.at)
        for cid in touched.contacts:  # every handler names the contacts it changed
            self._reindex(cid)
        for queue in touched.queues:
            if queue:
                self.waits.observe(queue, event.at, len(self._waiting.get(queue, ())))
        return touched

    def _reindex(self, cid: str) -> None:
        """Put contact ``cid`` where it now belongs in the waiting index."""
        before = self._waiting_in.pop(cid, None)
        if before is not None:
            self._waiting[before].pop(cid, None)
        c = self.contacts.get(cid)
        if c is not None and c.status in WAITING:
            self._waiting.setdefault(c.queue, {})[cid] = None
            self._waiting_in[cid] = c.queue

    def _arrived(self, d: dict[str, Any], at: float) -> Touched:
        cid = str(d["contact_id"])
        created = d.get("created_at")
        since = float(created) if isinstance(created, int | float) else at
        queue = str(d.get("queue") or "")
        self.contacts[cid] = LiveContact(
            id=cid,
            queue=queue,
            channel=str(d.get("channel") or "voice"),
            customer_id=_int(d.get("customer_id")),
            arrived_at=since,
            queue_since=at,
        )
        contacts = {cid}
        if d.get("source") == CALLBACK_SOURCE and d.get("external_id"):
            # A supervisor's callback of an abandoned contact: its entry in today's
            # abandoned list says so (and is sent again).
            gone = str(d["external_id"])
            self.callbacks[gone] = cid
            self.callback_of[cid] = gone
            if gone in self.day:
                contacts.add(gone)
        return Touched(queues=frozenset({queue}), contacts=frozenset(contacts))

    def _contact(self, d: dict[str, Any], at: float) -> LiveContact:
        cid = str(d["contact_id"])
        c = self.contacts.get(cid)
        if c is None:  # its arrival came before the feed started: learn what the event says
            known = self.day.get(cid)
            queue = str(d.get("queue") or d.get("to_queue") or (known.queue if known else ""))
            customer = known.customer_id if known else None
            c = LiveContact(cid, queue, str(d.get("channel") or "voice"), customer, at, at)
            self.contacts[cid] = c
        return c

    def _explain(self, c: LiveContact, explanation: Any) -> None:
        if isinstance(explanation, dict):
            c.rule = explanation.get("rule", c.rule)
            c.step = explanation.get("step", c.step)
            c.steps = explanation.get("steps", c.steps)
            c.step_label = explanation.get("step_label", c.step_label)
            c.priority = explanation.get("priority", c.priority)

    def _queued(self, d: dict[str, Any], at: float) -> Touched:
        c = self._contact(d, at)
        touched = {c.queue}
        if c.queue != d["queue"]:
            c.queue, c.queue_since = str(d["queue"]), at
            touched.add(c.queue)
        c.status, c.agent_id = "queued", None
        self._explain(c, d.get("explanation"))
        c.priority = d.get("priority", c.priority)
        return Touched(queues=frozenset(touched), contacts=frozenset({c.id}))

    def _offered(self, d: dict[str, Any], at: float) -> Touched:
        c = self._contact(d, at)
        c.status, c.agent_id = "offered", str(d["agent_id"])
        self._explain(c, d.get("explanation"))
        return Touched(
            queues=frozenset({c.queue}),
            agents=frozenset({c.agent_id}),
            contacts=frozenset({c.id}),
        )

    def _offer_cancelled(self, d: dict[str, Any], at: float) -> Touched:
        c = self._contact(d, at)
        if d.get("cause") != "abandoned":  # the contact.ended that follows removes it
            c.status, c.agent_id = "queued", None
        agent = str(d["agent_id"])
        return Touched(
            queues=frozenset({c.queue}), agents=frozenset({agent}), contacts=frozenset({c.id})
        )

    def _assigned(self, d: dict[str, Any], at: float) -> Touched:
        c = self._contact(d, at)
        agent = str(d["agent_id"])
        c.status, c.agent_id, c.answered_at = "active", agent, at
        outcome = DayContact(
            id=c.id,
            queue=c.queue,
            customer_id=c.customer_id,
            answered=True,
            wait=float(d.get("waited", at - c.arrived_at)),
            at=at,
            agent_id=agent,
        )
        self.day[c.id] = outcome
        return Touched(
            queues=frozenset({c.queue}),
            agents=frozenset({agent}),
            contacts=frozenset({c.id}),
            outcome=outcome,
        )

    def _escalated(self, d: dict[str, Any], at: float) -> Touched:
        c = self._contact(d, at)
        self._explain(c, d.get("explanation"))
        return Touched(queues=frozenset({c.queue}), contacts=frozenset({c.id}))

    def _overflowed(self, d: dict[str, Any], at: float) -> Touched:
        c = self._contact(d, at)
        before, c.queue, c.queue_since = c.queue, str(d["to_queue"]), at
        self._explain(c, d.get("explanation"))
        return Touched(queues=frozenset({before, c.queue}), contacts=frozenset({c.id}))

    def _gone(self, c: LiveContact, at: float, timed_out: bool) -> DayContact:
        """A contact that left before anyone answered it: abandoned today."""
        outcome = DayContact(
            id=c.id,
            queue=c.queue,
            customer_id=c.customer_id,
            answered=False,
            wait=max(0.0, at - c.arrived_at),
            at=at,
            timed_out=timed_out,
        )
        self.day[c.id] = outcome
        return outcome

    def _timed_out(self, d: dict[str, Any], at: float) -> Touched:
        c = self.contacts.pop(str(d["contact_id"]), None)
        if c is None:
            return NOTHING
        outcome = self._gone(c, at, timed_out=True)
        return Touched(queues=frozenset({c.queue}), contacts=frozenset({c.id}), outcome=outcome)

    def _ended(self, d: dict[str, Any], at: float) -> Touched:
        cid = str(d["contact_id"])
        c = self.contacts.pop(cid, None)
        agent = str(d["agent_id"]) if d.get("agent_id") is not None else None
        agents = frozenset({agent}) if agent else frozenset()
        if c is None:
            return Touched(agents=agents, contacts=frozenset({cid}))
        if d.get("abandoned") or c.answered_at is None:
            outcome = self._gone(c, at, timed_out=False)
            return Touched(
                queues=frozenset({c.queue}),
                agents=agents,
                contacts=frozenset({cid}),
                outcome=outcome,
            )
        day = self.day.get(cid)
        if day is not None:
            day.talk, day.ended_at = max(0.0, at - c.answered_at), at
        return Touched(queues=frozenset({c.queue}), agents=agents, contacts=frozenset({cid}))

    def _wrapped_up(self, d: dict[str, Any], at: float) -> Touched:
        day = self.day.get(str(d["contact_id"]))
        if day is None or day.ended_at is None or day.wrapup is not None:
            return NOTHING
        end = at
        agent = self.agents.get(str(d.get("agent_id")))
        # A wrap-up the server saved after its time ran out ended when the agent left it.
        if agent is not None and agent.left_wrapup_at is not None:
            if day.ended_at <= agent.left_wrapup_at < end:
                end = agent.left_wrapup_at
        day.wrapup = max(0.0, end - day.ended_at)
        agents = frozenset({day.agent_id}) if day.agent_id else frozenset()
        return Touched(queues=frozenset({day.queue}), agents=agents)

    def _rated(self, d: dict[str, Any], at: float) -> Touched:
        """A customer rated a contact of today (the IVR survey, or the chat page): the
        agent's and the queue's average rating move."""
        day = self.day.get(str(d.get("contact_id")))
        rating = d.get("rating")
        if day is None or not isinstance(rating, int):
            return NOTHING
        day.rating = rating
        agents = frozenset({day.agent_id}) if day.agent_id else frozenset()
        return Touched(queues=frozenset({day.queue}), agents=agents)

    def _agent_state(self, d: dict[str, Any], at: float) -> Touched:
        aid = str(d["agent_id"])
        live = self.agents.get(aid)
        if live is None:
            live = self.agents[aid] = AgentLive(AgentInfo(aid, aid), since=at, counted_from=at)
        state = str(d.get("state") or "offline")
        if state != live.state or d.get("reason") != live.reason:
            self._count(live, at)
            if live.state == "wrapup" and state != "wrapup":
                live.left_wrapup_at = at
            live.state, live.since = state, at
        live.reason = d.get("reason")
        live.pending_break = d.get("pending_break")
        live.wrapup_until = d.get("wrapup_until")
        live.missed_in_row = int(d.get("missed_in_row") or 0)
        return Touched(queues=self._served_by(live.info), agents=frozenset({aid}))

    def _count(self, live: AgentLive, at: float) -> None:
        start = max(live.since, live.counted_from)
        if at > start:
            live.seconds[live.state] = live.seconds.get(live.state, 0.0) + at - start

    # --- views ----------------------------------------------------------------------------
    def _served_by(self, agent: AgentInfo) -> frozenset[str]:
        return frozenset(q.name for q in self.queues.values() if _serves(agent, q))

    def serving(self, queue: str) -> list[AgentLive]:
        q = self.queues.get(queue)
        if q is None:
            return []
        return [a for a in self.agents.values() if _serves(a.info, q)]

    def target(self, queue: str, grade: str | None) -> float:
        q = self.queues.get(queue)
        base = q.sla_seconds if q is not None else 20.0
        if q is None or grade is None:
            return base
        return q.targets.get(grade, base)

    def facts(self, customer_id: int | None) -> CustomerFacts:
        if customer_id is None:
            return CustomerFacts()
        return self.customers.get(customer_id) or CustomerFacts()

    def waiting(self, queue: str | None = None) -> list[LiveContact]:
        """Contacts waiting (queued or being offered), the longest waiting first."""
        if queue is None:
            ids: Iterable[str] = self._waiting_in
        else:
            ids = self._waiting.get(queue, {})
        out = [c for cid in ids if (c := self.contacts.get(cid)) is not None]
        out.sort(key=lambda c: (c.arrived_at, c.id))
        return out

    def contact_view(self, c: LiveContact) -> dict[str, Any]:
        f = self.facts(c.customer_id)
        return {
            "id": c.id,
            "queue": c.queue,
            "channel": c.channel,
            "status": c.status,
            "customer_id": c.customer_id,
            "customer_name": f.name,
            "grade": f.grade,
            "lifetime_value": _money(f.clv),
            "arrived_at": c.arrived_at,
            "queue_since": c.queue_since,
            "target_seconds": self.target(c.queue, f.grade),
            "rule": c.rule,
            "step": c.step,
            "steps": c.steps,
            "step_label": c.step_label,
            "priority": round(c.priority, 2) if isinstance(c.priority, int | float) else None,
            "agent_id": c.agent_id,
            "callback_of": self.callback_of.get(c.id),
        }

    def outcome_view(self, o: DayContact) -> dict[str, Any]:
        f = self.facts(o.customer_id)
        return {
            "id": o.id,
            "queue": o.queue,
            "customer_id": o.customer_id,
            "customer_name": f.name,
            "phone": f.phone,
            "grade": f.grade,
            "lifetime_value": _money(f.clv),
            "waited": round(o.wait, 1),
            "at": o.at,
            "timed_out": o.timed_out,
            "callback_id": self.callbacks.get(o.id),
        }

    def abandoned(self, limit: int) -> list[dict[str, Any]]:
        """Today's abandoned contacts, the latest first."""
        gone = [o for o in self.day.values() if not o.answered]
        gone.sort(key=lambda o: (-o.at, o.id))
        return [self.outcome_view(o) for o in gone[:limit]]

    def _outcomes(self, items: Iterable[DayContact]) -> list[Outcome]:
        return [
            Outcome(
                wait_seconds=o.wait,
                answered=o.answered,
                talk_seconds=o.talk or 0.0,
                wrapup_seconds=o.wrapup or 0.0,
                grade=self.facts(o.customer_id).grade,
            )
            for o in items
        ]

    def _at_risk(self, contacts: Iterable[LiveContact | DayContact]) -> dict[str, Any]:
        """Count and lifetime value of the value grades' customers among ``contacts``
        (a customer counted once, however many of their contacts are listed)."""
        grades = set(self.config.value_grades)
        by_grade = {g: 0 for g in self.config.value_grades}
        seen: dict[int, CustomerFacts] = {}
        for c in contacts:
            f = self.facts(c.customer_id)
            if f.grade in grades:
                by_grade[f.grade] += 1
                if c.customer_id is not None:
                    seen[c.customer_id] = f
        value = sum(f.clv or 0.0 for f in seen.values())
        return {
            "count": sum(by_grade.values()),
            "customers": len(seen),
            "value": _money(value),
            "by_grade": by_grade,
        }

    def queue_view(self, name: str, now: float) -> dict[str, Any]:
        q = self.queues.get(name) or QueueInfo(name, name, 20.0)
        waiting = self.waiting(name)
        queued = [c for c in waiting if c.status == "queued"]
        by_grade: dict[str, int] = {}
        for c in waiting:
            grade = self.facts(c.customer_id).grade or ""
            by_grade[grade] = by_grade.get(grade, 0) + 1
        vip = [c for c in waiting if self.facts(c.customer_id).grade == "vip"]
        share = self.config.at_risk_share
        over = sum(
            now - c.arrived_at > self.target(name, self.facts(c.customer_id).grade) for c in waiting
        )
        near = (
            sum(
                now - c.arrived_at >= share * self.target(name, self.facts(c.customer_id).grade)
                for c in waiting
            )
            - over
        )
        agents = {s: 0 for s in AGENT_STATES}
        serving = self.serving(name)
        for a in serving:
            if a.state in agents:
                agents[a.state] += 1
        agents["logged_in"] = sum(1 for a in serving if a.state != "offline")
        day = self.day.of_queue(name)
        return {
            "name": name,
            "display_name": q.display_name,
            "sla_seconds": q.sla_seconds,
            "targets": dict(q.targets),
            "now": {
                "waiting": len(waiting),
                "queued": len(queued),
                "offered": len(waiting) - len(queued),
                "waiting_by_grade": by_grade,
                "oldest_since": waiting[0].arrived_at if waiting else None,
                "oldest_vip_since": vip[0].arrived_at if vip else None,
                "over_target": over,
                "near_target": max(0, near),
                "agents": agents,
            },
            "today": self._today(name, day, serving, now),
            "value_at_risk": {
                "waiting": self._at_risk(waiting),
                "abandoned": self._at_risk([o for o in day if not o.answered]),
            },
            "staffing": self._staffing(q, day, waiting, agents["logged_in"], now),
            "series": self._series(q, day, now),
        }

    def _staffing(
        self,
        q: QueueInfo,
        day: list[DayContact],
        waiting: list[LiveContact],
        logged_in: int,
        now: float,
    ) -> dict[str, Any]:
        """Agents needed now by Erlang C, from the last ``STAFFING_WINDOW``'s traffic: the
        contacts that arrived in it (answered, abandoned or waiting) and the handle time of
        those handled in it (today's when none was), to answer the service-level goal within
        the queue's target; beside the agents logged in."""
        since = now - STAFFING_WINDOW
        arrived = sum(1 for o in day if o.at - o.wait >= since)
        arrived += sum(1 for c in waiting if c.arrived_at >= since)
        recent = [o for o in day if o.handled and (o.ended_at or o.at) >= since]
        source = recent or [o for o in day if o.handled]
        aht = figures(self._outcomes(source), self.config.rule(q.sla_seconds)).aht_seconds
        needed: int | None = None
        traffic: float | None = None
        if arrived == 0:
            needed, traffic = 0, 0.0
        elif aht:
            try:
                plan = staffing(
                    arrived,
                    STAFFING_WINDOW,
                    aht,
                    self.config.service_level_goal * 100,
                    q.sla_seconds,
                )
                needed, traffic = plan.agents, plan.traffic
            except ValueError:  # beyond one queue's staffing: shown as unknown
                needed = None
        return {
            "window_seconds": STAFFING_WINDOW,
            "offered": arrived,
            "aht_seconds": _secs(aht),
            "traffic": round(traffic, 2) if traffic is not None else None,
            "agents_needed": needed,
            "logged_in": logged_in,
        }

    def _series(self, q: QueueInfo, day: list[DayContact], now: float) -> dict[str, Any]:
        """Today in buckets (app.supervisor.series): the most contacts waiting at once, and
        the service level of the contacts answered or abandoned in each bucket, over all
        and per grade against the grade's own target (null: nothing counted)."""
        waiting = self.waits.view(q.name, now)
        n = len(waiting)
        buckets: list[list[DayContact]] = [[] for _ in range(n)]
        for o in day:
            b = self.waits.index(o.at)
            if b < n:
                buckets[b].append(o)
        rule = self.config.rule(q.sla_seconds)
        rules = {g: self.config.rule(t) for g, t in q.targets.items()}
        overall: list[float | None] = []
        by_grade: dict[str, list[float | None]] = {}
        for i, items in enumerate(buckets):
            outcomes = self._outcomes(items)
            overall.append(_share3(figures(outcomes, rule).service_level))
            for grade, f in figures_by_grade(outcomes, rules, rule).items():
                by_grade.setdefault(grade, [None] * n)[i] = _share3(f.service_level)
        # Compact: the quarter hours before the first with any traffic are left out (a
        # day's first hours are often empty); `first` is the index of the first one sent.
        first = next(
            (i for i in range(n) if waiting[i] or overall[i] is not None or buckets[i]), n - 1
        )
        return {
            "start": self.waits.day_start,
            "bucket_seconds": self.waits.bucket,
            "first": first,
            "waiting": waiting[first:],
            "service_level": overall[first:],
            "by_grade": {g: values[first:] for g, values in by_grade.items()},
        }

    def _today(
        self, name: str, day: list[DayContact], serving: list[AgentLive], now: float
    ) -> dict[str, Any]:
        q = self.queues.get(name)
        rule = self.config.rule(q.sla_seconds if q is not None else 20.0)
        outcomes = self._outcomes(day)
        all_ = figures(outcomes, rule)
        handled = figures(self._outcomes(o for o in day if o.handled), rule)
        rules = {g: self.config.rule(t) for g, t in (q.targets if q is not None else {}).items()}
        per_grade = figures_by_grade(outcomes, rules, rule)
        handling = sum(self.agent_seconds(a, now, HANDLING) for a in serving)
        logged_in = sum(self.agent_logged_in(a, now) for a in serving)
        breaks = sum(self.agent_seconds(a, now, ("break",)) for a in serving)
        return {
            "offered": all_.offered,
            "answered": all_.answered,
            "abandoned": all_.abandoned,
            "short_abandoned": all_.short_abandoned,
            "answered_within": all_.answered_within,
            "service_level": _share(all_.service_level),
            "asa_seconds": _secs(all_.asa_seconds),
            "aht_seconds": _secs(handled.aht_seconds),
            "abandon_rate": _share(all_.abandon_rate),
            "occupancy": _share(occupancy(handling, logged_in, breaks)),
            "by_grade": {
                grade or "": {
                    "target_seconds": (rules.get(grade) or rule).target_seconds,
                    "offered": f.offered,
                    "answered": f.answered,
                    "abandoned": f.abandoned,
                    "service_level": _share(f.service_level),
                }
                for grade, f in per_grade.items()
            },
        }

    def agent_seconds(self, a: AgentLive, now: float, states: tuple[str, ...]) -> float:
        total = sum(a.seconds.get(s, 0.0) for s in states)
        if a.state in states:
            total += max(0.0, now - max(a.since, a.counted_from))
        return total

    def agent_logged_in(self, a: AgentLive, now: float) -> float:
        return self.agent_seconds(a, now, (*AGENT_STATES,))

    def agent_view(self, aid: str, now: float) -> dict[str, Any]:
        a = self.agents.get(aid) or AgentLive(AgentInfo(aid, aid))
        mine = [c for c in self.contacts.values() if c.agent_id == aid]
        mine.sort(key=lambda c: (c.status != "active", c.answered_at or c.arrived_at))
        current = None
        if mine:
            c = mine[0]
            f = self.facts(c.customer_id)
            current = {
                "id": c.id,
                "status": c.status,
                "queue": c.queue,
                "channel": c.channel,
                "customer_name": f.name,
                "grade": f.grade,
                "since": c.answered_at or c.arrived_at,
            }
        day = [o for o in self.day.of_agent(aid) if o.answered]
        handled = [o for o in day if o.handled]
        aht = figures(self._outcomes(handled), self.config.rule(20.0)).aht_seconds
        ratings = [o.rating for o in day if o.rating is not None]
        handling = self.agent_seconds(a, now, HANDLING)
        return {
            "id": aid,
            "name": a.info.name,
            "team": a.info.team,
            "state": a.state,
            "reason": a.reason,
            "pending_break": a.pending_break,
            "since": a.since,
            "wrapup_until": a.wrapup_until,
            "missed_in_row": a.missed_in_row,
            "contact": current,
            "active_contacts": sum(1 for c in mine if c.status == "active"),
            "contacts_today": len(day),
            "aht_seconds": _secs(aht),
            "average_rating": round(sum(ratings) / len(ratings), 2) if ratings else None,
            "ratings": len(ratings),
            "occupancy": _share(
                occupancy(
                    handling, self.agent_logged_in(a, now), self.agent_seconds(a, now, ("break",))
                )
            ),
            "queues": sorted(self._served_by(a.info)),
        }

    def shown_agents(self) -> list[str]:
        """Agents on the wallboard: every agent account, and anyone else routing knows."""
        return sorted(
            (
                aid
                for aid, a in self.agents.items()
                if a.info.role == "agent" or a.state != "offline"
            ),
            key=lambda aid: (self.agents[aid].info.name.lower(), aid),
        )

    def floor_view(self, now: float) -> dict[str, Any]:
        """Floor-wide value at risk and totals (every queue together)."""
        waiting = self.waiting()
        gone = [o for o in self.day.values() if not o.answered]
        answered = sum(1 for o in self.day.values() if o.answered)
        return {
            "waiting": len(waiting),
            "answered": answered,
            "abandoned": len(gone),
            "oldest_since": waiting[0].arrived_at if waiting else None,
            "value_at_risk": {"waiting": self._at_risk(waiting), "abandoned": self._at_risk(gone)},
        }


def _serves(agent: AgentInfo, queue: QueueInfo) -> bool:
    """The queue's required skills are all the agent's (as the console's "My day" counts)."""
    return agent.role == "agent" and all(agent.skills.get(s, 0) >= 1 for s in queue.skills)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _share(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


def _share3(value: float | None) -> float | None:
    return round(value, 3) if value is not None else None


def _secs(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


def _money(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None


_HANDLERS = {
    ev.CONTACT_ARRIVED: Floor._arrived,
    ev.CONTACT_QUEUED: Floor._queued,
    ev.CONTACT_OFFERED: Floor._offered,
    ev.OFFER_CANCELLED: Floor._offer_cancelled,
    ev.CONTACT_ASSIGNED: Floor._assigned,
    ev.CONTACT_ESCALATED: Floor._escalated,
    ev.CONTACT_OVERFLOWED: Floor._overflowed,
    ev.CONTACT_TIMED_OUT: Floor._timed_out,
    ev.CONTACT_ENDED: Floor._ended,
    ev.CONTACT_WRAPPED_UP: Floor._wrapped_up,
    ev.CONTACT_RATED: Floor._rated,
    ev.CHAT_RATED: Floor._rated,
    ev.AGENT_STATE: Floor._agent_state,
}
