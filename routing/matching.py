"""Matching waiting contacts with free agents, and making offers.

After every event the matcher matches greedily by priority: of the contacts that just
became waiting (or eligible for more agents) and the best contact each freed agent could
take, the highest-priority one goes first and gets its best eligible agent (see
routing.selection). Repeat until nothing matches. Because every event ends this way, no
free agent ever sits next to a waiting contact it is eligible for, and a freed agent always
takes the highest-priority contact it may serve — a vip never waits behind a later
ordinary contact for an agent who could serve both.
"""

from __future__ import annotations

import heapq
import itertools

from agents.profile import CHAT, TASK, VOICE
from agents.state import ReceiveOffer, transition
from routing import explain
from routing.batch import Batch
from routing.config import RouterSettings
from routing.decisions import AgentStateChanged, Explanation, Offer
from routing.policy import Policy
from routing.pools import Pool, PoolDirectory
from routing.priority import effective_priority
from routing.records import AgentRecord, ContactStatus, OfferRecord, Route, Timer, TimerKind
from routing.selection import rank
from routing.store import RoutingStore

_Pick = tuple[float, int, str]  # (sort_key, seq, contact id): lower is better

QUEUED = ContactStatus.QUEUED


class Matcher:
    def __init__(
        self,
        store: RoutingStore,
        directory: PoolDirectory,
        policy: Policy,
        settings: RouterSettings,
    ) -> None:
        self.store = store
        self.directory = directory
        self.policy = policy
        self.settings = settings
        self._rules = settings.agent_rules
        self._offer_seq = itertools.count(1)

    def run(self, batch: Batch) -> None:
        """Match ``batch.touched`` contacts and ``batch.freed`` agents, best first."""
        store, now = self.store, batch.now
        heap: list[_Pick] = []
        for contact_id in batch.touched:
            route = store.route(contact_id)
            if route is not None and route.status is QUEUED:
                heap.append((route.sort_key, route.seq, contact_id))
        heapq.heapify(heap)
        picks = {agent_id: self.pick_for(agent_id, now) for agent_id in batch.freed}
        while True:
            while heap and not self._waiting(heap[0][2]):
                heapq.heappop(heap)
            best = heap[0] if heap else None
            from_heap = best is not None
            for pick in picks.values():
                if pick is not None and (best is None or pick < best):
                    best, from_heap = pick, False
            if best is None:
                return
            if from_heap:
                heapq.heappop(heap)
            route = store.route(best[2])
            assert route is not None
            chosen = self.offer_best(route, batch)
            if chosen is None and not from_heap:  # cannot happen; never spin on it
                chosen = next(a for a, p in picks.items() if p == best)
            if chosen is not None:
                picks.pop(chosen, None)
            for agent_id, pick in picks.items():
                if pick is not None and pick[2] == best[2]:
                    picks[agent_id] = self.pick_for(agent_id, now)

    def _waiting(self, contact_id: str) -> bool:
        route = self.store.route(contact_id)
        return route is not None and route.status is QUEUED

    def pick_for(self, agent_id: str, now: float) -> _Pick | None:
        """The best waiting contact ``agent_id`` may take now, if any."""
        store = self.store
        record = store.agent(agent_id)
        if record is None:
            return None
        presence = record.presence
        voice, chat = presence.can_take(VOICE), presence.can_take(CHAT)
        # A task needs the agent free as a call does (one at a time, nothing beside it).
        task = presence.can_take(TASK)
        if not (voice or chat or task):
            return None
        pools = self.directory.pools_of(agent_id, VOICE) if voice else []
        if chat:
            pools = pools + self.directory.pools_of(agent_id, CHAT)
        if task:
            pools = pools + self.directory.pools_of(agent_id, TASK)
        best: _Pick | None = None
        for pool in pools:
            contact_id = store.head(pool)
            if contact_id is None:
                continue
            route = store.route(contact_id)
            if route is None:
                continue
            if route.excluded and route.excludes(agent_id, now):
                # Rare: this agent declined the head recently; look further down.
                route = self._first_not_excluding(pool, agent_id, now)
                if route is None:
                    continue
            pick = (route.sort_key, route.seq, route.contact.id)
            if best is None or pick < best:
                best = pick
        return best

    def _first_not_excluding(self, pool: Pool, agent_id: str, now: float) -> Route | None:
        for contact_id in self.store.waiting_in(pool):
            route = self.store.route(contact_id)
            if route is not None and not route.excludes(agent_id, now):
                return route
        return None

    def offer_best(self, route: Route, batch: Batch) -> str | None:
        """Offer ``route`` to its best free eligible agent; return that agent's id."""
        store, now = self.store, batch.now
        free = store.free_agents(route.channel)
        if not free:
            return None
        eligible: set[str] = set()
        for pool in route.pools:
            members = self.directory.members(pool)
            if members:
                eligible |= members & free
        if route.excluded:
            for agent_id, until in route.excluded.items():
                if until > now:
                    eligible.discard(agent_id)
        if not eligible:
            return None
        records = [r for r in map(store.agent, eligible) if r is not None]
        ranked = rank(route, records, self.settings.max_explained_candidates)
        chosen = ranked[0][1]
        rule = self.policy.rule(route.rule)
        priority = effective_priority(route.base, route.enqueued_at, self.policy.aging_rate, now)
        absent = explain.absent_preferred(route, eligible, store.agent, now)
        why = explain.offered(rule, route, ranked, absent, priority, now)
        return chosen.profile.id if self.offer_to(route, chosen, why, batch) else None

    def offer_to(self, route: Route, chosen: AgentRecord, why: Explanation, batch: Batch) -> bool:
        """Offer ``route`` to ``chosen`` (its best agent, or the one a supervisor named),
        explained by ``why``; False when a shared store gave the agent to another contact.
        Raises IllegalTransition, with nothing changed, when the agent cannot take it now."""
        store, now = self.store, batch.now
        presence = transition(
            chosen.presence, ReceiveOffer(route.id, route.channel), now, self._rules
        )
        offer = OfferRecord(
            route.id,
            chosen.profile.id,
            now,
            now + self.settings.offer_timeout,
            next(self._offer_seq),
        )
        old_presence = chosen.presence
        route.status, route.agent_id = ContactStatus.OFFERED, chosen.profile.id
        chosen.presence = presence
        if not store.reserve(route, chosen, offer):  # lost a race in a shared store
            route.status, route.agent_id, chosen.presence = QUEUED, None, old_presence
            return False
        route.offers += 1
        store.schedule(Timer(offer.expires_at, TimerKind.OFFER_EXPIRY, route.id, offer.seq))
        batch.out.append(Offer(route.id, offer.agent_id, route.channel, offer.expires_at, why))
        if presence.state is not old_presence.state:
            batch.out.append(
                AgentStateChanged(offer.agent_id, presence.state, presence.reason, presence.load)
            )
        return True
