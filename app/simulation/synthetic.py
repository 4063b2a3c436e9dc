"""Synthetic traffic: Poisson arrivals and exponential handle times (the M/M/N model of
Erlang C), so the simulator can be checked against :mod:`app.metrics.erlang`, and a policy
can be tried on traffic of a chosen size."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from agents.profile import Agent
from app.simulation.model import Arrival, Shift
from app.simulation.patience import PatienceModel
from routing import Customer

PYRAMID = (("vip", 0.01), ("key", 0.19), ("ordinary", 0.30), ("small", 0.50))
"""The default customer pyramid (DESIGN.md): share of contacts per grade."""


@dataclass(frozen=True, slots=True)
class Traffic:
    """Poisson arrivals at ``rate_per_hour`` for ``hours``, exponential talk of mean
    ``aht_seconds`` (wrap-up: ``wrapup_seconds``, None = the policy's), into ``queues``
    (uniformly), customers drawn from ``grades`` (name, share); VIP and key customers get an
    account manager among ``managers``. ``customers``: how many distinct customers call
    (repeat callers meet their last agent); 0 = every contact a new customer."""

    rate_per_hour: float
    aht_seconds: float
    hours: float
    queues: Sequence[str] = ("general",)
    grades: Sequence[tuple[str, float]] = ()
    managers: Sequence[str] = ()
    customers: int = 0
    wrapup_seconds: float | None = 0.0
    channel: str = "voice"
    start: float = 0.0

    def __post_init__(self) -> None:
        if self.rate_per_hour <= 0 or self.aht_seconds <= 0 or self.hours <= 0:
            raise ValueError("rate, handle time and hours must be positive")
        if not self.queues:
            raise ValueError("synthetic traffic needs at least one queue")


def arrivals(traffic: Traffic, rng: random.Random, patience: PatienceModel) -> list[Arrival]:
    """The contacts of ``traffic``: exponential gaps between arrivals (a Poisson process)."""
    rate = traffic.rate_per_hour / 3600.0
    end = traffic.start + traffic.hours * 3600.0
    names = [g for g, _ in traffic.grades]
    weights = [w for _, w in traffic.grades]
    out: list[Arrival] = []
    at = traffic.start
    grade_of: dict[int, str | None] = {}
    manager_of: dict[int, str | None] = {}
    while True:
        at += rng.expovariate(rate)
        if at >= end:
            return out
        n = len(out)
        who = rng.randrange(traffic.customers) if traffic.customers else n
        if who not in grade_of:
            grade = rng.choices(names, weights)[0] if names else None
            grade_of[who] = grade
            valued = grade in ("vip", "key") and traffic.managers
            manager_of[who] = rng.choice(traffic.managers) if valued else None
        grade = grade_of[who]
        out.append(
            Arrival(
                id=f"s{n + 1}",
                at=at,
                queue=traffic.queues[n % len(traffic.queues)]
                if len(traffic.queues) > 1
                else traffic.queues[0],
                channel=traffic.channel,
                customer=Customer(
                    customer_id=f"c{who}",
                    grade=grade,
                    account_manager_agent_id=manager_of[who],
                ),
                handle_seconds=rng.expovariate(1.0 / traffic.aht_seconds),
                wrapup_seconds=traffic.wrapup_seconds,
                patience_seconds=patience.sample(grade, rng),
            )
        )


def roster(
    agents: int,
    start: float,
    hours: float,
    skills: dict[str, int] | None = None,
    senior_share: float = 0.1,
) -> list[Shift]:
    """``agents`` identical agents on one shift covering the traffic (plus an hour for the
    queue to drain); every tenth is senior."""
    if agents < 1:
        raise ValueError("a roster needs at least one agent")
    step = max(1, round(1 / senior_share)) if senior_share > 0 else 0
    end = start + hours * 3600.0 + 3600.0
    return [
        Shift(
            Agent(
                id=f"a{i + 1}",
                name=f"Agent {i + 1}",
                skills=dict(skills or {}),
                senior=bool(step) and i % step == 0,
                channels=frozenset({"voice"}),
            ),
            start,
            end,
        )
        for i in range(agents)
    ]


def traffic_erlangs(traffic: Traffic) -> float:
    """Offered load: arrivals per second × mean handle (and wrap-up) time."""
    wrap = traffic.wrapup_seconds or 0.0
    return traffic.rate_per_hour / 3600.0 * (traffic.aht_seconds + wrap)


__all__ = ["PYRAMID", "Traffic", "arrivals", "roster", "traffic_erlangs"]
