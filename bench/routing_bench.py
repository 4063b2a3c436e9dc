"""Routing core benchmark: 1,000 agents, 10,000 waiting contacts, the default policy.

Not a test. Run: ``.venv/bin/python bench/routing_bench.py`` (``--help`` for sizes).

Steady state: every agent is busy and 10,000 contacts wait. Each cycle one agent finishes
(``contact_ended``), ends wrap-up (``wrapup_done`` -> the router picks the best of the
waiting contacts it may serve and makes an Offer), accepts (``offer_accepted``), and a new
contact arrives (``contact_arrived``) so the queue stays at 10,000. ``tick`` runs every
100 cycles (simulated time advances 5 ms per cycle, so escalation steps fire too).

Figures: router calls and decisions per second of time spent inside the router, offers
(routing decisions proper) per second, per-call latency p50/p99/max (all calls, and the
calls that made an offer), and peak memory. The rare multi-millisecond maxima are
CPython garbage-collection pauses over the ~10^5 live objects, not routing work.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from routing import Agent, Contact, Customer, Offer, Router, RoutingConfig

QUEUES = ("general", "billing", "support", "complaints")
SKILLS = ("general", "billing", "support", "complaints", "retention")
GRADES = (("vip", 0.01), ("key", 0.19), ("ordinary", 0.30), ("small", 0.50))


def make_agents(n: int, rng: random.Random) -> list[Agent]:
    agents = []
    for i in range(n):
        skills = {s: rng.randint(1, 5) for s in SKILLS if rng.random() < 0.6}
        skills.setdefault("general", rng.randint(1, 5))
        chat = rng.random() < 0.3
        agents.append(
            Agent(
                id=f"a{i}",
                name=f"Agent {i}",
                skills=skills,
                languages={"en", "de"} if rng.random() < 0.2 else {"en"},
                team=f"team{i % 20}",
                senior=rng.random() < 0.1,
                channels={"voice", "chat"} if chat else {"voice"},
                chat_capacity=3 if chat else 0,
                contacts_today=rng.randint(0, 30),
            )
        )
    return agents


class ContactFactory:
    def __init__(self, rng: random.Random, agent_ids: list[str]) -> None:
        self.rng, self.agent_ids, self.n = rng, agent_ids, 0

    def __call__(self, now: float) -> Contact:
        rng = self.rng
        self.n += 1
        grade = rng.choices([g for g, _ in GRADES], [w for _, w in GRADES])[0]
        manager = rng.choice(self.agent_ids) if grade in ("vip", "key") else None
        repeat = rng.random() < 0.1
        complaint = rng.random() < 0.02
        customer = Customer(
            customer_id=f"cu{self.n}",
            grade=grade,
            lifecycle="decline" if rng.random() < 0.03 else "stable",
            churn_risk=rng.random() * 0.8,
            account_manager_agent_id=manager,
            last_agent_id=rng.choice(self.agent_ids) if repeat else None,
            last_contact_at=now - 3600 if repeat else None,
            has_open_complaint=complaint,
            open_complaint_owner_id=rng.choice(self.agent_ids) if complaint else None,
        )
        return Contact(
            id=f"c{self.n}",
            channel="chat" if rng.random() < 0.2 else "voice",
            queue=rng.choice(QUEUES),
            created_at=now,
            customer=customer,
            language="de" if rng.random() < 0.1 else "en",
        )


def percentile(sorted_ns: list[int], q: float) -> float:
    return sorted_ns[min(len(sorted_ns) - 1, int(q * len(sorted_ns)))] / 1000.0


def run(n_agents: int, n_waiting: int, cycles: int, seed: int, trace: bool) -> None:
    rng = random.Random(seed)
    doc = yaml.safe_load((Path(__file__).parent.parent / "config/routing.yaml").read_text())
    config = RoutingConfig.from_mapping(doc)
    # Long max waits: the benchmark keeps 10,000 contacts waiting on purpose.
    queues = [q.__class__(q.name, q.skills, q.sla_seconds, None, q.overflow) for q in config.queues]
    router = Router(config.policy, queues, settings=config.settings)
    if trace:
        tracemalloc.start()
    agents = make_agents(n_agents, rng)
    new_contact = ContactFactory(rng, [a.id for a in agents])
    now = 1_700_000_000.0

    # Fill: everyone logs in, contacts arrive until every agent is busy and n_waiting wait.
    busy: dict[str, list[str]] = {a.id: [] for a in agents}
    for agent in agents:
        router.agent_login(agent, now)
    pending: list[Offer] = []
    while router.store.waiting_count() < n_waiting:
        now += 0.001
        for d in router.contact_arrived(new_contact(now), now):
            if isinstance(d, Offer):
                pending.append(d)
        while pending:
            offer = pending.pop()
            busy[offer.agent_id].append(offer.contact_id)
            pending += [
                d
                for d in router.offer_accepted(offer.contact_id, offer.agent_id, now)
                if isinstance(d, Offer)
            ]
    print(f"setup: {n_agents} agents, {router.store.waiting_count()} waiting, "
          f"{sum(map(len, busy.values()))} in service")  # fmt: skip

    call_ns: list[int] = []
    offer_ns: list[int] = []
    by_method: dict[str, list[int]] = {}
    decisions = offers = 0
    agent_ids = [a.id for a in agents]
    gc.collect()
    clock = time.perf_counter_ns

    def call(fn, *args):
        nonlocal decisions, offers
        t0 = clock()
        out = fn(*args)
        dt = clock() - t0
        call_ns.append(dt)
        by_method.setdefault(fn.__name__, []).append(dt)
        made = [d for d in out if isinstance(d, Offer)]
        if made:
            offer_ns.append(dt)
            offers += len(made)
        decisions += len(out)
        return made

    for cycle in range(cycles):
        now += 0.005
        agent_id = rng.choice(agent_ids)
        while not busy[agent_id]:  # nearly everyone is busy: rejection sampling is cheap
            agent_id = rng.choice(agent_ids)
        contact_id = busy[agent_id].pop(rng.randrange(len(busy[agent_id])))
        made = call(router.contact_ended, contact_id, now)
        made += call(router.wrapup_done, agent_id, now)
        made += call(router.contact_arrived, new_contact(now), now)
        if router.store.waiting_count() < n_waiting:  # chats drain faster: top the queue up
            made += call(router.contact_arrived, new_contact(now), now)
        if cycle % 100 == 0:
            made += call(router.tick, now)
        while made:
            offer = made.pop()
            busy[offer.agent_id].append(offer.contact_id)
            made += call(router.offer_accepted, offer.contact_id, offer.agent_id, now)

    total_s = sum(call_ns) / 1e9
    call_ns.sort()
    offer_ns.sort()
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    mean_offer_call = sum(offer_ns) / len(offer_ns) / 1e9
    print(f"router calls: {len(call_ns)} in {total_s:.3f} s -> {len(call_ns) / total_s:,.0f}/s")
    print(f"decisions returned: {decisions} -> {decisions / total_s:,.0f} decisions/s")
    print(
        f"offers (an agent chosen for a contact): {offers} -> {offers / total_s:,.0f}/s of all "
        f"router time; offer-making calls alone: {1 / mean_offer_call:,.0f}/s"
    )
    for label, ns in (("all calls", call_ns), ("calls making an offer", offer_ns)):
        print(
            f"latency, {label}: p50 {percentile(ns, 0.50):.1f} us, "
            f"p99 {percentile(ns, 0.99):.1f} us, max {ns[-1] / 1000:.1f} us"
        )
    for name, ns in sorted(by_method.items()):
        ns.sort()
        print(
            f"  {name:16} n={len(ns):6} total {sum(ns) / 1e9:6.3f} s  "
            f"p50 {percentile(ns, 0.5):7.1f} us  p99 {percentile(ns, 0.99):8.1f} us  "
            f"max {ns[-1] / 1000:8.1f} us"
        )
    print(f"waiting at end: {router.store.waiting_count()}")
    print(f"peak RSS: {peak_rss_mb:.1f} MiB")
    if trace:
        _, peak = tracemalloc.get_traced_memory()
        print(f"tracemalloc peak: {peak / 2**20:.1f} MiB (timings above include its overhead)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--waiting", type=int, default=10_000)
    parser.add_argument("--cycles", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python memory")
    args = parser.parse_args()
    run(args.agents, args.waiting, args.cycles, args.seed, args.tracemalloc)


if __name__ == "__main__":
    main()
