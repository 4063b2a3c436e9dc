"""Care and win-back work, as a service on the app's clock (docs/care.md).

Two passes, both safe to repeat and to run in several processes at once:

- **scan** evaluates the rules of ``config/care.yaml`` (:mod:`app.care.rules`) over the
  customers each kind of occasion concerns, and stores each task the rules ask for under its
  idempotency key ``(customer, rule, occasion)``: a rule fires once per customer per occasion.
  It runs every ``scan_seconds`` (hourly by default: the daily rules, such as the check-in
  after a silence, fire within the hour of their day).
- **release** takes the tasks that wait (new, or held back) and checks contact discipline
  (:func:`app.care.rules.hold_reason`): an opt-out for the task's way of reaching the
  customer, an open complaint or an overdue promise for a sales task, the cap on outbound
  contacts per customer and period. A task that may go becomes a contact of channel
  ``task`` (direction ``outbound``), routed like any contact; one that may not stays held,
  and its ``hold`` says why. It runs every ``release_seconds``, and at once when a
  complaint, promise or customer event may have cleared a hold.

The contact is idempotent by (``care``, the task's id), so a release repeated after a crash
finds the contact the first one made.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from app.care.config import CareConfig
from app.care.rules import CustomerFacts, Discipline, TaskPlan, evaluate, hold_reason
from app.contacts.commands import Arrive
from app.contacts.service import ContactCenterService
from app.db.models import CareTask
from app.db.repositories.care import CareRepository
from app.db.uow import UnitOfWork
from app.errors import DomainError
from app.events import Event
from app.events.names import CARE_TASK_HELD, CARE_TASK_MADE

log = logging.getLogger(__name__)

SOURCE = "care"
BATCH = 200  # tasks released per pass; a backlog drains over the next passes
CHUNK = 1000  # customers' facts read per query
FIRST_SCAN_SECONDS = 300.0
# Events after which a held task may be free to go (a complaint closed, a promise kept, an
# opt-out lifted): the release pass runs at once rather than at its next interval.
RECHECK_PREFIXES = ("complaint.", "promise.", "customer.")


def _rechecks(name: str) -> bool:
    """The events that may clear a hold (what :meth:`CareService.handle` looks for)."""
    return name.startswith(RECHECK_PREFIXES)


class CareService:
    """Evaluates the care rules and releases their tasks into routing.

    Args:
        contacts: the contact-center service (its idempotent arrival).
        uow: units of work.
        config: ``config/care.yaml``.
        clock: routing's clock (seconds); tests pass a fake one and call :meth:`scan` and
            :meth:`release` themselves.
    """

    def __init__(
        self,
        contacts: ContactCenterService,
        uow: Callable[[], UnitOfWork],
        config: CareConfig,
        clock: Callable[[], float],
        leads: Callable[[], bool] = lambda: True,
    ) -> None:
        self.contacts = contacts
        self.uow = uow
        self.config = config
        self.rules = config.care_rules()
        self.clock = clock
        self.leads = leads  # the scheduled passes run only while it does (shared mode)
        self._tasks: list[asyncio.Task[None]] = []
        self._wake = asyncio.Event()

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    # the rules -----------------------------------------------------------------------------
    async def scan(self) -> int:
        """Evaluate every rule now; store the tasks not made before. Returns how many."""
        now = self.now()
        async with self.uow() as uow:
            facts = await self._facts(CareRepository(uow.session), now)
        plans = evaluate(self.rules, facts, now)
        return await self.make(plans, now)

    async def make(self, plans: list[TaskPlan], now: datetime) -> int:
        """Store planned tasks, each key once (held until the release pass looks at it)."""
        made = 0
        async with self.uow() as uow:
            repo = CareRepository(uow.session)
            for plan in plans:
                task = CareTask(
                    customer_id=plan.customer_id,
                    rule=plan.rule,
                    occasion=plan.occasion,
                    kind=plan.kind,
                    purpose=plan.purpose,
                    via=plan.via,
                    queue=plan.queue,
                    owner_id=plan.owner_id,
                    skill=plan.skill,
                    text=dict(plan.text),
                    facts=_json(plan.facts),
                    status="held",
                    hold=None,
                    due_at=plan.due_at,
                    created_at=now,
                )
                if await repo.add_task(task):
                    made += 1
                    uow.emit(CARE_TASK_MADE, _task_event(task))
        if made:
            log.info("care rules made %d task(s)", made)
        return made

    async def _facts(self, repo: CareRepository, now: datetime) -> list[CustomerFacts]:
        closed: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
        bought: dict[int, list[tuple[int, float, datetime]]] = defaultdict(list)
        ids: set[int] = set()
        kinds = {r.kind for r in self.rules}
        if "win_back" in kinds:
            thresholds = [r.churn_threshold for r in self.rules if r.churn_threshold is not None]
            ids.update(await repo.drifting(min(thresholds) if thresholds else None))
        if "follow_up" in kinds:
            span = max(r.after_days + r.lookback_days for r in self.rules if r.kind == "follow_up")
            for cid, complaint_id, at in await repo.closed_complaints(now - timedelta(days=span)):
                closed[cid].append((complaint_id, at))
                ids.add(cid)
        if "thank_you" in kinds:
            mine = [r for r in self.rules if r.kind == "thank_you"]
            since = now - timedelta(days=max(r.lookback_days for r in mine))
            least = min(r.min_amount for r in mine)
            for cid, tid, amount, at in await repo.large_purchases(since, least):
                bought[cid].append((tid, amount, at))
                ids.add(cid)
        if "check_in" in kinds:
            ids.update(await repo.silent_candidates(now - timedelta(days=1)))
        out: list[CustomerFacts] = []
        ordered = sorted(ids)
        for start in range(0, len(ordered), CHUNK):
            profiles = await repo.profiles(ordered[start : start + CHUNK])
            for cid, p in profiles.items():
                out.append(
                    CustomerFacts(
                        customer_id=cid,
                        closed_complaints=tuple(closed.get(cid, ())),
                        purchases_recent=tuple(bought.get(cid, ())),
                        **p,
                    )
                )
        return out

    # contact discipline and release --------------------------------------------------------
    async def release(self) -> list[str]:
        """Release every held task discipline allows now. Returns the contacts made."""
        now = self.now()
        cap = self.config.cap.contacts
        period = self.config.cap.period_days
        async with self.uow() as uow:
            repo = CareRepository(uow.session)
            held = await repo.held(BATCH)
            ids = {t.customer_id for t in held}
            complaints = await repo.open_complaints(ids)
            promises = await repo.overdue_promises(ids, now)
            opt_outs = await repo.opt_outs(ids)
            counts = await repo.outbound_counts(ids, now - timedelta(days=period))
        made: list[str] = []
        for task in held:
            dnc, dnm = opt_outs.get(task.customer_id, (False, False))
            facts = Discipline(
                open_complaint=task.customer_id in complaints,
                overdue_promise=task.customer_id in promises,
                do_not_call=dnc,
                do_not_message=dnm,
                outbound_in_period=counts.get(task.customer_id, 0),
            )
            why = hold_reason(task.purpose, task.via, facts, cap, period)
            if why is not None:
                await self._hold(task, {"code": why[0], "facts": why[1]})
                continue
            contact_id = await self._arrive(task, now)
            if contact_id is not None:
                counts[task.customer_id] = counts.get(task.customer_id, 0) + 1
                made.append(contact_id)
        return made

    async def _hold(self, task: CareTask, hold: dict[str, Any]) -> None:
        if task.hold == hold:
            return  # said already: no write, no event
        async with self.uow() as uow:
            await CareRepository(uow.session).set_hold(task.id, hold)
            uow.emit(CARE_TASK_HELD, {**_task_event(task), "hold": hold})

    async def _arrive(self, task: CareTask, now: datetime) -> str | None:
        attributes = {
            "care_task": str(task.id),
            "care_rule": task.rule,
            "care_kind": task.kind,
            "care_purpose": task.purpose,
            "care_via": task.via,
            "care_due": task.due_at.astimezone(UTC).isoformat(),
            "care_text_en": str(task.text.get("en", "")),
            "care_text_zh": str(task.text.get("zh", "")),
        }
        if task.skill:
            attributes["care_skill"] = task.skill
        try:
            contact, _ = await self.contacts.arrive(
                Arrive(
                    channel="task",
                    queue=task.queue,
                    customer_id=task.customer_id,
                    intent=task.kind,
                    attributes=attributes,
                    source=SOURCE,
                    external_id=str(task.id),
                    direction="outbound",
                )
            )
        except DomainError as exc:
            # The queue is missing, say: the task stays held with the reason, for a
            # supervisor to see (GET /api/care/tasks), and is tried again on the next pass.
            log.warning("care task %s not released: %s", task.id, exc.message)
            await self._hold(
                task, {"code": "care.held.not_routable", "facts": {"error": exc.message}}
            )
            return None
        async with self.uow() as uow:
            await CareRepository(uow.session).released(task.id, int(contact.id), now)
        return str(contact.id)

    # events and schedule ------------------------------------------------------------------
    async def handle(self, events: list[Event]) -> None:
        """Bus subscriber: a complaint, promise or customer change may clear a hold."""
        if any(_rechecks(e.name) for e in events):
            self._wake.set()

    wants = staticmethod(_rechecks)  # the bus wakes its subscriber for these alone

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._scanning()), loop.create_task(self._releasing())]

    async def _scanning(self) -> None:
        # The first pass a few minutes after start-up (not at once: a restart is busy
        # enough), so a server restarted more often than scan_seconds still evaluates them.
        delay = min(self.config.scan_seconds, FIRST_SCAN_SECONDS)
        while True:
            await asyncio.sleep(delay)
            delay = self.config.scan_seconds
            if not self.leads():
                continue
            try:
                await self.scan()
                self._wake.set()
            except Exception:  # the database away, say: the next pass tries again
                log.exception("care rules: scan failed")

    async def _releasing(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.config.release_seconds)
            self._wake.clear()
            if not self.leads():
                continue
            try:
                await self.release()
            except Exception:
                log.exception("care rules: release failed")

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _task_event(task: CareTask) -> dict[str, Any]:
    return {
        "task_id": task.id,
        "customer_id": task.customer_id,
        "rule": task.rule,
        "kind": task.kind,
        "purpose": task.purpose,
        "queue": task.queue,
        "due_at": task.due_at.astimezone(UTC).isoformat(),
    }


def _json(facts: Any) -> dict[str, Any]:
    return {k: v for k, v in dict(facts).items()}
