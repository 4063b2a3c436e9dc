"""A contact's way through routing: steps, overflow, requeue, offers closing, deadlines.

Shared by the :class:`routing.engine.Router` event methods and by ``tick``. All methods
write to the store and append decisions to the :class:`Batch`; none reads a clock.
"""

from __future__ import annotations

from agents.state import AgentEvent, FinishWrapup, MissOffer
from routing import explain
from routing.batch import Batch, apply_agent_event
from routing.config import RouterSettings
from routing.decisions import (
    CancelCause,
    ContactEscalated,
    ContactOverflowed,
    ContactQueued,
    ContactTimedOut,
    OfferCancelled,
    WrapupEndCause,
    WrapupEnded,
)
from routing.planner import RoutePlanner
from routing.policy import Policy, Target
from routing.priority import effective_priority
from routing.records import ContactStatus, OfferRecord, Route, Timer, TimerKind
from routing.store import RoutingStore
from routing.wording import EMPTY, Text, join, say


class Lifecycle:
    def __init__(
        self, store: RoutingStore, planner: RoutePlanner, policy: Policy, settings: RouterSettings
    ) -> None:
        self.store = store
        self.planner = planner
        self.policy = policy
        self.settings = settings
        self._rules = settings.agent_rules

    def priority(self, route: Route, now: float) -> float:
        return effective_priority(route.base, route.enqueued_at, self.policy.aging_rate, now)

    # --- steps and overflow --------------------------------------------------------------
    def place(
        self,
        route: Route,
        index: int,
        at: float,
        batch: Batch,
        cause: Text | None = None,
        explain_arrival: explain.Explainer | None = None,
    ) -> None:
        """Put ``route`` on step ``index`` and follow any overflow; save it and arm timers.

        ``cause`` says why the previous step was left; None means a new arrival (in a new
        queue), explained by ``explain_arrival`` if given (a supervisor's move).
        """
        arrival = cause is None
        added, overflow = self.planner.enter(route, index, at)
        rule = self.policy.rule(route.rule)
        priority = self.priority(route, at)
        if arrival:
            why = (explain_arrival or explain.queued)(rule, route, priority)
            batch.out.append(ContactQueued(route.id, route.queue, priority, why))
            self._schedule_max_wait(route)
        else:
            why = explain.escalated(rule, route, cause or EMPTY, priority)
            batch.out.append(ContactEscalated(route.id, route.step + 1, why))
        rebuilt = arrival
        while overflow:
            source = route.queue
            if self.planner.overflow(route, at) is None:
                route.note = join([route.note, say("skip.no_overflow")])
                break
            rebuilt = True
            added, overflow = self.planner.enter(route, 0, at)
            rule = self.policy.rule(route.rule)
            why = explain.overflowed(rule, route, source, self.priority(route, at))
            batch.out.append(ContactOverflowed(route.id, source, route.queue, why))
            self._schedule_max_wait(route)
        if route.status is ContactStatus.QUEUED:
            if rebuilt:
                self.store.enqueue(route)  # new queue: new pools and sort key
            else:
                self.store.widen(route, added)
            batch.touched.add(route.id)
        self.store.save_route(route)
        step = rule.steps[route.step]
        if step.timeout is not None and step.target is not Target.OVERFLOW:
            token = (route.epoch, route.step)
            self.store.schedule(Timer(at + step.timeout, TimerKind.STEP, route.id, token))

    def _schedule_max_wait(self, route: Route) -> None:
        max_wait = self.planner.queues[route.queue].max_wait_seconds
        if max_wait is not None:
            due = route.queue_entered_at + max_wait
            self.store.schedule(Timer(due, TimerKind.MAX_WAIT, route.id, route.epoch))

    def _max_wait_passed(self, route: Route, now: float) -> bool:
        max_wait = self.planner.queues[route.queue].max_wait_seconds
        return max_wait is not None and now >= route.queue_entered_at + max_wait

    # --- waiting, offers -----------------------------------------------------------------
    def requeue(self, route: Route, batch: Batch) -> None:
        """Back to waiting (after a reject, expiry or withdrawal), keeping its place."""
        route.status, route.agent_id = ContactStatus.QUEUED, None
        if self._max_wait_passed(route, batch.now):
            self.time_out(route, batch)
            return
        self.store.enqueue(route)
        batch.touched.add(route.id)

    def requeue_declined(self, route: Route, batch: Batch, cause: str = "cause.declined") -> None:
        """Requeue after a reject or a missed offer. When the step was waiting only for
        preferred agents and all of them have now declined, move on to the next step at
        once instead of waiting out its timeout."""
        self.requeue(route, batch)
        if self.store.route(route.id) is None:  # timed out on the way
            return
        rule = self.policy.rule(route.rule)
        now = batch.now
        if (
            rule.steps[route.step].target is Target.PREFERRED
            and route.step + 1 < len(rule.steps)
            and not route.preferred_teams
            and all(route.excludes(agent_id, now) for agent_id in route.preferred)
        ):
            label = rule.step_label_text(route.step)
            self.place(route, route.step + 1, now, batch, say(cause, label=label))

    def time_out(self, route: Route, batch: Batch) -> None:
        self.store.delete_route(route.id)
        waited = batch.now - route.arrived_at
        batch.out.append(ContactTimedOut(route.id, route.queue, waited))

    def close_offer(
        self,
        offer: OfferRecord,
        cause: CancelCause,
        reason: Text,
        event: AgentEvent,
        batch: Batch,
    ) -> Route:
        """Settle an open offer: the agent gets ``event``, the contact is released.

        After a reject or an expiry the agent is skipped for this contact for
        ``reoffer_cooldown`` seconds, so the contact goes to someone else first.
        The caller decides whether the contact is requeued or ends.
        """
        store, now = self.store, batch.now
        store.settle_offer(offer.contact_id)
        batch.out.append(OfferCancelled(offer.contact_id, offer.agent_id, cause, reason))
        record = store.agent(offer.agent_id)
        if record is not None:
            apply_agent_event(store, record, event, batch, self._rules)
        route = store.route(offer.contact_id)
        assert route is not None, "an open offer always has its route"
        cooldown = self.settings.reoffer_cooldown
        if cause in (CancelCause.REJECTED, CancelCause.EXPIRED) and cooldown > 0:
            until = now + cooldown
            route.excluded[offer.agent_id] = until
            store.schedule(Timer(until, TimerKind.COOLDOWN, route.id, offer.agent_id))
        return route

    # --- deadlines -----------------------------------------------------------------------
    def fire(self, timer: Timer, batch: Batch) -> None:
        """Handle a due timer; stale timers (token no longer current) are ignored."""
        store = self.store
        if timer.kind is TimerKind.WRAPUP:
            record = store.agent(timer.subject)
            if record is not None and record.presence.wrapup_until == timer.token:
                if record.presence.load == 0:
                    apply_agent_event(store, record, FinishWrapup(), batch, self._rules)
                    batch.out.append(WrapupEnded(timer.subject, WrapupEndCause.TIMEOUT))
            return
        route = store.route(timer.subject)
        if route is None:
            return
        match timer.kind:
            case TimerKind.OFFER_EXPIRY:
                offer = store.offer(route.id)
                if offer is not None and offer.seq == timer.token:
                    why = say("cancel.no_answer", seconds=self.settings.offer_timeout)
                    self.close_offer(offer, CancelCause.EXPIRED, why, MissOffer(route.id), batch)
                    self.requeue_declined(route, batch, "cause.no_answer")
            case TimerKind.STEP:
                if timer.token == (route.epoch, route.step) and route.status is not (
                    ContactStatus.ACTIVE
                ):
                    waited = timer.due - route.step_started_at
                    cause = say("cause.no_agent", seconds=waited)
                    self.place(route, route.step + 1, timer.due, batch, cause)
            case TimerKind.MAX_WAIT:
                if timer.token == route.epoch and route.status is ContactStatus.QUEUED:
                    self.time_out(route, batch)
            case TimerKind.COOLDOWN:
                if route.excluded.get(str(timer.token)) == timer.due:
                    del route.excluded[str(timer.token)]
                    if route.status is ContactStatus.QUEUED:
                        batch.touched.add(route.id)
