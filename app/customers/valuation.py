"""Keeps every customer's grade and value current: one customer at a time, or the whole base."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml

from app.db.repositories.customers import CustomerRepository
from app.db.repositories.values import ValueRepository
from app.db.types import utcnow
from app.db.uow import UnitOfWork
from app.grading import (
    BaseSnapshot,
    CustomerStats,
    CustomerValue,
    GradingConfig,
    SnapshotMismatch,
    evaluate_customer,
    grade_base,
)

log = logging.getLogger(__name__)
WRITE_BATCH = 5_000
INLINE_BASE_LIMIT = 20_000
INLINE_DRIFT_MIN = 0
INLINE_DRIFT_SHARE = 0.05


def load_grading_config(path: Path) -> GradingConfig:
    """The YAML file, validated; a missing file means the built-in defaults."""
    if not path.exists():
        return GradingConfig.default()
    return GradingConfig.from_mapping(yaml.safe_load(path.read_text()) or {})


@dataclass(frozen=True)
class Valuation:
    """What services need to regrade: the config and the clock (tests pass a fixed one)."""

    config: GradingConfig
    clock: Callable[[], datetime] = utcnow

    async def regrade(self, uow: UnitOfWork, customer_id: int) -> None:
        """:func:`regrade_customer` with this valuation (what complaints call)."""
        await regrade_customer(uow, self, customer_id)


async def regrade_customer(uow: UnitOfWork, valuation: Valuation, customer_id: int) -> None:
    """Recompute one customer after their history changed, against the last base snapshot.

    Without a snapshot (a new installation) or after the grading config changed, the whole base
    is regraded instead, inside the same transaction.
    """
    now = valuation.clock()
    # Behind any other writer of this customer first: two regrades that read the history
    # side by side (a purchase and a grade pin at once) would each store a value that misses
    # the other's change, and record the same grade move twice.
    await CustomerRepository(uow.session).lock(customer_id)
    repo = ValueRepository(uow.session)
    snapshot = await repo.latest_snapshot()
    stats = await repo.stats_for(customer_id, now, valuation.config)
    if stats is None:
        return
    if await _refresh_base_inline(repo, snapshot):
        await regrade_base(uow, valuation)
        return
    override = (await repo.overrides([customer_id])).get(customer_id)
    rank = None
    if stats.purchases:
        rank = await repo.exact_rank(customer_id, stats.value_12m, _prospect(valuation))
    try:
        value = evaluate_customer(stats, snapshot, valuation.config, now, override, rank)
    except SnapshotMismatch:
        log.info("grading config changed since the last snapshot: regrading the base")
        await regrade_base(uow, valuation)
        return
    await repo.save_one(value, now)


async def _refresh_base_inline(repo: ValueRepository, snapshot: BaseSnapshot | None) -> bool:
    """Regrade the whole base now when it is small and the snapshot no longer describes it.

    A large base is regraded by `hotline regrade` (nightly); in between, one customer is placed
    against the last snapshot, which drifts slowly when the base is large.
    """
    graded = await repo.graded_count()
    if graded > INLINE_BASE_LIMIT:
        return False
    if snapshot is None:
        return True
    drift = abs(graded - snapshot.base_size)
    return drift > max(INLINE_DRIFT_MIN, INLINE_DRIFT_SHARE * snapshot.base_size)


def _prospect(valuation: Valuation) -> str:
    return valuation.config.pyramid.prospect_grade


async def regrade_base(
    uow: UnitOfWork,
    valuation: Valuation,
    progress: Callable[[str, int, int], None] = lambda _phase, _done, _total: None,
) -> tuple[int, int]:
    """Grade every customer in one transaction; returns (customers graded, grades changed)."""
    now = valuation.clock()
    repo = ValueRepository(uow.session)
    stats: list[CustomerStats] = []
    async for row in repo.stream_stats(now, valuation.config):
        stats.append(row)
        if len(stats) % 50_000 == 0:
            progress("aggregate", len(stats), 0)
    progress("aggregate", len(stats), len(stats))
    values, snapshot = grade_base(stats, valuation.config, now, await repo.overrides())
    del stats
    progress("grade", len(values), len(values))
    changed = 0
    for start in range(0, len(values), WRITE_BATCH):
        batch: list[CustomerValue] = values[start : start + WRITE_BATCH]
        changed += await repo.save_many(batch, now)
        progress("store", start + len(batch), len(values))
    await repo.save_snapshot(snapshot)
    return len(values), changed
