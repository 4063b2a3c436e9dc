"""The IVR flow engine: runs one caller through a :class:`ivr.flow.model.Flow`.

Pure and clock-free, like the routing core: the host (the call) tells a :class:`FlowRun`
what happened — the prompts it asked for finished playing, a key was pressed, a lookup
came back, time passed (``now`` is always passed in) — and carries out the actions it gets
back: play prompts, stop playing (the caller barged in), look something up, finish. When
the run waits for a key, :attr:`FlowRun.deadline` says when :meth:`FlowRun.tick` should be
called next.

Every node entered, key pressed, timeout, lookup result and the outcome are recorded in
:attr:`FlowRun.path` — the interaction's IVR path, shown in the screen pop.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from ivr.flow.model import (
    Branch,
    Collect,
    Finish,
    Flow,
    Lookup,
    Menu,
    Outcome,
    Play,
    PromptItem,
    Value,
)

MAX_PATH = 50  # the record keeps this many entries (the API's ivr_path holds as many)
MAX_HOPS = 64  # nodes entered without waiting for anything: a loop in the flow
TYPE_AHEAD = 8  # keys kept while no menu asks for one
DIGIT_NAMES = {"*": "star", "#": "pound"}


@dataclass(frozen=True)
class Prompt:
    """A prompt to play: its name in a language's set (``config/prompts/<language>/``)."""

    language: str
    name: str


@dataclass(frozen=True)
class PlayPrompts:
    """Play these in order, then call :meth:`FlowRun.played`. ``barge_in``: a key stops
    them (the run then asks for :class:`StopPlaying` itself)."""

    prompts: tuple[Prompt, ...]
    barge_in: bool


@dataclass(frozen=True)
class StopPlaying:
    """The caller pressed a key during an interruptible prompt: stop it now."""


@dataclass(frozen=True)
class LookupRequest:
    """Look this up and answer with :meth:`FlowRun.looked_up`: ``kind`` caller (by the
    calling number), number (a typed phone or account number) or complaint (``value``:
    the typed number)."""

    kind: str
    value: str | None


@dataclass(frozen=True)
class Done:
    outcome: Outcome


Action = PlayPrompts | StopPlaying | LookupRequest | Done
State = Literal["new", "playing", "prompting", "waiting", "lookup", "finishing", "done"]


class FlowRun:
    """One caller's way through one flow.

    Args:
        flow: the flow to run.
        language: the prompts' language until the caller chooses one (variable
            ``language``).
        variables: what is known at the start (for example ``caller.number``).
        max_rating: the highest survey score.
    """

    def __init__(
        self,
        flow: Flow,
        language: str,
        variables: Mapping[str, Value] | None = None,
        max_rating: int = 5,
    ) -> None:
        self.flow = flow
        self.vars: dict[str, Value] = {"language": language, **(variables or {})}
        self.max_rating = max_rating
        self.path: list[str] = []
        self.state: State = "new"
        self.deadline: float | None = None
        self.outcome: Outcome | None = None
        self._node = flow.start
        self._tries = 0
        self._buffer = ""
        self._invalid = False  # the prompt being replayed follows a wrong key
        self._ahead: list[str] = []  # keys typed ahead of the menu that takes them

    @property
    def language(self) -> str:
        return str(self.vars.get("language") or "")

    @property
    def typed_ahead(self) -> tuple[str, ...]:
        """Keys typed ahead that no menu has taken (yet): after the outcome, what the caller
        typed beyond it (the host may act on it: a callback key typed ahead of the queue)."""
        return tuple(self._ahead)

    # --- what the host reports -----------------------------------------------------------
    def start(self, now: float) -> list[Action]:
        """Begin at the flow's start node."""
        if self.state != "new":
            return []
        return self._enter(self.flow.start, now)

    def played(self, now: float) -> list[Action]:
        """The prompts last asked for finished (or there was nothing to play)."""
        node = self.flow.nodes[self._node]
        if self.state == "playing" and isinstance(node, Play):
            return self._enter(node.next, now)
        if self.state == "prompting" and isinstance(node, Menu | Collect):
            self.state = "waiting"
            self.deadline = now + node.timeout
            return []
        if self.state == "finishing" and isinstance(node, Finish):
            return self._finish(node)
        return []

    def digit(self, key: str, now: float) -> list[Action]:
        """A key pressed (RFC 4733 event). Keys pressed while nothing asks for one (an
        announcement plays, a lookup runs) are kept, up to :data:`TYPE_AHEAD`, for the next
        menu or input: callers who know the menu type ahead."""
        if len(key) != 1 or key not in "0123456789*#" or self.state in ("done", "finishing"):
            return []
        node = self.flow.nodes[self._node]
        if self.state not in ("prompting", "waiting") or not isinstance(node, Menu | Collect):
            if len(self._ahead) < TYPE_AHEAD:
                self._ahead.append(key)
            return []
        out: list[Action] = [StopPlaying()] if self.state == "prompting" else []
        self.state = "waiting"
        if isinstance(node, Menu):
            return out + self._menu_key(node, key, now)
        return out + self._collect_key(node, key, now)

    def tick(self, now: float) -> list[Action]:
        """Time passed: a timeout that is due fires."""
        if self.state != "waiting" or self.deadline is None or now < self.deadline:
            return []
        self.deadline = None
        node = self.flow.nodes[self._node]
        if isinstance(node, Collect) and len(self._buffer) >= node.min:
            return self._collected(node, now)
        self._record(f"{self._node}: timeout")
        assert isinstance(node, Menu | Collect)
        return self._retry(node, now, invalid=False)

    def looked_up(self, found: Mapping[str, Value] | None, now: float) -> list[Action]:
        """The answer to a :class:`LookupRequest`: the variables learnt (``customer.grade``,
        ``complaint.status``, ...), or None when nothing was found."""
        node = self.flow.nodes[self._node]
        if self.state != "lookup" or not isinstance(node, Lookup):
            return []
        prefix = "complaint" if node.kind == "complaint" else "customer"
        self.vars[f"{prefix}.found"] = found is not None
        if found is None:
            self._record(f"{self._node}: not found")
            return self._enter(node.missing, now)
        self.vars.update(found)
        self._record(f"{self._node}: found")
        return self._enter(node.next, now)

    # --- moving through the nodes --------------------------------------------------------
    def _enter(self, name: str, now: float) -> list[Action]:
        hops = 0
        while True:
            hops += 1
            if hops > MAX_HOPS:
                return self._finish(Finish("hangup"), note="hang up (a loop in the flow)")
            self._node, self._tries, self._buffer, self._invalid = name, 0, "", False
            self.deadline = None
            node = self.flow.nodes[name]
            self._record(name)
            if isinstance(node, Branch):
                name = self._branch(node)
                continue
            if isinstance(node, Lookup):
                self.state = "lookup"
                value = None if node.input is None else _text(self.vars.get(node.input))
                return [LookupRequest(node.kind, value)]
            if isinstance(node, Play):
                prompts = self._prompts(node.prompt)
                if not prompts:
                    name = node.next
                    continue
                self.state = "playing"
                return [PlayPrompts(prompts, barge_in=False)]
            if isinstance(node, Menu | Collect):
                return self._prompt(node, now)
            self.state = "finishing"
            prompts = self._prompts(node.prompt)
            if prompts:
                return [PlayPrompts(prompts, barge_in=False)]
            return self._finish(node)

    def _prompt(self, node: Menu | Collect, now: float) -> list[Action]:
        if self._ahead and not self._invalid:
            # Keys typed ahead answer this menu before its prompt is played.
            self.state = "waiting"
            name, out = self._node, list[Action]()
            while self._ahead and self._node == name and self.state == "waiting":
                key = self._ahead.pop(0)
                if isinstance(node, Menu):
                    out += self._menu_key(node, key, now)
                else:
                    out += self._collect_key(node, key, now)
            if self._node != name or self.state != "waiting":
                return out  # answered (or asked again after a wrong key)
            if self._buffer:
                self.deadline = now + node.timeout  # part of a number typed: wait for more
                return out
        items = (node.invalid if self._invalid else ()) + node.prompt
        prompts = self._prompts(items)
        if not prompts:
            self.state = "waiting"
            self.deadline = now + node.timeout
            return []
        self.state = "prompting"
        return [PlayPrompts(prompts, barge_in=True)]

    def _retry(self, node: Menu | Collect, now: float, invalid: bool) -> list[Action]:
        self._tries += 1
        self._buffer = ""
        if invalid:
            self._ahead.clear()  # what was typed after a wrong key is not trusted
        if self._tries > node.retries:
            self._record(f"{self._node}: no choice")
            return self._enter(node.fail, now)
        self._invalid = invalid
        return self._prompt(node, now)

    def _menu_key(self, node: Menu, key: str, now: float) -> list[Action]:
        option = node.options.get(key)
        if option is None:
            self._record(f"{self._node}: {key} (no such choice)")
            return self._retry(node, now, invalid=True)
        self._record(f"{self._node}: {key}")
        for var, value in option.set:
            self.vars[var] = value
        return self._enter(option.goto, now)

    def _collect_key(self, node: Collect, key: str, now: float) -> list[Action]:
        if key == node.end:
            if len(self._buffer) >= node.min:
                return self._collected(node, now)
            if not self._buffer:  # the end key alone: the caller skips the question
                self._record(f"{self._node}: skipped")
                return self._enter(node.fail, now)
            self._record(f"{self._node}: too short")
            return self._retry(node, now, invalid=True)
        if not key.isdigit():
            return []  # '*' in a number: ignored
        self._buffer += key
        if len(self._buffer) >= node.max:
            return self._collected(node, now)
        self.deadline = now + node.timeout
        return []

    def _collected(self, node: Collect, now: float) -> list[Action]:
        self.vars[node.into] = self._buffer
        # The digits themselves are recorded (the interaction is the customer's own record).
        self._record(f"{self._node}: {self._buffer}")
        return self._enter(node.next, now)

    def _branch(self, node: Branch) -> str:
        for case in node.cases:
            if all(_text(self.vars.get(var)) in values for var, values in case.tests):
                return case.goto
        return node.otherwise

    def _finish(self, node: Finish, note: str | None = None) -> list[Action]:
        kind = node.kind
        rating: int | None = None
        if kind == "rating":
            score = _text(self.vars.get(node.rating or ""))
            if score.isdigit() and 1 <= int(score) <= self.max_rating:
                rating = int(score)
            else:
                kind = "hangup"  # no score given: nothing to record
        summary = {
            "queue": f"queue {node.queue}",
            "hangup": "hang up",
            "rating": f"rating {rating}",
        }[kind]
        self._record(note or summary, last=True)
        customer = self.vars.get("customer.id")
        self.outcome = Outcome(
            kind=kind,
            path=tuple(self.path),
            language=self.language,
            queue=node.queue,
            intent=node.intent,
            priority=node.priority,
            attributes={k: self._fill(v) for k, v in node.attributes},
            rating=rating,
            customer_id=int(customer) if isinstance(customer, int) else None,
        )
        self.state = "done"
        self.deadline = None
        return [Done(self.outcome)]

    # --- prompts and the path ------------------------------------------------------------
    def _prompts(self, items: tuple[PromptItem, ...]) -> tuple[Prompt, ...]:
        out: list[Prompt] = []
        for item in items:
            if item.digits is not None:
                for ch in _text(self.vars.get(item.digits)):
                    if ch.isdigit() or ch in DIGIT_NAMES:
                        out.append(Prompt(self.language, f"digit_{DIGIT_NAMES.get(ch, ch)}"))
                continue
            name = self._fill(item.name)
            language, slash, rest = name.partition("/")
            if slash:
                out.append(Prompt(language, rest))
            else:
                out.append(Prompt(self.language, name))
        return tuple(out)

    def _fill(self, template: str) -> str:
        """``{var}`` placeholders replaced by the variables' values (as text)."""
        if "{" not in template:
            return template
        out, rest = [], template
        while "{" in rest:
            before, _, after = rest.partition("{")
            var, close, rest = after.partition("}")
            out.append(before)
            out.append(_text(self.vars.get(var)) if close else "")
        out.append(rest)
        return "".join(out)

    def _record(self, entry: str, last: bool = False) -> None:
        if last:
            if len(self.path) >= MAX_PATH:
                self.path[-1] = entry
            else:
                self.path.append(entry)
        elif len(self.path) < MAX_PATH - 2:
            self.path.append(entry)
        elif len(self.path) == MAX_PATH - 2:
            self.path.append("…")  # the rest is left out; the outcome still comes last


def _text(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)
