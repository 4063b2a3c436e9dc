"""Grading against real databases: the SQL aggregates, bulk and incremental recompute."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from app.complaints.schemas import ComplaintCreate
from app.complaints.service import open_complaint
from app.customers.schemas import TransactionCreate
from app.customers.transactions import record_transaction
from app.customers.valuation import Valuation, regrade_base, regrade_customer
from app.db.models import (
    Complaint,
    Customer,
    CustomerValueRow,
    GradeChange,
    Interaction,
    Transaction,
)
from app.db.repositories.values import ValueRepository
from app.grading import ComplaintFact, GradingConfig, stats_from_history
from app.grading import Transaction as Tx
from app.i18n import render_message

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CONFIG = GradingConfig.default()


def valuation(now: datetime = NOW) -> Valuation:
    return Valuation(CONFIG, clock=lambda: now)


async def seed(uow_factory: Any, customers: int, seed: int = 1) -> dict[int, dict[str, Any]]:
    """Customers with purchases, complaints and ratings spread over three years, some at
    exactly the window edges and some in the future (which grading must ignore)."""
    rng = random.Random(seed)
    edges = [timedelta(days=d) for d in (0, 180, 365, 545, 546)]
    history: dict[int, dict[str, Any]] = {}
    async with uow_factory() as uow:
        for cid in range(1, customers + 1):
            created = NOW - timedelta(days=rng.randint(30, 1200))
            uow.session.add(Customer(id=cid, name=f"c{cid}", created_at=created))
            history[cid] = {"created": created, "tx": [], "complaints": [], "ratings": []}
        await uow.session.flush()
        txs, complaints, interactions = [], [], []
        for cid in range(1, customers + 1):
            for _ in range(rng.choice([0, 1, 2, 5, 12])):
                back = (
                    rng.choice(edges)
                    if rng.random() < 0.2
                    else timedelta(hours=rng.randint(-48, 26_000))
                )
                at = NOW - back
                amount = Decimal(rng.randint(100, 100_000)) / 100
                margin = (
                    None
                    if rng.random() < 0.3
                    else (amount * Decimal("0.25")).quantize(Decimal("0.01"))
                )
                txs.append(
                    {"customer_id": cid, "amount": amount, "margin": margin, "occurred_at": at}
                )
                history[cid]["tx"].append(
                    Tx(at, float(amount), None if margin is None else float(margin))
                )
            for _ in range(rng.choice([0, 0, 1, 2])):
                opened = NOW - timedelta(days=rng.randint(0, 500), hours=1)
                status = rng.choice(["open", "resolved", "in_progress", "closed"])
                complaints.append(
                    {
                        "customer_id": cid,
                        "category": "x",
                        "severity": "low",
                        "description": "d",
                        "status": status,
                        "due_at": opened,
                        "created_at": opened,
                        "updated_at": opened,
                        "reopen_count": 0,
                    }
                )
                history[cid]["complaints"].append(
                    ComplaintFact(opened, status in ("open", "in_progress"))
                )
            for _ in range(rng.choice([0, 1, 3])):
                score = rng.randint(1, 5)
                interactions.append(
                    {
                        "customer_id": cid,
                        "channel": "voice",
                        "rating": score,
                        "direction": "inbound",
                        "status": "ended",
                        "ivr_path": [],
                        "attributes": {},
                        "transcript": [],
                        "routing_explanation": [],
                    }
                )
                history[cid]["ratings"].append(score)
        if txs:
            await uow.session.execute(insert(Transaction), txs)
        if complaints:
            await uow.session.execute(insert(Complaint), complaints)
        if interactions:
            await uow.session.execute(insert(Interaction), interactions)
    return history


async def test_sql_aggregates_match_the_reference(uow_factory: Any) -> None:
    history = await seed(uow_factory, 60)
    async with uow_factory() as uow:
        got = {
            s.customer_id: s async for s in ValueRepository(uow.session).stream_stats(NOW, CONFIG)
        }
    assert set(got) == set(history)
    for cid, h in history.items():
        want = stats_from_history(
            cid, h["tx"], h["complaints"], h["ratings"], h["created"], NOW, CONFIG
        )
        have = got[cid]
        for field in want.__dataclass_fields__:
            a, b = getattr(have, field), getattr(want, field)
            if isinstance(b, float):
                assert a == pytest.approx(b, abs=0.011), (cid, field)
            else:
                assert a == b, (cid, field, a, b)


async def test_bulk_regrade_stores_every_customer_and_the_pyramid(uow_factory: Any) -> None:
    await seed(uow_factory, 200, seed=2)
    async with uow_factory() as uow:
        graded, changed = await regrade_base(uow, valuation())
    assert graded == 200 and changed == 200  # first grading: every customer moves from none
    async with uow_factory() as uow:
        rows = (await uow.session.execute(select(CustomerValueRow))).scalars().all()
        assert len(rows) == 200
        ranked = sorted((r for r in rows if r.rank), key=lambda r: r.rank)
        assert [r.rank for r in ranked] == list(range(1, len(ranked) + 1))
        values = [r.value_12m for r in ranked]
        assert values == sorted(values, reverse=True)
        assert ranked[0].grade == "vip" and ranked[-1].grade == "small"
        assert await ValueRepository(uow.session).latest_snapshot() is not None
    async with uow_factory() as uow:
        graded, changed = await regrade_base(uow, valuation())
    assert (graded, changed) == (200, 0)  # nothing moved, nothing recorded


async def test_a_big_purchase_regrades_the_customer_at_once(uow_factory: Any) -> None:
    await seed(uow_factory, 100, seed=3)
    async with uow_factory() as uow:
        await regrade_base(uow, valuation())
        small = (
            await uow.session.execute(
                select(CustomerValueRow.customer_id)
                .where(CustomerValueRow.grade == "small")
                .limit(1)
            )
        ).scalar_one()
    data = TransactionCreate(
        amount=Decimal("990000"), margin=Decimal("400000"), occurred_at=NOW - timedelta(days=1)
    )
    async with uow_factory() as uow:
        await record_transaction(uow, small, data, None, valuation())
    async with uow_factory() as uow:
        row = await ValueRepository(uow.session).get(small)
        assert row is not None and row.grade == "vip" and row.rank == 1
        assert "rank 1 of" in render_message(row.grade_reason)
        moves = (
            (await uow.session.execute(select(GradeChange).where(GradeChange.customer_id == small)))
            .scalars()
            .all()
        )
        assert [(m.from_grade, m.to_grade) for m in moves][-1] == ("small", "vip")


async def test_an_open_complaint_raises_churn_risk(uow_factory: Any) -> None:
    await seed(uow_factory, 40, seed=4)
    async with uow_factory() as uow:
        await regrade_base(uow, valuation())
        stats = [s async for s in ValueRepository(uow.session).stream_stats(NOW, CONFIG)]
        quiet = [s for s in stats if s.purchases and not s.complaints_12m and not s.open_complaints]
        cid = quiet[0].customer_id
        before = (await ValueRepository(uow.session).get(cid)).churn_risk  # type: ignore[union-attr]
    for _ in range(2):
        async with uow_factory() as uow:
            body = ComplaintCreate(
                customer_id=cid, category="billing", severity="high", description="x"
            )
            await open_complaint(
                uow, body, None, 24, now=NOW - timedelta(hours=1), valuation=valuation()
            )
    async with uow_factory() as uow:
        row = await ValueRepository(uow.session).get(cid)
        assert row is not None and row.churn_risk > before
        assert "complaint" in render_message(row.churn_reason)


async def test_first_incremental_grade_bootstraps_the_base(uow_factory: Any) -> None:
    await seed(uow_factory, 30, seed=5)
    async with uow_factory() as uow:
        await regrade_customer(uow, valuation(), 1)
    async with uow_factory() as uow:
        count = await uow.session.scalar(select(func.count()).select_from(CustomerValueRow))
        assert count == 30
