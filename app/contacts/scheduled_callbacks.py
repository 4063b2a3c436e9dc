"""Callbacks scheduled in wrap-up are made at their time.

An agent who promises to call back picks a time in wrap-up (``callback_at``). At that time
the server makes it a new outbound voice contact for the customer, in the queue of the
contact it follows, routed like any contact: the routing policy's ``callback`` rule prefers
the agent who last spoke with the customer (``config/routing.yaml``). When SIP's outbound
proxy is configured, accepting it connects the agent's phone and the customer, the same
path as a callback asked for in the IVR (:mod:`app.telephony.callbacks`); otherwise the
agent calls the number the screen pop shows.

The pass runs every ``interval`` seconds on routing's clock and is safe to repeat, and to
run in several processes at once: the contact's (source, external id) is
(``scheduled-callback``, the interaction's id), so an arrival repeated after a crash, or by
another process's pass, finds the contact the first one made; marking the callback made is
a conditional update, so it is marked once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from app.contacts.commands import Arrive
from app.contacts.service import ContactCenterService
from app.db.repositories.care import CareRepository
from app.db.repositories.today import TodayRepository
from app.db.uow import UnitOfWork
from app.errors import DomainError
from app.events.runner import Periodic

log = logging.getLogger(__name__)

SOURCE = "scheduled-callback"
BATCH = 50  # callbacks made per pass; a backlog drains over the next passes
INTERVAL_SECONDS = 15.0


def number_to_call(from_address: str | None, phone: str | None) -> str | None:
    """The number the contact came from when it is a phone number (a call), else the
    customer's first phone (a chat or an e-mail), else None (the agent reaches the customer
    some other way: the screen pop shows the customer)."""
    if from_address and "@" not in from_address and from_address.lstrip("+").isdigit():
        return from_address
    return phone


class ScheduledCallbacks:
    """Makes due callbacks contacts.

    Args:
        service: the contact-center service (its idempotent arrival).
        uow: units of work.
        clock: routing's clock (seconds); tests pass a fake one and call :meth:`tick`.
        interval: seconds between passes when :meth:`start` runs them.
    """

    def __init__(
        self,
        service: ContactCenterService,
        uow: Callable[[], UnitOfWork],
        clock: Callable[[], float],
        interval: float = INTERVAL_SECONDS,
        leads: Callable[[], bool] | None = None,
    ) -> None:
        self.service = service
        self.uow = uow
        self.clock = clock
        self.interval = interval
        self._loop = Periodic("scheduled callbacks", self.tick, interval, when=leads)

    async def tick(self) -> list[str]:
        """One pass: every callback due now becomes a contact. Returns their ids."""
        now = datetime.fromtimestamp(self.clock(), UTC)
        async with self.uow() as uow:
            rows = await TodayRepository(uow.session).due_callbacks(now, BATCH)
            # Contact discipline (docs/care.md): a customer who asked not to be called is
            # not; the callback stays due, and is made once the opt-out is lifted.
            opt_outs = await CareRepository(uow.session).opt_outs({r.customer_id for r in rows})
        made: list[str] = []
        for row in rows:
            if opt_outs.get(row.customer_id, (False, False))[0]:
                continue
            contact_id = await self._make(row, now)
            if contact_id is not None:
                made.append(contact_id)
        return made

    async def _make(self, row: Any, now: datetime) -> str | None:
        number = number_to_call(row.from_address, row.phone)
        attributes: dict[str, Any] = {
            "callback": "scheduled",
            "callback_of": str(row.id),
            "callback_due": row.callback_due_at.astimezone(UTC).isoformat(),
        }
        if number is not None:
            attributes["callback_number"] = number
        try:
            contact, _ = await self.service.arrive(
                Arrive(
                    channel="voice",
                    queue=row.queue or "",
                    customer_id=row.customer_id,
                    intent="callback",
                    language=row.language,
                    attributes=attributes,
                    source=SOURCE,
                    external_id=str(row.id),
                    direction="outbound",  # the centre calls out
                )
            )
        except DomainError as exc:
            # The queue was removed, say: the server stops trying, and the callback stays
            # on the agent's list (not done) with the reason, for them to make by hand.
            log.warning("scheduled callback of %s not made: %s", row.id, exc.message)
            async with self.uow() as uow:
                await TodayRepository(uow.session).callback_not_made(row.id, exc.message)
            return None
        async with self.uow() as uow:
            await TodayRepository(uow.session).callback_made(row.id, int(contact.id), now)
        log.info("scheduled callback of %s is contact %s", row.id, contact.id)
        return str(contact.id)

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()
