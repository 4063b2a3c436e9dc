"""The app factory and lifespan: the one place that wires everything together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.api import (
    auth,
    care,
    chat,
    complaints,
    contacts,
    customers,
    health,
    interactions,
    me,
    metrics,
    pages,
    prometheus,
    promises,
    reports,
    routing_policy,
    simulations,
    staff,
    staffing,
    supervision,
    telephony,
    ws_agent,
    ws_chat,
    ws_supervisor,
)
from app.auth.redaction import install_token_redaction
from app.care.config import load_care_config
from app.care.service import CareService
from app.chat.config import load_chat_config
from app.chat.mail import TranscriptMailer, smtp_from_settings
from app.chat.rooms import Rooms
from app.chat.service import ChatService
from app.contacts.console_config import load_console_config
from app.contacts.scheduled_callbacks import ScheduledCallbacks
from app.contacts.wiring import build_live_path
from app.container import Hotline
from app.customers.valuation import Valuation, load_grading_config
from app.db.engine import close_engine, make_engine, make_sessionmaker
from app.db.migrate import upgrade_async
from app.errors import AllowFromSpec, install_error_handlers, install_error_spec
from app.events.runner import start_subscriber
from app.heap import freeze_startup_heap
from app.input_guard import InputGuard
from app.limits import BodySizeLimit
from app.observability.loop_lag import LoopLagMonitor
from app.observability.middleware import LogContextMiddleware
from app.promises.escalation import PromiseEscalator
from app.supervisor.config import load_supervisor_config
from app.supervisor.feed import LINGER as FEED_LINGER
from app.supervisor.feed import SupervisorFeed
from app.telephony import start_telephony
from app.telephony.pbx import PbxCalls
from config.settings import Settings

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, migrate: bool = True) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if migrate:
            await upgrade_async(settings.effective_database_url)
        # Config files first: a bad one stops start-up with its message, before anything opens.
        valuation = Valuation(load_grading_config(settings.grades_file))
        console = load_console_config(settings.console_file)
        # Care rules (docs/care.md); the win-back's drift reasons reach the console with it.
        care_config = load_care_config(settings.care_file)
        console = console.model_copy(update={"drift_reasons": care_config.drift_reasons})
        floor_config = load_supervisor_config(settings.supervisor_file)
        chat_config = load_chat_config(settings.chat_file)
        engine = make_engine(settings)
        cluster = None
        if settings.redis_url and not settings.is_sqlite:
            # Shared mode (docs/scale-out.md): one contact center with the other processes
            # that use this Redis and prefix. (`hotline serve` refuses Redis with SQLite,
            # app/preflight.py; an app built in process keeps the embedded live path.)
            from app.shared.cluster import RedisCluster

            cluster = RedisCluster(
                settings.redis_url, settings.redis_prefix, settings.agent_grace_seconds
            )
        live = await build_live_path(
            settings, make_sessionmaker(engine), console, valuation, cluster=cluster
        )
        redis = None
        if settings.redis_url:
            import redis.asyncio as aioredis

            redis = aioredis.from_url(settings.redis_url, decode_responses=True)
        hotline = Hotline(
            settings=settings,
            engine=engine,
            uow=live.uow,
            valuation=valuation,
            console=console,
            center=live.center,
            contacts=live.service,
            projector=live.projector,
            hub=live.hub,
            presence=live.presence,
            redis=redis,
            secret=settings.effective_secret(),
        )
        # The supervisor feed starts from the record and routing's state before traffic
        # flows, then follows the events (app/supervisor/feed.py).
        supervisor = SupervisorFeed(
            live.center, live.uow, floor_config, console, queue_limit=settings.ws_send_queue
        )
        hotline.supervisor = supervisor
        floor_events = await supervisor.start()
        hotline.tasks = live.start()
        hotline.tasks.append(start_subscriber(floor_events, supervisor.handle, linger=FEED_LINGER))
        # PBX route requests are held until routing decides (docs/telephony.md, PBX events).
        pbx = hotline.pbx = PbxCalls(live.service, live.uow, live.center)
        hotline.tasks.append(
            start_subscriber(
                live.center.bus.subscribe("pbx-calls", wants=PbxCalls.WANTS.__contains__),
                pbx.handle,
            )
        )
        # The chat channel (docs/chat.md): an adapter over the service and its events; its
        # open conversations come back from the record before the first customer resumes.
        chat_rooms = Rooms(settings.ws_send_queue)
        chat = hotline.chat = ChatService(
            live.service,
            live.uow,
            chat_config,
            live.hub,
            chat_rooms,
            settings.chat_identity_secret.get_secret_value(),
        )
        smtp = smtp_from_settings(settings)  # None: no e-mail, the page does not offer it
        if smtp is not None:
            chat.mailer = TranscriptMailer(smtp, live.uow, chat_config)
        chat_events = live.center.bus.subscribe("chat")
        await chat.load()
        hotline.tasks.append(start_subscriber(chat_events, chat.handle))
        # Callbacks promised in wrap-up are made at their time, as contacts routed like any.
        # Background passes run in one process of a cluster: the lease holder (app/shared).
        scheduled = hotline.callbacks = ScheduledCallbacks(
            live.service, live.uow, live.center.clock, leads=live.center.leads
        )
        scheduled.start()
        # Care and win-back tasks: rules on a schedule, held by contact discipline until
        # they may go, then routed like contacts (channel task; app/care, docs/care.md).
        care = hotline.care = CareService(
            live.service, live.uow, care_config, live.center.clock, leads=live.center.leads
        )
        hotline.tasks.append(
            start_subscriber(live.center.bus.subscribe("care", wants=care.wants), care.handle)
        )
        if settings.care_enabled:
            care.start()
        # Promises past due escalate once to their owner's supervisors; each pass also
        # refreshes the wallboard's overdue panel (app/promises, docs/promises.md).
        promises = hotline.promises = PromiseEscalator(
            live.uow,
            live.center.clock,
            settings.promise_check_seconds,
            after_pass=supervisor.refresh_doctrine,
            leads=live.center.leads,
        )
        promises.start()
        app.state.hotline = hotline
        # Event-loop lag for /metrics (docs/operations.md); cancelled with the other tasks.
        app.state.loop_lag = LoopLagMonitor()
        hotline.tasks.append(app.state.loop_lag.start())
        # SIP (docs/telephony.md): `hotline serve` turns it on; tests turn it on when they need it.
        telephony = await start_telephony(settings, live) if settings.sip_enabled else None
        app.state.telephony = telephony
        if settings.gc_freeze:  # last: what start-up made stays out of full collections
            freeze_startup_heap()
        log.info("hotline up: database=%s", engine.dialect.name)
        try:
            yield
        finally:
            if telephony is not None:
                await telephony.stop()
            await scheduled.stop()
            await promises.stop()
            await care.stop()
            supervisor.stop()
            supervisor.disconnect_all()
            pbx.stop()  # held route requests answer now
            chat_rooms.close_all()  # customers' pages resume on their own (1012)
            await chat.close()  # queued messages and receipts held in memory are written
            if chat.mailer is not None:
                await chat.mailer.close()  # mails still being retried are dropped
            await live.presence.stop()
            await live.center.stop()
            # Let the record catch up with what routing did, then stop the subscribers.
            await live.projector.reached(live.center.bus.last_seq, timeout=5.0)
            await live.center.close()  # shared mode: the lease goes to another process now
            for task in hotline.tasks:
                task.cancel()
            for task in hotline.tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if redis is not None:
                await redis.aclose()
            await close_engine(engine)

    app = FastAPI(
        title="Hotline",
        version="0.1.0",
        description="Contact-center server: routes calls and chats by customer grade and history.",
        lifespan=lifespan,
        docs_url=None,  # served by app.api.pages from a package: no CDN, under a CSP
        redoc_url=None,
    )
    install_error_handlers(app)
    install_error_spec(app)
    install_token_redaction()  # a safety net: no token reaches a log line
    for module in (
        health,
        auth,
        care,
        customers,
        contacts,
        complaints,
        interactions,
        me,
        metrics,
        staff,
        routing_policy,
        reports,
        staffing,
        simulations,
        supervision,
        telephony,
        ws_agent,
        ws_chat,
        ws_supervisor,
        chat,
        prometheus,
        promises,
        pages,
    ):
        app.include_router(module.router)
    pages.mount_static(app)
    # Outermost last: headers on every answer (a 413 too), the size limit before anything
    # reads a body, and the strict reading of what the size limit let through.
    app.add_middleware(AllowFromSpec, openapi=app.openapi)
    app.add_middleware(InputGuard)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(pages.SecurityHeaders)
    if settings.log_format == "json":  # contact and agent ids on log lines (docs/operations.md)
        app.add_middleware(LogContextMiddleware)
    return app
