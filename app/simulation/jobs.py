"""Simulations running in the background of the server: an in-process registry.

A job's input is checked in the request (bad input answers at once); the job then loads its
traffic (on the event loop: the database is async) and runs its CPU-bound part — both
policies over the traffic — in a worker thread so the event loop keeps serving, with its
progress readable meanwhile. The registry lives in the process's memory:
jobs are lost on a restart, are not shared between processes (ask the process that started
it; behind a load balancer, pin the admin's session), at most ``max_running`` run at once
(the simulator holds a CPU while it runs), and only the last ``keep`` finished jobs are kept.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum

from app.simulation.engine import Progress
from app.simulation.report import Row, rows, to_csv, to_html
from app.simulation.results import Comparison

log = logging.getLogger(__name__)


class JobStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass
class Job:
    """One simulation: its state, progress (0..1) and, when done, its figures and report."""

    id: str
    requested_by: str
    created_at: float
    contacts: int
    status: JobStatus = JobStatus.RUNNING
    progress: float = 0.0
    finished_at: float | None = None
    error: str | None = None
    notes: tuple[str, ...] = ()
    figures: list[Row] = field(default_factory=list)  # current beside candidate, no detail
    html: str | None = None
    csv: str | None = None
    task: asyncio.Task[None] | None = field(default=None, repr=False)


class Busy(RuntimeError):
    """As many simulations as allowed are running already."""


class JobRegistry:
    """Starts simulations in a thread and keeps them by id (module docstring)."""

    def __init__(self, keep: int = 20, max_running: int = 1) -> None:
        self.keep, self.max_running = keep, max_running
        self._jobs: OrderedDict[str, Job] = OrderedDict()

    def running(self) -> list[Job]:
        return [j for j in self._jobs.values() if j.status is JobStatus.RUNNING]

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def start(
        self, work: Callable[[Progress], Awaitable[Comparison]], contacts: int, requested_by: str
    ) -> Job:
        """Run ``work(progress)`` as a task (it loads its traffic and runs the simulation in
        a worker thread: :func:`app.simulation.service.run_in_thread`); raises
        :class:`Busy` when as many are running as allowed."""
        if len(self.running()) >= self.max_running:
            raise Busy(f"{len(self.running())} simulation(s) running; try again when done")
        job = Job(secrets.token_hex(8), requested_by, time.time(), contacts)
        self._jobs[job.id] = job
        self._trim()

        def progress(done: int, total: int) -> None:
            job.progress = done / total if total else 1.0  # one float: no lock needed

        async def run() -> None:
            try:
                result = await work(progress)
                # Kept: the rendered report and the figures, not every contact's outcome.
                job.html, job.csv = to_html(result), to_csv(result)
                job.notes, job.figures = result.notes, rows(result, detail=False)
                job.progress, job.status = 1.0, JobStatus.DONE
            except Exception as exc:  # the job reports it; the server goes on
                log.exception("simulation %s failed", job.id)
                job.error, job.status = f"{type(exc).__name__}: {exc}", JobStatus.FAILED
            finally:
                job.finished_at = time.time()

        job.task = asyncio.get_running_loop().create_task(run(), name=f"simulation-{job.id}")
        return job

    def _trim(self) -> None:
        finished = [j.id for j in self._jobs.values() if j.status is not JobStatus.RUNNING]
        for job_id in finished[: max(0, len(self._jobs) - self.keep)]:
            del self._jobs[job_id]

    async def stop(self) -> None:
        """Wait for running jobs (a worker thread cannot be interrupted)."""
        for job in self.running():
            if job.task is not None:
                await asyncio.gather(job.task, return_exceptions=True)
