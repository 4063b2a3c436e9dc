"""The failed-login guard on a fake clock: windows, lockout, successes never counted, memory
bounded."""

from __future__ import annotations

import pytest

from app.auth.throttle import LoginGuard, TooManyAttempts


class Clock:
    def __init__(self) -> None:
        self.now = 50_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def guard(clock: Clock, **limits: float) -> LoginGuard:
    options = {"account_failures": 3, "address_failures": 5, "window": 60.0, "lockout": 300.0}
    return LoginGuard(clock=clock, **(options | limits))  # type: ignore[arg-type]


def refused(g: LoginGuard, username: str, address: str) -> TooManyAttempts:
    with pytest.raises(TooManyAttempts) as exc:
        g.check(username, address)
    assert exc.value.status == 429
    return exc.value


def test_the_account_locks_after_its_failures_and_unlocks_after_the_lockout(clock: Clock) -> None:
    g = guard(clock)
    assert [g.failed("alice", f"10.0.0.{i}") for i in range(3)] == [False, False, True]
    assert refused(g, "alice", "10.9.9.9").retry_after == 300
    g.check("bob", "10.9.9.9")  # other accounts are not locked
    clock.now += 299.5
    assert refused(g, "alice", "10.9.9.9").retry_after == 1  # rounded up, never 0
    clock.now += 0.5
    g.check("alice", "10.9.9.9")
    assert g.locked("alice") == 0


def test_failures_leave_the_window(clock: Clock) -> None:
    g = guard(clock)
    g.failed("alice", "a")
    g.failed("alice", "a")
    clock.now += 60  # both leave the window
    assert not g.failed("alice", "a")
    assert not g.failed("alice", "a")
    g.check("alice", "a")


def test_an_address_is_refused_until_its_oldest_failure_leaves_the_window(clock: Clock) -> None:
    g = guard(clock, account_failures=100)
    for i in range(5):
        g.failed(f"user{i}", "10.0.0.1")
        clock.now += 10
    assert refused(g, "someone", "10.0.0.1").retry_after == 10
    g.check("someone", "10.0.0.2")
    clock.now += 10
    g.check("someone", "10.0.0.1")


def test_successes_never_count(clock: Clock) -> None:
    g = guard(clock)
    for _ in range(1000):
        g.check("alice", "nat")
        g.succeeded("alice")
    # ...and a success ends the account's run of failures, not the address's.
    g.failed("alice", "nat")
    g.failed("alice", "nat")
    g.succeeded("alice")
    assert not g.failed("alice", "nat")
    assert not g.failed("alice", "nat")
    g.failed("bob", "nat")
    assert refused(g, "carol", "nat")


def test_failures_of_a_locked_account_do_not_lock_it_again(clock: Clock) -> None:
    g = guard(clock)
    assert [g.failed("alice", "a") for _ in range(3)] == [False, False, True]
    # Guesses checked before the lock began and failing after it: the lock stands as it is.
    assert not g.failed("alice", "b")
    assert refused(g, "alice", "c").retry_after == 300


def test_memory_stays_bounded_under_a_spray_of_usernames(clock: Clock) -> None:
    g = guard(clock, max_tracked=100, address_failures=10**9)
    for i in range(10_000):
        g.failed(f"user{i}", "10.0.0.1")
        clock.now += 1
    assert len(g._accounts) <= 100
