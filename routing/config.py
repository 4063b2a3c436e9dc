"""Queue configuration, router settings, and the whole routing.yaml document.

The adapter may build :class:`QueueConfig` from the database instead of the YAML ``queues``
section; the router only needs the objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agents.state import AgentRules
from routing.errors import PolicyError
from routing.policy import Policy, Skills
from routing.policy_parse import check_keys, expect_mapping, number, parse_policy, skills

QUEUE_KEYS = ("name", "skills", "sla_seconds", "max_wait_seconds", "overflow", "priority")


@dataclass(frozen=True, slots=True)
class QueueConfig:
    """A queue: its required skills, service-level target, max wait and overflow queue.

    ``priority`` is a default base priority the adapter may copy into contacts.
    ``max_wait_seconds`` None = wait forever; ``overflow`` None = no overflow queue.
    """

    name: str
    skills: Skills = ()
    sla_seconds: float = 60.0
    max_wait_seconds: float | None = None
    overflow: str | None = None
    priority: float = 0.0

    @classmethod
    def from_mapping(cls, data: Any, where: str = "queue") -> QueueConfig:
        m = expect_mapping(data, where)
        name = m.get("name")
        if not isinstance(name, str) or not name:
            raise PolicyError(f"{where}: 'name' is required")
        where = f"queue {name!r}"
        check_keys(m, QUEUE_KEYS, where)
        max_wait = m.get("max_wait_seconds")
        overflow = m.get("overflow")
        if overflow is not None and (not isinstance(overflow, str) or overflow == name):
            raise PolicyError(f"{where} overflow: expected another queue's name")
        return cls(
            name=name,
            skills=skills(m.get("skills", {}), f"{where} skills"),
            sla_seconds=number(m.get("sla_seconds", 60), f"{where} sla_seconds", minimum=0),
            max_wait_seconds=None
            if max_wait is None
            else number(max_wait, f"{where} max_wait_seconds", minimum=0),
            overflow=overflow,
            priority=number(m.get("priority", 0), f"{where} priority"),
        )


@dataclass(frozen=True, slots=True)
class RouterSettings:
    """Tunables of the router (``offers``, ``wrapup``, ``explanations`` in routing.yaml)."""

    offer_timeout: float = 15.0  # seconds an agent has to accept
    max_missed_offers: int = 3  # missed in a row -> break "missed offers"
    reoffer_cooldown: float = 60.0  # a rejecting/missing agent is skipped this long
    wrapup_seconds: float = 30.0  # after-contact work before becoming available again
    wrapup_extend_seconds: float = 60.0  # what one "more time" adds to a wrap-up
    wrapup_max_seconds: float = 300.0  # a wrap-up's longest total, extensions included
    max_explained_candidates: int = 5  # eligible agents listed in an explanation

    @property
    def agent_rules(self) -> AgentRules:
        return AgentRules(self.max_missed_offers, self.wrapup_seconds, self.wrapup_max_seconds)

    @classmethod
    def from_mapping(cls, doc: Mapping[str, Any]) -> RouterSettings:
        offers = expect_mapping(doc.get("offers"), "offers")
        check_keys(offers, ("timeout_seconds", "max_missed", "reoffer_cooldown_seconds"), "offers")
        wrapup = expect_mapping(doc.get("wrapup"), "wrapup")
        check_keys(wrapup, ("timeout_seconds", "extend_seconds", "max_seconds"), "wrapup")
        expl = expect_mapping(doc.get("explanations"), "explanations")
        check_keys(expl, ("max_candidates",), "explanations")
        d = cls()
        missed = offers.get("max_missed", d.max_missed_offers)
        if isinstance(missed, bool) or not isinstance(missed, int) or missed < 1:
            raise PolicyError("offers.max_missed: expected an integer >= 1")
        cap = expl.get("max_candidates", d.max_explained_candidates)
        if isinstance(cap, bool) or not isinstance(cap, int) or cap < 0:
            raise PolicyError("explanations.max_candidates: expected an integer >= 0")
        timeout = number(offers.get("timeout_seconds", d.offer_timeout), "offers.timeout_seconds")
        if timeout <= 0:
            raise PolicyError("offers.timeout_seconds: must be > 0")
        return cls(
            offer_timeout=timeout,
            max_missed_offers=missed,
            reoffer_cooldown=number(
                offers.get("reoffer_cooldown_seconds", d.reoffer_cooldown),
                "offers.reoffer_cooldown_seconds",
                minimum=0,
            ),
            wrapup_seconds=number(
                wrapup.get("timeout_seconds", d.wrapup_seconds), "wrapup.timeout_seconds", minimum=0
            ),
            wrapup_extend_seconds=number(
                wrapup.get("extend_seconds", d.wrapup_extend_seconds),
                "wrapup.extend_seconds",
                minimum=1,
            ),
            wrapup_max_seconds=number(
                wrapup.get("max_seconds", d.wrapup_max_seconds), "wrapup.max_seconds", minimum=0
            ),
            max_explained_candidates=cap,
        )


@dataclass(frozen=True, slots=True)
class RoutingConfig:
    """Everything routing.yaml holds: the policy, the queues and the settings."""

    policy: Policy
    queues: tuple[QueueConfig, ...]
    settings: RouterSettings

    @classmethod
    def from_mapping(cls, doc: Any) -> RoutingConfig:
        """Parse the whole document; raises PolicyError naming the bad key."""
        policy = parse_policy(doc)  # also rejects unknown top-level keys
        raw_queues = doc.get("queues", [])
        if not isinstance(raw_queues, list):
            raise PolicyError("queues: expected a list of queues")
        queues = tuple(
            QueueConfig.from_mapping(q, f"queue #{i}") for i, q in enumerate(raw_queues, 1)
        )
        check_queues(policy, queues)
        return cls(policy, queues, RouterSettings.from_mapping(doc))


def check_queues(policy: Policy, queues: tuple[QueueConfig, ...]) -> None:
    """Cross-check: unique queue names, overflow targets exist, rules name real queues."""
    names: set[str] = set()
    for q in queues:
        if q.name in names:
            raise PolicyError(f"queue {q.name!r}: duplicate queue name")
        names.add(q.name)
    for q in queues:
        if q.overflow is not None and q.overflow not in names:
            raise PolicyError(f"queue {q.name!r} overflow: unknown queue {q.overflow!r}")
    for rule in policy.rules:
        for cond in (rule.when, *rule.when.any_of):
            for name in sorted(cond.queues or ()):
                if name not in names:
                    raise PolicyError(f"rule {rule.name!r} when queue: unknown queue {name!r}")
