"""Builds the live path: router, bus, center, subscribers, service — and resumes the contacts
a previous run left live."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import yaml
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.contacts.center import ContactCenter
from app.contacts.console_config import ConsoleConfig
from app.contacts.hub import AgentHub
from app.contacts.intake import routing_contact, routing_customer
from app.contacts.intake_gate import IntakeGate
from app.contacts.messages import localize
from app.contacts.notifier import AgentNotifier
from app.contacts.presence import Presence, routing_profile
from app.contacts.projector import CONSUMER, InteractionProjector
from app.contacts.service import ContactCenterService
from app.contacts.staff_sync import StaffSync
from app.contacts.wrapup import WrapupCloser
from app.customers.valuation import Valuation
from app.db.repositories.events import EventCursorRepository
from app.db.repositories.interactions import InteractionRepository
from app.db.repositories.staff import StaffRepository
from app.db.types import utcnow
from app.db.uow import UnitOfWork, uow_factory
from app.events import InProcessBus, Subscription
from app.events.runner import Handler, start_subscriber
from config.settings import Settings
from routing import Agent, Contact, Router, RoutingConfig

log = logging.getLogger(__name__)


def load_routing_config(path: Path, settings: Settings) -> RoutingConfig:
    """routing.yaml, validated (PolicyError names the rule and key); env overrides applied."""
    config = RoutingConfig.from_mapping(yaml.safe_load(path.read_text()) or {})
    changes = {}
    if settings.offer_timeout_seconds is not None:
        changes["offer_timeout"] = settings.offer_timeout_seconds
    if settings.wrapup_seconds is not None:
        changes["wrapup_seconds"] = settings.wrapup_seconds
    if settings.wrapup_extend_seconds is not None:
        changes["wrapup_extend_seconds"] = settings.wrapup_extend_seconds
    if settings.wrapup_max_seconds is not None:
        changes["wrapup_max_seconds"] = settings.wrapup_max_seconds
    if changes:
        config = dataclasses.replace(
            config, settings=dataclasses.replace(config.settings, **changes)
        )
    return config


class Cluster(Protocol):
    """Shared mode as the live path needs it (implemented by app.shared.cluster)."""

    async def open(
        self, router: Router, first_seq: int, clock: Callable[[], float]
    ) -> tuple[ContactCenter, bool]:
        """Join (or found: True) the cluster; the center runs commands through it."""

    def record(
        self, center: ContactCenter, projector: InteractionProjector, uow: Callable[[], UnitOfWork]
    ) -> Handler:
        """The projector's handler: the record is written once in the cluster."""

    def per_agent(self, center: ContactCenter, hub: AgentHub, handle: Handler) -> Handler:
        """``handle`` for events of agents whose socket this process holds."""

    async def ready(self, center: ContactCenter) -> None:
        """Start replication; return once caught up with the cluster's log."""


@dataclass
class LivePath:
    uow: Callable[[], UnitOfWork]
    center: ContactCenter
    hub: AgentHub
    projector: InteractionProjector
    presence: Presence
    service: ContactCenterService
    subscriptions: list[tuple[Subscription, Handler, float]]

    def start(self, ticker: bool = True) -> list[asyncio.Task[None]]:
        """Start the subscribers (and the timer task; tests with a fake clock tick by hand)."""
        tasks = [
            start_subscriber(sub, handle, linger=linger)
            for sub, handle, linger in self.subscriptions
        ]
        if ticker:
            self.center.start()
            # The intake door's probe of the event loop's lag (a real-time measure, so not
            # with a fake clock either).
            probe = self.service.intake.start()
            if probe is not None:
                tasks.append(probe)
        return tasks


async def build_live_path(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    console: ConsoleConfig,
    valuation: Valuation,
    clock: Callable[[], float] = time.time,
    cluster: Cluster | None = None,
) -> LivePath:
    """The live path of one process; with ``cluster`` (shared mode, app/shared), of one
    process among several sharing the live state over Redis."""
    config = load_routing_config(settings.routing_file, settings)
    plain_uow = uow_factory(sessionmaker)
    async with plain_uow() as uow:
        cursor = await EventCursorRepository(uow.session).get(CONSUMER)
        queues = await StaffRepository(uow.session).queues()
    # The stream goes on from where the record got to: sequence numbers are never reused
    # for events the record holds.
    founder = True
    if cluster is not None:
        # Shared mode (docs/scale-out.md): the cluster's command log is the live state; this
        # process joins it, or founds it from the record like a single process restarting.
        center, founder = await cluster.open(Router.from_config(config), cursor + 1, clock)
        bus = center.bus
    else:
        bus = InProcessBus(first_seq=cursor + 1)
        center = ContactCenter(Router.from_config(config), bus, clock)
    uow = uow_factory(sessionmaker, center.publish)
    for q in sorted(queues, key=lambda q: q.overflow_queue is not None):
        center.ensure_queue(q)
    hub = AgentHub(settings.ws_send_queue, localize)
    projector = InteractionProjector(uow, committed=cursor)
    presence = Presence(center, hub, settings.agent_grace_seconds)
    service = ContactCenterService(
        center,
        uow,
        projector,
        console,
        valuation,
        settings.default_region,
        settings.complaint_deadline_hours,
        IntakeGate(
            settings.intake_concurrency,
            lag_limit=settings.intake_lag_ms / 1000,
            backlog=settings.intake_backlog,
        ),
        write_ahead=cluster is None,
    )
    notifier = AgentNotifier(center, hub, uow)
    closer = WrapupCloser(
        uow,
        projector.reached,
        hub.send,
        console,
        settings.complaint_deadline_hours,
        valuation,
        settings.wrapup_default_disposition,
    )
    staff = StaffSync(center, hub, presence, uow)
    record: Handler = projector.handle
    close: Handler = closer.handle
    if cluster is not None:
        record = cluster.record(center, projector, uow)
        close = cluster.per_agent(center, hub, closer.handle)
        notifier.local_only = True
    # Subscribed before the resume below, so its events reach the record too.
    subscriptions = [
        # The record is written in batches of up to HOTLINE_RECORD_LINGER_MS of events: one
        # transaction for many, and a contact's arrival, offer and answer on its row in one
        # UPDATE rather than three. Sockets and staff changes are handled at once.
        (
            bus.subscribe("interactions", durable=True, after=bus.last_seq),
            record,
            settings.record_linger_ms / 1000,
        ),
        (bus.subscribe("agent-notifier"), notifier.handle, 0.0),
        (bus.subscribe("staff-sync", wants=StaffSync.WANTS.__contains__), staff.handle, 0.0),
        (bus.subscribe("wrapup-closer", wants=WrapupCloser.WANTS.__contains__), close, 0.0),
    ]
    live = LivePath(uow, center, hub, projector, presence, service, subscriptions)
    if cluster is not None:
        await cluster.ready(center)  # caught up with the log, the queues above applied
    if founder:
        await resume(live)
    return live


async def resume(live: LivePath) -> None:
    """Contacts a previous run left live come back: waiting ones in their places (same
    start of wait, language, priority, attributes), ones in an agent's hands still theirs —
    the agent finds them on reconnecting and ends and wraps them up as usual."""
    center, router = live.center, live.center.router
    waiting: list[tuple[Contact, float]] = []
    held: list[tuple[Contact, Agent]] = []
    async with live.uow() as uow:
        staff = StaffRepository(uow.session)
        for i in await InteractionRepository(uow.session).live():
            held_by = i.agent_id if i.status == "active" else None  # an offer is not kept
            agent = await staff.get_agent(held_by) if held_by else None
            facts = await routing_customer(uow, i.customer_id)
            if (
                i.queue not in router.queues
                or facts is None
                or (i.status == "active" and (agent is None or not agent.active))
            ):
                i.status, i.end_reason, i.ended_by, i.ended_at = (
                    "ended",
                    "interrupted",
                    "system",
                    utcnow(),
                )
                continue
            contact = routing_contact(i, facts)
            if i.status == "active" and agent is not None:
                held.append((contact, routing_profile(agent)))
            else:
                i.status, i.agent_id = "queued", None
                waiting.append((contact, i.created_at.timestamp()))
    for contact, profile in held:
        await center.apply(lambda now, c=contact, p=profile: router.contact_restored(c, p, now))
        await live.presence.disconnected(int(profile.id))
    for contact, since in waiting:
        await center.apply(
            lambda now, c=contact, s=since: router.contact_arrived(c, now, waiting_since=s)
        )
    if waiting or held:
        log.info("resumed %d waiting and %d held contacts", len(waiting), len(held))
