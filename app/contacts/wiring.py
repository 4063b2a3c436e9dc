"""Builds the live contact center from the routing policy file and the database's queues."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path

import yaml

from agents.hub import AgentHub
from app.contacts.center import ContactCenter
from app.contacts.intake import routing_contact, routing_customer
from app.contacts.presence import Presence
from app.db.repositories.customers import CustomerRepository
from app.db.repositories.interactions import InteractionRepository
from app.db.repositories.staff import StaffRepository
from app.db.types import utcnow
from app.db.uow import UnitOfWork
from config.settings import Settings
from routing import Router, RoutingConfig

log = logging.getLogger(__name__)


def load_routing_config(path: Path, settings: Settings) -> RoutingConfig:
    """routing.yaml, validated (PolicyError names the rule and key); env overrides applied."""
    config = RoutingConfig.from_mapping(yaml.safe_load(path.read_text()) or {})
    changes = {}
    if settings.offer_timeout_seconds is not None:
        changes["offer_timeout"] = settings.offer_timeout_seconds
    if settings.wrapup_seconds is not None:
        changes["wrapup_seconds"] = settings.wrapup_seconds
    if changes:
        config = dataclasses.replace(
            config, settings=dataclasses.replace(config.settings, **changes)
        )
    return config


async def build_center(
    settings: Settings, uow_factory: Callable[[], UnitOfWork]
) -> tuple[ContactCenter, Presence]:
    config = load_routing_config(settings.routing_file, settings)
    router = Router.from_config(config)
    center = ContactCenter(router, uow_factory, AgentHub())
    async with uow_factory() as uow:
        queues = await StaffRepository(uow.session).queues()
    for q in sorted(queues, key=lambda q: q.overflow_queue is not None):
        center.ensure_queue(q)
    await _requeue_unfinished(center, uow_factory)
    return center, Presence(center, settings.agent_grace_seconds)


async def _requeue_unfinished(center: ContactCenter, uow_factory: Callable[[], UnitOfWork]) -> None:
    """Contacts a previous run left waiting are routed again; ones in an agent's hands
    cannot be restored (the agent's session is gone) and end as interrupted."""
    contacts = []
    async with uow_factory() as uow:
        for i in await InteractionRepository(uow.session).live():
            if i.status == "active" or i.queue not in center.router.queues:
                i.status, i.end_reason, i.ended_by, i.ended_at = (
                    "ended",
                    "interrupted",
                    "system",
                    utcnow(),
                )
                continue
            i.status, i.agent_id = "queued", None
            customer = await CustomerRepository(uow.session).get(i.customer_id)
            if customer is not None:
                facts = await routing_customer(uow, customer)
                contacts.append(routing_contact(i, facts, None, 0.0))
    for contact in contacts:
        await center.run(lambda now, c=contact: center.router.contact_arrived(c, now))
    if contacts:
        log.info("re-queued %d contacts left waiting by the previous run", len(contacts))
