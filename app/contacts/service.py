"""Contact use cases for the HTTP API: arrive, look up, end."""

from __future__ import annotations

from collections.abc import Callable

from app.contacts.center import ContactCenter
from app.contacts.intake import identify, open_interaction, routing_contact, routing_customer
from app.contacts.schemas import ContactCreate, ContactEnd, ContactOut
from app.db.repositories.interactions import InteractionRepository
from app.db.repositories.staff import StaffRepository
from app.db.types import utcnow
from app.db.uow import UnitOfWork
from app.errors import Conflict, DomainError, Invalid, NotFound
from app.interactions.schemas import InteractionOut
from routing.records import ContactStatus


async def sync_queue(uow: UnitOfWork, center: ContactCenter, name: str) -> None:
    queue = await StaffRepository(uow.session).queue_by_name(name)
    if queue is None:
        raise Invalid(f"queue {name!r} does not exist", field="queue")
    if queue.overflow_queue and queue.overflow_queue not in center.router.queues:
        await sync_queue(uow, center, queue.overflow_queue)
    center.ensure_queue(queue)


async def create_contact(
    uow_factory: Callable[[], UnitOfWork], center: ContactCenter, data: ContactCreate, region: str
) -> ContactOut:
    """Commit the contact first (it is never lost), then route it and record the decisions."""
    async with uow_factory() as uow:
        customer = await identify(uow, data, region)
        await sync_queue(uow, center, data.queue)
        interaction = await open_interaction(uow, data, customer, utcnow())
        facts = await routing_customer(uow, customer)
        contact = routing_contact(interaction, facts, data.language, data.priority)
    try:
        await center.run(lambda now: center.router.contact_arrived(contact, now))
    except DomainError:
        center.ended_by[contact.id] = "system"
        async with uow_factory() as uow:
            failed = await InteractionRepository(uow.session).get(interaction.id)
            if failed is not None:
                failed.status, failed.end_reason, failed.ended_at = "ended", "failed", utcnow()
        raise
    return await get_contact(uow_factory, center, str(interaction.id))


async def get_contact(
    uow_factory: Callable[[], UnitOfWork], center: ContactCenter, contact_id: str
) -> ContactOut:
    if not contact_id.isdigit():
        raise NotFound(f"contact {contact_id!r} not found")
    async with uow_factory() as uow:
        found = await InteractionRepository(uow.session).get(int(contact_id))
        if found is None:
            raise NotFound(f"contact {contact_id} not found")
        out = InteractionOut.model_validate(found)
    route = center.router.store.route(contact_id)
    live = str(route.status) if route is not None else "ended"
    return ContactOut(id=contact_id, interaction=out, live_status=live)


async def end_contact(
    uow_factory: Callable[[], UnitOfWork], center: ContactCenter, contact_id: str, data: ContactEnd
) -> ContactOut:
    """Hang-up or chat close from any side; an unanswered contact ends as abandoned."""
    route = center.router.store.route(contact_id)
    if route is None:
        await get_contact(uow_factory, center, contact_id)  # 404 when unknown
        raise Conflict(f"contact {contact_id} has already ended")
    if data.reason == "completed" and route.status is not ContactStatus.ASSIGNED:
        raise Invalid(f"contact {contact_id} was not answered; it can only end as abandoned")
    center.ended_by[contact_id] = data.by
    await center.run(
        lambda now: center.router.contact_ended(contact_id, now, data.reason or "hangup")
    )
    return await get_contact(uow_factory, center, contact_id)
