"""Customer value, pure: RFM, CLV, the grade pyramid, lifecycle stage and churn risk.

No I/O, no clock: the adapter aggregates each customer's records into :class:`CustomerStats`
(one SQL ``GROUP BY``), passes ``now``, and stores the :class:`CustomerValue` results and the
:class:`BaseSnapshot`. See ``docs/customer-value.md``.
"""

from app.grading.config import GradingConfig, GradingConfigError, Tier
from app.grading.evaluate import SnapshotMismatch, evaluate_customer, grade_base
from app.grading.history import stats_from_history, tx_value, window_bounds
from app.grading.lifecycle import STAGES
from app.grading.model import (
    LOW_RATING_MAX,
    YEAR_DAYS,
    ComplaintFact,
    CustomerStats,
    CustomerValue,
    GradeOverride,
    Transaction,
)
from app.grading.snapshot import BaseSnapshot, TierBoundary

__all__ = [
    "LOW_RATING_MAX",
    "STAGES",
    "YEAR_DAYS",
    "BaseSnapshot",
    "ComplaintFact",
    "CustomerStats",
    "CustomerValue",
    "GradeOverride",
    "GradingConfig",
    "GradingConfigError",
    "SnapshotMismatch",
    "Tier",
    "TierBoundary",
    "Transaction",
    "evaluate_customer",
    "grade_base",
    "stats_from_history",
    "tx_value",
    "window_bounds",
]
