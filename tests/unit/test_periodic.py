"""A periodic background pass runs only while its gate says so (shared mode: the lease
holder), and goes on after a failed pass."""

from __future__ import annotations

import asyncio

from app.events.runner import Periodic


async def _yield(times: int = 20) -> None:
    for _ in range(times):
        await asyncio.sleep(0)


async def test_a_pass_runs_only_while_the_gate_is_open() -> None:
    runs: list[int] = []
    leading = False

    async def run() -> None:
        runs.append(1)
        if len(runs) == 1:
            raise RuntimeError("the database is away")  # logged; the next pass runs

    loop = Periodic("test pass", run, interval=0, when=lambda: leading)
    loop.start()
    await _yield()
    assert runs == []  # another process leads
    leading = True
    await _yield()
    assert len(runs) >= 2  # including after the failed one
    leading = False
    await _yield(3)
    stopped_at = len(runs)
    await _yield()
    assert len(runs) == stopped_at
    await loop.stop()
