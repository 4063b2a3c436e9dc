"""Shared mode replicates the live state by applying one command log in every process
(docs/scale-out.md). These check what that rests on: a command recorded on one process and
applied from its pickled form gives the same decisions and the same state in every copy —
the router's stateful property test run through the log — and in processes with different
string hash seeds (PYTHONHASHSEED), where set iteration orders differ."""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import inspect
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings

from app.shared.router import COMMANDS, SharedRouter, apply_calls, recording
from routing import Router
from tests.unit.test_routing_stateful import RouterMachine

ROOT = Path(__file__).resolve().parents[2]


def canonical(value: Any) -> Any:
    """Decisions as plain data, sets sorted: equal across processes iff the same facts."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return [type(value).__name__, fields]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return sorted([repr(k), canonical(v)] for k, v in value.items())
    if isinstance(value, set | frozenset):
        return sorted(repr(canonical(v)) for v in value)
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    return value


class Replicated:
    """Two copies of the router fed by one log: each command is recorded, pickled as the
    log carries it, and applied to both; their decisions must agree."""

    def __init__(self, router: Router) -> None:
        self.primary = pickle.loads(pickle.dumps(router))
        self.primary.__class__ = SharedRouter
        self.replica = pickle.loads(pickle.dumps(self.primary))

    def __getattr__(self, name: str) -> Any:
        if name not in COMMANDS:
            return getattr(self.primary, name)

        def command(*args: Any, **kwargs: Any) -> Any:
            calls: list[Any] = []
            token = recording.set(calls)
            try:
                getattr(self.primary, name)(*args, **kwargs)
            finally:
                recording.reset(token)
            logged = pickle.loads(pickle.dumps(calls))  # what another process reads
            outcome = []
            for router in (self.primary, self.replica):
                try:
                    outcome.append(("ok", apply_calls(router, pickle.loads(pickle.dumps(logged)))))
                except Exception as exc:  # the same refusal in every copy
                    outcome.append(("error", exc))
            (kind, first), (kind2, second) = outcome
            assert kind == kind2, outcome
            if kind == "error":
                assert type(first) is type(second) and str(first) == str(second)
                raise first
            assert canonical(first) == canonical(second), "copies diverged"
            assert canonical(list(self.primary.store.routes())) == canonical(
                list(self.replica.store.routes())
            )
            return first

        return command


class ReplicatedMachine(RouterMachine):
    def __init__(self) -> None:
        super().__init__()
        self.router = Replicated(self.router)  # type: ignore[assignment]
        self.store = self.router.store


ReplicatedMachine.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestRouterThroughTheLog = ReplicatedMachine.TestCase


def test_the_same_log_gives_the_same_decisions_under_other_hash_seeds() -> None:
    """Processes start with random string hash seeds: sets of agent ids iterate in other
    orders. The same commands must still give the same decisions everywhere."""
    digests = set()
    for seed in ("1", "2", "31337"):
        env = os.environ | {"PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-m", "tests.shared.replay"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        result = json.loads(out.stdout)
        assert result["decisions"] > 500  # a run that decided things, not an empty one
        digests.add(result["digest"])
    assert len(digests) == 1, digests


def digest(decisions: list[Any]) -> str:
    return hashlib.sha256(json.dumps(canonical(decisions), default=repr).encode()).hexdigest()


def test_every_router_command_goes_through_the_log() -> None:
    """A router method that changes state and is missing from COMMANDS would run on one
    process only: the copies would drift apart. Every public method taking ``now`` is a
    command, except the read-only ones listed here."""
    reads = {"snapshot"}
    taking_now = {
        name
        for name, fn in inspect.getmembers(Router, inspect.isfunction)
        if not name.startswith("_") and "now" in inspect.signature(fn).parameters
    }
    assert taking_now - reads == set(COMMANDS)
