"""Simulator benchmark: a day of a 200-agent center, about 20,000 contacts, the default policy.

Not a test. Run: ``.venv/bin/python bench/simulation_bench.py`` (``--help`` for sizes).

The traffic: Poisson arrivals over 12 hours into the four queues of config/routing.yaml,
exponential talk (mean 240 s) and the policy's 30 s wrap-up, 20 % chats; customers from
the pyramid (1 % vip, 19 % key with an account manager), a third of contacts from repeat
callers (the repeat-contact rule prefers their last agent), 2 % with an open complaint and
its owner, exponential patience (mean 180 s). 200 agents with random skills as in
bench/routing_bench.py, 10 % senior, 30 % also on chat, each on a 9-hour shift starting
between hour 0 and hour 4, with a 30-minute break. The figure: wall-clock seconds of one
run of the simulator (routing included), the target being under 10 s on this machine.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.simulation import Arrival, BreakSpan, Options, Shift, Simulation
from app.simulation.compare import for_simulation
from app.simulation.synthetic import PYRAMID
from routing import Agent, Customer, RoutingConfig

QUEUES = ("general", "billing", "support", "complaints")
SKILLS = ("general", "billing", "support", "complaints", "retention")
HOUR = 3600.0


def make_roster(n: int, rng: random.Random, start: float) -> list[Shift]:
    shifts = []
    for i in range(n):
        skills = {s: rng.randint(1, 5) for s in SKILLS if rng.random() < 0.6}
        skills.setdefault("general", rng.randint(1, 5))
        chat = rng.random() < 0.3
        agent = Agent(
            id=f"a{i}",
            name=f"Agent {i}",
            skills=skills,
            languages={"en"},
            team=f"team{i % 20}",
            senior=rng.random() < 0.1,
            channels={"voice", "chat"} if chat else {"voice"},
            chat_capacity=3 if chat else 0,
        )
        begin = start + rng.uniform(0, 4) * HOUR
        lunch = begin + rng.uniform(3, 5) * HOUR
        shifts.append(Shift(agent, begin, begin + 9 * HOUR, (BreakSpan(lunch, lunch + 1800),)))
    return shifts


def make_arrivals(n: int, hours: float, rng: random.Random, agent_ids: list[str]) -> list[Arrival]:
    rate = n / (hours * HOUR)
    grades, weights = [g for g, _ in PYRAMID], [w for _, w in PYRAMID]
    customers = n * 2 // 3
    out, at = [], 0.0
    for k in range(n):
        at += rng.expovariate(rate)
        who = rng.randrange(customers)
        crng = random.Random(who)  # a customer's facts are the same on every call
        grade = crng.choices(grades, weights)[0]
        complaint = crng.random() < 0.02
        customer = Customer(
            customer_id=f"cu{who}",
            grade=grade,
            lifecycle="decline" if crng.random() < 0.03 else "stable",
            churn_risk=crng.random() * 0.8,
            account_manager_agent_id=crng.choice(agent_ids) if grade in ("vip", "key") else None,
            has_open_complaint=complaint,
            open_complaint_owner_id=crng.choice(agent_ids) if complaint else None,
        )
        out.append(
            Arrival(
                id=f"c{k}",
                at=at,
                queue=rng.choice(QUEUES),
                channel="chat" if rng.random() < 0.2 else "voice",
                customer=customer,
                handle_seconds=rng.expovariate(1 / 240),
                patience_seconds=rng.expovariate(1 / 180),
                language="en",
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--hours", type=float, default=12.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="print the top of a cProfile")
    parser.add_argument(
        "--full-explanations",
        action="store_true",
        help="keep the policy's explanations.max_candidates (the simulator cuts it to 1)",
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    doc = yaml.safe_load((Path(__file__).parent.parent / "config/routing.yaml").read_text())
    config = RoutingConfig.from_mapping(doc)
    if not args.full_explanations:
        config = for_simulation(config)
    roster = make_roster(args.agents, rng, 0.0)
    arrivals = make_arrivals(args.contacts, args.hours, rng, [s.agent.id for s in roster])
    sim = Simulation(config, arrivals, roster, Options())
    profiler = cProfile.Profile() if args.profile else None
    started, cpu = time.perf_counter(), time.process_time()
    if profiler is not None:
        profiler.enable()
    result = sim.run()
    if profiler is not None:
        profiler.disable()
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    o = result.overall
    print(
        f"simulated {len(arrivals):,} contacts, {args.agents} agents, {args.hours:g} h of "
        f"traffic in {took:.2f} s wall, {cpu:.2f} s CPU ({len(arrivals) / took:,.0f} contacts/s, "
        f"{result.router_calls:,} router calls, {result.router_calls / took:,.0f}/s)"
    )
    print(
        f"  service level {o.service_level:.1%}, ASA {o.asa_seconds:.1f} s, abandon rate "
        f"{o.abandon_rate:.1%}, occupancy {result.occupancy:.1%}, offers/contact "
        f"{o.offers_per_contact:.2f}, longest VIP wait {result.longest_vip_wait:.0f} s, "
        f"served by preferred agent {o.preferred_served:,}"
    )
    print(f"  target: under 10 s -> {'met' if took < 10 else 'MISSED'}")
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
