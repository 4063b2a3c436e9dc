"""The simulator against Erlang C (app/metrics/erlang.py): same service level within
sampling error on a long run of M/M/N traffic.

Set-up: one queue, no rules (first come, first served), no wrap-up, accept at once, nobody
hangs up — the M/M/N model. 10 agents, 140 calls an hour of 180 s mean talk (7 erlangs,
occupancy 70 %), 20 s target: Erlang C says 84.1 % within 20 s (10 agents) — and 69.2 % with
9, 92.2 % with 11, so the check can tell one agent from another.

The run: 96 simulated hours (about 13,400 calls, about 2 s), the first hour dropped as
warm-up (the centre starts empty). Waits of neighbouring calls are correlated, so the
sampling error is measured by batch means: 24 consecutive batches of calls, standard error =
standard deviation of the batch service levels / √24. The tolerance is 3 standard errors
(about ±0.04 here); the seed is fixed, so the test is deterministic, and it asserts that the
error is small enough for the band to exclude 9 and 11 agents.
"""

from __future__ import annotations

import random
import statistics

import pytest

from app.metrics import erlang
from app.simulation import Options, PatienceModel, Simulation
from app.simulation import synthetic as syn
from routing import RoutingConfig

AGENTS, RATE, AHT, TARGET, HOURS, WARMUP, BATCHES = 10, 140.0, 180.0, 20.0, 96.0, 3600.0, 24
HOUR_BIN = 3600.0


def mmn_config() -> RoutingConfig:
    return RoutingConfig.from_mapping(
        {
            "wrapup": {"timeout_seconds": 0},
            "queues": [{"name": "general", "skills": {"general": 1}, "sla_seconds": TARGET}],
            "rules": [],
        }
    )


def test_service_level_matches_erlang_c_within_sampling_error() -> None:
    rng = random.Random(20261130)
    traffic = syn.Traffic(rate_per_hour=RATE, aht_seconds=AHT, hours=HOURS, wrapup_seconds=None)
    arrivals = syn.arrivals(traffic, rng, PatienceModel())  # rate 0: nobody abandons
    roster = syn.roster(AGENTS, 0.0, HOURS, {"general": 1})
    options = Options(answer_delay=0.0, grade_targets={}, interval_seconds=HOUR_BIN)
    result = Simulation(mmn_config(), arrivals, roster, options).run()

    calls = sorted(
        (o for o in result.outcomes if WARMUP <= o.arrived_at < HOURS * 3600),
        key=lambda o: o.arrived_at,
    )
    assert all(o.answered for o in calls) and len(calls) > 12_000
    size = len(calls) // BATCHES
    batches = [
        sum(o.wait_seconds <= TARGET for o in calls[i * size : (i + 1) * size]) / size
        for i in range(BATCHES)
    ]
    simulated = sum(o.wait_seconds <= TARGET for o in calls) / len(calls)
    error = statistics.stdev(batches) / BATCHES**0.5
    traffic_erlangs = RATE / 3600 * AHT
    expected = erlang.service_level(traffic_erlangs, AGENTS, AHT, TARGET)

    assert expected == pytest.approx(0.841, abs=0.001)
    print(f"simulated {simulated:.4f}, Erlang C {expected:.4f}, standard error {error:.4f}")
    assert abs(simulated - expected) <= 3 * error, (simulated, expected, error)
    # The band is narrow enough to mean something: one agent more or less is outside it.
    for neighbour in (AGENTS - 1, AGENTS + 1):
        other = erlang.service_level(traffic_erlangs, neighbour, AHT, TARGET)
        assert abs(simulated - other) > 3 * error, (neighbour, other)
    # Occupancy of the agents while calls arrive: traffic / agents (70 %), over the whole
    # run including the hour's drain at the end (the roster runs one hour past the traffic).
    busy_share = traffic_erlangs / AGENTS * HOURS / (HOURS + 1)
    assert result.occupancy == pytest.approx(busy_share, abs=0.02)
