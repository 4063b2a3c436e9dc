"""A fixed pseudo-random day of routing commands, applied as shared mode's log applies them;
prints the number of decisions and their digest (run under several PYTHONHASHSEEDs by
test_replication.py). Not a test module itself."""

from __future__ import annotations

import json
import pickle
import random
from typing import Any

from agents.profile import Agent
from app.shared.router import SharedRouter, apply_calls, recording
from routing import Contact, Customer, Offer, Router, parse_policy
from routing.records import ContactStatus
from tests.unit.test_routing_stateful import POLICY, QUEUES, SETTINGS, T0

AGENTS = [f"a{i}" for i in range(12)]


def run(steps: int = 3000, seed: int = 7) -> tuple[int, str]:
    from tests.shared.test_replication import digest

    rng = random.Random(seed)
    router: Router = Router(parse_policy(POLICY), QUEUES, settings=SETTINGS)
    router.__class__ = SharedRouter
    now = T0
    decisions: list[Any] = []
    n = 0

    def do(name: str, *args: Any) -> None:
        calls: list[Any] = []
        token = recording.set(calls)
        try:
            getattr(router, name)(*args)
        finally:
            recording.reset(token)
        try:
            decisions.extend(apply_calls(router, pickle.loads(pickle.dumps(calls))))
        except Exception as exc:
            decisions.append(("refused", type(exc).__name__))

    for _ in range(steps):
        roll = rng.random()
        if roll < 0.08:
            aid = rng.choice(AGENTS)
            skills = {"general": rng.randint(1, 5)}
            for extra in ("billing", "complaints"):
                if rng.random() < 0.5:
                    skills[extra] = rng.randint(1, 5)
            agent = Agent(
                aid,
                aid.upper(),
                skills=skills,
                senior=rng.random() < 0.3,
                team=rng.choice([None, "red", "blue"]),
                channels=frozenset(rng.choice([("voice",), ("chat",), ("voice", "chat")])),
                chat_capacity=rng.randint(0, 3),
                languages={"en", "de"} if rng.random() < 0.5 else {"en"},
            )
            do("agent_login", agent, now)
        elif roll < 0.14:
            state = rng.choice(["available", "available", "break", "offline"])
            do("set_agent_state", rng.choice(AGENTS), state, now, "lunch")
        elif roll < 0.45:
            n += 1
            customer = Customer(
                customer_id=f"cu{n % 40}",
                grade=rng.choice([None, "ordinary", "vip"]),
                account_manager_agent_id=rng.choice([None, *AGENTS]),
                open_complaint_owner_id=rng.choice([None, None, *AGENTS]),
                last_agent_id=rng.choice([None, *AGENTS]),
                last_contact_at=now - 60,
            )
            contact = Contact(
                f"c{n}",
                rng.choice(["voice", "voice", "chat"]),
                rng.choice(["general", "general", "billing"]),
                now,
                customer,
                language="de" if rng.random() < 0.3 else None,
            )
            do("contact_arrived", contact, now)
        elif roll < 0.65:
            offered = [d for d in decisions[-200:] if isinstance(d, Offer)]
            if offered:
                o = rng.choice(offered)
                if rng.random() < 0.8:
                    do("offer_accepted", o.contact_id, o.agent_id, now)
                else:
                    do("offer_rejected", o.contact_id, o.agent_id, now, "no")
        elif roll < 0.8:
            active = [
                r.contact.id for r in router.store.routes() if r.status is ContactStatus.ACTIVE
            ]
            if active:
                do("contact_ended", rng.choice(sorted(active)), now)
        elif roll < 0.85:
            do("wrapup_done", rng.choice(AGENTS), now)
        else:
            now += rng.uniform(0.1, 6)
            do("tick", now)
    return len(decisions), digest(decisions)


if __name__ == "__main__":
    count, value = run()
    print(json.dumps({"decisions": count, "digest": value}))
