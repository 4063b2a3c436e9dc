"""After-contact work: disposition, notes, an optional complaint and callback, on the record."""

from __future__ import annotations

from app.auth.tokens import Principal
from app.complaints.schemas import ComplaintCreate
from app.complaints.service import open_complaint
from app.contacts.console_config import ConsoleConfig
from app.contacts.schemas import WrapupIn
from app.customers.valuation import Valuation
from app.db.repositories.interactions import InteractionRepository
from app.db.uow import UnitOfWork
from app.errors import Conflict, DomainError, Invalid, NotFound


async def save_wrapup(
    uow: UnitOfWork,
    data: WrapupIn,
    actor: Principal,
    console: ConsoleConfig,
    deadline_hours: float,
    valuation: Valuation,
) -> tuple[int, int | None]:
    """Returns (interaction id, complaint id or None). Only the agent who handled it may,
    and only once."""
    if not data.contact_id.isdigit() or len(data.contact_id) > 18:
        raise NotFound(f"contact {data.contact_id!r} not found")
    if data.disposition not in console.codes("dispositions"):
        raise Invalid(f"unknown disposition {data.disposition!r}", field="disposition")
    if data.complaint is not None and data.complaint.category not in console.codes(
        "complaint_categories"
    ):
        raise Invalid(f"unknown complaint category {data.complaint.category!r}", field="category")
    repo = InteractionRepository(uow.session)
    key = int(data.contact_id)
    row = await repo.close_wrapup(key, actor.agent_id, data.disposition, data.notes)
    if row is None:
        raise await _why_not(repo, key, actor, data.contact_id)
    if data.callback_at is not None:
        callback = {"_callback_at": data.callback_at.isoformat()}
        await repo.set_attributes(key, {**row.attributes, **callback})
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
