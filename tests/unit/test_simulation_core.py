"""The simulator's core: patience, abandons, breaks and shifts, rosters, candidates, the
report; and a candidate that sends VIPs elsewhere moves the VIP figures the expected way."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from app.simulation import (
    Arrival,
    BreakSpan,
    Observation,
    Options,
    PatienceModel,
    Shift,
    Simulation,
    candidate_config,
    compare,
)
from app.simulation import synthetic as syn
from app.simulation.report import to_csv, to_html
from app.simulation.roster import RosterError, parse_roster
from app.simulation.service import SimulationInputError, load_candidate
from routing import Agent, PolicyError, RoutingConfig

ROOT = Path(__file__).resolve().parents[2]


def current() -> RoutingConfig:
    return RoutingConfig.from_mapping(yaml.safe_load((ROOT / "config/routing.yaml").read_text()))


def one_queue(wrapup: float = 0) -> RoutingConfig:
    return RoutingConfig.from_mapping(
        {
            "wrapup": {"timeout_seconds": wrapup},
            "queues": [{"name": "general", "skills": {"general": 1}, "sla_seconds": 20}],
        }
    )


def agent(i: int, **kw: object) -> Agent:
    return Agent(id=f"a{i}", name=f"A{i}", skills={"general": 3}, channels={"voice"}, **kw)  # type: ignore[arg-type]


def call(
    i: int, at: float, talk: float = 100.0, patience: float = math.inf, **kw: object
) -> Arrival:
    return Arrival(f"c{i}", at, "general", handle_seconds=talk, patience_seconds=patience, **kw)  # type: ignore[arg-type]


# --- patience ---------------------------------------------------------------------------
def test_patience_is_fitted_with_censoring_per_grade() -> None:
    obs = [
        *(Observation("vip", w, True) for w in (10.0, 20.0, 30.0, 40.0, 50.0)),
        Observation("vip", 150.0, False),  # answered after 150 s: patience > 150, censored
        Observation("vip", 2.0, True),  # a short abandon: a misdial, left out
        Observation("small", 60.0, True),  # too few abandons of its own: pooled rate
        Observation("small", 40.0, False),
    ]
    model = PatienceModel.fit(obs, short_abandon_seconds=5, min_abandons=5)
    assert model.rate("vip") == pytest.approx(5 / 300)  # abandons / all seconds waited
    assert model.rate("small") == pytest.approx(6 / 400) == model.pooled
    assert model.rate("unknown") == model.pooled
    assert model.mean_seconds("vip") == pytest.approx(60.0)
    rng = random.Random(3)
    draws = [model.sample("vip", rng, at_least=45.0) for _ in range(4000)]
    assert min(draws) >= 45.0  # answered after 45 s: it had that much patience at least
    assert sum(draws) / len(draws) == pytest.approx(45.0 + 60.0, rel=0.05)  # memoryless
    assert PatienceModel.fit([Observation(None, 30.0, False)]).sample(None, rng) == math.inf


def test_a_caller_hangs_up_when_patience_runs_out() -> None:
    # One agent, busy for 100 s with the first call; the second caller gives up after 10 s,
    # the third waits until the agent is free.
    arrivals = [call(1, 0.0), call(2, 1.0, patience=10.0), call(3, 2.0, patience=500.0)]
    result = Simulation(one_queue(), arrivals, [Shift(agent(1), 0.0, 1000.0)],
                        Options(answer_delay=0.0)).run()  # fmt: skip
    by_id = {o.id: o for o in result.outcomes}
    assert not by_id["c2"].answered and by_id["c2"].wait_seconds == pytest.approx(10.0)
    assert by_id["c3"].answered and by_id["c3"].wait_seconds == pytest.approx(98.0)
    assert result.overall.abandoned == 1 and result.overall.abandon_rate == pytest.approx(1 / 3)


def test_answer_delay_breaks_and_end_of_shift() -> None:
    config = one_queue(wrapup=10)
    shift = Shift(agent(1), 0.0, 150.0, (BreakSpan(20.0, 80.0, "lunch"),))
    # Answered 2 s after the offer; the lunch asked for at 20 s starts after talk and
    # wrap-up (15 + 10); the second call waits out the break; the shift ends during the third
    # call, which the agent finishes before logging out.
    arrivals = [call(1, 0.0, talk=15.0), call(2, 30.0, talk=10.0), call(3, 140.0, talk=30.0)]
    result = Simulation(config, arrivals, [shift], Options(answer_delay=2.0)).run()
    by_id = {o.id: o for o in result.outcomes}
    assert by_id["c1"].wait_seconds == pytest.approx(2.0)
    assert by_id["c2"].wait_seconds == pytest.approx(80.0 - 30.0 + 2.0)  # after the lunch
    assert by_id["c3"].answered and by_id["c3"].talk_seconds == pytest.approx(30.0)
    # Handling: 3 calls' talk and wrap-up; available: logged in (0..182: the last call and
    # its wrap-up past the shift's end) less the break (27..80).
    handling = 15 + 10 + 10 + 10 + 30 + 10
    assert result.occupancy == pytest.approx(handling / (182.0 - (80.0 - 27.0)), abs=0.01)


def test_nobody_to_serve_leaves_contacts_unfinished() -> None:
    result = Simulation(one_queue(), [call(1, 0.0)], [], Options()).run()
    assert result.unfinished == 1 and result.overall.answered == 0
    assert result.overall.service_level is None  # an unfinished contact counts nowhere yet


# --- a candidate that sends VIPs elsewhere ----------------------------------------------
VIP_DESK = """
# VIPs go to the two agents of the VIP desk only, no boost, no account manager.
rules:
  - name: vip
    when: {grade: vip}
    skills: {vipdesk: 1}
    steps:
      - {target: skilled}
"""


def test_a_candidate_sending_vips_elsewhere_moves_the_vip_figures() -> None:
    now = current()
    candidate = load_candidate(VIP_DESK, now)
    rng = random.Random(5)
    roster = [
        Shift(Agent(f"a{i}", f"A{i}", {"general": 2, **({"vipdesk": 1} if i < 2 else {})},
                    senior=i % 5 == 0, channels={"voice"}), 0.0, 5 * 3600.0)
        for i in range(14)
    ]  # fmt: skip
    traffic = syn.Traffic(
        rate_per_hour=220,
        aht_seconds=180,
        hours=4,
        grades=(("vip", 0.15), ("ordinary", 0.85)),
        managers=[s.agent.id for s in roster],
        wrapup_seconds=None,
    )
    arrivals = syn.arrivals(traffic, rng, PatienceModel.mean_patience(300))
    result = compare(now, candidate, arrivals, roster, Options(answer_delay=2.0))
    before, after = result.current.grades["vip"], result.candidate.grades["vip"]
    assert before.contacts == after.contacts > 100
    assert after.asa_seconds is not None and before.asa_seconds is not None
    assert after.asa_seconds > 2 * before.asa_seconds
    assert after.abandon_rate is not None and before.abandon_rate is not None
    assert after.abandon_rate > before.abandon_rate
    assert result.candidate.longest_vip_wait > result.current.longest_vip_wait
    # Served by their account manager today, never with the VIP desk.
    assert result.current.preferred_by_kind.get("account manager", 0) > 20
    assert after.preferred_served == 0
    # Same callers, same patience in both runs (common random numbers).
    assert result.current.overall.contacts == result.candidate.overall.contacts


# --- invalid candidates -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "fragments", "line"),
    [
        ("rules:\n  - name: vip\n    steps: [\n", ("not valid YAML", "line"), None),
        (
            "rules:\n  - name: fast\n    when: {grade: vip}\n    steps:\n      - {target: teem}\n",
            ("rule 'fast'", "unknown target 'teem'", "(line 2)"),
            2,
        ),
        ("rules:\n  - name: x\n    when: {grad: vip}\n", ("rule 'x'", "grad", "line 2"), 2),
        ("rules:\n  - name: q\n    when: {queue: nowhere}\n", ("unknown queue 'nowhere'",), 2),
        ("- just a list\n", ("must be a mapping",), None),
        ("rules: []\nqueus: []\n", ("queus",), None),
    ],
)
def test_invalid_candidates_are_refused_with_the_rule_and_line(
    text: str, fragments: tuple[str, ...], line: int | None
) -> None:
    with pytest.raises(SimulationInputError) as caught:
        load_candidate(text, current())
    for fragment in fragments:
        assert fragment in caught.value.message, caught.value.message
    if line is not None:
        assert caught.value.line == line
    assert caught.value.field == "policy"


def test_a_candidate_keeps_the_current_queues_and_settings() -> None:
    now = current()
    cand = candidate_config({"rules": [{"name": "all", "steps": [{"target": "skilled"}]}]}, now)
    assert {q.name for q in cand.queues} == {q.name for q in now.queues}
    assert cand.settings == now.settings and cand.policy.aging_rate == now.policy.aging_rate
    own = candidate_config({"wrapup": {"timeout_seconds": 5}, "rules": []}, now)
    assert own.settings.wrapup_seconds == 5
    with pytest.raises(PolicyError):
        candidate_config({"queues": [{"name": "general", "overflow": "nowhere"}]}, now)


# --- rosters ------------------------------------------------------------------------------
def test_roster_file() -> None:
    known = {"7": agent(7), "alice": agent(7)}
    day = datetime(2026, 11, 30, tzinfo=UTC)
    text = (
        "agent,start,end,breaks,skills,senior\n"
        "alice,08:00,16:00,12:00-12:30 lunch; 15:00-15:10\n"
        "temp,22:00,06:00,,general:3 billing:2,yes\n"
    )
    alice, temp = parse_roster(text, known, [day])
    assert alice.agent is known["alice"]
    assert (alice.start, alice.end) == (day.timestamp() + 8 * 3600, day.timestamp() + 16 * 3600)
    assert [b.reason for b in alice.breaks] == ["lunch", "break"]
    assert temp.agent.skills == {"general": 3, "billing": 2} and temp.agent.senior
    assert temp.end - temp.start == 8 * 3600  # a night shift ends the next morning
    for bad, fragment in [
        ("agent,start\nalice,08:00\n", "line 1: missing column(s) end"),
        ("agent,start,end,colour\n", "unknown column(s) colour"),
        ("agent,start,end\nbob,08:00,16:00\n", "line 2: agent 'bob': not in the database"),
        ("agent,start,end\nalice,8h,16:00\n", "line 2: start: expected HH:MM"),
        ("agent,start,end,skills\nx,08:00,09:00,general=3\n", "line 2: skills"),
        ("agent,start,end\n", "no shifts"),
    ]:
        with pytest.raises(RosterError, match=None) as caught:
            parse_roster(bad, known, [day])
        assert fragment in str(caught.value), str(caught.value)


# --- the report -----------------------------------------------------------------------------
def test_report_html_and_csv() -> None:
    rng = random.Random(1)
    traffic = syn.Traffic(rate_per_hour=100, aht_seconds=120, hours=2, grades=syn.PYRAMID)
    arrivals = syn.arrivals(traffic, rng, PatienceModel.mean_patience(120))
    roster = syn.roster(4, 0.0, 2, {"general": 1})
    result = compare(one_queue(), one_queue(wrapup=30), arrivals, roster, Options(),
                     title="A <test>", notes=("n & m",))  # fmt: skip
    html = to_html(result)
    assert html.count("<svg") == 3 and "<script" not in html
    assert "A &lt;test&gt;" in html and "n &amp; m" in html and "polyline" in html
    lines = to_csv(result).splitlines()
    assert lines[0] == "section,group,figure,current,candidate,difference"
    assert any(line.startswith("overall,all contacts,service level,") for line in lines)
    assert any(",current," in line for line in lines) and any(
        ",candidate," in line for line in lines
    )


def test_a_recorded_wrapup_shorter_than_the_policy_ends_early() -> None:
    # Policy wrap-up 30 s; the first contact's agent finishes theirs after 5 s, so the
    # second caller (arrived during it) is answered at 100 + 5, not 100 + 30.
    arrivals = [
        call(1, 0.0, talk=100.0, wrapup_seconds=5.0),
        call(2, 101.0, talk=10.0),
    ]
    result = Simulation(one_queue(wrapup=30), arrivals, [Shift(agent(1), 0.0, 500.0)],
                        Options(answer_delay=0.0)).run()  # fmt: skip
    waits = {o.id: o.wait_seconds for o in result.outcomes}
    assert waits["c2"] == pytest.approx(4.0)
    without = [call(1, 0.0, talk=100.0), call(2, 101.0, talk=10.0)]
    result = Simulation(one_queue(wrapup=30), without, [Shift(agent(1), 0.0, 500.0)],
                        Options(answer_delay=0.0)).run()  # fmt: skip
    assert {o.id: o.wait_seconds for o in result.outcomes}["c2"] == pytest.approx(29.0)
