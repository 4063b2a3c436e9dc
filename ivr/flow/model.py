"""The IVR flow as data: flows of named nodes, read from ``config/ivr.yaml`` by
:func:`ivr.flow.parse.parse_flows`. Plain frozen dataclasses; no I/O.

A flow is a graph of nodes; each node is one of:

- :class:`Lookup` — ask the host for data (the caller by number, a typed phone or account
  number, a complaint by its number); the answer lands in the flow's variables;
- :class:`Play` — prompts, then the next node;
- :class:`Menu` — a prompt and one digit chosen among options, with timeout and retries;
- :class:`Collect` — several digits into a variable (ended by ``#`` or the maximum);
- :class:`Branch` — the first condition on the variables that holds picks the next node;
- :class:`Finish` — the outcome: queue the caller, hang up, or record a survey rating.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Value = str | int | float | bool | None
LOOKUPS = ("caller", "number", "complaint")
OUTCOMES = ("queue", "hangup", "rating")


@dataclass(frozen=True)
class PromptItem:
    """One piece of a prompt list: a prompt name (``{var}`` placeholders filled from the
    variables; ``zh/name`` pins a language), or a variable read out digit by digit."""

    name: str = ""
    digits: str | None = None  # a variable whose value is read out digit by digit


@dataclass(frozen=True)
class Lookup:
    kind: str  # one of LOOKUPS
    input: str | None  # the variable holding the typed number (not for "caller")
    next: str
    missing: str  # where to go when nothing was found


@dataclass(frozen=True)
class Play:
    prompt: tuple[PromptItem, ...]
    next: str


@dataclass(frozen=True)
class Option:
    goto: str
    set: tuple[tuple[str, Value], ...] = ()


@dataclass(frozen=True)
class Menu:
    prompt: tuple[PromptItem, ...]
    options: dict[str, Option]
    timeout: float
    retries: int  # how many times the prompt is played again after a timeout or wrong key
    invalid: tuple[PromptItem, ...]  # played before the prompt again after a wrong key
    fail: str  # where to go when the retries are used up


@dataclass(frozen=True)
class Collect:
    prompt: tuple[PromptItem, ...]
    into: str
    min: int
    max: int
    end: str  # the key that ends the input early ("#")
    timeout: float  # seconds without a key before the input is taken (or retried)
    retries: int
    invalid: tuple[PromptItem, ...]
    next: str
    fail: str


@dataclass(frozen=True)
class Condition:
    """All of ``tests`` hold: variable → accepted values (compared as text)."""

    tests: tuple[tuple[str, tuple[str, ...]], ...]
    goto: str


@dataclass(frozen=True)
class Branch:
    cases: tuple[Condition, ...]
    otherwise: str


@dataclass(frozen=True)
class Finish:
    """The flow's end. ``kind``: queue (to ``queue`` with ``intent``, ``priority`` and
    ``attributes``), hangup, or rating (the variable ``rating`` holds 1-5)."""

    kind: Literal["queue", "hangup", "rating"]
    prompt: tuple[PromptItem, ...] = ()
    queue: str | None = None
    intent: str | None = None
    priority: float = 0.0
    attributes: tuple[tuple[str, str], ...] = ()
    rating: str | None = None  # the variable holding the score (kind "rating")


Node = Lookup | Play | Menu | Collect | Branch | Finish


@dataclass(frozen=True)
class Flow:
    name: str
    start: str
    nodes: dict[str, Node]


@dataclass(frozen=True)
class Flows:
    """Every flow of ivr.yaml, and the languages its prompts come in (the first is the
    default)."""

    flows: dict[str, Flow]
    languages: tuple[str, ...] = ("zh", "en")
    max_rating: int = 5

    def prompt_names(self) -> set[str]:
        """Every prompt name used without a placeholder (``zh/`` pins stripped): what the
        prompt sets must hold. Names with ``{...}`` are checked when played."""
        names: set[str] = set()
        for flow in self.flows.values():
            for node in flow.nodes.values():
                for items in _prompt_lists(node):
                    names.update(
                        i.name.split("/", 1)[-1] for i in items if i.name and "{" not in i.name
                    )
        return names


@dataclass(frozen=True)
class Outcome:
    """What the flow decided, for the host to carry out. ``path``: every step, digit and
    result on the way (the interaction's IVR path)."""

    kind: str  # one of OUTCOMES
    path: tuple[str, ...]
    language: str
    queue: str | None = None
    intent: str | None = None
    priority: float = 0.0
    attributes: dict[str, str] = field(default_factory=dict)
    rating: int | None = None
    customer_id: int | None = None  # when a typed phone or account number identified them


def _prompt_lists(node: Node) -> list[tuple[PromptItem, ...]]:
    if isinstance(node, Play | Finish):
        return [node.prompt]
    if isinstance(node, Menu | Collect):
        return [node.prompt, node.invalid]
    return []
