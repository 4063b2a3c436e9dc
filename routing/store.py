"""The live-state store interface.

The router keeps *no* live state of its own: waiting contacts, agent availability and
capacity, offers and deadlines all live in a store. :class:`routing.memory_store.InMemoryStore`
is the embedded default. A shared (Redis) store implements the same operations — as
coroutines, driven by an async shell around the same pure functions — and must make the
compound operations below atomic (a Lua script / MULTI with WATCH each), because several
processes route against the same state:

``reserve``      contact still waiting AND agent record unchanged since it was read (a
                 version/CAS check) -> remove the contact from every pool, write the route
                 (status offered), the agent (presence with the offer) and the offer.
                 Exactly one process can win a contact and an agent's free capacity.
``settle_offer`` delete-and-return the open offer. Accept, reject, expiry and cancellation
                 race for it; only the caller that gets the record acts on it.
``pop_due``      claim one due timer (ZRANGEBYSCORE + ZREM), so each deadline fires once.
``enqueue``      write the route and add it to its pools in one step, so a contact is never
                 out of both the pools and an offer (never lost).
``save_agent``   write the record and refresh the free-capacity sets together.

Redis mapping sketch: a ZSET per pool scored with ``Route.sort_key`` (already static, see
routing.priority), a SET of free agents per channel, HASHes for routes, agents and offers,
and a ZSET of timers scored by due time.

An async shell reuses the pure parts unchanged — ``Policy.match``, ``RoutePlanner``
(rule/step/pool planning), ``selection.rank``, ``explain``, ``priority`` and
``agents.state.transition`` — and follows the order of operations of ``routing.lifecycle`` and
``routing.matching``, awaiting these store operations instead of calling them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Set
from typing import Protocol

from routing.pools import Pool
from routing.records import AgentRecord, OfferRecord, Route, Timer


class RoutingStore(Protocol):
    """Holder of the live routing state (see the module docstring for atomicity)."""

    # agents
    def agent(self, agent_id: str) -> AgentRecord | None: ...
    def agents(self) -> Iterable[AgentRecord]: ...
    def save_agent(self, record: AgentRecord) -> None:
        """Write the record and update the free-capacity sets from its presence."""

    def free_agents(self, channel: str) -> Set[str]:
        """Agents that can take an offer on ``channel`` now (read-only view)."""

    # contacts
    def route(self, contact_id: str) -> Route | None: ...
    def routes(self) -> Iterable[Route]: ...
    def save_route(self, route: Route) -> None: ...
    def delete_route(self, contact_id: str) -> None:
        """Forget the contact (and take it out of its pools)."""

    # waiting pools
    def enqueue(self, route: Route) -> None:
        """Save ``route`` and make it wait in every pool of ``route.pools``."""

    def widen(self, route: Route, pools: Iterable[Pool]) -> None:
        """A waiting route also waits in ``pools`` from now on."""

    def dequeue(self, contact_id: str) -> None:
        """Take the contact out of all its pools (no-op if not waiting)."""

    def waiting_count(self) -> int:
        """How many contacts are waiting (not offered or assigned)."""

    def head(self, pool: Pool) -> str | None:
        """The best contact id waiting in ``pool`` (the hot path: one ZRANGE 0 0)."""

    def waiting_in(self, pool: Pool) -> Iterator[str]:
        """Contact ids waiting in ``pool``, best (lowest sort key) first."""

    # offers
    def offer(self, contact_id: str) -> OfferRecord | None: ...
    def offers(self) -> Iterable[OfferRecord]: ...
    def reserve(self, route: Route, agent: AgentRecord, offer: OfferRecord) -> bool:
        """Atomically turn a waiting contact and a free agent into an offer."""

    def settle_offer(self, contact_id: str) -> OfferRecord | None:
        """Atomically remove and return the open offer for the contact."""

    # deadlines
    def schedule(self, timer: Timer) -> None: ...
    def pop_due(self, now: float) -> Timer | None:
        """Remove and return the earliest timer due at or before ``now``."""

    def next_due(self) -> float | None:
        """When the earliest timer falls due (None: no timers)."""
