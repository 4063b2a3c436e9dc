"""A count of the SQL statements the server sends, for the benchmarks only.

`HOTLINE_BENCH_SQL_COUNTER=<file>` (set by bench/chat_bench.py, never in production) makes the
engine count every statement it executes into the first 8 bytes of that file, a shared memory
map: the bench reads it before and after its window without asking the server anything.
Unset, nothing is installed and nothing is counted.
"""

from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

ENV = "HOTLINE_BENCH_SQL_COUNTER"
_FORMAT = "<Q"
Listener = Callable[[int, str], None]
_listeners: list[Listener] = []  # benchmarks' counters of statements run around SQLAlchemy


def listen(listener: Listener) -> None:
    """Also tell ``listener(statements, sql)`` of the statements that bypass SQLAlchemy's
    execution events (app/db/prepared.py); for benchmarks."""
    _listeners.append(listener)


def stop_listening(listener: Listener) -> None:
    """No longer tell ``listener`` (tests that count the statements of one piece of work)."""
    if listener in _listeners:
        _listeners.remove(listener)


def note(statements: int, sql: str) -> None:
    """Statements run on the driver directly; nothing to do unless a benchmark listens."""
    for listener in _listeners:
        listener(statements, sql)


def install_from_env(engine: AsyncEngine) -> None:
    """Count statements into the file named by the environment variable, if it is set."""
    path = os.environ.get(ENV)
    if not path:
        return
    with open(path, "a+b") as f:
        f.truncate(8)
        counter = mmap.mmap(f.fileno(), 8)
    state = [struct.unpack_from(_FORMAT, counter)[0]]

    def add(statements: int, _sql: str = "") -> None:
        state[0] += statements
        struct.pack_into(_FORMAT, counter, 0, state[0])

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _count(*_args: Any) -> None:
        add(1)

    listen(add)


def read(path: str) -> int:
    """The count written so far (0 for a file not there yet)."""
    try:
        with open(path, "rb") as f:
            data = f.read(8)
    except FileNotFoundError:
        return 0
    return struct.unpack(_FORMAT, data)[0] if len(data) == 8 else 0
