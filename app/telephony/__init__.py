"""Telephony: the SIP endpoint wired to the contact-center service and the event bus.

``ivr.sip`` is the SIP library (parser, transactions, transport) and knows nothing of the
application; this package connects its calls to contacts (redirect mode today; IVR mode,
callbacks and PBX events are later work that plugs in beside it).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from app.contacts.wiring import LivePath
from app.events.runner import start_subscriber
from app.telephony.config import load_telephony_config
from app.telephony.redirect import RedirectCalls
from config.settings import Settings
from ivr.sip.endpoint import Endpoint
from ivr.sip.transport import SipServer


@dataclass
class Telephony:
    server: SipServer
    calls: RedirectCalls
    subscriber: asyncio.Task[None]

    async def stop(self) -> None:
        await self.calls.stop()
        await self.server.stop()
        self.subscriber.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.subscriber


async def start_telephony(settings: Settings, live: LivePath) -> Telephony:
    """Read telephony.yaml, subscribe the call logic to the bus, open the SIP port."""
    config = load_telephony_config(settings.telephony_file)
    calls = RedirectCalls(config, live.service, live.uow)
    # Subscribed before the port opens: no event of a call can pass unseen.
    subscriber = start_subscriber(live.center.bus.subscribe("sip-calls"), calls.handle)
    server = SipServer(Endpoint(calls), settings.sip_host, settings.sip_port)
    try:
        await server.start()
    except OSError as exc:
        subscriber.cancel()
        raise RuntimeError(
            f"SIP cannot listen on {settings.sip_host}:{settings.sip_port} ({exc}): set "
            "HOTLINE_SIP_HOST / HOTLINE_SIP_PORT, or HOTLINE_SIP_ENABLED=false"
        ) from exc
    except BaseException:
        subscriber.cancel()
        raise
    return Telephony(server, calls, subscriber)
