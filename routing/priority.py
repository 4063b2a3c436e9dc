"""Priority and aging.

A waiting contact's effective priority is ``base + rate * (now - enqueued_at)`` where
``base`` is the contact's base priority plus its rule's boost and ``rate`` is the policy's
aging (points per second). Comparing two contacts at the same ``now`` the ``now`` terms
cancel, so ``base - rate * enqueued_at`` orders them identically at *every* instant: pools
are sorted once by that static key and never re-sorted as contacts age.
"""

from __future__ import annotations


def static_key(base: float, enqueued_at: float, rate: float) -> float:
    """Sort key, lower = served first (the negated static priority)."""
    return rate * enqueued_at - base


def effective_priority(base: float, enqueued_at: float, rate: float, now: float) -> float:
    """The priority a supervisor sees at ``now``."""
    return base + rate * (now - enqueued_at)
