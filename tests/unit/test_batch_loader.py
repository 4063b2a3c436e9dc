"""BatchLoader: concurrent lookups share one load; faults and absences reach each caller."""

from __future__ import annotations

import asyncio

import pytest

from app.db.loader import BatchLoader


class Source:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[list[int]] = []
        self.fail = fail
        self.gate = asyncio.Event()

    async def load(self, keys: list[int]) -> dict[int, str]:
        self.calls.append(keys)
        await self.gate.wait()
        if self.fail:
            raise RuntimeError("database away")
        return {k: f"v{k}" for k in keys if k != 13}


async def test_keys_asked_while_a_batch_runs_share_the_next_one() -> None:
    source = Source()
    loader = BatchLoader(source.load)
    first = asyncio.create_task(loader.get(1))
    await asyncio.sleep(0)  # the first batch starts with key 1 alone
    rest = [asyncio.create_task(loader.get(k)) for k in (2, 3, 2, 13)]
    await asyncio.sleep(0)
    source.gate.set()
    assert await first == "v1"
    assert await asyncio.gather(*rest) == ["v2", "v3", "v2", None]  # 13: not found
    assert source.calls == [[1], [2, 3, 13]]  # one load for the four waiting, 2 asked twice


async def test_a_batch_fault_is_every_callers_and_the_next_batch_runs() -> None:
    source = Source(fail=True)
    loader = BatchLoader(source.load)
    tasks = [asyncio.create_task(loader.get(k)) for k in (1, 2)]
    await asyncio.sleep(0)
    source.gate.set()
    for task in tasks:
        with pytest.raises(RuntimeError, match="database away"):
            await task
    source.fail = False
    assert await loader.get(3) == "v3"


async def test_one_caller_giving_up_does_not_cancel_the_others() -> None:
    source = Source()
    loader = BatchLoader(source.load)
    impatient = asyncio.create_task(loader.get(1))
    patient = asyncio.create_task(loader.get(1))
    await asyncio.sleep(0)
    impatient.cancel()
    source.gate.set()
    assert await patient == "v1"


async def test_batches_are_capped() -> None:
    source = Source()
    source.gate.set()
    loader = BatchLoader(source.load, max_batch=2)
    assert await asyncio.gather(*(loader.get(k) for k in range(5))) == [f"v{k}" for k in range(5)]
    assert [len(keys) for keys in source.calls] == [2, 2, 1]
