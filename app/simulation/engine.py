"""The discrete-event loop: simulated contacts and agents around the unchanged Router.

Everything that happens is an event at a time: arrivals, accepts (an answer delay after an
offer), ends of talk, ends of wrap-up, callers hanging up, logins, breaks and logouts. The
loop takes the earliest of the next event and the router's own next deadline
(:meth:`Router.next_deadline`: offer expiries, escalation steps, overflow, max waits,
wrap-up timeouts), advances the clock to it, calls the router and reacts to the decisions it
returns — exactly what the server does with a real clock, only without waiting in between.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from agents.state import AgentState, IllegalTransition
from app.simulation.model import Arrival, Options, Shift
from app.simulation.results import ContactOutcome, SimulationResult, summarize, target_of
from routing import (
    AgentStateChanged,
    Contact,
    ContactAssigned,
    ContactEnded,
    ContactOverflowed,
    ContactTimedOut,
    Customer,
    Decision,
    Offer,
    OfferCancelled,
    Router,
    RoutingConfig,
    RoutingError,
)

Progress = Callable[[int, int], None]
"""``progress(arrivals done, arrivals in all)``."""

# Event kinds, in the order they are handled when they fall at the same instant: agents
# arrive before contacts, contacts end before new ones come in.
LOGIN, BREAK_END, END, WRAPUP_DONE, ACCEPT, ABANDON, ARRIVE, BREAK_START, LOGOUT = range(9)
END_OF_SHIFT = "end of shift"
_HANDLING = (AgentState.BUSY, AgentState.WRAPUP)


@dataclass(slots=True)
class _Live:
    """A contact while it is in the simulation."""

    arrival: Arrival
    queue: str
    offers: int = 0
    offer_agent: str | None = None
    offer_seq: int = 0  # which offer an ACCEPT event belongs to
    preferred_as: str | None = None
    agent_id: str | None = None
    answered_at: float | None = None


@dataclass(slots=True)
class _AgentClock:
    """Time an agent spent logged in, on break and handling contacts (for occupancy)."""

    state: AgentState = AgentState.OFFLINE
    since: float = 0.0
    logged_in: float = 0.0
    on_break: float = 0.0
    handling: float = 0.0
    leaving: bool = False  # the shift ended while busy: log out once the work is done

    def move(self, state: AgentState, now: float) -> None:
        spent = now - self.since
        if self.state is not AgentState.OFFLINE:
            self.logged_in += spent
        if self.state is AgentState.BREAK:
            self.on_break += spent
        elif self.state in _HANDLING:
            self.handling += spent
        self.state, self.since = state, now


class Simulation:
    """One policy over one set of arrivals and one roster.

    Args:
        config: the routing policy, queues and settings to simulate (``RoutingConfig``).
        arrivals: the contacts, in any order.
        roster: agents' shifts and breaks.
        options: answer delay, targets, how to count.
    """

    def __init__(
        self,
        config: RoutingConfig,
        arrivals: Sequence[Arrival],
        roster: Sequence[Shift],
        options: Options | None = None,
    ) -> None:
        self.options = options or Options()
        if self.options.answer_delay < 0:
            raise ValueError("answer_delay must not be negative")
        self.config = config
        self.arrivals = sorted(arrivals, key=lambda a: (a.at, a.id))
        self.roster = tuple(roster)
        unknown = {a.queue for a in self.arrivals} - {q.name for q in config.queues}
        if unknown:
            raise ValueError(f"arrivals name queues the policy does not have: {sorted(unknown)}")

    def run(self, progress: Progress | None = None) -> SimulationResult:
        """Simulate until nothing more can happen; the figures of the run."""
        return _Run(self, progress).run()


class _Run:
    """The state of one run (a fresh router each time: runs do not share anything)."""

    def __init__(self, sim: Simulation, progress: Progress | None) -> None:
        self.sim = sim
        self.options = sim.options
        self.router = Router.from_config(sim.config)
        self.queues = self.router.queues
        self.progress = progress
        self.events: list[tuple[float, int, int, str, int]] = []
        self.seq = 0
        self.live: dict[str, _Live] = {}
        self.outcomes: list[ContactOutcome] = []
        self.clocks: dict[str, _AgentClock] = {}
        self.last_served: dict[str, tuple[str, float]] = {}  # customer -> agent, when
        self.calls = 0
        self.now = 0.0
        self.waiting = 0  # contacts not yet answered (waiting or offered)
        self.samples: dict[float, int] = {}
        self.policy_wrapup = sim.config.settings.wrapup_seconds

    # --- the loop ------------------------------------------------------------------------
    def run(self) -> SimulationResult:
        arrivals = self.sim.arrivals
        for i, a in enumerate(arrivals):
            self._push(a.at, ARRIVE, a.id, i)
        for i, shift in enumerate(self.sim.roster):
            self._push(shift.start, LOGIN, shift.agent.id, i)
            for b in shift.breaks:
                if shift.start <= b.start < b.end <= shift.end:
                    self._push(b.start, BREAK_START, shift.agent.id, i)
                    self._push(b.end, BREAK_END, shift.agent.id, i)
            self._push(shift.end, LOGOUT, shift.agent.id, i)
        starts = [a.at for a in arrivals] + [s.start for s in self.sim.roster]
        width = self.options.interval_seconds
        # The through-the-day series start on the interval grid (08:00, not 08:00:07).
        start = math.floor(min(starts, default=0.0) / width) * width
        boundary = start
        total, done, every = len(arrivals), 0, max(1, self.options.progress_every)
        events, router, pop = self.events, self.router, heapq.heappop
        while True:
            deadline = router.next_deadline()
            if events and (deadline is None or events[0][0] <= deadline):
                at = events[0][0]
                while boundary <= at:
                    self.samples[boundary] = self.waiting
                    boundary += width
                at, kind, _, key, index = pop(events)
                self.now = at
                self._handle(kind, key, index)
                if kind == ARRIVE:
                    done += 1
                    if self.progress is not None and done % every == 0:
                        self.progress(done, total)
            elif deadline is not None:
                self.now = max(self.now, deadline)
                while boundary <= self.now:
                    self.samples[boundary] = self.waiting
                    boundary += width
                self._decide(router.tick(self.now))
            else:
                break
        if self.progress is not None:
            self.progress(total, total)
        return self._result(start)

    def _push(self, at: float, kind: int, key: str, index: int) -> None:
        self.seq += 1
        heapq.heappush(self.events, (at, kind, self.seq, key, index))

    def _call(self, fn: Callable[..., list[Decision]], *args: object) -> None:
        self.calls += 1
        self._decide(fn(*args))

    # --- events --------------------------------------------------------------------------
    def _handle(self, kind: int, key: str, index: int) -> None:
        now, router = self.now, self.router
        if kind == ARRIVE:
            self._arrive(self.sim.arrivals[index])
        elif kind == ACCEPT:
            live = self.live.get(key)
            if live is not None and live.offer_seq == index and live.offer_agent is not None:
                self._call(router.offer_accepted, key, live.offer_agent, now)
        elif kind == END:
            live = self.live.get(key)
            if live is not None and live.answered_at is not None:
                self._end(key, live)
        elif kind == ABANDON:
            live = self.live.get(key)
            if live is not None and live.answered_at is None:
                self._call(router.contact_abandoned, key, now)
        elif kind == WRAPUP_DONE:
            record = router.store.agent(key)
            if record is not None and record.presence.state is AgentState.WRAPUP:
                started = record.presence.wrapup_started
                if started is not None and abs(started - (now - index / 1000.0)) < 0.002:
                    self._call(router.wrapup_done, key, now)
        else:
            self._roster(kind, key, index)

    def _arrive(self, a: Arrival) -> None:
        customer = a.customer
        seen = self.last_served.get(customer.customer_id or "")
        if seen is not None:
            # Who served this customer last, in *this* run: a policy that sends callers to
            # other agents changes whom their next call prefers.
            customer = _with_last(customer, seen)
        contact = Contact(
            id=a.id,
            channel=a.channel,
            queue=a.queue,
            created_at=a.at,
            customer=customer,
            language=a.language,
            base_priority=a.base_priority,
            intent=a.intent,
            attributes=a.attributes,
        )
        self.live[a.id] = _Live(a, a.queue)
        self.waiting += 1
        if not math.isinf(a.patience_seconds):
            self._push(a.at + max(0.0, a.patience_seconds), ABANDON, a.id, 0)
        self._call(self.router.contact_arrived, contact, self.now)

    def _end(self, contact_id: str, live: _Live) -> None:
        agent_id = live.agent_id
        assert agent_id is not None
        self._call(self.router.contact_ended, contact_id, self.now, "ended")
        wrapup = live.arrival.wrapup_seconds
        if wrapup is not None and wrapup < self.policy_wrapup:
            # The index carries the wrap-up's length (ms): a "done" meant for an earlier
            # wrap-up of this agent (it ended another way) finds another start and is ignored.
            self._push(self.now + wrapup, WRAPUP_DONE, agent_id, round(wrapup * 1000))

    def _roster(self, kind: int, agent_id: str, index: int) -> None:
        router, now = self.router, self.now
        shift = self.sim.roster[index]
        clock = self.clocks.setdefault(agent_id, _AgentClock())
        try:
            if kind == LOGIN:
                clock.leaving = False
                self._call(router.agent_login, shift.agent, now)
            elif clock.state is AgentState.OFFLINE:
                return
            elif kind == BREAK_START:
                reason = next(b.reason for b in shift.breaks if b.start == now)
                self._call(router.set_agent_state, agent_id, AgentState.BREAK, now, reason)
            elif kind == BREAK_END:
                if not clock.leaving:
                    self._call(router.set_agent_state, agent_id, AgentState.AVAILABLE, now)
            elif kind == LOGOUT:
                if clock.state in _HANDLING:
                    # Logging out with a contact in hand is refused: finish it, then go.
                    clock.leaving = True
                    self._call(router.set_agent_state, agent_id, "break", now, END_OF_SHIFT)
                else:
                    self._call(router.agent_logout, agent_id, now)
        except (IllegalTransition, RoutingError):
            pass  # e.g. a break over a break: the roster asked for what cannot be

    # --- decisions -----------------------------------------------------------------------
    def _decide(self, decisions: list[Decision]) -> None:
        now = self.now
        for d in decisions:
            if isinstance(d, Offer):
                live = self.live[d.contact_id]
                live.offers += 1
                live.offer_agent = d.agent_id
                live.offer_seq += 1
                live.preferred_as = next(
                    (c.preferred_as for c in d.explanation.candidates if c.agent_id == d.agent_id),
                    None,
                )
                delay = self.options.answer_delay
                if now + delay < d.expires_at:  # a slower agent lets the offer expire
                    self._push(now + delay, ACCEPT, d.contact_id, live.offer_seq)
            elif isinstance(d, OfferCancelled):
                cancelled = self.live.get(d.contact_id)
                if cancelled is not None and cancelled.offer_agent == d.agent_id:
                    cancelled.offer_agent = None
            elif isinstance(d, ContactAssigned):
                live = self.live[d.contact_id]
                live.agent_id, live.answered_at, live.offer_agent = d.agent_id, now, None
                self.waiting -= 1
                self._push(now + live.arrival.handle_seconds, END, d.contact_id, 0)
            elif isinstance(d, ContactEnded):
                self._finish(d.contact_id, not d.abandoned)
            elif isinstance(d, ContactTimedOut):
                self._finish(d.contact_id, False)  # nobody answered: counts as abandoned
            elif isinstance(d, ContactOverflowed):
                self.live[d.contact_id].queue = d.to_queue
            elif isinstance(d, AgentStateChanged):
                clock = self.clocks.setdefault(d.agent_id, _AgentClock())
                clock.move(d.state, now)
                if clock.leaving and d.state is AgentState.BREAK:
                    clock.leaving = False
                    self._push(now, LOGOUT, d.agent_id, self._shift_of(d.agent_id))

    def _shift_of(self, agent_id: str) -> int:
        return next(i for i, s in enumerate(self.sim.roster) if s.agent.id == agent_id)

    def _finish(self, contact_id: str, answered: bool) -> None:
        live = self.live.pop(contact_id, None)
        if live is None:
            return
        a, now = live.arrival, self.now
        if live.answered_at is None:
            self.waiting -= 1
        grade = a.customer.grade
        wait = (live.answered_at if live.answered_at is not None else now) - a.at
        wrapup = self.policy_wrapup if a.wrapup_seconds is None else a.wrapup_seconds
        if answered and live.agent_id is not None and a.customer.customer_id:
            self.last_served[a.customer.customer_id] = (live.agent_id, now)
        self.outcomes.append(
            ContactOutcome(
                id=a.id,
                arrived_at=a.at,
                queue=live.queue,
                grade=grade,
                answered=answered,
                wait_seconds=wait,
                target=target_of(self.queues.get(live.queue), grade, self.options),
                talk_seconds=now - live.answered_at if live.answered_at is not None else 0.0,
                wrapup_seconds=min(wrapup, self.policy_wrapup) if answered else 0.0,
                offers=live.offers,
                agent_id=live.agent_id if answered else None,
                preferred_as=live.preferred_as if answered else None,
            )
        )

    # --- figures -------------------------------------------------------------------------
    def _result(self, start: float) -> SimulationResult:
        now = self.now
        for clock in self.clocks.values():
            clock.move(clock.state, now)
        for live in list(self.live.values()):  # still waiting: nobody could serve
            a = live.arrival
            self.outcomes.append(
                ContactOutcome(
                    a.id,
                    a.at,
                    live.queue,
                    a.customer.grade,
                    False,
                    now - a.at,
                    target_of(self.queues.get(live.queue), a.customer.grade, self.options),
                    offers=live.offers,
                    finished=False,
                )
            )
        return summarize(
            self.outcomes,
            self.options,
            self._queue_occupancy(),
            _occupancy(self.clocks.values()),
            lambda t: self.samples.get(t, 0),
            start,
            self.calls,
        )

    def _queue_occupancy(self) -> dict[str, float | None]:
        skills = {s.agent.id: s.agent.skills for s in self.sim.roster}
        out: dict[str, float | None] = {}
        for name, q in self.queues.items():
            serving = [
                c
                for agent_id, c in self.clocks.items()
                if all(skills.get(agent_id, {}).get(s, 0) >= lvl for s, lvl in q.skills)
            ]
            out[name] = _occupancy(serving)
        return out


def _occupancy(clocks: Iterable[_AgentClock]) -> float | None:
    """Handling (talk + wrap-up) / (logged in − breaks), docs/metrics.md."""
    items = list(clocks)
    available = sum(c.logged_in - c.on_break for c in items)
    handling = sum(c.handling for c in items)
    return min(1.0, handling / available) if available > 0 else None


def _with_last(customer: Customer, seen: tuple[str, float]) -> Customer:
    return replace(customer, last_agent_id=seen[0], last_contact_at=seen[1])
