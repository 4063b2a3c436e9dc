"""What /metrics shows (docs/operations.md), read from the live state when Prometheus scrapes.

A custom collector, so a scrape costs one pass over routing's in-memory state and a few
counters — no database query, no bookkeeping on the hot path. Each app has its own
:class:`CollectorRegistry` (tests build many apps in one process; the global default
registry would mix them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    GCCollector,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from agents.state import AgentState
from app.observability.loop_lag import LoopLagMonitor

STATES = tuple(s.value for s in AgentState)


def _serves(skills: Any, required: Any) -> bool:
    """The agent has every skill the queue requires, at its minimum proficiency."""
    return all(skills.get(skill, 0) >= level for skill, level in required)


class HotlineCollector(Collector):
    """Queues, agents, sockets, routing lock, event stream and event-loop lag, as of now.

    ``source`` returns the app's Hotline (None while it starts) and its loop-lag monitor."""

    def __init__(self, source: Callable[[], tuple[Any, LoopLagMonitor | None]]) -> None:
        self.source = source

    def describe(self) -> list[Metric]:
        return []  # names are known only at collection (queues come and go)

    def collect(self) -> Iterator[Metric]:
        hotline, lag = self.source()
        if lag is not None:
            yield from _loop_lag(lag)
        if hotline is None:
            return
        yield from _routing(hotline)
        yield from _intake(hotline)
        yield from _sockets(hotline)
        yield from _events(hotline)


def _loop_lag(lag: LoopLagMonitor) -> Iterator[Metric]:
    h = HistogramMetricFamily(
        "hotline_event_loop_lag_seconds",
        "How much later than asked the event loop ran a timer (scheduling delay)",
    )
    h.add_metric([], lag.cumulative(), sum_value=lag.total)
    yield h
    yield GaugeMetricFamily(
        "hotline_event_loop_lag_last_seconds", "The last event-loop lag measured", lag.last
    )
    yield GaugeMetricFamily(
        "hotline_event_loop_lag_max_seconds", "The worst event-loop lag since start", lag.worst
    )


def _routing(hotline: Any) -> Iterator[Metric]:
    center = hotline.center
    router = center.router
    snap = router.snapshot(center.clock())
    waiting = GaugeMetricFamily(
        "hotline_queue_waiting",
        "Contacts waiting in the queue, not being offered",
        labels=["queue"],
    )
    offered = GaugeMetricFamily(
        "hotline_queue_offered", "Contacts of the queue being offered to an agent", labels=["queue"]
    )
    longest = GaugeMetricFamily(
        "hotline_queue_longest_wait_seconds",
        "The longest wait of a contact waiting or offered in the queue",
        labels=["queue"],
    )
    over = GaugeMetricFamily(
        "hotline_queue_over_target",
        "Contacts waiting longer than the queue's service-level target",
        labels=["queue"],
    )
    for q in snap.queues:
        waiting.add_metric([q.name], q.waiting)
        offered.add_metric([q.name], q.offered)
        longest.add_metric([q.name], q.oldest_wait)
        over.add_metric([q.name], q.over_sla)
    yield from (waiting, offered, longest, over)

    records = list(router.store.agents())
    by_state = Counter(str(r.presence.state) for r in records)
    agents = GaugeMetricFamily(
        "hotline_agents", "Agents known to routing, by state", labels=["state"]
    )
    for state in STATES:
        agents.add_metric([state], by_state.get(state, 0))
    yield agents

    per_queue = GaugeMetricFamily(
        "hotline_queue_agents",
        "Agents who serve the queue (have all its skills), by state",
        labels=["queue", "state"],
    )
    for name, config in sorted(router.queues.items()):
        counts = Counter(
            str(r.presence.state) for r in records if _serves(r.profile.skills, config.skills)
        )
        for state in STATES:
            per_queue.add_metric([name, state], counts.get(state, 0))
    yield per_queue

    stats = center.lock_stats
    holds = GaugeMetricFamily(
        "hotline_routing_lock_hold_seconds",
        "How long a command held the routing lock: quantiles of the last 20,000 holds",
        labels=["quantile"],
    )
    ordered = sorted(stats.samples)
    if ordered:
        for q in (0.5, 0.9, 0.99, 1.0):
            holds.add_metric([str(q)], ordered[min(len(ordered) - 1, int(q * len(ordered)))])
    yield holds
    yield CounterMetricFamily(
        "hotline_routing_lock_holds", "Commands that took the routing lock", stats.count
    )


def _intake(hotline: Any) -> Iterator[Metric]:
    gate = hotline.contacts.intake
    yield GaugeMetricFamily(
        "hotline_intake_active", "Arrivals passing the intake door (being written)", gate.active
    )
    yield GaugeMetricFamily(
        "hotline_intake_waiting", "Arrivals waiting their turn at the intake door", gate.waiting
    )
    yield CounterMetricFamily(
        "hotline_intake_refused",
        "Arrivals refused with 503: the door's backlog was full",
        gate.refused,
    )
    yield CounterMetricFamily(
        "hotline_intake_late_seconds",
        "Time the door's probe found the event loop late (arrivals one at a time)",
        gate.late_seconds,
    )


def _sockets(hotline: Any) -> Iterator[Metric]:
    sockets = GaugeMetricFamily(
        "hotline_websockets_open", "Open websockets, by endpoint", labels=["endpoint"]
    )
    sockets.add_metric(["agent"], len(hotline.hub.connected_agents()))
    feed = hotline.supervisor
    sockets.add_metric(["supervisor"], len(feed.connections) if feed is not None else 0)
    yield sockets


def _events(hotline: Any) -> Iterator[Metric]:
    bus, projector = hotline.center.bus, hotline.projector
    last = bus.last_seq
    yield GaugeMetricFamily(
        "hotline_events_last_seq", "Sequence number of the last event on the bus", last
    )
    yield GaugeMetricFamily(
        "hotline_events_projected_seq",
        "Every event up to this one is written to the customer record",
        projector.committed,
    )
    yield CounterMetricFamily(
        "hotline_projector_failures",
        "Batches the interaction projector failed to write (and retried)",
        projector.failures,
    )
    depth = getattr(bus, "depth", None)  # the in-process bus; Redis Streams will say its own
    if depth is not None:
        yield GaugeMetricFamily(
            "hotline_event_outbox_depth", "Events the bus holds in memory", depth
        )
    lag = GaugeMetricFamily(
        "hotline_event_subscriber_lag",
        "Events appended that the subscriber has not yet acknowledged",
        labels=["subscriber"],
    )
    seen: Counter[str] = Counter()
    for sub in bus.subscriptions() if hasattr(bus, "subscriptions") else ():
        seen[sub.name] += 1
        name = sub.name if seen[sub.name] == 1 else f"{sub.name}#{seen[sub.name]}"
        lag.add_metric([name], max(0, last - sub.acked))
    yield lag


def make_registry(source: Callable[[], tuple[Any, LoopLagMonitor | None]]) -> CollectorRegistry:
    """A registry of the app's own: Hotline's figures, and the process's (CPU, memory, open
    files, garbage collection)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HotlineCollector(source))
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry
