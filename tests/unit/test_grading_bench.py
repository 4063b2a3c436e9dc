"""A by-hand timing of bulk grading; as a test it only smoke-runs a small base (never timed).

Run: .venv/bin/python -m tests.unit.test_grading_bench 1000000
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime, timedelta

from app.grading import CustomerStats, GradingConfig, grade_base

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def synthetic_base(n: int, seed: int = 7) -> list[CustomerStats]:
    """``n`` plausible customers (~10 purchases each on average, a fifth without any)."""
    rnd = random.Random(seed)
    out = []
    for cid in range(1, n + 1):
        created = NOW - timedelta(days=rnd.uniform(1, 2000))
        if rnd.random() < 0.2:
            out.append(CustomerStats(cid, created))
            continue
        k = max(1, int(rnd.expovariate(1 / 12)))
        first = NOW - timedelta(days=rnd.uniform(1, 1500))
        last = first + (NOW - first) * rnd.random()
        per = rnd.lognormvariate(4, 1)
        n12 = rnd.randint(0, k)
        out.append(
            CustomerStats(
                customer_id=cid,
                created_at=created,
                purchases=k,
                first_purchase_at=first,
                last_purchase_at=last,
                value_total=per * k,
                value_12m=per * n12,
                purchases_12m=n12,
                value_recent=per * (n12 // 2),
                purchases_recent=n12 // 2,
                value_baseline=per * (k - n12) / 2,
                purchases_baseline=(k - n12) // 2,
                open_complaints=int(rnd.random() < 0.02),
                complaints_12m=int(rnd.random() < 0.05),
                ratings_count=2,
                avg_rating=3.5,
                low_ratings=int(rnd.random() < 0.1),
            )
        )
    return out


def test_bulk_smoke_runs_on_a_synthetic_base() -> None:
    base = synthetic_base(2_000)
    values, snapshot = grade_base(base, GradingConfig.default(), NOW)
    assert len(values) == len(base)
    assert snapshot.base_size == sum(1 for s in base if s.purchases)


def main(n: int) -> None:
    t0 = time.perf_counter()
    base = synthetic_base(n)
    t1 = time.perf_counter()
    values, snapshot = grade_base(base, GradingConfig.default(), NOW)
    t2 = time.perf_counter()
    print(f"built {n:,} CustomerStats in {t1 - t0:.1f} s")
    print(
        f"grade_base: {len(values):,} customers ({snapshot.base_size:,} ranked) in {t2 - t1:.1f} s"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
