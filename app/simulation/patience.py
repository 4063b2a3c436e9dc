"""How long callers wait before hanging up, fitted on the record.

Model: **exponential patience per customer grade**, fitted by maximum likelihood with
censoring. Every recorded contact that waited is one observation of a caller's patience:

- an *abandoned* contact shows its patience exactly (it hung up after ``wait`` seconds);
- an *answered* (or timed-out) contact shows only that its patience was longer than its
  wait: a censored observation.

For the exponential the censored likelihood has a closed form: the rate is the number of
abandons over the total seconds of waiting, abandoned and answered together
(``λ = abandons / Σ waits``). Why exponential rather than an empirical (Kaplan–Meier)
distribution: a day has few abandons per grade (a VIP abandons a handful of times, if
ever), and an empirical curve from five points is noise; one rate per grade is a stable
estimate from few points, it uses the answered calls' waits (which is most of the
information), and it is memoryless — so a caller answered after 40 s is given a patience of
``40 s + Exp(λ)``, the right conditional draw, with no re-fitting. Its known weakness (real
patience is not memoryless: many hang up at an announcement) is documented in
docs/simulator.md.

Short abandons (within the short-abandon threshold) are misdials and changes of mind, not
impatience: they are left out of the fit. A grade with fewer than ``min_abandons`` abandons
uses the rate pooled over all grades; with no abandons at all, callers wait for ever.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Observation:
    """One recorded wait: the customer's grade (None: no grade), seconds waited, and whether
    the caller hung up (else an agent answered or routing gave up: censored)."""

    grade: str | None
    wait_seconds: float
    abandoned: bool


@dataclass(frozen=True, slots=True)
class PatienceModel:
    """Exponential patience: ``rates[grade]`` abandons per second of waiting; ``pooled`` for
    grades without enough abandons of their own. A rate of 0 means infinite patience."""

    pooled: float = 0.0
    rates: Mapping[str, float] = field(default_factory=dict)
    abandons: Mapping[str, int] = field(default_factory=dict)  # what each rate rests on

    @classmethod
    def fit(
        cls,
        observations: Iterable[Observation],
        short_abandon_seconds: float = 5.0,
        min_abandons: int = 5,
    ) -> PatienceModel:
        """Censored maximum-likelihood fit, per grade (module docstring)."""
        count: dict[str, int] = defaultdict(int)
        exposure: dict[str, float] = defaultdict(float)
        for o in observations:
            if o.wait_seconds < 0 or (o.abandoned and o.wait_seconds <= short_abandon_seconds):
                continue
            g = o.grade or ""
            exposure[g] += o.wait_seconds
            count[g] += int(o.abandoned)
        total_n, total_e = sum(count.values()), sum(exposure.values())
        pooled = total_n / total_e if total_e > 0 else 0.0
        rates = {
            g: count[g] / exposure[g] if count[g] >= min_abandons and exposure[g] > 0 else pooled
            for g in exposure
        }
        return cls(pooled, rates, dict(count))

    @classmethod
    def mean_patience(cls, seconds: float) -> PatienceModel:
        """Every grade's mean patience is ``seconds`` (synthetic traffic; inf = none)."""
        return cls(0.0 if math.isinf(seconds) else 1.0 / seconds)

    def rate(self, grade: str | None) -> float:
        return self.rates.get(grade or "", self.pooled)

    def mean_seconds(self, grade: str | None) -> float:
        rate = self.rate(grade)
        return math.inf if rate <= 0 else 1.0 / rate

    def sample(self, grade: str | None, rng: random.Random, at_least: float = 0.0) -> float:
        """A caller's patience; ``at_least``: known to be longer than that (an answered
        caller's wait), then by memorylessness ``at_least + Exp(rate)``."""
        rate = self.rate(grade)
        if rate <= 0:
            return math.inf
        return at_least + rng.expovariate(rate)
