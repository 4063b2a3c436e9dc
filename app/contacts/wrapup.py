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
from app.errors import Conflict, Invalid, NotFound


async def save_wrapup(
    uow: UnitOfWork,
    data: WrapupIn,
    actor: Principal,
    console: ConsoleConfig,
    deadline_hours: float,
    valuation: Valuation,
) -> tuple[int, int | None]:
    """Returns (interaction id, complaint id or None). Only the agent who handled it may."""
    if not data.contact_id.isdigit():
        raise NotFound(f"contact {data.contact_id!r} not found")
    interaction = await InteractionRepository(uow.session).get(
        int(data.contact_id), for_update=True
    )
    if interaction is None or interaction.agent_id != actor.agent_id:
        raise NotFound(f"contact {data.contact_id} is not one of yours")
    if interaction.status == "ended" and interaction.disposition is not None:
        raise Conflict(f"contact {data.contact_id} is already wrapped up")
    if interaction.status != "wrapup":
        raise Conflict(f"contact {data.contact_id} has not ended yet; end it before wrapping up")
    if data.disposition not in console.codes("dispositions"):
        raise Invalid(f"unknown disposition {data.disposition!r}", field="disposition")
    interaction.disposition = data.disposition
    interaction.notes = data.notes
    interaction.status = "ended"
    if data.callback_at is not None:
        interaction.attributes = {
            **interaction.attributes,
            "_callback_at": data.callback_at.isoformat(),
        }
    complaint_id = None
    if data.complaint is not None:
        if data.complaint.category not in console.codes("complaint_categories"):
            raise Invalid(
                f"unknown complaint category {data.complaint.category!r}", field="category"
            )
        complaint = await open_complaint(
            uow,
            ComplaintCreate(
                customer_id=interaction.customer_id,
                interaction_id=interaction.id,
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
    await uow.session.flush()
    return interaction.id, complaint_id
