"""The in-process registry of background simulations: one at a time, progress, failures."""

from __future__ import annotations

import asyncio
import random
import threading

import pytest

from app.simulation import Options, PatienceModel, compare
from app.simulation import synthetic as syn
from app.simulation.jobs import Busy, JobRegistry, JobStatus
from routing import RoutingConfig


def _comparison():  # type: ignore[no-untyped-def]
    config = RoutingConfig.from_mapping({"queues": [{"name": "general", "sla_seconds": 20}]})
    traffic = syn.Traffic(rate_per_hour=60, aht_seconds=60, hours=1)
    arrivals = syn.arrivals(traffic, random.Random(1), PatienceModel())
    return compare(config, config, arrivals, syn.roster(2, 0.0, 1), Options())


async def test_one_at_a_time_with_progress_and_a_report() -> None:
    registry = JobRegistry(keep=2, max_running=1)
    release = threading.Event()

    def blocking(progress):  # type: ignore[no-untyped-def]
        progress(1, 4)
        release.wait(5)
        return _comparison()

    async def work(progress):  # type: ignore[no-untyped-def]
        return await asyncio.to_thread(blocking, progress)

    job = registry.start(work, contacts=10, requested_by="admin")
    for _ in range(100):
        if job.progress:
            break
        await asyncio.sleep(0.01)
    assert job.status is JobStatus.RUNNING and job.progress == 0.25
    with pytest.raises(Busy):
        registry.start(work, contacts=10, requested_by="admin")
    release.set()
    assert job.task is not None
    await job.task
    assert job.status is JobStatus.DONE and job.progress == 1.0
    assert job.html is not None and "<svg" in job.html and job.figures
    assert registry.get(job.id) is job


async def test_a_failing_job_reports_its_error_and_old_jobs_are_dropped() -> None:
    registry = JobRegistry(keep=2)

    async def boom(progress):  # type: ignore[no-untyped-def]
        raise ValueError("no agents")

    jobs = []
    for _ in range(3):
        job = registry.start(boom, contacts=1, requested_by="admin")
        assert job.task is not None
        await job.task
        jobs.append(job)
    assert jobs[0].status is JobStatus.FAILED and jobs[0].error == "ValueError: no agents"
    assert registry.get(jobs[0].id) is None  # only the last two are kept
    assert registry.get(jobs[2].id) is jobs[2]
