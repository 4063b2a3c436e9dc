"""Shared fixtures: real PostgreSQL and SQLite databases built by alembic, the ASGI app, logins.

PostgreSQL: one database per test session (created, migrated, dropped); integration tests run
inside a transaction that is rolled back; e2e tests commit for real and the tables are emptied
after each test. SQLite: a migrated template file copied per test.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from app.auth.passwords import hash_password
from app.db.engine import make_engine, make_sessionmaker
from app.db.migrate import upgrade
from app.db.models import Agent, Base
from app.db.uow import UnitOfWork
from app.main import create_app
from config.settings import Settings

# Timing belongs in bench/; a loaded CI machine must not fail a property on a slow example.
hypothesis_settings.register_profile("hotline", deadline=None)
hypothesis_settings.load_profile("hotline")

PG_ADMIN = os.environ.get("HOTLINE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
PASSWORD = "correct-horse-1"
BACKENDS = ["sqlite", "postgres"]


def _pg_url(name: str) -> str:
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}"


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def run_in_thread(coro: Any) -> Any:
    """Run a coroutine to completion from sync code even while the test loop is running."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    name = f"hotline_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    run_in_thread(_pg_admin(f'CREATE DATABASE "{name}"'))
    url = _pg_url(name)
    try:
        upgrade(url)
        yield url
    finally:
        run_in_thread(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "hotline.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


async def _truncate(url: str) -> None:
    engine = create_async_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    try:
        for attempt in (1, 2):
            try:
                async with engine.begin() as conn:
                    await conn.execute(text("SET LOCAL lock_timeout = '15s'"))
                    await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
                return
            except DBAPIError as exc:
                if attempt == 2 or "lock timeout" not in str(exc):
                    raise
                # A connection a test's server left behind mid-statement (its task cancelled
                # at shutdown) holds a lock on the tables: end it. This test database's only.
                async with engine.begin() as conn:
                    await conn.execute(
                        text(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                        )
                    )
    finally:
        await engine.dispose()


@pytest.fixture(params=BACKENDS)
async def db_url(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """A committed-for-real database on each backend, empty at the start of the test."""
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_url")
        return
    url = request.getfixturevalue("pg_url")
    await _truncate(url)
    yield url
    await _truncate(url)


@pytest.fixture(params=BACKENDS)
async def uow_factory(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """Integration tests run on both backends.

    PostgreSQL: one outer transaction rolled back at the end; the services' commits become
    savepoint releases, so tests see real constraints and SQL. SQLite: a fresh migrated copy.
    """
    if request.param == "sqlite":
        engine = make_engine(Settings(database_url=request.getfixturevalue("sqlite_url")))
        maker = make_sessionmaker(engine)
        yield lambda: UnitOfWork(maker)
        await engine.dispose()
        return
    engine = create_async_engine(request.getfixturevalue("pg_url"))
    async with engine.connect() as conn:
        outer = await conn.begin()
        maker = async_sessionmaker(
            bind=conn,
            expire_on_commit=False,
            autoflush=False,
            join_transaction_mode="create_savepoint",
            class_=AsyncSession,
        )
        yield lambda: UnitOfWork(maker)
        await outer.rollback()
    await engine.dispose()


async def add_agent(uow_factory: Any, username: str, role: str = "agent", **fields: Any) -> int:
    async with uow_factory() as uow:
        agent = Agent(
            username=username,
            display_name=fields.pop("display_name", username.title()),
            password_hash=hash_password(PASSWORD),
            role=role,
            skills=fields.pop("skills", {}),
            languages=fields.pop("languages", ["zh", "en"]),
            **fields,
        )
        uow.session.add(agent)
        await uow.session.flush()
        return agent.id


def make_settings(db_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(
        database_url=db_url,
        var_dir=tmp_path / "var",
        secret_key="test-secret",
        **overrides,
    )


class Api:
    """An httpx client on the ASGI app with logins by username."""

    def __init__(self, client: httpx.AsyncClient, app: Any) -> None:
        self.client = client
        self.app = app
        self.tokens: dict[str, str] = {}

    @property
    def uow(self) -> Any:
        return self.app.state.hotline.uow

    async def login(self, username: str, password: str = PASSWORD) -> dict[str, str]:
        if username not in self.tokens:
            r = await self.client.post(
                "/api/auth/login", json={"username": username, "password": password}
            )
            assert r.status_code == 200, r.text
            self.tokens[username] = r.json()["access_token"]
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    async def request(self, method: str, url: str, as_: str = "admin", **kw: Any) -> httpx.Response:
        headers = await self.login(as_) if as_ else {}
        return await self.client.request(method, url, headers=headers, **kw)


@contextlib.asynccontextmanager
async def api_on(settings: Settings) -> AsyncIterator[Api]:
    """The app in process with an admin, a supervisor and an agent (alice)."""
    app = create_app(settings, migrate=False)
    async with app.router.lifespan_context(app):
        factory = app.state.hotline.uow
        await add_agent(factory, "admin", "admin")
        await add_agent(factory, "super", "supervisor")
        await add_agent(factory, "alice", "agent", skills={"service": 4})
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hotline") as client:
            yield Api(client, app)


@pytest.fixture
async def api(db_url: str, tmp_path: Path) -> AsyncIterator[Api]:
    async with api_on(make_settings(db_url, tmp_path)) as api:
        yield api


@pytest.fixture(autouse=True)
def _no_leaked_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Tests build Settings explicitly; a developer's HOTLINE_* must not leak in.
    for key in list(os.environ):
        if key.startswith("HOTLINE_") and key != "HOTLINE_TEST_PG":
            monkeypatch.delenv(key)
    yield


class LiveServer(Api):
    """The app served by uvicorn on a real port: real HTTP and real websockets."""

    def __init__(self, client: httpx.AsyncClient, app: Any, base_url: str) -> None:
        super().__init__(client, app)
        self.base_url = base_url
        self.ws_url = base_url.replace("http://", "ws://")


async def start_live_server(app: Any) -> tuple[Any, asyncio.Task[None], str]:
    import uvicorn

    # A page a browser test leaves open keeps its websocket: shutdown stops waiting for such
    # connections after a few seconds (a CI run once spent its whole 10 s teardown on them).
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=3,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, task, f"http://127.0.0.1:{port}"


@pytest.fixture
async def live_settings(db_url: str, tmp_path: Path) -> Settings:
    """Override in a test module to change settings (e.g. a short offer timeout)."""
    return make_settings(db_url, tmp_path)


@pytest.fixture
async def live(live_settings: Settings) -> AsyncIterator[LiveServer]:
    """A real server on 127.0.0.1 with admin, super (supervisor) and alice (agent)."""
    app = create_app(live_settings, migrate=False)
    server, task, base_url = await start_live_server(app)
    try:
        factory = app.state.hotline.uow
        await add_agent(factory, "admin", "admin")
        await add_agent(factory, "super", "supervisor")
        await add_agent(factory, "alice", "agent", skills={"service": 4})
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
            yield LiveServer(client, app, base_url)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 20)
