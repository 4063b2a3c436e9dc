"""Wording shared by the reasons: money, day counts, ratios, percentages."""

from __future__ import annotations


def money(value: float, currency: str) -> str:
    """``¥84,200`` / ``-¥1,250``: whole units, thousands separated, sign before the symbol."""
    if value < 0:
        return f"-{currency}{-value:,.0f}"
    return f"{currency}{value:,.0f}"


def days(value: float) -> str:
    """A day count for humans: ``0.4 days`` below ten days, else a whole number."""
    if value < 10:
        return f"{value:.1f} days"
    return f"{value:,.0f} days"


def top_percent(rank: int, base_size: int) -> str:
    """``top 1 %`` for rank 37 of 5,000: the share of the base at or above this rank, rounded up."""
    return f"top {max(1, -(-rank * 100 // base_size))} %"


def ratio(value: float) -> str:
    """A rate ratio such as ``×0.42``."""
    return f"×{value:.2f}"
