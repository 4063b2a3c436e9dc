"""Contacts over HTTP: a thin adapter over the contact-center service."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.contacts.commands import Arrive, End
from app.contacts.schemas import ContactCreate, ContactEnd, ContactOut
from app.deps import AgentUser, HotlineDep
from app.i18n.http import Lang

router = APIRouter(prefix="/api/contacts", tags=["contacts"])


@router.post(
    "",
    status_code=201,
    responses={
        200: {"description": "the same (source, external_id) arrived before: that contact"},
        503: {
            "description": "saturated: too many arrivals already wait their turn; try again "
            "after Retry-After seconds"
        },
    },
)
async def arrive(
    body: ContactCreate, response: Response, hotline: HotlineDep, _: AgentUser
) -> ContactOut:
    """A call or chat arrives: identify the customer, apply the policy, queue, offer."""
    contact, created = await hotline.contacts.arrive(
        Arrive(
            channel=body.channel,
            queue=body.queue,
            from_=body.from_,
            customer_id=body.customer_id,
            name=body.name,
            intent=body.intent,
            language=body.language,
            priority=body.priority,
            attributes=dict(body.attributes),
            ivr_path=tuple(body.ivr_path),
            source=body.source if body.external_id else None,
            external_id=body.external_id,
        ),
        refusable=True,
    )
    if not created:
        response.status_code = 200
    return contact


@router.get("/{contact_id}")
async def read(contact_id: str, hotline: HotlineDep, _: AgentUser, lang: Lang) -> ContactOut:
    """The contact's record, its live routing status and its routing explanation (in the
    reader's language: ``?lang=`` or ``Accept-Language``)."""
    return await hotline.contacts.get(contact_id, lang)


@router.post("/{contact_id}/end")
async def end(
    contact_id: str, body: ContactEnd, hotline: HotlineDep, _: AgentUser, lang: Lang
) -> ContactOut:
    """Hang-up or chat close; unanswered contacts end as abandoned."""
    return await hotline.contacts.end_and_read(End(contact_id, body.by, body.reason), lang)
