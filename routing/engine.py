"""The router: routing events in, decisions out.

Every public method takes ``now`` (float seconds, the adapter's clock), applies one event to
the live state in the store, then matches waiting contacts with free agents, and returns the
decisions in the order they happened. Methods raise before writing anything when the event
is invalid (unknown ids: 404, illegal agent transitions or closed offers: 409, bad input: 422).

Not thread-safe by design: the adapter calls it from one task (or under one lock).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping

from agents.profile import Agent, InvalidAgent
from agents.state import (
    AcceptOffer,
    AgentEvent,
    AgentState,
    EndContact,
    ExtendWrapup,
    FinishWrapup,
    IllegalTransition,
    LogIn,
    LogOut,
    MakeAvailable,
    Presence,
    ReceiveOffer,
    RejectOffer,
    ResumeContact,
    TakeBreak,
    UpdateCapacity,
    WithdrawOffer,
    transition,
)
from routing import explain
from routing.batch import Batch, apply_agent_event
from routing.config import QueueConfig, RouterSettings, RoutingConfig, check_queues
from routing.contact import Contact
from routing.decisions import (
    CancelCause,
    ContactAssigned,
    ContactEnded,
    ContactEscalated,
    Decision,
    WrapupEndCause,
    WrapupEnded,
    WrapupExtended,
)
from routing.errors import (
    ContactNotWaiting,
    DuplicateContact,
    InvalidContact,
    OfferNotOpen,
    UnknownAgent,
    UnknownContact,
)
from routing.lifecycle import Lifecycle
from routing.matching import Matcher
from routing.memory_store import InMemoryStore
from routing.planner import RoutePlanner
from routing.policy import Policy
from routing.pools import PoolDirectory
from routing.priority import static_key
from routing.records import AgentRecord, ContactStatus, OfferRecord, Route, Timer, TimerKind
from routing.snapshot import RoutingSnapshot, take_snapshot
from routing.store import RoutingStore
from routing.wording import end_reason, name, say

DEFAULT_BREAK = "break"
MAX_PRIORITY_RAISE = 1000.0  # points a supervisor may add at once (a vip's boost is 60)


class Router:
    """Routes contacts to agents under a :class:`Policy`.

    Args:
        policy: the parsed routing policy.
        queues: queue configurations (name, skills, SLA, max wait, overflow).
        store: live state holder; a fresh :class:`InMemoryStore` by default.
        settings: offer timeout, missed-offer limit, wrap-up time, re-offer cool-down.
    """

    def __init__(
        self,
        policy: Policy,
        queues: Iterable[QueueConfig] | Mapping[str, QueueConfig],
        store: RoutingStore | None = None,
        settings: RouterSettings | None = None,
    ) -> None:
        queue_list = tuple(queues.values() if isinstance(queues, Mapping) else queues)
        check_queues(policy, queue_list)
        self.policy = policy
        self.queues = {q.name: q for q in queue_list}
        self.store: RoutingStore = store if store is not None else InMemoryStore()
        self.settings = settings or RouterSettings()
        self._rules = self.settings.agent_rules
        self.directory = PoolDirectory(r.profile for r in self.store.agents())
        planner = RoutePlanner(policy, self.queues, self.directory, self._is_working)
        self.lifecycle = Lifecycle(self.store, planner, policy, self.settings)
        self.matcher = Matcher(self.store, self.directory, policy, self.settings)
        self._seq = itertools.count(max((r.seq for r in self.store.routes()), default=0) + 1)

    @classmethod
    def from_config(cls, config: RoutingConfig, store: RoutingStore | None = None) -> Router:
        """Build from a parsed routing.yaml (:meth:`RoutingConfig.from_mapping`)."""
        return cls(config.policy, config.queues, store, config.settings)

    # --- contacts ------------------------------------------------------------------------
    def contact_arrived(
        self,
        contact: Contact,
        now: float,
        waiting_since: float | None = None,
        never_to: Iterable[str] = (),
    ) -> list[Decision]:
        """A call or chat joins its queue: ContactQueued, then an Offer if someone is free.

        ``waiting_since`` resumes a contact that was already waiting (after a restart): it
        keeps its place and its age, and escalation steps already due fire on the next tick.
        ``never_to``: agents this contact is never offered to (the agent who transferred it
        away, whom a preference such as a complaint's owner would otherwise pick again).
        """
        self._check_new(contact)
        batch = Batch(now)
        start = now if waiting_since is None else min(waiting_since, now)
        route = self.lifecycle.planner.open(contact, start, next(self._seq), never_to)
        self.lifecycle.place(route, 0, start, batch)
        return self._finish(batch)

    def contact_restored(self, contact: Contact, agent: Agent, now: float) -> list[Decision]:
        """A contact an agent was serving before a restart is theirs again (busy with it).

        The agent is logged in for it if they are not yet; no offer is made, and the contact
        ends and is wrapped up as any accepted one.
        """
        self._check_new(contact)
        batch = Batch(now)
        known = self.store.agent(agent.id)
        if known is None or not known.presence.logged_in:
            presence = known.presence if known else Presence()
            record = AgentRecord(agent, presence, agent.contacts_today)
            event = LogIn(int(agent.takes_voice), agent.max_chats, agent.idle_since)
            self._apply(record, event, batch)
            self.directory.add_agent(agent)
        record = self._agent(agent.id)
        route = self.lifecycle.planner.open(contact, contact.created_at, next(self._seq))
        route.status, route.agent_id = ContactStatus.ACTIVE, agent.id
        self.store.save_route(route)
        self._apply(record, ResumeContact(contact.channel), batch)
        return self._finish(batch)

    def offer_undelivered(
        self, contact_id: str, agent_id: str, now: float, retry_after: float
    ) -> list[Decision]:
        """The offer could not be put in front of the agent (the screen pop could not be
        built): withdraw it without counting a missed offer, and route the contact again,
        to this agent no sooner than ``retry_after`` seconds from now."""
        offer = self._open_offer(contact_id, agent_id)
        batch = Batch(now)
        why = say("cancel.undelivered")
        route = self.lifecycle.close_offer(
            offer, CancelCause.UNDELIVERED, why, WithdrawOffer(contact_id), batch
        )
        if retry_after > 0:
            until = now + retry_after
            route.excluded[agent_id] = until
            self.store.schedule(Timer(until, TimerKind.COOLDOWN, route.id, agent_id))
        self.lifecycle.requeue(route, batch)
        return self._finish(batch)

    def offer_withdrawn(self, contact_id: str, now: float, by: str) -> list[Decision]:
        """A supervisor (``by``, a name for the explanation) takes an open offer back: no
        missed offer for the agent; the contact keeps its place in the queue and goes to
        someone else first (this agent is skipped for the re-offer cool-down)."""
        offer = self.store.offer(contact_id)
        if offer is None:
            raise OfferNotOpen(f"contact {contact_id!r} has no open offer to withdraw")
        batch = Batch(now)
        why = say("cancel.withdrawn", by=by)
        route = self.lifecycle.close_offer(
            offer, CancelCause.WITHDRAWN, why, WithdrawOffer(contact_id), batch
        )
        cooldown = self.settings.reoffer_cooldown
        if cooldown > 0:
            until = now + cooldown
            route.excluded[offer.agent_id] = until
            self.store.schedule(Timer(until, TimerKind.COOLDOWN, route.id, offer.agent_id))
        self.lifecycle.requeue(route, batch)
        return self._finish(batch)

    def priority_raised(
        self, contact_id: str, points: float, now: float, by: str
    ) -> list[Decision]:
        """A supervisor (``by``) moves a waiting contact up its queue: ``points`` more
        priority, for good (aging goes on from there). Its step and the agents it may go to
        are unchanged. :class:`ContactEscalated` at the same step carries the explanation.
        """
        if not 0 < points <= MAX_PRIORITY_RAISE:
            raise InvalidContact(f"raise the priority by 1 to {MAX_PRIORITY_RAISE:g} points")
        route = self._route(contact_id)
        if route.status is ContactStatus.ACTIVE:
            raise ContactNotWaiting(f"contact {contact_id!r} is with an agent already")
        batch = Batch(now)
        route.base += points
        route.sort_key = static_key(route.base, route.enqueued_at, self.policy.aging_rate)
        if route.status is ContactStatus.QUEUED:
            self.store.enqueue(route)  # its place in every pool, by the new key
            batch.touched.add(route.id)
        self.store.save_route(route)
        priority = self.lifecycle.priority(route, now)
        why = explain.prioritized(self.policy.rule(route.rule), route, by, points, priority)
        batch.out.append(ContactEscalated(route.id, route.step + 1, why))
        return self._finish(batch)

    def contact_moved(self, contact_id: str, queue: str, now: float, by: str) -> list[Decision]:
        """A supervisor (``by``) moves a waiting contact to ``queue``: an open offer is
        withdrawn first (cause ``withdrawn``, no missed offer); the policy is matched again
        there and the contact starts at its first step, keeping its age. One
        :class:`ContactQueued` in the new queue explains the move."""
        if queue not in self.queues:
            raise InvalidContact(f"unknown queue {queue!r}")
        route = self._route(contact_id)
        if route.status is ContactStatus.ACTIVE:
            raise ContactNotWaiting(f"contact {contact_id!r} is with an agent already")
        if route.queue == queue:
            raise InvalidContact(f"contact {contact_id!r} waits in {queue!r} already")
        batch = Batch(now)
        offer = self.store.offer(contact_id)
        if offer is not None:
            why = say("cancel.withdrawn", by=by)
            route = self.lifecycle.close_offer(
                offer, CancelCause.WITHDRAWN, why, WithdrawOffer(contact_id), batch
            )
        route.status, route.agent_id = ContactStatus.QUEUED, None
        self.store.dequeue(contact_id)
        source = route.queue
        self.lifecycle.planner.move(route, queue, now)
        self.lifecycle.place(route, 0, now, batch, explain_arrival=explain.moved(source, by))
        return self._finish(batch)

    def offer_directed(self, contact_id: str, agent_id: str, now: float, by: str) -> list[Decision]:
        """A supervisor (``by``) offers a waiting contact to ``agent_id``, whatever the
        step allows (skills, preferences, a recent decline). The agent must be able to take
        it now (signed in and free for its channel: else IllegalTransition, nothing changed).
        An open offer to another agent is withdrawn first (cause ``withdrawn``)."""
        route = self._route(contact_id)
        if route.status is ContactStatus.ACTIVE:
            raise ContactNotWaiting(f"contact {contact_id!r} is with an agent already")
        record = self._agent(agent_id)
        if route.agent_id == agent_id:
            raise ContactNotWaiting(f"contact {contact_id!r} is being offered to {agent_id!r}")
        # Refused before anything changes: a busy agent must not cost the open offer.
        transition(record.presence, ReceiveOffer(route.id, route.channel), now, self._rules)
        batch = Batch(now)
        offer = self.store.offer(contact_id)
        if offer is not None:
            why = say("cancel.withdrawn", by=by)
            route = self.lifecycle.close_offer(
                offer, CancelCause.WITHDRAWN, why, WithdrawOffer(contact_id), batch
            )
            route.status, route.agent_id = ContactStatus.QUEUED, None
            self.store.enqueue(route)
        route.excluded.pop(agent_id, None)  # the supervisor's choice wins over a decline
        rule = self.policy.rule(route.rule)
        priority = self.lifecycle.priority(route, now)
        why_offer = explain.directed(rule, route, record, by, priority)
        if not self.matcher.offer_to(route, record, why_offer, batch):
            batch.touched.add(route.id)  # a shared store gave the agent away: route it on
        return self._finish(batch)

    def _check_new(self, contact: Contact) -> None:
        if contact.queue not in self.queues:
            raise InvalidContact(f"contact {contact.id!r}: unknown queue {contact.queue!r}")
        if self.store.route(contact.id) is not None:
            raise DuplicateContact(f"contact {contact.id!r} is already being routed")

    def offer_accepted(self, contact_id: str, agent_id: str, now: float) -> list[Decision]:
        """The agent took the offer: ContactAssigned, agent busy."""
        self._open_offer(contact_id, agent_id)
        record = self._agent(agent_id)
        transition(record.presence, AcceptOffer(contact_id), now, self._rules)  # may raise
        route = self._route(contact_id)
        batch = Batch(now)
        self.store.settle_offer(contact_id)
        route.status = ContactStatus.ACTIVE
        self.store.save_route(route)
        record.contacts_today += 1
        batch.out.append(ContactAssigned(contact_id, agent_id, now - route.arrived_at))
        self._apply(record, AcceptOffer(contact_id), batch)
        return self._finish(batch)

    def offer_rejected(
        self, contact_id: str, agent_id: str, now: float, reason: str = "rejected"
    ) -> list[Decision]:
        """The agent declined: OfferCancelled(rejected), the contact is re-routed to
        someone else (this agent is skipped for it during the re-offer cool-down)."""
        offer = self._open_offer(contact_id, agent_id)
        batch = Batch(now)
        why = say("cancel.rejected", reason=name("reject_reason", reason))
        route = self.lifecycle.close_offer(
            offer, CancelCause.REJECTED, why, RejectOffer(contact_id), batch
        )
        self.lifecycle.requeue_declined(route, batch)
        return self._finish(batch)

    def contact_ended(self, contact_id: str, now: float, reason: str = "ended") -> list[Decision]:
        """The call hung up / the chat closed, at any point.

        Waiting: it was abandoned. Offered: abandoned too, and the agent gets
        OfferCancelled(abandoned). Assigned: the agent goes to wrap-up (or stays busy on
        other chats).
        """
        route = self._route(contact_id)
        batch = Batch(now)
        agent_id = route.agent_id
        if route.status is ContactStatus.ACTIVE and agent_id is not None:
            record = self._agent(agent_id)
            transition(record.presence, EndContact(route.channel), now, self._rules)  # may raise
            self.store.delete_route(contact_id)
            batch.out.append(ContactEnded(contact_id, agent_id, False, reason))
            self._apply(record, EndContact(route.channel), batch)
            return self._finish(batch)
        offer = self.store.offer(contact_id)
        if offer is not None:
            why = say("cancel.customer_left", reason=end_reason(reason))
            self.lifecycle.close_offer(
                offer, CancelCause.ABANDONED, why, WithdrawOffer(contact_id), batch
            )
        self.store.delete_route(contact_id)
        batch.out.append(ContactEnded(contact_id, None, True, reason))
        return self._finish(batch)

    def contact_abandoned(self, contact_id: str, now: float) -> list[Decision]:
        """The customer hung up before being served (same as ``contact_ended``)."""
        return self.contact_ended(contact_id, now, reason="abandoned")

    # --- agents --------------------------------------------------------------------------
    def agent_login(self, agent: Agent, now: float, on_break: str | None = None) -> list[Decision]:
        """The agent logs in with this profile: available, or straight onto a break with
        reason ``on_break`` (then no offer is made in between)."""
        known = self.store.agent(agent.id)
        record = AgentRecord(agent, known.presence if known else Presence(), agent.contacts_today)
        batch = Batch(now)
        event = LogIn(int(agent.takes_voice), agent.max_chats, agent.idle_since)
        self._apply(record, event, batch)
        if on_break is not None:
            self._apply(record, TakeBreak(on_break), batch)
            batch.freed.discard(agent.id)
        self.directory.add_agent(agent)
        return self._finish(batch)

    def agent_logout(self, agent_id: str, now: float) -> list[Decision]:
        return self.set_agent_state(agent_id, AgentState.OFFLINE, now)

    def set_agent_state(
        self, agent_id: str, state: AgentState | str, now: float, reason: str | None = None
    ) -> list[Decision]:
        """Agent or supervisor sets ``available``, ``break`` (with reason) or ``offline``.

        A pending offer is withdrawn (no missed-offer count) and its contact re-routed.
        A break asked for while busy or in wrap-up starts when the work (and its wrap-up)
        ends; ``available`` then cancels it. Made available in wrap-up (no break asked for):
        the wrap-up ends, :class:`WrapupEnded` (``available``; ``offline`` when logged out
        during it), so what is unsaved is saved.
        """
        record = self._agent(agent_id)
        try:
            target = AgentState(state)
        except ValueError:
            raise InvalidAgent(f"unknown agent state {state!r}") from None
        event = self._state_event(record, target, reason)
        presence = record.presence
        batch = Batch(now)
        if presence.offer is not None and not isinstance(event, MakeAvailable):
            # Check legality first so a refused logout does not lose the offer.
            idle = presence._replace(offer=None, offer_channel=None)
            transition(idle, event, now, self._rules)
            offer = self.store.offer(presence.offer)
            assert offer is not None
            why = say("cancel.break" if isinstance(event, TakeBreak) else "cancel.logout")
            contact_id = presence.offer
            route = self.lifecycle.close_offer(
                offer, CancelCause.AGENT_UNAVAILABLE, why, WithdrawOffer(contact_id), batch
            )
            self.lifecycle.requeue(route, batch)
        in_wrapup = presence.state is AgentState.WRAPUP
        self._apply(record, event, batch)
        if in_wrapup and record.presence.state is not AgentState.WRAPUP:
            offline = target is AgentState.OFFLINE
            cause = WrapupEndCause.OFFLINE if offline else WrapupEndCause.AVAILABLE
            batch.out.append(WrapupEnded(agent_id, cause))
        return self._finish(batch)

    def update_agent(self, agent: Agent, now: float) -> list[Decision]:
        """New skills, team or capacity for a logged-in (or known) agent."""
        record = self._agent(agent.id)
        record.profile = agent
        record.contacts_today = agent.contacts_today
        self.directory.add_agent(agent)
        batch = Batch(now)
        if record.presence.logged_in:
            self._apply(record, UpdateCapacity(int(agent.takes_voice), agent.max_chats), batch)
        else:
            self.store.save_agent(record)
        return self._finish(batch)

    def wrapup_done(self, agent_id: str, now: float) -> list[Decision]:
        """The agent finished after-contact work early: available (or the asked-for break)."""
        record = self._agent(agent_id)
        batch = Batch(now)
        self._apply(record, FinishWrapup(), batch)
        return self._finish(batch)

    def wrapup_extended(self, agent_id: str, now: float, seconds: float) -> list[Decision]:
        """The agent needs more time for the wrap-up: it ends ``seconds`` later, but never
        later than ``wrapup_max_seconds`` after it started. :class:`WrapupExtended` says the
        new end. Raises IllegalTransition when not in wrap-up or already at the maximum, and
        ValueError for a number of seconds that is not positive."""
        record = self._agent(agent_id)
        before = record.presence.wrapup_until
        batch = Batch(now)
        self._apply(record, ExtendWrapup(seconds), batch)  # may raise, before any write
        p = record.presence
        assert before is not None and p.wrapup_until is not None and p.wrapup_started is not None
        latest = p.wrapup_started + self._rules.wrapup_max_seconds
        added = round(p.wrapup_until - before, 3)
        batch.out.append(WrapupExtended(agent_id, p.wrapup_until, added, latest))
        return self._finish(batch)

    # --- time ----------------------------------------------------------------------------
    def tick(self, now: float) -> list[Decision]:
        """Fire everything due by ``now``: offer expiries, escalation steps, overflow, max
        waits, re-offer cool-downs and wrap-up timeouts; then re-match."""
        batch = Batch(now)
        store = self.store
        while (timer := store.pop_due(now)) is not None:
            self.lifecycle.fire(timer, batch)
        return self._finish(batch)

    def next_deadline(self) -> float | None:
        """When :meth:`tick` next has work (the adapter may sleep until then)."""
        return self.store.next_due()

    def snapshot(self, now: float) -> RoutingSnapshot:
        """Queues, waiting/offered contacts and agents, for the supervisor wallboard."""
        return take_snapshot(self.store, self.policy, self.queues, now)

    # --- helpers -------------------------------------------------------------------------
    def _finish(self, batch: Batch) -> list[Decision]:
        self.matcher.run(batch)
        return batch.out

    def _apply(self, record: AgentRecord, event: AgentEvent, batch: Batch) -> None:
        apply_agent_event(self.store, record, event, batch, self._rules)

    def _is_working(self, agent_id: str) -> bool:
        record = self.store.agent(agent_id)
        if record is None:
            return False
        presence = record.presence
        return presence.logged_in and presence.break_reason is None

    def _agent(self, agent_id: str) -> AgentRecord:
        record = self.store.agent(agent_id)
        if record is None:
            raise UnknownAgent(f"agent {agent_id!r} is not known to routing (log in first)")
        return record

    def _route(self, contact_id: str) -> Route:
        route = self.store.route(contact_id)
        if route is None:
            raise UnknownContact(f"contact {contact_id!r} is not being routed")
        return route

    def _open_offer(self, contact_id: str, agent_id: str) -> OfferRecord:
        offer = self.store.offer(contact_id)
        if offer is None or offer.agent_id != agent_id:
            raise OfferNotOpen(
                f"no open offer of contact {contact_id!r} to agent {agent_id!r} "
                "(expired, withdrawn or never made)"
            )
        return offer

    @staticmethod
    def _state_event(record: AgentRecord, state: AgentState, reason: str | None) -> AgentEvent:
        if state is AgentState.AVAILABLE:
            return MakeAvailable()
        if state is AgentState.BREAK:
            return TakeBreak(reason or DEFAULT_BREAK)
        if state is AgentState.OFFLINE:
            return LogOut()
        raise IllegalTransition(
            record.presence.state, f"set {state.value}", "only routing sets this state"
        )
