"""After-contact work: disposition, notes, an optional complaint and callback, on the record.

The agent saves it (:func:`save_wrapup`), or, when the wrap-up time ends with it unsaved, the
server does, from the draft the console kept on the record as the agent typed
(:class:`WrapupCloser`): a new contact never covers an unsaved wrap-up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from app.auth.tokens import Principal
from app.complaints.schemas import ComplaintCreate
from app.complaints.service import open_complaint
from app.contacts.console_config import ConsoleConfig
from app.contacts.schemas import ComplaintInWrapup, TaskOutcomeIn, WrapupIn
from app.contacts.task_outcome import TASK_KEY, record_task_outcome
from app.customers.valuation import Valuation
from app.db.repositories.interactions import InteractionRepository
from app.db.repositories.staff import StaffRepository
from app.db.repositories.today import TodayRepository
from app.db.uow import UnitOfWork
from app.errors import Conflict, DomainError, Invalid, NotFound
from app.events import Event
from app.events.names import AGENT_WRAPUP_ENDED, CONTACT_WRAPPED_UP
from app.promises.schemas import PromiseIn, WrapupPromise
from app.promises.service import make_promise

log = logging.getLogger(__name__)

DRAFT_KEY = "_wrapup_draft"  # interaction attribute: the form as typed (hidden: "_")
AUTO_KEY = "_wrapup_auto"  # interaction attribute: how the server saved an unsaved wrap-up


async def save_wrapup(
    uow: UnitOfWork,
    data: WrapupIn,
    actor: Principal,
    console: ConsoleConfig,
    deadline_hours: float,
    valuation: Valuation,
    at: datetime,
) -> tuple[int, int | None]:
    """Returns (interaction id, complaint id or None). Only the agent who handled it may,
    and only once. ``at``: when, on routing's clock (the end of the contact's handling time)."""
    if not data.contact_id.isdigit() or len(data.contact_id) > 18:
        raise NotFound(f"contact {data.contact_id!r} not found")
    if data.disposition not in console.codes("dispositions"):
        raise Invalid(f"unknown disposition {data.disposition!r}", field="disposition")
    if data.complaint is not None and data.complaint.category not in console.codes(
        "complaint_categories"
    ):
        raise Invalid(f"unknown complaint category {data.complaint.category!r}", field="category")
    # A plain wrap-up is this one UPDATE, on the driver; what else it writes (a callback, a
    # promise, a complaint, a task's outcome) goes through the session, which joins it.
    repo = InteractionRepository(uow)
    key = int(data.contact_id)
    row = await repo.close_wrapup(key, actor.agent_id, data.disposition, data.notes, at)
    if row is None:
        raise await _why_not(repo, key, actor, data.contact_id)
    if data.callback_at is not None:
        callback = {"_callback_at": data.callback_at.isoformat()}
        await repo.set_attributes(key, {**row.attributes, **callback})
        # Made at its time by the server (app/contacts/scheduled_callbacks.py).
        await TodayRepository(uow.session).schedule_callback(key, data.callback_at)
    # A care task's outcome, in the same transaction (a bad reason code refuses the whole
    # wrap-up); nothing for other contacts.
    await record_task_outcome(uow, row, data.task_outcome, console, at)
    # Promises made on this contact, owned by the agent unless they named a colleague.
    if data.promises and row.customer_id is None:
        raise Invalid("a promise needs a known customer; this contact has none", field="promises")
    for promise in data.promises:
        await make_promise(
            uow,
            row.customer_id,
            PromiseIn(
                text=promise.text,
                due_at=promise.due_at,
                owner_id=promise.owner_id,
                interaction_id=row.id,
            ),
            actor,
            at,
        )
    complaint_id = None
    if data.complaint is not None:
        complaint = await open_complaint(
            uow,
            ComplaintCreate(
                customer_id=row.customer_id,
                interaction_id=row.id,
                category=data.complaint.category,
                severity=data.complaint.severity,
                description=data.complaint.description,
                owner_id=actor.agent_id,
            ),
            actor,
            deadline_hours,
            valuation=valuation,
        )
        complaint_id = complaint.id
    return row.id, complaint_id


async def _why_not(
    repo: InteractionRepository, key: int, actor: Principal, contact_id: str
) -> DomainError:
    state = await repo.wrapup_state(key)
    if state is None or state.agent_id != actor.agent_id:
        return NotFound(f"contact {contact_id} is not one of yours")
    if state.status == "ended" and state.disposition is not None:
        return Conflict(f"contact {contact_id} is already wrapped up")
    return Conflict(f"contact {contact_id} has not ended yet; end it before wrapping up")


class WrapupCloser:
    """A subscriber of ``agent.wrapup_ended``: the wrap-ups the agent left unsaved are saved
    from their drafts — the chosen disposition, or ``default_disposition`` when none was
    chosen; the notes; the complaint and callback when complete — and the agent is told
    (``wrapup.saved`` with ``auto``). It runs on the server, so the record is complete even
    when the browser is gone."""

    WANTS = frozenset({AGENT_WRAPUP_ENDED})  # the bus wakes it for these alone

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        reached: Callable[[int], Any],
        send: Callable[[int, dict[str, Any]], Any],
        console: ConsoleConfig,
        deadline_hours: float,
        valuation: Valuation,
        default_disposition: str,
    ) -> None:
        if default_disposition not in console.codes("dispositions"):
            known = ", ".join(sorted(console.codes("dispositions")))
            raise ValueError(
                f"HOTLINE_WRAPUP_DEFAULT_DISPOSITION={default_disposition!r} is not one of the "
                f"console's dispositions ({known})"
            )
        self.uow_factory = uow_factory
        self.reached = reached  # awaits the record holding every event up to a sequence
        self.send = send
        self.console = console
        self.deadline_hours = deadline_hours
        self.valuation = valuation
        self.default_disposition = default_disposition

    async def handle(self, events: list[Event]) -> None:
        for event in events:
            if event.name == AGENT_WRAPUP_ENDED:
                # The end of each contact is on the record ("wrapup") before it is closed.
                await self.reached(event.seq)
                agent_id, at = int(event.data["agent_id"]), datetime.fromtimestamp(event.at, UTC)
                await self.close_unsaved(agent_id, event.data["cause"], at)

    async def close_unsaved(self, agent_id: int, cause: str, at: datetime) -> list[dict[str, Any]]:
        """Save every wrap-up the agent left unsaved; returns the notices sent."""
        async with self.uow_factory() as uow:
            waiting = await InteractionRepository(uow.session).awaiting_wrapup(agent_id)
            agent = await StaffRepository(uow.session).get_agent(agent_id)
        if not waiting or agent is None:
            return []
        actor = Principal(agent.id, agent.username, agent.role)
        notices = []
        for key in [i.id for i in waiting]:
            try:
                notice = await self._close(key, actor, cause, at, owner_active=agent.active)
            except DomainError as exc:  # e.g. the agent's own save won the race
                log.info("wrap-up of contact %s not saved by the server: %s", key, exc.message)
                continue
            except Exception:
                log.exception("wrap-up of contact %s: saving its draft failed", key)
                continue
            if notice is not None:
                self.send(agent_id, notice)
                notices.append(notice)
        return notices

    async def _close(
        self, key: int, actor: Principal, cause: str, at: datetime, owner_active: bool = True
    ) -> dict[str, Any] | None:
        async with self.uow_factory() as uow:
            repo = InteractionRepository(uow.session)
            i = await repo.get(key, for_update=True)  # a draft saved meanwhile waits or wins
            if i is None or i.status != "wrapup" or i.agent_id != actor.agent_id:
                return None
            data, defaulted, left_out = self.from_draft(key, i.attributes, i.notes or "")
            if data.promises and not owner_active:
                # Deactivated meanwhile: no longer anyone's to keep (the promise stays in the
                # draft on the record; a supervisor can record it for a colleague).
                data = data.model_copy(update={"promises": []})
                left_out.append("promise")
            interaction_id, complaint_id = await save_wrapup(
                uow, data, actor, self.console, self.deadline_hours, self.valuation, at
            )
            auto = {"cause": cause, "defaulted_disposition": defaulted, "left_out": left_out}
            attributes = {**i.attributes, AUTO_KEY: auto}
            if data.callback_at is not None:
                attributes["_callback_at"] = data.callback_at.isoformat()
            await repo.set_attributes(key, attributes)
            uow.emit(
                CONTACT_WRAPPED_UP,
                {
                    "contact_id": str(key),
                    "agent_id": str(actor.agent_id),
                    "disposition": data.disposition,
                    "complaint_id": complaint_id,
                    "auto": True,
                },
            )
        return {
            "type": "wrapup.saved",
            "contact_id": str(key),
            "interaction_id": interaction_id,
            "complaint_id": complaint_id,
            "auto": True,
            "cause": cause,
            "disposition": data.disposition,
            "defaulted_disposition": defaulted,
            "left_out": left_out,
        }

    def from_draft(
        self, key: int, attributes: dict[str, Any], notes: str
    ) -> tuple[WrapupIn, bool, list[str]]:
        """The wrap-up a draft amounts to: (wrap-up, disposition defaulted, parts left out
        because they were incomplete — they stay in the draft on the record)."""
        draft = attributes.get(DRAFT_KEY)
        draft = draft if isinstance(draft, dict) else {}
        disposition = draft.get("disposition")
        defaulted = disposition not in self.console.codes("dispositions")
        left_out: list[str] = []
        complaint = None
        wanted = draft.get("complaint")
        if isinstance(wanted, dict) and wanted.get("on"):
            try:
                complaint = ComplaintInWrapup.model_validate(
                    {k: wanted.get(k) for k in ("category", "severity", "description")}
                )
                if complaint.category not in self.console.codes("complaint_categories"):
                    raise ValueError("unknown category")
            except (ValidationError, ValueError):
                complaint = None
                left_out.append("complaint")
        callback_at = None
        if draft.get("callback_at"):
            try:
                if datetime.fromisoformat(str(draft["callback_at"])).tzinfo is None:
                    raise ValueError("no offset")
                callback_at = str(draft["callback_at"])
            except ValueError:
                left_out.append("callback")
        task_outcome = self._task_outcome(attributes, draft.get("task"), left_out)
        promises = []
        wanted = draft.get("promise")
        if isinstance(wanted, dict) and wanted.get("on"):
            try:
                promise = {
                    "text": str(wanted.get("text") or "").strip(),
                    "due_at": wanted.get("due_at"),
                }
                promises = [WrapupPromise.model_validate(promise)]
            except ValidationError:
                left_out.append("promise")
        data = WrapupIn(
            contact_id=str(key),
            disposition=self.default_disposition if defaulted else str(disposition),
            notes=notes[:10_000],
            complaint=complaint,
            callback_at=callback_at,
            task_outcome=task_outcome,
            promises=promises,
        )
        return data, defaulted, left_out

    def _task_outcome(
        self, attributes: dict[str, Any], wanted: Any, left_out: list[str]
    ) -> TaskOutcomeIn | None:
        """A care task's outcome from its draft, checked as the console checks it before
        sending: a reached customer needs the drift reason (win-back) or the answer
        (follow-up). Incomplete: none (the task is done, its result unrecorded)."""
        if not str(attributes.get(TASK_KEY) or "").isdigit() or not isinstance(wanted, dict):
            return None
        reached = wanted.get("reached", True) is not False
        outcome: dict[str, Any] = {"reached": reached}
        kind = attributes.get("care_kind")
        if reached and kind == "win_back":
            reason = wanted.get("drift_reason")
            if reason not in self.console.codes("drift_reasons"):
                left_out.append("task_outcome")
                return None
            outcome |= {"drift_reason": reason, "won_back": wanted.get("won_back") is True}
            offer = str(wanted.get("offer") or "").strip()
            if offer:
                outcome["offer"] = offer[:2000]
        elif reached and kind == "follow_up":
            if wanted.get("satisfied") not in ("yes", "no"):
                left_out.append("task_outcome")
                return None
            outcome["satisfied"] = wanted.get("satisfied") == "yes"
        return TaskOutcomeIn.model_validate(outcome)
