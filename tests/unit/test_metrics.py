"""Queue figures against a hand-computed fixture, and Erlang C against an exact oracle."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from app.metrics.erlang import (
    average_speed_of_answer,
    erlang_c,
    service_level,
    staffing,
)
from app.metrics.figures import Outcome, SLRule, SLVariant, figures, figures_by_grade, occupancy

# Ten finished contacts; target 20 s, short abandons within 5 s.
# Answered after 3, 10, 20, 25, 40 s (three within 20 s), talk + wrap-up 120, 210, 180, 60,
# 120 s; abandoned after 2 and 4 s (short), 15, 30 and 50 s.
ANSWERED = [(3, 100, 20), (10, 200, 10), (20, 150, 30), (25, 60, 0), (40, 90, 30)]
ABANDONED = [2, 4, 15, 30, 50]
DAY = [Outcome(w, True, t, u) for w, t, u in ANSWERED] + [Outcome(w, False) for w in ABANDONED]


def test_standard_service_level_leaves_short_abandons_out() -> None:
    f = figures(DAY, SLRule(target_seconds=20, short_abandon_seconds=5))
    assert (f.offered, f.answered, f.abandoned, f.short_abandoned) == (10, 5, 5, 2)
    assert f.answered_within == 3
    assert f.service_level == pytest.approx(3 / 8)  # 3 / (5 answered + 3 long abandons)
    assert f.asa_seconds == pytest.approx(98 / 5)
    assert f.aht_seconds == pytest.approx(690 / 5)
    assert f.abandon_rate == pytest.approx(3 / 8)


def test_the_asterisk_variants() -> None:
    answered_only = figures(DAY, SLRule(20, 5, SLVariant.ANSWERED))
    assert answered_only.service_level == pytest.approx(3 / 5)
    # SL2: abandons within the target count as served in time: (3 + 3) / 10.
    sl2 = figures(DAY, SLRule(20, 5, SLVariant.ASTERISK_SL2))
    assert sl2.service_level == pytest.approx(6 / 10)


def test_each_grade_against_its_own_target() -> None:
    vip = [
        Outcome(3, True, 60, 0, "vip"),
        Outcome(20, True, 60, 0, "vip"),
        Outcome(15, False, grade="vip"),
    ]
    rest = [Outcome(w, True, 60, 0, "ordinary") for w in (5, 30)]
    by = figures_by_grade(vip + rest + [Outcome(1, True)], {"vip": SLRule(10)}, SLRule(20))
    assert by["vip"].service_level == pytest.approx(1 / 3)  # 3 s in time; 20 s late; 1 long abandon
    assert by["ordinary"].service_level == pytest.approx(1 / 2)
    assert by[""].service_level == 1.0  # no grade: the default rule


def test_nothing_finished_yet_has_no_figures() -> None:
    f = figures([], SLRule(20))
    assert (f.service_level, f.asa_seconds, f.aht_seconds, f.abandon_rate) == (None,) * 4


def test_occupancy_is_handling_over_available_time() -> None:
    assert occupancy(1800, 3600, 600) == pytest.approx(0.6)
    assert occupancy(10, 100, 100) is None


def exact_erlang_c(traffic: int, agents: int) -> Fraction:
    """The textbook formula with exact arithmetic: the oracle for the float recursion."""
    a = Fraction(traffic)
    top = a**agents / math.factorial(agents) * Fraction(agents, agents - traffic)
    return top / (sum(a**k / math.factorial(k) for k in range(agents)) + top)


@pytest.mark.parametrize(("traffic", "agents"), [(1, 2), (10, 11), (10, 13), (48, 55), (90, 100)])
def test_erlang_c_matches_the_formula(traffic: int, agents: int) -> None:
    assert erlang_c(traffic, agents) == pytest.approx(
        float(exact_erlang_c(traffic, agents)), rel=1e-12
    )


def test_the_worked_example_100_calls_in_half_an_hour() -> None:
    # 100 calls per 30 minutes, 3-minute handle time, 80 % within 20 s: 10 erlangs. Thirteen
    # agents answer 79.6 % in time (just short), fourteen 88.8 %.
    def exact_sl(n: int) -> float:
        return 1 - float(exact_erlang_c(10, n)) * math.exp(-(n - 10) * 20 / 180)

    needed = next(n for n in range(11, 40) if exact_sl(n) >= 0.8)
    plan = staffing(
        contacts=100, interval_seconds=1800, aht_seconds=180, sl_percent=80, sl_seconds=20
    )
    assert plan.traffic == pytest.approx(10)
    assert plan.agents == needed == 14
    level = {lv.agents: lv for lv in plan.levels}
    assert [lv.agents for lv in plan.levels] == [12, 13, 14, 15, 16]
    assert level[13].service_level == pytest.approx(exact_sl(13)) and level[13].service_level < 0.8
    assert level[14].service_level == pytest.approx(exact_sl(14))
    assert level[14].asa_seconds == pytest.approx(float(exact_erlang_c(10, 14)) * 180 / 4)
    assert level[14].occupancy == pytest.approx(10 / 14)


def test_occupancy_cap_and_shrinkage() -> None:
    capped = staffing(100, 1800, 180, 80, 20, max_occupancy=0.7)
    assert capped.agents == 15  # 10/14 = 71 % is over the cap
    assert staffing(100, 1800, 180, 80, 20, shrinkage=0.3).scheduled == math.ceil(14 / 0.7)


def test_large_centres_and_overload() -> None:
    # Hundreds of agents: no overflow of A**N / N!.
    assert 0 < erlang_c(480.0, 500) < 1
    assert service_level(480.0, 520, 300, 20) > service_level(480.0, 500, 300, 20)
    assert erlang_c(10, 10) == 1.0 and service_level(10, 9, 180, 20) == 0.0
    assert average_speed_of_answer(10, 10, 180) == math.inf
    with pytest.raises(ValueError, match="positive"):
        staffing(100, 0, 180, 80, 20)
    # Traffic past one queue's size is refused at once, not searched agent by agent (the
    # search once ran for ever on 8.6e10 erlangs).
    with pytest.raises(ValueError, match="beyond one queue"):
        staffing(1_000_000, 1, 86_400, 80, 20)
    big = staffing(
        contacts=4_000 * 1800 / 300,
        interval_seconds=1800,
        aht_seconds=300,
        sl_percent=99.9,
        sl_seconds=0,
    )
    assert big.agents > 4_000 and big.levels[2].service_level >= 0.999
