"""SIP redirect mode answers the callers routing assigned: every 302 of a batch of events from
one lookup of the agents' SIP URIs (a lookup per call, awaited in order, put the 302s
seconds behind the offers at 100 calls/s)."""

from __future__ import annotations

from typing import Any

from app.events import names
from app.events.model import Event
from app.telephony.config import Number, TelephonyConfig
from app.telephony.redirect import Call, RedirectCalls
from tests.conftest import add_agent


class Answered:
    """The part of an INVITE server transaction the handler uses: what it answered."""

    def __init__(self) -> None:
        self.responses: list[tuple[int, list[tuple[str, str]] | None]] = []

    def respond(self, status: int, reason: str | None = None, **kw: Any) -> None:
        self.responses.append((status, kw.get("extra")))


async def test_a_batch_of_assignments_is_answered_from_one_lookup(uow_factory: Any) -> None:
    alice = await add_agent(uow_factory, "alice", sip_uri="sip:alice@10.0.0.1:5070")
    bob = await add_agent(uow_factory, "bob", sip_uri="sip:bob@10.0.0.2:5070")
    lookups = 0

    def counting_uow() -> Any:
        nonlocal lookups
        lookups += 1
        return uow_factory()

    number = Number(name="hotline", mode="redirect", queue="service")
    calls = RedirectCalls(TelephonyConfig({"hotline": number}), None, counting_uow)  # type: ignore[arg-type]
    waiting = {}
    for contact_id in ("11", "12", "13"):
        call = Call(f"call-{contact_id}", Answered(), number, contact_id=contact_id)  # type: ignore[arg-type]
        calls.by_contact[contact_id] = waiting[contact_id] = call
    assigned = [("11", alice), ("12", bob), ("13", alice)]
    events = [
        Event(seq, names.CONTACT_ASSIGNED, 0.0, {"contact_id": cid, "agent_id": str(aid)})
        for seq, (cid, aid) in enumerate(assigned, start=1)
    ]
    await calls.handle(events)

    assert lookups == 1
    for contact_id, uri in (("11", "alice@10.0.0.1"), ("12", "bob@10.0.0.2"), ("13", "alice@")):
        call = waiting[contact_id]
        ((status, extra),) = call.txn.responses  # type: ignore[attr-defined]
        assert status == 302 and call.done
        assert extra is not None and uri in dict(extra)["Contact"]
    assert calls.by_contact == {}  # none is waiting any more
