"""Routing-policy simulator (pure): what a policy would have done with a day's traffic.

A discrete-event simulation drives the unchanged :class:`routing.Router` with a simulated
clock: contacts arrive (:class:`Arrival`), agents log in and take breaks (:class:`Shift`),
accept offers after an answer delay, talk, wrap up; callers whose patience runs out hang up.
It does no I/O and reads no clock: the traffic, the roster and a seeded RNG come in, figures
come out. See docs/simulator.md.
"""

from app.simulation.compare import candidate_config, compare, locate
from app.simulation.engine import Simulation
from app.simulation.model import Arrival, BreakSpan, Options, Shift
from app.simulation.patience import Observation, PatienceModel
from app.simulation.results import (
    Comparison,
    ContactOutcome,
    GroupFigures,
    Interval,
    SimulationResult,
)

__all__ = [
    "Arrival",
    "BreakSpan",
    "Comparison",
    "ContactOutcome",
    "GroupFigures",
    "Interval",
    "Observation",
    "Options",
    "PatienceModel",
    "Shift",
    "Simulation",
    "SimulationResult",
    "candidate_config",
    "compare",
    "locate",
]
