"""The garbage collector in a long-running server.

CPython's full collection walks every tracked object with the whole process stopped. Start-up
leaves some 180,000 of them that live as long as the process (modules, routes, pydantic
schemas, the policy, staff and queues), and under load every full pass walked them all: a
profile of the live benchmark showed passes of 60-280 ms, each a stall of every socket, timer
and command, and most of the latency tail (docs/benchmarks.md). ``gc.freeze()`` moves what
exists to a permanent generation that collections skip, the practice CPython documents for
long-lived processes; objects frozen are still freed by reference counting when released.

That is half of it. Under load the event log's last 10,000 events (app/events/bus.py) and the
contacts in progress live a few seconds, long enough to be promoted to the oldest generation,
and CPython starts a full pass whenever a quarter as many objects as it holds were promoted
since the last: every 8 s at 140 contacts/s, each still 90-150 ms. Those objects die by
reference counting, not by the collector, so a full pass finds almost nothing: they are run
a hundred times less often (``FULL_PASS_EVERY``). Garbage in cycles that reached the oldest
generation waits longer to be freed (the benchmarks' RSS: docs/benchmarks.md).
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)

# Middle-generation collections between two full passes (CPython's default: 10). A young
# collection runs every 700 net allocations and a middle one every 10 young: at 100-140
# contacts/s, a full pass every ten minutes or so instead of every 8 s.
FULL_PASS_EVERY = 1_000


def freeze_startup_heap() -> int:
    """Collect start-up's garbage, freeze what is left, and space the full passes out;
    returns the objects frozen.

    Call once, after start-up and before traffic. Garbage in reference cycles among frozen
    objects is never collected, hence the collection first, and the choice not to freeze
    in processes that build many apps (tests)."""
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_PASS_EVERY)
    frozen = gc.get_freeze_count()
    log.info("start-up heap frozen: %d objects left out of garbage collection", frozen)
    return frozen
