"""The messages of the customer-value reasons: codes and facts, no words.

Every reason is a message (:mod:`routing.messages`, pure like this package): a code such as
``grade.ranked`` and the facts that fill it (numbers, dates, nested messages). The English
and Chinese templates are in ``app/i18n/catalogs`` and are chosen where a reason leaves the
server, so both languages always carry the same figures, and a language more needs no
change to what is stored. Codes: ``grade.*``, ``rfm*``, ``clv*``, ``stage.*``, ``churn*``,
and the phrases ``money``, ``days``, ``measure.*``, ``lifecycle.*``, ``top``.
"""

from __future__ import annotations

from routing.messages import EMPTY, Message, join, name, say

__all__ = [
    "EMPTY",
    "Message",
    "Text",
    "days",
    "grade",
    "join",
    "measure",
    "money",
    "say",
    "stage",
    "top_percent",
]

Text = Message
"""The old name of :data:`Message`."""


def grade(code: str) -> Message:
    """A grade (a configured tier name: a free code, named in config/names.yaml ``grades``)."""
    return name("grade", code)


def stage(code: str) -> Message:
    """A lifecycle stage: ``exploration``, ``formation``, ``stable``, ``decline``."""
    return say(f"lifecycle.{code}")


def measure(code: str) -> Message:
    """``margin`` / ``revenue``."""
    return say(f"measure.{code}")


def money(value: float, currency: str) -> Message:
    """``¥84,200`` / ``-¥1,250`` once rendered: whole units, sign before the symbol."""
    if value < 0:
        return say("money.neg", currency=currency, amount=-value)
    return say("money", currency=currency, amount=value)


def days(value: float) -> Message:
    """A day count for humans: ``0.4 days`` below ten days, else a whole number."""
    if value < 10:
        return say("days.short", n=value)
    return say("days", n=value)


def top_percent(rank: int, base_size: int) -> Message:
    """``top 1 %`` for rank 37 of 5,000: the share of the base at or above this rank, rounded up."""
    return say("top", pct=max(1, -(-rank * 100 // base_size)))
