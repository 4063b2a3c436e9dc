"""Grading configuration (``config/grades.yaml``): validated once, then immutable.

Every section and key is optional in the mapping (missing ones take the defaults below); an
unknown key, a wrong type or an out-of-range value raises :class:`GradingConfigError` naming the
dotted key, e.g. ``pyramid.tiers[1].share``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from app.grading.config_parse import (
    GradingConfigError,
    num,
    parse_section,
    pick,
    plain,
    section,
    text,
    tiers_of,
)

__all__ = ["GradingConfig", "GradingConfigError", "Tier"]


@dataclass(frozen=True)
class Tier:
    """A pyramid tier: ``share`` of the ranked base (rank mode) or ``min_value`` (threshold mode)."""

    name: str
    share: float | None = None
    min_value: float | None = None


DEFAULT_TIERS = (
    Tier("vip", 0.01),
    Tier("key", 0.19),
    Tier("ordinary", 0.30),
    Tier("small", 0.50),
)


@dataclass(frozen=True)
class Pyramid:
    mode: str = field(default="rank", metadata=pick("rank", "threshold"))
    prospect_grade: str = field(default="prospect", metadata=text())
    tiers: tuple[Tier, ...] = field(default=DEFAULT_TIERS, metadata=tiers_of(Tier))


@dataclass(frozen=True)
class Windows:
    recent_days: int = field(default=180, metadata=num(1, integer=True))
    baseline_days: int = field(default=365, metadata=num(1, integer=True))


@dataclass(frozen=True)
class Rfm:
    window: str = field(default="all", metadata=pick("all", "12m"))


@dataclass(frozen=True)
class Clv:
    horizon_years: int = field(default=3, metadata=num(1, 50, integer=True))
    discount_rate: float = field(default=0.10, metadata=num(0, 1))
    recent_weight: float = field(default=0.5, metadata=num(0, 1))
    base_retention: float = field(default=0.5, metadata=num(0, 1))
    max_retention: float = field(default=0.85, metadata=num(0, 1))
    tenure_years_to_max: float = field(default=3.0, metadata=num(0, open_low=True))


@dataclass(frozen=True)
class Lifecycle:
    exploration_max_purchases: int = field(default=2, metadata=num(0, integer=True))
    exploration_max_days: float = field(default=60.0, metadata=num(0))
    min_baseline_purchases: int = field(default=2, metadata=num(1, integer=True))
    min_baseline_days: float = field(default=90.0, metadata=num(0, open_low=True))
    decline_ratio: float = field(default=0.5, metadata=num(0, 1, open_low=True))
    growth_ratio: float = field(default=1.5, metadata=num(1, open_low=True))
    lapse_factor: float = field(default=3.0, metadata=num(1, open_low=True))
    # A customer an agent won back (a care task's outcome, docs/care.md) is in formation
    # rather than decline for this many days, unless they have bought since (then their
    # purchases speak). 0: a win-back does not change the stage.
    won_back_days: float = field(default=90.0, metadata=num(0))


@dataclass(frozen=True)
class Churn:
    weight_recency: float = field(default=0.6, metadata=num(0, 1))
    weight_decline: float = field(default=0.4, metadata=num(0, 1))
    weight_complaints: float = field(default=0.3, metadata=num(0, 1))
    weight_ratings: float = field(default=0.3, metadata=num(0, 1))
    repeat_complaints: int = field(default=2, metadata=num(1, integer=True))
    # Broken promises (docs/promises.md): this many in 12 months count fully.
    weight_promises: float = field(default=0.3, metadata=num(0, 1))
    repeat_promises: int = field(default=2, metadata=num(1, integer=True))


@dataclass(frozen=True)
class GradingConfig:
    """The whole grading configuration. Build it with :meth:`from_mapping` or :meth:`default`.

    Construction validates cross-key rules too, so an instance is always consistent.
    """

    currency: str = field(default="¥", metadata=text())
    value_measure: str = field(default="margin", metadata=pick("margin", "revenue"))
    default_purchase_interval_days: float = field(default=180.0, metadata=num(0, open_low=True))
    pyramid: Pyramid = field(default_factory=Pyramid, metadata=section(Pyramid))
    windows: Windows = field(default_factory=Windows, metadata=section(Windows))
    rfm: Rfm = field(default_factory=Rfm, metadata=section(Rfm))
    clv: Clv = field(default_factory=Clv, metadata=section(Clv))
    lifecycle: Lifecycle = field(default_factory=Lifecycle, metadata=section(Lifecycle))
    churn: Churn = field(default_factory=Churn, metadata=section(Churn))

    def __post_init__(self) -> None:
        _check_cross(self)

    @classmethod
    def default(cls) -> GradingConfig:
        """The built-in defaults (identical to the shipped ``config/grades.yaml``)."""
        return cls()

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any] | None) -> GradingConfig:
        """Validate a mapping (e.g. loaded YAML) into a config; raise :class:`GradingConfigError`."""
        config: GradingConfig = parse_section(cls, {} if raw is None else raw, "")
        return config

    def to_mapping(self) -> dict[str, Any]:
        """The plain-data form (what ``config/grades.yaml`` holds); ``from_mapping`` inverts it."""
        mapping: dict[str, Any] = plain(self)
        return mapping

    @property
    def tier_names(self) -> tuple[str, ...]:
        """Tier names from the top of the pyramid down."""
        return tuple(t.name for t in self.pyramid.tiers)

    def cumulative_shares(self) -> tuple[Fraction, ...]:
        """Exact cumulative shares (decimal as written), the last forced to 1."""
        total = Fraction(0)
        out = []
        for tier in self.pyramid.tiers:
            total += Fraction(repr(tier.share or 0.0))
            out.append(total)
        out[-1] = Fraction(1)
        return tuple(out)


def _check_cross(cfg: GradingConfig) -> None:
    pyr = cfg.pyramid
    tiers = pyr.tiers
    if not tiers:
        raise GradingConfigError("pyramid.tiers", "needs at least one tier")
    seen: set[str] = set()
    for i, tier in enumerate(tiers):
        key = f"pyramid.tiers[{i}]"
        if not tier.name or tier.name in seen or tier.name == pyr.prospect_grade:
            raise GradingConfigError(
                f"{key}.name",
                f"{tier.name!r} must be a non-empty name, unique, and not the prospect grade",
            )
        seen.add(tier.name)
        if pyr.mode == "rank" and tier.share is None:
            raise GradingConfigError(f"{key}.share", "is required in rank mode")
        if pyr.mode == "threshold" and tier.min_value is None and i < len(tiers) - 1:
            raise GradingConfigError(f"{key}.min_value", "is required in threshold mode")
    if pyr.mode == "rank":
        total = sum(t.share or 0.0 for t in tiers)
        if abs(total - 1.0) > 1e-6:
            raise GradingConfigError("pyramid.tiers", f"shares must add up to 1, not {total:g}")
    else:
        if tiers[-1].min_value is not None:
            raise GradingConfigError(
                f"pyramid.tiers[{len(tiers) - 1}].min_value",
                "the last tier takes everyone below the previous threshold; leave it out",
            )
        mins = [t.min_value for t in tiers[:-1]]
        for i in range(1, len(mins)):
            if not mins[i] < mins[i - 1]:  # type: ignore[operator]
                raise GradingConfigError(
                    f"pyramid.tiers[{i}].min_value", "thresholds must fall strictly down the tiers"
                )
    if cfg.clv.base_retention > cfg.clv.max_retention:
        raise GradingConfigError("clv.base_retention", "must not exceed clv.max_retention")
    if cfg.lifecycle.min_baseline_days > cfg.windows.baseline_days:
        raise GradingConfigError(
            "lifecycle.min_baseline_days", "must not exceed windows.baseline_days"
        )
