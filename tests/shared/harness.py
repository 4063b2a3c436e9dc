"""Several `hotline serve` processes sharing one PostgreSQL database and one Redis prefix.

Each test gets a fresh database (created, migrated, dropped) and its own key prefix (deleted
afterwards); processes are real subprocesses on free ports, HTTP and websockets only.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as aioredis

from app.auth import passwords
from app.db.engine import make_engine, make_sessionmaker
from app.db.migrate import upgrade_async
from app.db.models import Interaction
from app.db.types import utcnow
from app.db.uow import uow_factory
from config.settings import Settings
from tests.conftest import PASSWORD, _pg_admin, _pg_url, add_agent

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("HOTLINE_TEST_REDIS", "redis://127.0.0.1:6379/0")
HOTLINE = [
    sys.executable,
    "-c",
    "import sys; from app.cli import main; sys.argv[0] = 'hotline'; main()",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Node:
    """One server process."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.ws = f"ws://127.0.0.1:{self.port}"
        self.log = log
        self._out = log.open("ab")
        self.proc = subprocess.Popen(
            [*HOTLINE, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    async def ready(self, timeout: float = 60.0) -> None:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.base) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server exited: {self.log.read_text()[-3000:]}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/api/health")).status_code == 200:
                        return
                await asyncio.sleep(0.2)
        raise TimeoutError(f"server not ready: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown of any kind."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._out.close()

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None


class SharedCluster:
    """A fresh database and key prefix; nodes started with :meth:`add`."""

    def __init__(self, tmp: Path, redis_url: str = REDIS_URL, **env: str) -> None:
        self.tmp = tmp
        self.db = f"hotline_shared_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.url = _pg_url(self.db)
        self.prefix = f"hotline-test-{uuid.uuid4().hex[:8]}:"
        self.redis_url = redis_url
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
        self.env |= {
            "HOTLINE_DATABASE_URL": self.url,
            "HOTLINE_REDIS_URL": redis_url,
            "HOTLINE_REDIS_PREFIX": self.prefix,
            "HOTLINE_SIP_ENABLED": "false",
            "HOTLINE_SECRET_KEY": "shared-test-secret",
            "HOTLINE_VAR_DIR": str(tmp / "var"),
        } | env
        self.nodes: list[Node] = []
        self.tokens: dict[str, str] = {}

    async def create(self, agents: dict[str, dict[str, Any]]) -> None:
        """The database with an admin and ``agents`` (username -> fields)."""
        await _pg_admin(f'CREATE DATABASE "{self.db}"')
        await upgrade_async(self.url)
        engine = make_engine(Settings(database_url=self.url))
        factory = uow_factory(make_sessionmaker(engine))
        # Cheap argon2 parameters ride in the hash: the servers check them cheaply too.
        hasher, passwords._hasher = (
            passwords._hasher,
            passwords.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
        )
        try:
            await add_agent(factory, "admin", "admin")
            for name, fields in agents.items():
                await add_agent(factory, name, "agent", **fields)
        finally:
            passwords._hasher = hasher
            await engine.dispose()

    async def orphan(self, customer_id: int, queue: str, seconds_ago: float) -> int:
        """A queued contact's row with no routing behind it: what a process leaves when it
        dies between committing an arrival and appending it to the command log."""
        engine = make_engine(Settings(database_url=self.url))
        try:
            async with uow_factory(make_sessionmaker(engine))() as uow:
                row = Interaction(
                    customer_id=customer_id,
                    channel="voice",
                    status="queued",
                    queue=queue,
                    from_address="+8613912345678",
                    created_at=utcnow() - timedelta(seconds=seconds_ago),
                )
                uow.session.add(row)
                await uow.session.flush()
                return int(row.id)
        finally:
            await engine.dispose()

    async def add(self, count: int = 1) -> list[Node]:
        new = [Node(self.env, self.tmp / f"node{len(self.nodes) + i}.log") for i in range(count)]
        self.nodes += new
        await asyncio.gather(*(n.ready() for n in new))
        return new

    async def token(self, username: str, node: Node | None = None) -> str:
        if username not in self.tokens:
            async with httpx.AsyncClient(base_url=(node or self.nodes[0]).base) as client:
                r = await client.post(
                    "/api/auth/login", json={"username": username, "password": PASSWORD}
                )
                r.raise_for_status()
                self.tokens[username] = r.json()["access_token"]
        return self.tokens[username]

    async def close(self) -> None:
        for node in self.nodes:
            node.stop()
        r = aioredis.from_url(self.redis_url)
        try:
            keys = [k async for k in r.scan_iter(match=f"{self.prefix}*")]
            if keys:
                await r.delete(*keys)
        finally:
            await r.aclose()
        await _pg_admin(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')
