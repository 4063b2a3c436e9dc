"""In-process implementation of :class:`routing.store.RoutingStore` (the embedded default).

Pools are binary heaps with lazy deletion: taking a contact out of its pools just drops its
*version*; stale heap entries are discarded when they reach a heap's root, and all heaps are
compacted when stale entries outnumber live ones. This keeps offer/requeue O(log n) without
searching heaps.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Iterator, Set

from agents.profile import CHAT, TASK, VOICE
from routing.pools import Pool
from routing.records import AgentRecord, OfferRecord, Route, Timer, TimerKind

# (sort_key, seq, version, contact id): ordered by priority, then arrival.
_Entry = tuple[float, int, int, str]
_COMPACT_SLACK = 10_000
# Timers are never cancelled (routing/records.py), so a contact that ended leaves its
# deadlines behind: with a 20-30 min maximum wait, 100 contacts/s would hold ~150,000 dead
# timers, memory the garbage collector walks on every full pass (100-300 ms pauses of the
# whole process). Past this many timers, the heap drops those of contacts no longer routed.
_TIMER_SLACK = 4_096


class InMemoryStore:
    """Live routing state in dicts and heaps. Single-threaded: callers serialise access
    (the adapter drives the router from one task), so every operation is trivially atomic."""

    def __init__(self) -> None:
        self._agents: dict[str, AgentRecord] = {}
        self._free: dict[str, set[str]] = {VOICE: set(), CHAT: set(), TASK: set()}
        self._routes: dict[str, Route] = {}
        self._offers: dict[str, OfferRecord] = {}
        self._heaps: dict[Pool, list[_Entry]] = {}
        self._queued: dict[str, int] = {}  # contact id -> version of its live heap entries
        self._entries_of: dict[str, int] = {}  # contact id -> number of live heap entries
        self._versions = itertools.count(1)
        self._live = 0  # live heap entries
        self._size = 0  # all heap entries, live and stale
        self._timers: list[tuple[float, int, Timer]] = []
        self._timer_seq = itertools.count()
        self._timer_limit = _TIMER_SLACK  # compact the timers' heap past this size

    # agents ------------------------------------------------------------------------------
    def agent(self, agent_id: str) -> AgentRecord | None:
        return self._agents.get(agent_id)

    def agents(self) -> Iterable[AgentRecord]:
        return self._agents.values()

    def save_agent(self, record: AgentRecord) -> None:
        agent_id = record.profile.id
        self._agents[agent_id] = record
        presence = record.presence
        for channel, free in self._free.items():
            if presence.can_take(channel):
                free.add(agent_id)
            else:
                free.discard(agent_id)

    def free_agents(self, channel: str) -> Set[str]:
        return self._free[channel]

    # contacts ----------------------------------------------------------------------------
    def route(self, contact_id: str) -> Route | None:
        return self._routes.get(contact_id)

    def routes(self) -> Iterable[Route]:
        return self._routes.values()

    def save_route(self, route: Route) -> None:
        self._routes[route.contact.id] = route

    def delete_route(self, contact_id: str) -> None:
        self.dequeue(contact_id)
        self._routes.pop(contact_id, None)

    # pools -------------------------------------------------------------------------------
    def enqueue(self, route: Route) -> None:
        contact_id = route.contact.id
        self.dequeue(contact_id)
        self._routes[contact_id] = route
        self._queued[contact_id] = next(self._versions)
        self._entries_of[contact_id] = 0
        self.widen(route, route.pools)

    def widen(self, route: Route, pools: Iterable[Pool]) -> None:
        contact_id = route.contact.id
        version = self._queued.get(contact_id)
        if version is None:  # offered: its pools are re-added when it is requeued
            return
        entry = (route.sort_key, route.seq, version, contact_id)
        for pool in pools:
            heapq.heappush(self._heaps.setdefault(pool, []), entry)
            self._entries_of[contact_id] += 1
            self._live += 1
            self._size += 1

    def dequeue(self, contact_id: str) -> None:
        if self._queued.pop(contact_id, None) is None:
            return
        self._live -= self._entries_of.pop(contact_id)
        if self._size > 2 * self._live + _COMPACT_SLACK:
            self._compact()

    def head(self, pool: Pool) -> str | None:
        heap = self._heaps.get(pool)
        if not heap:
            return None
        queued = self._queued
        entry = heap[0]
        while queued.get(entry[3]) != entry[2]:
            heapq.heappop(heap)  # stale root: drop it for good
            self._size -= 1
            if not heap:
                return None
            entry = heap[0]
        return entry[3]

    def waiting_in(self, pool: Pool) -> Iterator[str]:
        if self.head(pool) is None:  # also makes the root live, as _in_order expects
            return iter(())
        return _in_order(self._heaps[pool], self._queued)

    def waiting_count(self) -> int:
        return len(self._queued)

    def _compact(self) -> None:
        queued = self._queued
        for pool, heap in list(self._heaps.items()):
            live = [e for e in heap if queued.get(e[3]) == e[2]]
            if live:
                heapq.heapify(live)
                self._heaps[pool] = live
            else:
                del self._heaps[pool]
        self._size = self._live

    # offers ------------------------------------------------------------------------------
    def offer(self, contact_id: str) -> OfferRecord | None:
        return self._offers.get(contact_id)

    def offers(self) -> Iterable[OfferRecord]:
        return self._offers.values()

    def reserve(self, route: Route, agent: AgentRecord, offer: OfferRecord) -> bool:
        contact_id = route.contact.id
        if contact_id not in self._queued or contact_id in self._offers:
            return False
        self.dequeue(contact_id)
        self._routes[contact_id] = route
        self.save_agent(agent)
        self._offers[contact_id] = offer
        return True

    def settle_offer(self, contact_id: str) -> OfferRecord | None:
        return self._offers.pop(contact_id, None)

    # timers ------------------------------------------------------------------------------
    def schedule(self, timer: Timer) -> None:
        heapq.heappush(self._timers, (timer.due, next(self._timer_seq), timer))

    def _compact_timers(self) -> None:
        """Drop the timers of contacts that are no longer routed: when they fell due they
        would be ignored (``Lifecycle.fire`` finds no route). Agents' timers stay. Amortised
        O(1) per timer: the next pass waits until the heap has doubled again. Runs only
        between commands, when every timer's route is saved."""
        routes = self._routes
        live = [t for t in self._timers if t[2].kind is TimerKind.WRAPUP or t[2].subject in routes]
        heapq.heapify(live)
        self._timers = live
        self._timer_limit = max(_TIMER_SLACK, 2 * len(live))

    def pop_due(self, now: float) -> Timer | None:
        # Compacted here, between commands (a timer may be scheduled before its contact's
        # route is saved, within one command), never in schedule().
        if len(self._timers) > self._timer_limit:
            self._compact_timers()
        if self._timers and self._timers[0][0] <= now:
            return heapq.heappop(self._timers)[2]
        return None

    def next_due(self) -> float | None:
        """When the next timer falls due (lets the adapter sleep exactly that long)."""
        return self._timers[0][0] if self._timers else None


def _in_order(heap: list[_Entry], queued: dict[str, int]) -> Iterator[str]:
    """Yield live entries of ``heap`` in sorted order without mutating it.

    A second heap over indexes expands children lazily, so taking the first k costs
    O(k log k) — and the root (the usual answer) costs O(1).
    """
    yield heap[0][3]  # the caller made sure the root is live
    size = len(heap)
    frontier: list[tuple[_Entry, int]] = []
    for child in (1, 2):
        if child < size:
            heapq.heappush(frontier, (heap[child], child))
    while frontier:
        entry, index = heapq.heappop(frontier)
        if queued.get(entry[3]) == entry[2]:
            yield entry[3]
        for child in (2 * index + 1, 2 * index + 2):
            if child < size:
                heapq.heappush(frontier, (heap[child], child))
