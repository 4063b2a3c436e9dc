"""Erlang C: how many agents a queue needs for its traffic and service-level target (pure).

The model (M/M/N): contacts arrive at random (Poisson) at a steady rate, handle times are
exponential, nobody abandons and everyone waits until served. Traffic ``A`` in erlangs is
arrivals per second × average handle time; with ``N`` agents (``N > A``):

- ``erlang_c(A, N)``: the probability that a contact waits at all (``Pw``);
- service level within ``t`` seconds: ``1 - Pw · exp(-(N - A) · t / AHT)``;
- average speed of answer: ``Pw · AHT / (N - A)``;
- occupancy: ``A / N``.

Pw is computed from Erlang B by its recursion, ``B(A, 0) = 1``,
``B(A, n) = A·B(A, n-1) / (n + A·B(A, n-1))``, then ``C = B / (1 - (A/N)·(1 - B))``: no
factorials or powers, so it holds for hundreds of agents where ``A**N / N!`` overflows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_TRAFFIC = 5_000.0
"""Erlangs: past this, a question is for several queues or intervals, not one answer."""

__all__ = [
    "MAX_TRAFFIC",
    "Level",
    "Staffing",
    "average_speed_of_answer",
    "erlang_b",
    "erlang_c",
    "service_level",
    "staffing",
]


def erlang_b(traffic: float, agents: int) -> float:
    """Probability that a contact finds all ``agents`` busy when none may wait (Erlang B)."""
    if traffic < 0 or agents < 0:
        raise ValueError("traffic and agents must not be negative")
    b = 1.0
    for n in range(1, agents + 1):
        b = traffic * b / (n + traffic * b)
    return b


def erlang_c(traffic: float, agents: int) -> float:
    """Probability that a contact waits (Erlang C); 1.0 when the agents cannot keep up."""
    if agents <= traffic:
        return 1.0
    b = erlang_b(traffic, agents)
    return b / (1 - (traffic / agents) * (1 - b))


def service_level(traffic: float, agents: int, aht_seconds: float, target_seconds: float) -> float:
    """Share of contacts answered within ``target_seconds`` (0..1)."""
    if agents <= traffic:
        return 0.0
    waits = erlang_c(traffic, agents)
    return max(0.0, 1 - waits * math.exp(-(agents - traffic) * target_seconds / aht_seconds))


def average_speed_of_answer(traffic: float, agents: int, aht_seconds: float) -> float:
    """Mean wait in seconds over all contacts (those answered at once count 0); inf when the
    agents cannot keep up."""
    if agents <= traffic:
        return math.inf
    return erlang_c(traffic, agents) * aht_seconds / (agents - traffic)


@dataclass(frozen=True, slots=True)
class Level:
    """What ``agents`` on the phones give for the traffic asked about."""

    agents: int
    service_level: float  # 0..1, within the target seconds
    probability_of_waiting: float  # 0..1
    asa_seconds: float
    occupancy: float  # 0..1


@dataclass(frozen=True, slots=True)
class Staffing:
    """The answer to "how many agents": ``agents`` on the phones (the fewest that meet the
    target and the occupancy cap), ``scheduled`` once shrinkage (breaks, training, absence)
    is allowed for, and the levels around ``agents`` to show what one more or less gives."""

    traffic: float  # erlangs
    agents: int
    scheduled: int
    levels: tuple[Level, ...]


def _level(traffic: float, agents: int, aht: float, target: float) -> Level:
    return Level(
        agents=agents,
        service_level=service_level(traffic, agents, aht, target),
        probability_of_waiting=erlang_c(traffic, agents),
        asa_seconds=average_speed_of_answer(traffic, agents, aht),
        occupancy=min(1.0, traffic / agents) if agents else 1.0,
    )


def staffing(
    contacts: float,
    interval_seconds: float,
    aht_seconds: float,
    sl_percent: float,
    sl_seconds: float,
    max_occupancy: float = 1.0,
    shrinkage: float = 0.0,
    around: int = 2,
) -> Staffing:
    """Agents needed for ``contacts`` arriving in ``interval_seconds`` with an average handle
    time of ``aht_seconds``, to answer ``sl_percent`` % within ``sl_seconds`` with occupancy
    at most ``max_occupancy`` (0..1]; ``shrinkage`` (0..1) is the share of paid time not on
    the phones."""
    if contacts < 0 or interval_seconds <= 0 or aht_seconds <= 0:
        raise ValueError("contacts must not be negative; interval and handle time positive")
    if not 0 < sl_percent <= 100 or sl_seconds < 0:
        raise ValueError("sl_percent must be in (0, 100] and sl_seconds not negative")
    if not 0 < max_occupancy <= 1 or not 0 <= shrinkage < 1:
        raise ValueError("max_occupancy must be in (0, 1] and shrinkage in [0, 1)")
    traffic = contacts * aht_seconds / interval_seconds
    if traffic > MAX_TRAFFIC:
        raise ValueError(
            f"{traffic:,.0f} erlangs of traffic is beyond one queue's staffing "
            f"(at most {MAX_TRAFFIC:,.0f}): split it by queue or interval"
        )
    goal = sl_percent / 100
    # Up from the fewest agents who can keep up, carrying Erlang B along its recursion:
    # one pass, however many agents it takes.
    agents = max(1, math.floor(traffic) + 1)
    b = erlang_b(traffic, agents)
    limit = agents + math.ceil(traffic) + 1000
    while True:
        waits = b / (1 - (traffic / agents) * (1 - b))
        level = 1 - waits * math.exp(-(agents - traffic) * sl_seconds / aht_seconds)
        if level >= goal and traffic / agents <= max_occupancy:
            break
        if agents >= limit:
            raise ValueError(f"no number of agents up to {limit} meets the target")
        agents += 1
        b = traffic * b / (agents + traffic * b)
    low = max(1, agents - around)
    levels = tuple(
        _level(traffic, n, aht_seconds, sl_seconds) for n in range(low, agents + around + 1)
    )
    return Staffing(traffic, agents, math.ceil(agents / (1 - shrinkage) - 1e-9), levels)
