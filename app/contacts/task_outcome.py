"""A care task's outcome, recorded with its wrap-up (docs/care.md, "Outcomes").

Called by :func:`app.contacts.wrapup.save_wrapup` in the wrap-up's own transaction: a task
is done once its wrap-up is saved. A follow-up's answer becomes the interaction's rating (it
counts like a survey rating); the outcome (drift reason, offer, won back, satisfied) stays on
the task, where the next regrade reads it (:mod:`app.grading.churn`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.contacts.console_config import ConsoleConfig
from app.contacts.schemas import TaskOutcomeIn
from app.db.repositories.care import CareRepository
from app.db.uow import UnitOfWork
from app.errors import Invalid
from app.events.names import CARE_TASK_DONE

TASK_KEY = "care_task"  # the interaction attribute naming the task a contact works
SATISFIED_RATING = 5  # a follow-up's "yes, satisfied" with no rating given
UNSATISFIED_RATING = 2  # and "no"


async def record_task_outcome(
    uow: UnitOfWork,
    row: Any,
    outcome: TaskOutcomeIn | None,
    console: ConsoleConfig,
    at: datetime,
) -> None:
    """Mark the task the contact ``row`` worked done with ``outcome``. A contact that works
    no task takes no outcome (422 if one is sent); a wrap-up the server saved from its
    draft has none (``reached`` unknown)."""
    task_id = str((row.attributes or {}).get(TASK_KEY) or "")
    if not task_id.isdigit():
        if outcome is not None:
            raise Invalid("task_outcome is only for care tasks", field="task_outcome")
        return
    repo = CareRepository(uow.session)
    task = await repo.get(int(task_id))
    if task is None:
        return  # the customer (and the task with them) was deleted meanwhile
    stored: dict[str, Any] = {"recorded": outcome is not None}
    rating = None
    if outcome is not None:
        if outcome.drift_reason is not None and outcome.drift_reason not in console.codes(
            "drift_reasons"
        ):
            raise Invalid(f"unknown drift reason {outcome.drift_reason!r}", field="drift_reason")
        stored |= outcome.model_dump(exclude_none=True)
        if task.kind == "follow_up" and outcome.satisfied is not None:
            rating = outcome.rating or (
                SATISFIED_RATING if outcome.satisfied else UNSATISFIED_RATING
            )
        elif outcome.rating is not None:
            rating = outcome.rating
    await repo.done(task.id, stored, _result(outcome), at)
    if rating is not None:
        await repo.rate_interaction(row.id, rating)
    uow.emit(
        CARE_TASK_DONE,
        {
            "task_id": task.id,
            "contact_id": str(row.id),
            "customer_id": task.customer_id,
            "rule": task.rule,
            "kind": task.kind,
            "outcome": stored,
            "rating": rating,
            "in_time": at <= task.due_at.astimezone(UTC),
        },
    )


def _result(outcome: TaskOutcomeIn | None) -> str:
    """The outcome in one word (``care_tasks.result``), what grading reads."""
    if outcome is None:
        return "unrecorded"
    if not outcome.reached:
        return "unreached"
    if outcome.won_back is not None:
        return "won_back" if outcome.won_back else "not_won_back"
    if outcome.satisfied is not None:
        return "satisfied" if outcome.satisfied else "unsatisfied"
    return "done"
