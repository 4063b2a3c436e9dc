"""Failed-login throttling and account lockout, in process memory.

Only failures count. A floor of agents signing in at nine from one address behind NAT is never
slowed by its own successes; a guesser is, per address and per account:

- an address with `address_failures` failed logins within `window` seconds is refused (429)
  until the oldest of them leaves the window;
- an account (the username as typed, whether it exists or not, so the answers do not tell which
  usernames exist) with `account_failures` failures within the window is locked for `lockout`
  seconds: even the right password is refused until then.

Limits are checked when a login arrives and again just before its password is hashed, so
sixteen guesses sent at once cannot all slip past a limit while the first are being checked.
The clock is injected, so tests move time by hand.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from app.errors import DomainError
from config.settings import Settings


class TooManyAttempts(DomainError):
    """429: too many failed logins; `retry_after` says in how many seconds to try again."""

    status = 429
    code = "too_many_attempts"

    def __init__(self, message: str, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(f"{message}; try again in {self.retry_after} s")
        self.detail = {"retry_after": self.retry_after}


@dataclass
class _Record:
    failures: deque[float] = field(default_factory=deque)
    locked_until: float = 0.0


class LoginGuard:
    def __init__(
        self,
        *,
        account_failures: int = 10,
        address_failures: int = 100,
        window: float = 900.0,
        lockout: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
        max_tracked: int = 100_000,
    ) -> None:
        self.account_failures = account_failures
        self.address_failures = address_failures
        self.window = window
        self.lockout = lockout
        self.clock = clock
        self.max_tracked = max_tracked
        self._accounts: dict[str, _Record] = {}
        self._addresses: dict[str, _Record] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginGuard:
        return cls(
            account_failures=settings.login_account_failures,
            address_failures=settings.login_address_failures,
            window=settings.login_window_seconds,
            lockout=settings.login_lockout_seconds,
        )

    def check(self, username: str, address: str) -> None:
        """TooManyAttempts if the account is locked or the address over its limit.

        Called on arrival, and again just before the password is hashed (in the order the
        hashing pool takes them): guesses sent all at once are refused as soon as earlier
        ones have failed, so at most the pool's size of them gets past a limit."""
        now = self.clock()
        account = self._record(self._accounts, username, now)
        if account.locked_until > now:
            raise TooManyAttempts(
                "too many failed logins for this account", account.locked_until - now
            )
        address_record = self._record(self._addresses, address, now)
        if len(address_record.failures) >= self.address_failures:
            raise TooManyAttempts(
                "too many failed logins from this address",
                address_record.failures[0] + self.window - now,
            )

    def succeeded(self, username: str) -> None:
        """The right password ends the run of the account's failures (a typo or two at nine
        must not add up over the day). The address's count stands: a guesser cannot clear it
        by logging in to an account of their own. Successes never count."""
        record = self._accounts.get(username)
        if record is not None:
            record.failures.clear()

    def failed(self, username: str, address: str) -> bool:
        """Count a failure; True when it locked the account just now (to be audited)."""
        now = self.clock()
        account = self._record(self._accounts, username, now)
        self._record(self._addresses, address, now).failures.append(now)
        if account.locked_until > now:
            return False  # checked before the lock began; the lock already stands
        account.failures.append(now)
        if len(account.failures) >= self.account_failures:
            account.locked_until = now + self.lockout
            account.failures.clear()
            return True
        return False

    def locked(self, username: str) -> float:
        """Seconds the account stays locked (0 when it is not)."""
        record = self._accounts.get(username)
        return max(0.0, record.locked_until - self.clock()) if record else 0.0

    def _record(self, table: dict[str, _Record], key: str, now: float) -> _Record:
        record = table.get(key)
        if record is None:
            if len(table) >= self.max_tracked:
                self._prune(table, now)
            record = table[key] = _Record()
        failures = record.failures
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return record

    def _prune(self, table: dict[str, _Record], now: float) -> None:
        """Forget keys with nothing left to remember; bounded memory under a spray of names."""
        for key in list(table):
            record = table[key]
            if record.locked_until <= now and (
                not record.failures or record.failures[-1] <= now - self.window
            ):
                del table[key]
        if len(table) >= self.max_tracked:
            # Everyone is still remembered: drop the oldest half rather than grow without bound.
            for key in list(table)[: len(table) // 2]:
                del table[key]
