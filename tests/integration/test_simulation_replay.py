"""A recorded day replayed with the current policy gives back the day's figures.

How the recorded day is built: the simulator itself runs a day (Poisson traffic, the
pyramid's grades with account managers, repeat callers, exponential patience) with the
current policy over agents and customers that exist in the database, and each of its
contacts is written as the live path would have recorded it — an interaction with its
created, offered, answered and ended times, wait and handle seconds, end reason, agent and
the routing log's first ``queued`` entry. Then the replay reads that day back through
``app.db.repositories.simulation`` (``recorded_plan``: patience fitted on the abandons,
answer delay and roster from the record) and runs the current policy again.

What can differ, and so the tolerance: answered callers' patience is redrawn above their
wait, abandoned contacts that the replay answers get a talk time drawn from the queue's,
and the roster is rebuilt from first answer to last contact. Tolerance: service level and
abandon rate within 3 percentage points, ASA within 3 s, answered within 3 % of contacts.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.db.models import Customer, CustomerValueRow, Interaction
from app.simulation import Arrival, Options, PatienceModel, Shift, Simulation
from app.simulation.service import recorded_plan
from app.simulation.synthetic import PYRAMID
from routing import Agent, RoutingConfig
from routing import Customer as RoutingCustomer
from tests.conftest import add_agent

ROOT = Path(__file__).resolve().parents[2]
DAY = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
HOURS, RATE, AGENTS, CUSTOMERS, DELAY = 5.0, 160.0, 9, 250, 3.0


def _value(customer_id: int, grade: str) -> CustomerValueRow:
    reason = {"code": "test", "facts": {}}
    return CustomerValueRow(
        customer_id=customer_id, grade=grade, grade_reason=reason, computed_grade=grade,
        base_size=CUSTOMERS, value_12m=0.0, r=1, f=1, m=1, rfm_reason=reason, clv=0.0,
        clv_reason=reason, lifecycle="stable", lifecycle_reason=reason, churn_risk=0.1,
        churn_reason=reason, computed_at=DAY,
    )  # fmt: skip


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


async def _record_a_day(uow_factory: Any, config: RoutingConfig) -> tuple[Any, list[Arrival]]:
    rng = random.Random(11)
    agent_ids = [
        await add_agent(uow_factory, f"agent{i}", skills={"general": 2}, senior=i % 4 == 0)
        for i in range(AGENTS)
    ]
    grades, weights = [g for g, _ in PYRAMID], [w for _, w in PYRAMID]
    customers: list[RoutingCustomer] = []
    async with uow_factory() as uow:
        for i in range(CUSTOMERS):
            grade = "vip" if i < 10 else rng.choices(grades, weights)[0]
            manager = rng.choice(agent_ids) if grade in ("vip", "key") else None
            row = Customer(name=f"Customer {i}", account_manager_id=manager)
            uow.session.add(row)
            await uow.session.flush()
            uow.session.add(_value(row.id, grade))
            customers.append(
                RoutingCustomer(str(row.id), grade, "stable", 0.1,
                                None if manager is None else str(manager))
            )  # fmt: skip
    start, end = DAY.timestamp(), DAY.timestamp() + HOURS * 3600
    patience = PatienceModel.mean_patience(150.0)
    arrivals, at = [], start
    while (at := at + rng.expovariate(RATE / 3600)) < end:
        customer = rng.choice(customers)
        arrivals.append(
            Arrival(f"x{len(arrivals)}", at, "general", customer=customer,
                    handle_seconds=rng.expovariate(1 / 150),
                    patience_seconds=patience.sample(customer.grade, rng))
        )  # fmt: skip
    roster = [
        Shift(Agent(str(a), f"Agent{i}", {"general": 2}, senior=i % 4 == 0), start, end + 3600)
        for i, a in enumerate(agent_ids)
    ]
    day = Simulation(config, arrivals, roster, Options(answer_delay=DELAY)).run()
    assert day.unfinished == 0
    by_id = {a.id: a for a in arrivals}
    async with uow_factory() as uow:
        for o in day.outcomes:
            a = by_id[o.id]
            answered = a.at + o.wait_seconds if o.answered else None
            ended = (answered + o.talk_seconds) if answered is not None else a.at + o.wait_seconds
            uow.session.add(
                Interaction(
                    customer_id=int(a.customer.customer_id or 0), channel="voice",
                    direction="inbound", queue=o.queue, status="ended",
                    agent_id=int(o.agent_id) if o.agent_id else None,
                    created_at=_at(a.at),
                    offered_at=_at(answered - DELAY) if answered is not None else None,
                    answered_at=_at(answered) if answered is not None else None,
                    ended_at=_at(ended), wait_seconds=round(o.wait_seconds, 3),
                    handle_seconds=round(o.talk_seconds, 3) if o.answered else None,
                    end_reason="completed" if o.answered else "abandoned",
                    routing_explanation=[{"event": "queued", "queue": a.queue}],
                )
            )  # fmt: skip
    return day, arrivals


async def test_replaying_a_recorded_day_with_the_current_policy(uow_factory: Any) -> None:
    config = RoutingConfig.from_mapping(yaml.safe_load((ROOT / "config/routing.yaml").read_text()))
    day, arrivals = await _record_a_day(uow_factory, config)
    recorded = day.overall
    assert recorded.abandoned > 10 and recorded.answered > 500  # a day with something to show

    plan = await recorded_plan(
        uow_factory, DAY, DAY + timedelta(days=1), config, Options(), UTC, None, seed=3
    )
    assert len(plan.arrivals) == len(arrivals)
    assert plan.options.answer_delay == pytest.approx(DELAY)
    assert {s.agent.id for s in plan.roster} <= {s for s in (o.agent_id for o in day.outcomes) if s}
    # The record's grades, account managers and first queues came back through the SQL.
    back = {a.id: a for a in plan.arrivals}
    assert len(back) == len(arrivals)
    sample = next(a for a in plan.arrivals if a.customer.grade == "vip")
    assert sample.customer.account_manager_agent_id is not None and sample.queue == "general"
    assert any(a.customer.last_agent_id for a in plan.arrivals)  # repeat callers
    assert any("as recorded: service level" in n for n in plan.notes)

    replay = Simulation(config, plan.arrivals, plan.roster, plan.options).run().overall
    print(f"recorded {recorded}\nreplayed {replay}")
    assert recorded.service_level is not None and replay.service_level is not None
    assert abs(replay.service_level - recorded.service_level) <= 0.03
    assert recorded.asa_seconds is not None and replay.asa_seconds is not None
    assert abs(replay.asa_seconds - recorded.asa_seconds) <= 3.0
    assert recorded.abandon_rate is not None and replay.abandon_rate is not None
    assert abs(replay.abandon_rate - recorded.abandon_rate) <= 0.03
    assert abs(replay.answered - recorded.answered) <= 0.03 * recorded.contacts


async def test_an_empty_period_is_refused(uow_factory: Any) -> None:
    from app.simulation.service import SimulationInputError

    config = RoutingConfig.from_mapping(yaml.safe_load((ROOT / "config/routing.yaml").read_text()))
    with pytest.raises(SimulationInputError, match="no contacts recorded"):
        await recorded_plan(uow_factory, DAY, DAY + timedelta(days=1), config, Options())
