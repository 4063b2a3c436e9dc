"""Telephony: the SIP endpoint wired to the contact-center service and the event bus.

``ivr.sip`` is the SIP library (parser, transactions, transport) and knows nothing of the
application; this package connects its calls to contacts: redirect mode
(:mod:`app.telephony.redirect`), IVR mode and the survey (:mod:`app.telephony.ivr_calls`),
callbacks that keep their place (:mod:`app.telephony.callbacks`) and the PBX event API
(:mod:`app.telephony.pbx`).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from app.contacts.wiring import LivePath
from app.events.runner import start_subscriber
from app.telephony.calls import Calls
from app.telephony.config import load_telephony_config
from app.telephony.ivr_calls import IvrCalls
from app.telephony.ivr_setup import start_ivr
from app.telephony.redirect import RedirectCalls
from config.settings import Settings
from ivr.sip.endpoint import Endpoint
from ivr.sip.transport import SipServer


@dataclass
class Telephony:
    server: SipServer
    calls: RedirectCalls
    subscriber: asyncio.Task[None]
    ivr: IvrCalls | None = None  # IVR mode (ivr and survey numbers): app/telephony/ivr_calls.py
    ivr_subscriber: asyncio.Task[None] | None = None

    async def stop(self) -> None:
        await self.calls.stop()
        if self.ivr is not None:
            await self.ivr.stop()
        await self.server.stop()
        for task in (self.subscriber, self.ivr_subscriber):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task


async def start_telephony(settings: Settings, live: LivePath) -> Telephony:
    """Read telephony.yaml, subscribe the call logic to the bus, open the SIP port."""
    config = load_telephony_config(settings.telephony_file)
    calls = RedirectCalls(config, live.service, live.uow)
    ivr = start_ivr(settings, config, live)  # ivr.yaml and the prompts: checked first
    # Subscribed before the port opens: no event of a call can pass unseen.
    subscriber = start_subscriber(
        live.center.bus.subscribe("sip-calls", wants=RedirectCalls.WANTS.__contains__), calls.handle
    )
    ivr_subscriber = start_subscriber(live.center.bus.subscribe("ivr-calls"), ivr.handle)
    if ivr.callbacks is not None:
        await ivr.callbacks.restore()  # waiting callbacks a previous run left, followed again
    server = SipServer(Endpoint(Calls(config, calls, ivr)), settings.sip_host, settings.sip_port)
    try:
        await server.start()
        assert server.layer is not None
        ivr.bind(server.layer, server.port)
    except OSError as exc:
        subscriber.cancel()
        ivr_subscriber.cancel()
        raise RuntimeError(
            f"SIP cannot listen on {settings.sip_host}:{settings.sip_port} ({exc}): set "
            "HOTLINE_SIP_HOST / HOTLINE_SIP_PORT, or HOTLINE_SIP_ENABLED=false"
        ) from exc
    except BaseException:
        subscriber.cancel()
        ivr_subscriber.cancel()
        raise
    return Telephony(server, calls, subscriber, ivr, ivr_subscriber)
