"""The routing core and the agent state machine are sans-I/O (DESIGN.md, convention 1).

AST scan: no module under routing/ or agents/ imports asyncio, a database, web or Redis
client, or the clock, and none calls ``datetime.now()`` & co. Time is passed in.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("routing", "agents")
FORBIDDEN_MODULES = {
    "asyncio", "sqlalchemy", "fastapi", "starlette", "redis", "time", "aiosqlite", "asyncpg",
    "socket", "httpx", "websockets", "uvicorn", "anyio", "threading",
}  # fmt: skip
CLOCK_CALLS = {"now", "utcnow", "today", "fromtimestamp"}
# I/O adapters that live in these packages on purpose (e.g. a Redis store, the agent
# websocket hub) must be listed here explicitly, relative to the repository root.
IO_ADAPTERS: set[str] = set()


def core_modules() -> list[Path]:
    files = [p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))]
    return [p for p in files if p.relative_to(ROOT).as_posix() not in IO_ADAPTERS]


def violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            if name.split(".")[0] in FORBIDDEN_MODULES:
                found.append(f"line {node.lineno}: imports {name}")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in CLOCK_CALLS
        ):
            owner = ast.unparse(node.func.value)
            if owner.split(".")[-1] in {"datetime", "date"}:
                found.append(f"line {node.lineno}: reads the clock ({owner}.{node.func.attr})")
    return found


def test_there_are_modules_to_scan():
    names = {p.name for p in core_modules()}
    assert {"engine.py", "policy.py", "state.py"} <= names


@pytest.mark.parametrize("path", core_modules(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_core_module_is_sans_io(path: Path):
    assert violations(path) == []


def test_the_scanner_catches_what_it_should(tmp_path: Path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import asyncio\nfrom redis.asyncio import Redis\nimport time as t\n"
        "from datetime import datetime\nx = datetime.now()\n"
    )
    assert len(violations(bad)) == 4


def test_importing_the_core_loads_no_io_framework():
    code = (
        "import sys, routing, agents.state;"
        "bad = {'asyncio','sqlalchemy','fastapi','starlette','redis'} & set(sys.modules);"
        "print(sorted(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
