"""From the record to a simulation's input: arrivals, patience and roster of a recorded
period (pure: the repository, app/db/repositories/simulation.py, reads the rows)."""

from __future__ import annotations

import random
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agents.profile import Agent
from app.simulation.model import Arrival, Options, Shift
from app.simulation.patience import Observation, PatienceModel
from app.simulation.results import ContactOutcome, target_of
from routing import Customer

DAY = 86_400.0
ANSWERED_REASONS = frozenset({"completed", "transferred"})
ABANDONED = "abandoned"


@dataclass(frozen=True, slots=True)
class RecordedContact:
    """One inbound contact as the record holds it (times: epoch seconds).

    ``first_queue`` is where it started waiting (an overflow moved it to ``queue``);
    ``customer`` carries the routing facts as they were when it arrived, as far as the
    record can tell (the grade is the customer's grade now: grades are not kept per day).
    """

    id: str
    created_at: float
    queue: str
    channel: str
    customer: Customer
    first_queue: str | None = None
    offered_at: float | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    wait_seconds: float | None = None
    handle_seconds: float | None = None
    end_reason: str | None = None
    agent_id: str | None = None
    language: str | None = None
    priority: float = 0.0
    intent: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)

    @property
    def answered(self) -> bool:
        return self.answered_at is not None

    @property
    def abandoned(self) -> bool:
        """Ended unanswered (hung up, or routing gave up at the queue's max wait)."""
        return self.answered_at is None and self.ended_at is not None

    @property
    def waited(self) -> float | None:
        if self.wait_seconds is not None:
            return self.wait_seconds
        end = self.answered_at if self.answered_at is not None else self.ended_at
        return None if end is None else max(0.0, end - self.created_at)


def observations(contacts: Iterable[RecordedContact]) -> list[Observation]:
    """Patience observations: an abandon is exact, an answer or a time-out is censored."""
    out = []
    for c in contacts:
        wait = c.waited
        if wait is None or (c.ended_at is None and c.answered_at is None):
            continue  # still live in the record: nothing known yet
        hung_up = c.answered_at is None and c.end_reason == ABANDONED
        out.append(Observation(c.customer.grade, wait, hung_up))
    return out


def answer_delay(contacts: Iterable[RecordedContact], offer_timeout: float) -> float | None:
    """Median seconds from the (first) offer to the accept, over contacts answered within the
    offer timeout of their first offer (longer gaps are re-offers, not answering)."""
    gaps = [
        c.answered_at - c.offered_at
        for c in contacts
        if c.answered_at is not None
        and c.offered_at is not None
        and 0 <= c.answered_at - c.offered_at < offer_timeout
    ]
    return statistics.median(gaps) if gaps else None


def arrivals(
    contacts: Sequence[RecordedContact],
    patience: PatienceModel,
    rng: random.Random,
    queues: Iterable[str],
    default_handle: float = 180.0,
) -> list[Arrival]:
    """The recorded contacts as arrivals. A caller who hung up keeps exactly the patience
    they showed; an answered caller's patience is drawn above their wait (censored); a
    contact never answered is given a talk time drawn from its queue's answered ones.
    Contacts of queues the policy lacks go to their final queue, else are skipped."""
    known = set(queues)
    talks: dict[tuple[str, str], list[float]] = defaultdict(list)
    for c in contacts:
        if c.handle_seconds is not None and c.answered:
            talks[(c.queue, c.channel)].append(c.handle_seconds)
    everything = [t for ts in talks.values() for t in ts] or [default_handle]
    out = []
    for c in contacts:
        queue = c.first_queue if c.first_queue in known else c.queue
        if queue not in known:
            continue
        grade = c.customer.grade
        wait = c.waited or 0.0
        if c.answered_at is None and c.end_reason == ABANDONED:
            patience_s = wait
        else:
            patience_s = patience.sample(grade, rng, at_least=wait)
        talk = c.handle_seconds
        if talk is None or not c.answered:
            pool = talks.get((c.queue, c.channel)) or everything
            talk = rng.choice(pool)
        out.append(
            Arrival(
                id=c.id,
                at=c.created_at,
                queue=queue,
                channel=c.channel,
                customer=c.customer,
                handle_seconds=max(0.0, talk),
                patience_seconds=patience_s,
                language=c.language,
                base_priority=c.priority,
                intent=c.intent,
                attributes=c.attributes,
            )
        )
    return out


def roster(
    contacts: Iterable[RecordedContact],
    agents: Mapping[str, Agent],
    lead: float,
    tail: float,
) -> list[Shift]:
    """The agents who answered in the period, one shift per agent and day (UTC): from
    ``lead`` seconds before their first answer to ``tail`` seconds after their last contact
    ended. The record keeps no log-ins, so an agent idle before their first contact is not
    counted (docs/simulator.md); a roster file gives the true one."""
    spans: dict[tuple[str, int], list[float]] = {}
    for c in contacts:
        if c.agent_id is None or c.answered_at is None or c.agent_id not in agents:
            continue
        end = c.ended_at if c.ended_at is not None else c.answered_at
        key = (c.agent_id, int(c.answered_at // DAY))
        span = spans.get(key)
        if span is None:
            spans[key] = [c.answered_at, end]
        else:
            span[0], span[1] = min(span[0], c.answered_at), max(span[1], end)
    # A shift past midnight meets the next day's: one shift (a second login would be refused).
    merged: dict[str, list[list[float]]] = defaultdict(list)
    for (agent_id, _), (first, last) in sorted(spans.items(), key=lambda kv: kv[1][0]):
        start, end = first - lead, last + tail
        runs = merged[agent_id]
        if runs and start <= runs[-1][1]:
            runs[-1][1] = max(runs[-1][1], end)
        else:
            runs.append([start, end])
    shifts = [Shift(agents[a], s, e) for a, runs in merged.items() for s, e in runs]
    return sorted(shifts, key=lambda shift: (shift.start, shift.agent.id))


def outcomes(
    contacts: Iterable[RecordedContact], queues: Mapping[str, Any], options: Options
) -> list[ContactOutcome]:
    """What the record says happened, in the simulator's terms (the figures to compare a
    replay with). Contacts still live in the record are left out."""
    out = []
    for c in contacts:
        wait = c.waited
        if wait is None or (c.answered_at is None and c.ended_at is None):
            continue
        grade = c.customer.grade
        talk = c.handle_seconds or 0.0
        out.append(
            ContactOutcome(
                id=c.id,
                arrived_at=c.created_at,
                queue=c.queue,
                grade=grade,
                answered=c.answered,
                wait_seconds=wait,
                target=target_of(queues.get(c.queue), grade, options),
                talk_seconds=talk if c.answered else 0.0,
                agent_id=c.agent_id if c.answered else None,
            )
        )
    return out
