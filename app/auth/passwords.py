"""Password hashing (argon2id), off the event loop.

An argon2 check costs tens of milliseconds of CPU by design. Run on the event loop, a flood of
logins stalls every request and socket of the process; run on the loop's default thread pool,
it crowds out whatever else uses that pool. So the async functions hand the work to a small
pool of its own: a flood of logins waits its turn there, and the rest of the server goes on.
argon2-cffi releases the GIL while it hashes, so the loop keeps running meanwhile.
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

T = TypeVar("T")

_hasher = PasswordHasher()

# Threads are started on first use, not at import. A semaphore of the same size (one per event
# loop) hands out the threads in arrival order, so work waits in the loop, where a caller can
# still change its mind (`before`), rather than in the pool's queue.
_threads = 2
_pool = ThreadPoolExecutor(max_workers=_threads, thread_name_prefix="argon2")
_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def configure(threads: int) -> None:
    """Size the hashing pool (settings.password_hash_threads); called at start-up."""
    global _pool, _threads
    if threads != _threads:
        old, _threads = _pool, threads
        _pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="argon2")
        _slots.clear()
        old.shutdown(wait=False)


def _slot() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    slot = _slots.get(loop)
    if slot is None:
        slot = _slots[loop] = asyncio.Semaphore(_threads)
    return slot


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash("not-a-real-password")


def dummy_hash() -> str:
    """A hash made with the current parameters, to verify against when there is no account:
    an unknown username then costs the same time as a wrong password."""
    return _dummy_hash(_hasher)


async def _run(
    fn: Callable[..., T], *args: str | None, before: Callable[[], None] | None = None
) -> T:
    async with _slot():
        if before is not None:
            before()
        return await asyncio.get_running_loop().run_in_executor(_pool, fn, *args)


async def hash_password_async(password: str) -> str:
    return await _run(hash_password, password)


def _verify_or_dummy(password_hash: str | None, password: str) -> bool:
    if password_hash is None:
        verify_password(dummy_hash(), password)
        return False
    return verify_password(password_hash, password)


async def verify_password_async(
    password_hash: str | None, password: str, before: Callable[[], None] | None = None
) -> bool:
    """Check a password in the hashing pool; with no hash (no such account), check it against
    a dummy one and answer False, in the same time. `before` runs when a thread is free, just
    before the check starts; an exception from it cancels the check (the login guard's)."""
    return await _run(_verify_or_dummy, password_hash, password, before=before)
