"""What the lifespan wires together and the entry points reach through `app.state.hotline`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth import passwords
from app.auth.throttle import LoginGuard
from app.customers.valuation import Valuation
from app.db.uow import UnitOfWork
from app.staff.accounts import AccountCache
from config.settings import Settings

if TYPE_CHECKING:
    import asyncio

    from app.care.service import CareService
    from app.chat.service import ChatService
    from app.contacts.center import ContactCenter
    from app.contacts.console_config import ConsoleConfig
    from app.contacts.hub import AgentHub
    from app.contacts.presence import Presence
    from app.contacts.projector import InteractionProjector
    from app.contacts.scheduled_callbacks import ScheduledCallbacks
    from app.contacts.service import ContactCenterService
    from app.promises.escalation import PromiseEscalator
    from app.supervisor.feed import SupervisorFeed
    from app.telephony.pbx import PbxCalls


@dataclass
class Hotline:
    settings: Settings
    engine: AsyncEngine
    uow: Callable[[], UnitOfWork]
    valuation: Valuation
    console: ConsoleConfig
    center: ContactCenter
    contacts: ContactCenterService
    projector: InteractionProjector
    hub: AgentHub
    presence: Presence
    redis: Any = None
    supervisor: SupervisorFeed | None = None  # the /ws/supervisor feed (app/supervisor)
    secret: str = ""
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    pbx: PbxCalls | None = None  # PBX route requests and events (app/telephony/pbx.py)
    chat: ChatService | None = None  # the chat channel (app/chat, docs/chat.md)
    # Callbacks promised in wrap-up, made at their time (app/contacts/scheduled_callbacks.py).
    callbacks: ScheduledCallbacks | None = None
    # Care and win-back work (app/care, docs/care.md).
    care: CareService | None = None
    # Promises past due escalated to supervisors (app/promises, docs/promises.md).
    promises: PromiseEscalator | None = None
    # Built from the settings (app/auth/throttle.py, app/staff/accounts.py).
    logins: LoginGuard = field(init=False)
    accounts: AccountCache = field(init=False)

    def __post_init__(self) -> None:
        passwords.configure(self.settings.password_hash_threads)
        self.logins = LoginGuard.from_settings(self.settings)
        self.accounts = AccountCache(ttl=self.settings.account_cache_seconds)
