"""Logins under attack, revocable tokens, the last admin, and staff changes in parallel
(issue 9: items 1, 4, 6, 8, 12), on both databases."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import event, select

from app.auth import passwords
from app.db.models import Agent, AuditEntry
from app.main import create_app
from tests.conftest import PASSWORD, Api, add_agent, make_settings
from tests.helpers import assert_error, cheap_argon2  # noqa: F401  (autouse fixture)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@asynccontextmanager
async def serve(db_url: str, tmp_path: Path, **overrides: Any) -> AsyncIterator[Api]:
    """The app over ASGI (as the `api` fixture) with settings of the test's own; requests come
    from 10.0.0.1, the login guard runs on a fake clock (`api.clock`)."""
    app = create_app(make_settings(db_url, tmp_path, **overrides), migrate=False)
    async with app.router.lifespan_context(app):
        factory = app.state.hotline.uow
        await add_agent(factory, "admin", "admin")
        await add_agent(factory, "super", "supervisor")
        await add_agent(factory, "alice", "agent", skills={"service": 4})
        clock = Clock()
        app.state.hotline.logins.clock = clock
        async with client_from(app, "10.0.0.1") as client:
            api = Api(client, app)
            api.clock = clock  # type: ignore[attr-defined]
            yield api


def client_from(app: Any, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://hotline")


async def login(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post("/api/auth/login", json={"username": username, "password": password})


async def agent_row(api: Api, username: str) -> Agent:
    async with api.uow() as uow:
        stmt = select(Agent).where(Agent.username == username)
        return (await uow.session.execute(stmt)).scalar_one()


async def audit(api: Api, action: str) -> list[AuditEntry]:
    async with api.uow() as uow:
        stmt = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        return list((await uow.session.execute(stmt)).scalars())


# --- item 1: logins ---------------------------------------------------------------------


async def test_a_flood_of_wrong_logins_does_not_stall_the_server(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Real argon2 cost, and limits high enough that every attempt is hashed.
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher())
    times = []
    for _ in range(3):
        started = time.perf_counter()
        passwords.verify_password(passwords.dummy_hash(), "wrong")
        times.append(time.perf_counter() - started)
    hash_time = statistics.median(times)
    async with serve(
        db_url, tmp_path, login_address_failures=10_000, login_account_failures=10_000
    ) as api:
        await add_agent(api.uow, "bob", "agent")  # hashed at full cost
        gate = asyncio.Semaphore(16)

        async def wrong(i: int) -> int:
            async with gate:
                name = "bob" if i % 2 else f"nobody{i}"
                return (await login(api.client, name, "wrong-password")).status_code

        flood = asyncio.gather(*(wrong(i) for i in range(32)))
        latencies: list[float] = []
        while not flood.done():
            t0 = time.perf_counter()
            r = await api.client.get("/api/health")
            latencies.append(time.perf_counter() - t0)
            assert r.status_code == 200, r.text
        assert await flood == [401] * 32
    assert len(latencies) >= 5
    # Before: every health check waited for the hashes on the event loop (and, on SQLite,
    # for the connection the logins held while hashing).
    assert statistics.median(latencies) < hash_time / 2, (hash_time, latencies)


async def test_failed_logins_are_throttled_per_address(db_url: str, tmp_path: Path) -> None:
    async with serve(db_url, tmp_path, login_address_failures=5, login_window_seconds=600) as api:
        for i in range(5):
            assert_error(await login(api.client, f"user{i}", "guess"), 401)
        api.clock.advance(100)  # type: ignore[attr-defined]
        r = await login(api.client, "admin", "guess")
        assert_error(r, 429, "too many failed logins from this address", "try again in 500 s")
        assert r.headers["retry-after"] == "500"
        assert r.json()["retry_after"] == 500
        # The right password too: the address is refused before any password is checked.
        assert_error(await login(api.client, "alice", PASSWORD), 429)
        # Another address is not.
        async with client_from(api.app, "10.0.0.2") as other:
            assert (await login(other, "alice", PASSWORD)).status_code == 200
        # Once the failures leave the window, the address may try again.
        api.clock.advance(500)  # type: ignore[attr-defined]
        assert (await login(api.client, "alice", PASSWORD)).status_code == 200


async def test_successful_logins_from_one_address_are_never_throttled(
    db_url: str, tmp_path: Path
) -> None:
    async with serve(db_url, tmp_path, login_address_failures=3, login_account_failures=3) as api:
        for i in range(12):
            await add_agent(api.uow, f"agent{i}", "agent")
        # A whole floor signs in from one address behind NAT: four times the failure limit,
        # the same agents again and again, all at once.
        names = [f"agent{i % 12}" for i in range(48)]
        answers = await asyncio.gather(*(login(api.client, n, PASSWORD) for n in names))
        assert [r.status_code for r in answers] == [200] * 48
        # A typo now and then does not add up across the day: a success clears the account's.
        for _ in range(4):
            assert (await login(api.client, "alice", "typo")).status_code == 401
            assert (await login(api.client, "alice", PASSWORD)).status_code == 200
            api.clock.advance(3600)  # type: ignore[attr-defined]


async def test_repeated_failures_lock_the_account_and_are_audited(
    db_url: str, tmp_path: Path
) -> None:
    async with serve(db_url, tmp_path, login_account_failures=3, login_lockout_seconds=120) as api:
        alice = await agent_row(api, "alice")
        # From three addresses: the lock is the account's, wherever the guesses come from.
        for i in range(3):
            async with client_from(api.app, f"10.0.1.{i}") as c:
                assert_error(
                    await login(c, "alice", f"guess{i}"), 401, "wrong username or password"
                )
        r = await login(api.client, "alice", PASSWORD)  # even the right password
        message = assert_error(r, 429, "too many failed logins for this account")
        assert r.headers["retry-after"] == "120"
        # An unknown username answers the same: the lock does not tell which names exist.
        for i in range(3):
            assert (await login(api.client, "nobody", f"guess{i}")).status_code == 401
        unknown = await login(api.client, "nobody", PASSWORD)
        assert (unknown.status_code, unknown.headers["retry-after"]) == (429, "120")
        assert unknown.json() == r.json() and unknown.json()["message"] == message
        # Other accounts are not locked.
        assert (await login(api.client, "super", PASSWORD)).status_code == 200
        locks = await audit(api, "auth.lockout")
        assert [(a.entity, a.entity_id) for a in locks] == [
            ("agent", str(alice.id)),
            ("agent", None),
        ]
        assert locks[0].detail["username"] == "alice" and locks[0].detail["seconds"] == 120
        assert locks[0].actor_id is None
        api.clock.advance(119)  # type: ignore[attr-defined]
        assert_error(await login(api.client, "alice", PASSWORD), 429, "try again in 1 s")
        api.clock.advance(1)  # type: ignore[attr-defined]
        assert (await login(api.client, "alice", PASSWORD)).status_code == 200


async def test_parallel_guesses_cannot_slip_past_the_lock(db_url: str, tmp_path: Path) -> None:
    async with serve(db_url, tmp_path, login_account_failures=5) as api:
        answers = await asyncio.gather(*(login(api.client, "alice", f"g{i}") for i in range(20)))
        codes = [r.status_code for r in answers]
        # Each is checked again when its hash's turn comes: only the guesses being hashed when
        # the fifth failed (the pool's threads) get past the limit.
        threads = api.app.state.hotline.settings.password_hash_threads
        assert 5 <= codes.count(401) < 5 + threads, codes
        assert codes.count(401) + codes.count(429) == 20
        assert_error(await login(api.client, "alice", PASSWORD), 429)


def test_unknown_usernames_are_checked_against_a_hash_of_the_same_cost() -> None:
    hasher = PasswordHasher()
    passwords._hasher = hasher  # restored by the cheap_argon2 fixture
    assert not hasher.check_needs_rehash(passwords.dummy_hash())


# --- item 12: passwords as typed --------------------------------------------------------


async def test_passwords_are_not_trimmed(api: Api) -> None:
    assert_error(await login(api.client, "alice", f" {PASSWORD} "), 401)
    assert_error(await login(api.client, "alice", f"{PASSWORD}\n"), 401)
    r = await api.request(
        "POST",
        "/api/agents",
        json={"username": "bob", "display_name": "Bob", "password": "  two words  "},
    )
    assert r.status_code == 201, r.text
    assert (await login(api.client, "bob", "two words")).status_code == 401
    assert (await login(api.client, "bob", "  two words  ")).status_code == 200
    r = await api.request("PATCH", f"/api/agents/{r.json()['id']}", json={"password": " new pass "})
    assert r.status_code == 200
    assert (await login(api.client, "bob", "new pass")).status_code == 401
    assert (await login(api.client, "bob", " new pass ")).status_code == 200


# --- item 6: revocation -----------------------------------------------------------------


async def tokens_of(api: Api, username: str, n: int, password: str = PASSWORD) -> list[str]:
    out = []
    for _ in range(n):
        r = await login(api.client, username, password)
        assert r.status_code == 200, r.text
        out.append(r.json()["access_token"])
    return out


async def me(api: Api, token: str) -> httpx.Response:
    return await api.client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})


async def test_logout_revokes_every_token_of_the_account_at_once(api: Api) -> None:
    first, second = await tokens_of(api, "alice", 2)
    other = (await tokens_of(api, "super", 1))[0]
    r = await api.client.post("/api/auth/logout", headers={"Authorization": f"Bearer {first}"})
    assert r.status_code == 204, r.text
    for token in (first, second):
        assert_error(await me(api, token), 401, "revoked", "log in again")
    assert (await me(api, other)).status_code == 200  # other accounts are untouched
    assert_error(await api.client.post("/api/auth/logout"), 401)
    fresh = (await tokens_of(api, "alice", 1))[0]
    assert (await me(api, fresh)).status_code == 200
    alice = await agent_row(api, "alice")
    assert [(a.entity_id, a.actor_id) for a in await audit(api, "auth.logout")] == [
        (str(alice.id), alice.id)
    ]


@pytest.mark.parametrize(
    "change",
    [{"password": "another-pass-1"}, {"active": False}, {"role": "supervisor"}],
    ids=["password", "deactivation", "role"],
)
async def test_account_changes_revoke_tokens(api: Api, change: dict[str, Any]) -> None:
    (token,) = await tokens_of(api, "alice", 1)
    alice = await agent_row(api, "alice")
    r = await api.request("PATCH", f"/api/agents/{alice.id}", json=change)
    assert r.status_code == 200, r.text
    assert (await me(api, token)).status_code == 401
    # Other changes do not log anyone out.
    (token,) = await tokens_of(api, "super", 1)
    superv = await agent_row(api, "super")
    r = await api.request(
        "PATCH", f"/api/agents/{superv.id}", json={"display_name": "S", "team": "t"}
    )
    assert r.status_code == 200 and (await me(api, token)).status_code == 200


async def test_reactivation_does_not_revive_old_tokens(api: Api) -> None:
    (token,) = await tokens_of(api, "alice", 1)
    alice = await agent_row(api, "alice")
    url = f"/api/agents/{alice.id}"
    assert (await api.request("PATCH", url, json={"active": False})).status_code == 200
    assert (await api.request("PATCH", url, json={"active": True})).status_code == 200
    assert_error(await me(api, token), 401, "revoked")
    (token,) = await tokens_of(api, "alice", 1)
    assert (await me(api, token)).status_code == 200


async def test_the_common_request_reads_no_account_row(api: Api) -> None:
    """The account check is served from memory, and still sees a change on the next request."""
    (token,) = await tokens_of(api, "alice", 1)
    headers = {"Authorization": f"Bearer {token}"}
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = api.app.state.hotline.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        for _ in range(20):
            assert (await api.client.get("/api/queues", headers=headers)).status_code == 200
        reads = [s for s in statements if "FROM agents" in s]
        assert len(reads) <= 1, reads  # the first request may read it; the others do not
        # Twenty requests, twenty reads of the queues. (Not "twenty statements in all": the
        # server's periodic passes — callbacks due, promises past due — may run meanwhile.)
        assert sum("FROM queues" in s for s in statements) == 20
        alice = await agent_row(api, "alice")
        r = await api.request("PATCH", f"/api/agents/{alice.id}", json={"active": False})
        assert r.status_code == 200
        assert_error(await api.client.get("/api/queues", headers=headers), 401, "no longer active")
    finally:
        event.remove(engine, "before_cursor_execute", seen)


# --- item 8: the last admin -------------------------------------------------------------


async def test_the_last_admin_cannot_demote_or_deactivate_itself(api: Api) -> None:
    admin = await agent_row(api, "admin")
    url = f"/api/agents/{admin.id}"
    for change in ({"role": "supervisor"}, {"role": "agent"}, {"active": False}):
        assert_error(await api.request("PATCH", url, json=change), 409, "last active admin")
    assert (await api.request("PATCH", url, json={"display_name": "Root"})).status_code == 200
    # With a second admin it may step down; the second then is the last.
    superv = await agent_row(api, "super")
    r = await api.request("PATCH", f"/api/agents/{superv.id}", json={"role": "admin"})
    assert r.status_code == 200
    assert (await api.request("PATCH", url, json={"role": "agent"})).status_code == 200
    api.tokens.clear()
    r = await api.request("PATCH", f"/api/agents/{superv.id}", json={"active": False}, as_="super")
    assert_error(r, 409, "last active admin")
    # An inactive admin does not count.
    r = await api.request("PATCH", url, json={"role": "admin", "active": False}, as_="super")
    assert r.status_code == 200
    r = await api.request("PATCH", f"/api/agents/{superv.id}", json={"role": "agent"}, as_="super")
    assert_error(r, 409, "last active admin")


async def test_two_admins_demoting_each_other_at_once_leave_one(api: Api) -> None:
    superv = await agent_row(api, "super")
    admin = await agent_row(api, "admin")
    for round_ in range(3):
        r = await api.request("PATCH", f"/api/agents/{superv.id}", json={"role": "admin"})
        assert r.status_code == 200, r.text
        api.tokens.clear()
        headers = {u: await api.login(u) for u in ("admin", "super")}
        answers = await asyncio.gather(
            api.client.patch(
                f"/api/agents/{superv.id}", json={"role": "agent"}, headers=headers["admin"]
            ),
            api.client.patch(
                f"/api/agents/{admin.id}", json={"active": False}, headers=headers["super"]
            ),
        )
        codes = sorted(r.status_code for r in answers)
        # One wins; the other finds itself the last admin (or, demoted already, not an admin).
        assert codes[0] == 200 and codes[1] in (401, 403, 409), [r.text for r in answers]
        async with api.uow() as uow:
            stmt = select(Agent).where(Agent.role == "admin", Agent.active.is_(True))
            admins = list((await uow.session.execute(stmt)).scalars())
        assert len(admins) == 1, round_
        # Put things back for the next round.
        survivor = admins[0].username
        other = admin if survivor == "super" else superv
        api.tokens.clear()
        r = await api.request(
            "PATCH", f"/api/agents/{other.id}", json={"role": "admin", "active": True}, as_=survivor
        )
        assert r.status_code == 200, r.text
        if survivor == "super":
            api.tokens.clear()
            r = await api.request("PATCH", f"/api/agents/{superv.id}", json={"role": "supervisor"})
            assert r.status_code == 200, r.text
        api.tokens.clear()


# --- item 4 (agents and queues): read-modify-write in parallel ------------------------------


async def test_parallel_agent_changes_lose_nothing_and_audit_once(api: Api) -> None:
    alice = await agent_row(api, "alice")
    url = f"/api/agents/{alice.id}"
    headers = await api.login("admin")

    async def patch(body: dict[str, Any]) -> int:
        return (await api.client.patch(url, json=body, headers=headers)).status_code

    # 20 password changes at once: 20 changes, 20 revocations, none lost.
    codes = await asyncio.gather(*(patch({"password": f"new-pass-{i:02}"}) for i in range(20)))
    assert codes == [200] * 20
    assert (await agent_row(api, "alice")).token_version == alice.token_version + 20
    updates = [a for a in await audit(api, "agent.update") if a.entity_id == str(alice.id)]
    assert len(updates) == 20
    # The same deactivation 20 times at once: one change, one audit row, one revocation.
    codes = await asyncio.gather(*(patch({"active": False}) for _ in range(20)))
    assert codes == [200] * 20
    row = await agent_row(api, "alice")
    assert (row.active, row.token_version) == (False, alice.token_version + 21)
    updates = [a for a in await audit(api, "agent.update") if a.entity_id == str(alice.id)]
    assert len(updates) == 21 and updates[-1].detail == {"fields": ["active"]}


async def test_parallel_queue_changes_audit_once(api: Api) -> None:
    r = await api.request("POST", "/api/queues", json={"name": "sales", "display_name": "Sales"})
    assert r.status_code == 201, r.text
    url = f"/api/queues/{r.json()['id']}"
    headers = await api.login("admin")
    answers = await asyncio.gather(
        *(api.client.patch(url, json={"sla_seconds": 7}, headers=headers) for _ in range(20))
    )
    assert [a.status_code for a in answers] == [200] * 20
    assert all(a.json()["sla_seconds"] == 7 for a in answers)
    assert len(await audit(api, "queue.update")) == 1
    # Different values at once: each is a change, and the last one written stands.
    answers = await asyncio.gather(
        *(
            api.client.patch(url, json={"max_wait_seconds": 100 + i}, headers=headers)
            for i in range(20)
        )
    )
    assert [a.status_code for a in answers] == [200] * 20
    assert len(await audit(api, "queue.update")) == 21
