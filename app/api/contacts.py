from __future__ import annotations

from fastapi import APIRouter

from app.contacts.schemas import ContactCreate, ContactEnd, ContactOut
from app.contacts.service import create_contact, end_contact, get_contact
from app.deps import AgentUser, HotlineDep

router = APIRouter(prefix="/api/contacts", tags=["contacts"])


@router.post("", status_code=201)
async def arrive(body: ContactCreate, hotline: HotlineDep, _: AgentUser) -> ContactOut:
    """A call or chat arrives: identify the customer, apply the policy, queue, offer."""
    center = hotline.center
    return await create_contact(hotline.uow, center, body, hotline.settings.default_region)


@router.get("/{contact_id}")
async def read(contact_id: str, hotline: HotlineDep, _: AgentUser) -> ContactOut:
    """The contact's record, its live routing status and its routing explanation."""
    return await get_contact(hotline.uow, hotline.center, contact_id)


@router.post("/{contact_id}/end")
async def end(contact_id: str, body: ContactEnd, hotline: HotlineDep, _: AgentUser) -> ContactOut:
    """Hang-up or chat close; unanswered contacts end as abandoned."""
    return await end_contact(hotline.uow, hotline.center, contact_id, body)
