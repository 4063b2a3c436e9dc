"""Current policy against a candidate, over the same traffic and roster."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, tzinfo
from typing import Any

from app.simulation.engine import Progress, Simulation
from app.simulation.model import Arrival, Options, Shift
from app.simulation.results import Comparison
from routing import PolicyError, QueueConfig, RouterSettings, RoutingConfig

SETTINGS_KEYS = ("offers", "wrapup", "explanations")


def queue_mapping(q: QueueConfig) -> dict[str, Any]:
    """A queue as routing.yaml writes it."""
    return {
        "name": q.name,
        "skills": dict(q.skills),
        "sla_seconds": q.sla_seconds,
        "max_wait_seconds": q.max_wait_seconds,
        "overflow": q.overflow,
        "priority": q.priority,
    }


def candidate_config(doc: Any, current: RoutingConfig) -> RoutingConfig:
    """The candidate routing.yaml (parsed), completed from the current configuration:

    - queues: the current ones (the server's come from its database), replaced by the
      candidate's of the same name, plus the candidate's new ones;
    - ``aging``: the current rate when the candidate has no ``aging`` section;
    - offers, wrap-up and explanations: the current settings when the candidate has none
      of these sections (a candidate may be just its rules).

    Raises :class:`PolicyError` naming the rule and key, as the server would at start-up.
    """
    if not isinstance(doc, Mapping):
        raise PolicyError("the candidate policy must be a mapping with `rules:` (a routing.yaml)")
    own = doc.get("queues") or []
    if not isinstance(own, list):
        raise PolicyError("queues: expected a list of queues")
    named = {q.get("name") for q in own if isinstance(q, Mapping)}
    merged = [queue_mapping(q) for q in current.queues if q.name not in named] + list(own)
    full = {**doc, "queues": merged}
    full.setdefault("aging", {"points_per_second": current.policy.aging_rate})
    config = RoutingConfig.from_mapping(full)
    if not any(key in doc for key in SETTINGS_KEYS):
        config = dataclasses.replace(config, settings=current.settings)
    return config


def for_simulation(config: RoutingConfig) -> RoutingConfig:
    """The same routing with explanations cut to the chosen agent: routing is unchanged
    (the ranking is computed whatever the cap) and the report needs only the chosen agent's
    preference (no measurable speed-up: bench/simulation_bench.py --full-explanations)."""
    settings: RouterSettings = dataclasses.replace(config.settings, max_explained_candidates=1)
    return dataclasses.replace(config, settings=settings)


def compare(
    current: RoutingConfig,
    candidate: RoutingConfig,
    arrivals: Sequence[Arrival],
    roster: Sequence[Shift],
    options: Options | None = None,
    progress: Progress | None = None,
    title: str = "Routing policy simulation",
    notes: Sequence[str] = (),
    tz: tzinfo = UTC,
) -> Comparison:
    """Both runs; ``progress(done, total)`` counts the arrivals of both."""
    total = 2 * len(arrivals)

    def half(offset: int) -> Progress | None:
        if progress is None:
            return None
        report = progress
        return lambda done, _: report(offset + done, total)

    runs = [
        Simulation(for_simulation(config), arrivals, roster, options).run(half(i * len(arrivals)))
        for i, config in enumerate((current, candidate))
    ]
    return Comparison(title, runs[0], runs[1], tuple(notes), tz)


_RULE = re.compile(r"rule '([^']+)'")
_QUEUE = re.compile(r"queue '([^']+)'")


def locate(message: str, text: str) -> int | None:
    """The line (1-based) of ``text`` where the rule or queue a policy error names is
    defined, so the error can point at it; None when it cannot tell."""
    for pattern in (_RULE, _QUEUE):
        found = pattern.search(message)
        if found is None:
            continue
        name = re.escape(found.group(1))
        target = re.compile(rf"""\bname:\s*['"]?{name}['"]?\s*(?:[,}}#]|$)""")
        for n, line in enumerate(text.splitlines(), start=1):
            if target.search(line):
                return n
    return None
