"""Shared mode end to end: `hotline serve` processes on one PostgreSQL and one Redis prefix
form one contact center (docs/scale-out.md)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import redis.asyncio as aioredis
import websockets

from tests.shared.harness import Node, SharedCluster, free_port

QUEUE = {
    "name": "care",
    "display_name": "Care",
    "skills": ["care"],
    "sla_seconds": 20,
    "max_wait_seconds": 3600,
}


class Console:
    """An agent's /ws/agent socket on one node; keeps every message."""

    def __init__(self, cluster: SharedCluster, username: str) -> None:
        self.cluster = cluster
        self.username = username
        self.ws: Any = None
        self.node: Node | None = None
        self.messages: list[dict[str, Any]] = []
        self._reader: asyncio.Task[None] | None = None
        self._new = asyncio.Event()

    async def connect(self, node: Node) -> Console:
        token = await self.cluster.token(self.username, node)
        self.node = node
        self.ws = await websockets.connect(f"{node.ws}/ws/agent")
        await self.ws.send(json.dumps({"type": "auth", "token": token}))
        self._reader = asyncio.create_task(self._read())
        await self.wait("hello")
        return self

    async def _read(self) -> None:
        with_closed = (websockets.ConnectionClosed, OSError)
        try:
            async for raw in self.ws:
                self.messages.append(json.loads(raw))
                self._new.set()
        except with_closed:
            pass

    async def send(self, kind: str, **fields: Any) -> None:
        await self.ws.send(json.dumps({"type": kind, **fields}))

    async def wait(
        self, kind: str, within: float = 10.0, after: int = 0, **match: Any
    ) -> dict[str, Any]:
        deadline = time.monotonic() + within
        while True:
            for m in self.messages[after:]:
                if m.get("type") == kind and all(_field(m, k) == v for k, v in match.items()):
                    return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{self.username}: no {kind} {match}: {self.messages[-8:]}")
            self._new.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new.wait(), left)

    async def available(self) -> None:
        mark = len(self.messages)
        await self.send("state.set", state="available")
        await self.wait("state", after=mark, state="available")

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()


def _field(message: dict[str, Any], key: str) -> Any:
    if key == "contact_id" and "contact" in message and "contact_id" not in message:
        return message["contact"]["id"]  # an offer carries the contact card
    return message.get(key)


async def admin(cluster: SharedCluster, node: Node) -> httpx.AsyncClient:
    token = await cluster.token("admin", node)
    return httpx.AsyncClient(base_url=node.base, headers={"Authorization": f"Bearer {token}"})


async def post_contact(client: httpx.AsyncClient, n: int, **fields: Any) -> str:
    body = {"channel": "voice", "from": f"+86138{n:08d}", "queue": "care"} | fields
    r = await client.post("/api/contacts", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[SharedCluster]:
    c = SharedCluster(tmp_path, HOTLINE_OFFER_TIMEOUT_SECONDS="4", HOTLINE_AGENT_GRACE_SECONDS="2")
    await c.create({f"agent{i}": {"skills": {"care": 3}} for i in range(1, 7)})
    try:
        yield c
    finally:
        await c.close()


class Bot:
    """An agent that takes every offer, talks briefly, ends and wraps up; reconnects to
    another process when its own dies. Records what it was given."""

    def __init__(self, cluster: SharedCluster, username: str, node: Node) -> None:
        self.cluster = cluster
        self.username = username
        self.node = node
        self.assigned: set[str] = set()
        self.in_hands: set[str] = set()
        self.most_in_hands = 0
        self.reconnects = 0
        self.reconnected_with: set[str] = set()  # live contacts replayed after a reconnect
        self.task: asyncio.Task[None] | None = None
        self.stopping = False
        self.errors: list[str] = []

    def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while not self.stopping:
            try:
                await self._session()
            except (websockets.ConnectionClosed, OSError):
                pass
            except Exception as exc:  # seen in the assertion message, not lost in a task
                self.errors.append(repr(exc))
            if self.stopping:
                return
            alive = [n for n in self.cluster.nodes if n.alive and n is not self.node]
            self.node = alive[self.reconnects % len(alive)]
            self.reconnects += 1
            await asyncio.sleep(0.2)

    async def _session(self) -> None:
        token = await self.cluster.token(self.username, self.node)
        first = self.reconnects > 0
        async with websockets.connect(f"{self.node.ws}/ws/agent") as ws:
            await ws.send(json.dumps({"type": "auth", "token": token}))
            await ws.send(json.dumps({"type": "state.set", "state": "available"}))
            async for raw in ws:
                m = json.loads(raw)
                kind = m.get("type")
                if kind == "offer":
                    cid = m["contact"]["id"]
                    await ws.send(json.dumps({"type": "offer.accept", "contact_id": cid}))
                elif kind == "contact.assigned":
                    cid = _field(m, "contact_id")
                    if first and cid in self.in_hands:
                        self.reconnected_with.add(cid)
                    self.assigned.add(cid)
                    self.in_hands.add(cid)
                    self.most_in_hands = max(self.most_in_hands, len(self.in_hands))
                    asyncio.get_running_loop().call_later(
                        0.3,
                        lambda c=cid: asyncio.ensure_future(
                            ws.send(json.dumps({"type": "contact.end", "contact_id": c}))
                        ),
                    )
                elif kind == "contact.ended":
                    cid = _field(m, "contact_id")
                    self.in_hands.discard(cid)
                    body = {"type": "wrapup", "contact_id": cid, "disposition": "resolved"}
                    await ws.send(json.dumps(body | {"notes": ""}))
                elif kind == "state" and m.get("state") == "break" and m.get("reason"):
                    # "connection lost" or "missed offers": back to work.
                    await ws.send(json.dumps({"type": "state.set", "state": "available"}))

    async def stop(self) -> None:
        self.stopping = True
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task


async def post_anywhere(
    cluster: SharedCluster, clients: dict[int, httpx.AsyncClient], n: int
) -> str:
    """POST one contact to process n % 3, or the next live one; retried deliveries carry the
    same external id, so a retry never makes a second contact."""
    body = {"channel": "voice", "from": f"+86139{n:08d}", "queue": "care"}
    body |= {"source": "test", "external_id": f"c{n}"}
    for attempt in range(6):
        i = (n + attempt) % len(cluster.nodes)
        if not cluster.nodes[i].alive:
            continue
        try:
            r = await clients[i].post("/api/contacts", json=body)
        except httpx.HTTPError:
            continue
        if r.status_code in (200, 201):
            return str(r.json()["id"])
    raise AssertionError(f"contact {n} was not taken by any process")


async def test_a_process_killed_mid_run_loses_nothing(cluster: SharedCluster) -> None:
    """Contacts flow to three processes; one is SIGKILLed mid-run. None lost, none with two
    agents, no agent over capacity, each ends on the record once; the agents of the dead
    process reconnect elsewhere and keep their live contacts."""
    nodes = await cluster.add(3)
    total = int(os.environ.get("SHARED_TEST_CONTACTS", "150"))
    async with await admin(cluster, nodes[0]) as client:
        assert (await client.post("/api/queues", json=QUEUE)).status_code == 201
        token = await cluster.token("admin")
        headers = {"Authorization": f"Bearer {token}"}
        clients = {
            i: httpx.AsyncClient(base_url=n.base, headers=headers, timeout=10)
            for i, n in enumerate(nodes)
        }
        bots = [Bot(cluster, f"agent{i}", nodes[i % 3]) for i in range(1, 7)]
        for bot in bots:
            bot.start()
        await asyncio.sleep(1.0)
        ids: list[str] = []
        victim = nodes[1]
        started = time.monotonic()
        for n in range(total):
            if n == total // 2:
                victim.kill()
                killed_at = time.monotonic()
            ids.append(await post_anywhere(cluster, clients, n))
            await asyncio.sleep(0.01)
        # Everything is answered and wrapped up, wherever it ran: six agents work off the
        # backlog, so the wait grows with the number of contacts (SHARED_TEST_CONTACTS).
        deadline = time.monotonic() + 60 + total / 10
        while time.monotonic() < deadline:
            done = set().union(*(b.assigned for b in bots))
            if done >= set(ids) and not any(b.in_hands for b in bots):
                break
            await asyncio.sleep(0.5)
        for bot in bots:
            await bot.stop()
        for c in clients.values():
            await c.aclose()
        assert len(set(ids)) == total
        done = set().union(*(b.assigned for b in bots))
        missing = set(ids) - done
        errors = sorted({e for b in bots for e in b.errors})
        assert not missing, f"{len(missing)} never answered: {sorted(missing)[:10]} {errors}"
        for cid in ids:  # one agent each
            owners = [b.username for b in bots if cid in b.assigned]
            assert len(owners) == 1, (cid, owners)
        assert all(b.most_in_hands <= 1 for b in bots), [b.most_in_hands for b in bots]
        moved = [b for b in bots if b.reconnects]
        assert moved, "the killed process's agents reconnected elsewhere"
        # The record: every contact ended exactly once, with the agent who had it.
        survivor = nodes[0]
        for cid in ids:
            r = await client.get(f"{survivor.base}/api/contacts/{cid}")
            i = r.json()["interaction"]
            assert r.json()["live_status"] == "ended" and i["ended_at"], (cid, i["status"])
            assert i["end_reason"] == "completed", (cid, i["end_reason"])
        print(
            f"\n{total} contacts in {time.monotonic() - started:.1f} s; killed at "
            f"{killed_at - started:.1f} s; reconnects {[b.reconnects for b in bots]}"
        )


OUT_OF_ROUTING = {("break", "connection lost"), ("offline", None)}


async def leader_of(cluster: SharedCluster, nodes: list[Node]) -> Node:
    """The process holding the lease (it fires timers and writes the record)."""
    token = await cluster.token("admin")
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for node in nodes:
            async with httpx.AsyncClient(base_url=node.base, headers=headers) as c:
                status = (await c.get("/api/metrics/live")).json()["cluster"]
            if status["leader"]:
                return node
        await asyncio.sleep(0.3)
    raise AssertionError("no process holds the lease")


async def test_the_lease_holder_dies_and_a_survivor_takes_over(cluster: SharedCluster) -> None:
    """SIGKILL of the lease holder: its agent reconnects to a survivor and keeps the contact
    in hand; the offer left open on it expires on a survivor's clock and the contact goes to
    a survivor's agent within seconds."""
    nodes = await cluster.add(3)
    leader = await leader_of(cluster, nodes)
    survivor = next(n for n in nodes if n is not leader)
    async with await admin(cluster, survivor) as client:
        assert (await client.post("/api/queues", json=QUEUE)).status_code == 201
        one = await Console(cluster, "agent1").connect(leader)
        await one.available()
        c1 = await post_contact(client, 1)
        await one.wait("offer", contact_id=c1)
        await one.send("offer.accept", contact_id=c1)
        await one.wait("contact.assigned", contact_id=c1)
        # Posted on one process, offered and accepted on another: the record (written once,
        # by the lease holder) shows it in the agent's hands, whichever process is asked.
        for node in (leader, survivor):
            r = await client.get(f"{node.base}/api/contacts/{c1}")
            assert r.json()["live_status"] == "active", r.text
        three = await Console(cluster, "agent3").connect(leader)
        await three.available()
        c2 = await post_contact(client, 2)
        await three.wait("offer", contact_id=c2)  # left open: agent3's process is about to die
        two = await Console(cluster, "agent2").connect(survivor)
        await two.available()
        leader.kill()
        killed = time.monotonic()
        await two.wait("offer", within=15, contact_id=c2)
        takeover = time.monotonic() - killed
        # agent1 comes back through another process: the contact is still theirs.
        await one.close()
        one = await Console(cluster, "agent1").connect(survivor)
        await one.wait("contact.assigned", contact_id=c1)
        await one.send("contact.end", contact_id=c1)
        await one.wait("contact.ended", contact_id=c1)
        await one.send("wrapup", contact_id=c1, disposition="resolved", notes="after failover")
        await one.wait("wrapup.saved", contact_id=c1)
        r = await client.get(f"/api/contacts/{c1}")
        record = r.json()["interaction"]
        assert record["status"] == "ended" and record["end_reason"] == "completed", record
        assert record["agent_id"] == 2 and record["notes"] == "after failover", record
        # A contact whose process died between its row and its routing is routed by the
        # lease holder (agent1 is available again after the wrap-up).
        orphan = await cluster.orphan(record["customer_id"], "care", seconds_ago=10)
        await one.wait("offer", within=20, contact_id=str(orphan))
        # agent3 never came back: the cluster puts them on the "connection lost" break, and
        # past the grace time (2 s here) logs them out — what their own process would have
        # done, had it not died — so no offer waits on them.
        deadline = time.monotonic() + 20
        state = None
        while time.monotonic() < deadline:
            conn = await asyncpg.connect(cluster.url.replace("+asyncpg", ""))
            try:
                state = await conn.fetchrow(
                    "SELECT s.state, s.reason FROM agent_states s JOIN agents a"
                    " ON a.id = s.agent_id WHERE a.username = 'agent3' ORDER BY s.id DESC LIMIT 1"
                )
            finally:
                await conn.close()
            if state is not None and tuple(state) in OUT_OF_ROUTING:
                break
            await asyncio.sleep(0.5)
        assert state is not None and tuple(state) in OUT_OF_ROUTING, state
        for console in (one, two, three):
            await console.close()
    print(f"\nSIGKILL of the lease holder -> first offer by a survivor: {takeover:.2f} s")
    assert takeover < 8.0, takeover  # target 5 s: lease 3 s + the offer's own 4 s deadline


@pytest.fixture
async def quick_offers(tmp_path: Path) -> AsyncIterator[SharedCluster]:
    c = SharedCluster(tmp_path, HOTLINE_OFFER_TIMEOUT_SECONDS="1")
    await c.create({f"agent{i}": {"skills": {"care": 3}} for i in range(1, 7)})
    try:
        yield c
    finally:
        await c.close()


async def test_accept_racing_expiry_across_processes_has_one_winner(
    quick_offers: SharedCluster,
) -> None:
    """Agents on one process accept right at the deadline their offers expire at on the other
    (the lease holder's clock): for each offer exactly one of accept and expiry wins."""
    cluster = quick_offers
    a, b = await cluster.add(2)
    leader = await leader_of(cluster, [a, b])
    other = b if leader is a else a
    async with await admin(cluster, leader) as client:
        assert (await client.post("/api/queues", json=QUEUE)).status_code == 201
        consoles = [await Console(cluster, f"agent{i}").connect(other) for i in range(1, 7)]
        for console in consoles:
            await console.available()
        marks = [len(c.messages) for c in consoles]
        await asyncio.gather(*(post_contact(client, 100 + i) for i in range(len(consoles))))
        offers = []
        for console, mark in zip(consoles, marks, strict=True):
            offer = await console.wait("offer", after=mark)
            offers.append((console, offer["contact"]["id"], offer, len(console.messages)))
        assert len({cid for _, cid, _, _ in offers}) == len(consoles)  # one contact each

        async def accept_at_deadline(console: Console, cid: str, offer: dict[str, Any]) -> None:
            # Spread around the deadline: some land before it, some after.
            await asyncio.sleep(offer["expires_in"] + (int(cid) % 5 - 2) * 0.03)
            await console.send("offer.accept", contact_id=cid)

        await asyncio.gather(*(accept_at_deadline(c, cid, o) for c, cid, o, _ in offers))
        await asyncio.sleep(2.5)
        won = lost = 0
        for console, cid, _, mark in offers:
            later = console.messages[mark:]
            assigned = [m for m in later if m["type"] == "contact.assigned"]
            cancelled = [
                m for m in later if m["type"] == "offer.cancelled" and m["contact_id"] == cid
            ]
            assigned = [m for m in assigned if _field(m, "contact_id") == cid]
            assert len(assigned) + len(cancelled) == 1, (cid, assigned, cancelled)
            r = await client.get(f"/api/contacts/{cid}")
            status = r.json()["live_status"]
            if assigned:
                won += 1
                assert status == "active" and r.json()["interaction"]["agent_id"], r.text
            else:
                lost += 1
                assert status in ("queued", "offered"), r.text  # routed again, not lost
        for console in consoles:
            await console.close()
    print(f"\naccept vs expiry: {won} accepts won, {lost} expiries won")


class PrivateRedis:
    """A redis-server of the test's own: its port, its directory, append-only on."""

    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.dir = tmp / "redis"
        self.dir.mkdir()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def launch(self) -> None:
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir)]
        args += ["--appendonly", "yes", "--appendfsync", "always", "--save", ""]
        self.proc = subprocess.Popen(
            ["redis-server", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    async def start(self) -> None:
        self.launch()
        r = aioredis.from_url(self.url)
        try:
            for _ in range(100):
                with contextlib.suppress(Exception):
                    if await r.ping():
                        return
                await asyncio.sleep(0.05)
        finally:
            await r.aclose()
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        """A restart as an operator does one (SHUTDOWN: the append-only file is complete)."""
        if self.proc is not None and self.proc.poll() is None:
            subprocess.run(
                ["redis-cli", "-p", str(self.port), "shutdown"], check=False, capture_output=True
            )
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


async def test_a_redis_restart_mid_run_loses_nothing(tmp_path: Path) -> None:
    """Redis (append-only) restarted while contacts flow: commands wait for it, then every
    contact is answered once and ends on the record."""
    private = PrivateRedis(tmp_path)
    await private.start()
    cluster = SharedCluster(tmp_path, redis_url=private.url, HOTLINE_OFFER_TIMEOUT_SECONDS="4")
    await cluster.create({f"agent{i}": {"skills": {"care": 3}} for i in range(1, 5)})
    try:
        nodes = await cluster.add(2)
        total = 60
        token = await cluster.token("admin")
        headers = {"Authorization": f"Bearer {token}"}
        clients = {
            i: httpx.AsyncClient(base_url=n.base, headers=headers, timeout=40)
            for i, n in enumerate(nodes)
        }
        assert (await clients[0].post("/api/queues", json=QUEUE)).status_code == 201
        bots = [Bot(cluster, f"agent{i}", nodes[i % 2]) for i in range(1, 5)]
        for bot in bots:
            bot.start()
        await asyncio.sleep(1.0)
        ids: list[str] = []

        async def restart() -> None:
            private.stop()
            await asyncio.sleep(1.0)
            await private.start()

        restarting = None
        for n in range(total):
            if n == total // 2:
                restarting = asyncio.create_task(restart())
            ids.append(await post_anywhere(cluster, clients, n))
            await asyncio.sleep(0.02)
        assert restarting is not None
        await restarting
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:
            done = set().union(*(b.assigned for b in bots))
            if done >= set(ids) and not any(b.in_hands for b in bots):
                break
            await asyncio.sleep(0.5)
        for bot in bots:
            await bot.stop()
        done = set().union(*(b.assigned for b in bots))
        errors = sorted({e for b in bots for e in b.errors})
        assert set(ids) <= done, (sorted(set(ids) - done), errors)
        for cid in ids:
            assert len([b for b in bots if cid in b.assigned]) == 1, cid
        for cid in ids:
            r = await clients[0].get(f"/api/contacts/{cid}")
            assert r.json()["live_status"] == "ended", r.text
        for c in clients.values():
            await c.aclose()
    finally:
        await cluster.close()
        private.stop()
