"""Per-connection limits of the customer socket, on an injected clock (tests use a fake one).

A token bucket for messages (a burst, then a steady rate) and a throttle for typing events.
Conversation-level limits (open chats, new ones per hour) are counted in the database by the
chat service, so that they hold across connections and restarts.
"""

from __future__ import annotations

from collections.abc import Callable

Clock = Callable[[], float]


class TokenBucket:
    """``rate`` tokens a second, at most ``burst`` saved up; one token per message."""

    def __init__(self, rate: float, burst: int, clock: Clock) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.clock = clock
        self.tokens = float(burst)
        self.at = clock()

    def take(self) -> float:
        """0 when a token was taken; otherwise the seconds until one is free."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class Throttle:
    """Lets one event through per ``interval`` seconds; the others are dropped quietly
    (typing is a hint, not a message: dropping a repeat loses nothing)."""

    def __init__(self, interval: float, clock: Clock) -> None:
        self.interval = interval
        self.clock = clock
        self.last: float | None = None

    def allow(self) -> bool:
        now = self.clock()
        if self.last is not None and now - self.last < self.interval:
            return False
        self.last = now
        return True
