"""From recorded contacts to a replay's input (pure part; the SQL is tested in
tests/integration/test_simulation_replay.py)."""

from __future__ import annotations

import random

import pytest

from app.simulation import PatienceModel
from app.simulation.recorded import RecordedContact, answer_delay, arrivals, observations, roster
from routing import Agent, Customer

DAY = 86_400.0


def contact(i: int, at: float, **kw: object) -> RecordedContact:
    return RecordedContact(str(i), at, "general", "voice", Customer(str(i), "key"), **kw)  # type: ignore[arg-type]


ANSWERED = contact(1, 100.0, offered_at=110.0, answered_at=114.0, ended_at=200.0,
                   wait_seconds=14.0, handle_seconds=86.0, end_reason="completed", agent_id="7")  # fmt: skip
ABANDONED = contact(2, 120.0, ended_at=165.0, end_reason="abandoned")
TIMED_OUT = contact(3, 130.0, ended_at=1330.0, end_reason="timed_out")
LIVE = contact(4, 140.0)  # still waiting in the record


def test_observations_answer_delay_and_patience_of_each_caller() -> None:
    obs = observations([ANSWERED, ABANDONED, TIMED_OUT, LIVE])
    assert [(o.wait_seconds, o.abandoned) for o in obs] == [
        (14.0, False),
        (45.0, True),
        (1200.0, False),
    ]
    assert answer_delay([ANSWERED, ABANDONED], offer_timeout=15) == pytest.approx(4.0)
    assert answer_delay([ABANDONED], offer_timeout=15) is None
    model = PatienceModel(pooled=1 / 60)
    out = {
        a.id: a
        for a in arrivals([ANSWERED, ABANDONED, TIMED_OUT], model, random.Random(1), ["general"])
    }
    assert out["2"].patience_seconds == 45.0  # hung up after 45 s: exactly that patient
    assert out["1"].patience_seconds > 14.0 and out["3"].patience_seconds > 1200.0  # censored
    assert out["1"].handle_seconds == 86.0
    assert out["2"].handle_seconds == 86.0  # never answered: a talk time of its queue's
    assert arrivals([ANSWERED], model, random.Random(1), ["billing"]) == []  # unknown queue


def test_the_recorded_roster_spans_first_answer_to_last_end_and_joins_midnight() -> None:
    agents = {"7": Agent("7", "Seven", {"general": 2})}
    late = contact(5, DAY - 100, answered_at=DAY - 90, ended_at=DAY + 300, agent_id="7")
    early = contact(6, DAY + 200, answered_at=DAY + 210, ended_at=DAY + 400, agent_id="7")
    next_week = contact(7, 7 * DAY, answered_at=7 * DAY + 5, ended_at=7 * DAY + 50, agent_id="7")
    unknown = contact(8, 300.0, answered_at=310.0, ended_at=320.0, agent_id="99")
    only = roster([ANSWERED], agents, lead=4.0, tail=30.0)
    assert [(s.start, s.end) for s in only] == [(110.0, 230.0)]
    shifts = roster([late, early, next_week, unknown], agents, lead=4.0, tail=30.0)
    assert [(s.start, s.end) for s in shifts] == [
        (DAY - 94, DAY + 430),  # across midnight: one shift, not two overlapping
        (7 * DAY + 1, 7 * DAY + 80),
    ]
