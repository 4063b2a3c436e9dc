"""The contact center in shared mode: commands through a Redis stream, applied everywhere.

``apply`` records the command (see :mod:`app.shared.router`) and appends it to the command
log, ``{prefix}log``; a reader task in every process applies the log, in order, to that
process's router under the routing lock and appends the resulting events to its local bus, so
each process's subscribers (agent sockets, supervisor feed, chat rooms, SIP dialogs) see every
event, wherever the command ran. The process that sent a command gets its result (its events,
or the core's refusal) when its own reader reaches the entry.

The lease holder (one process at a time, ``{prefix}leader``, renewed twice a second) fires
timers (a ``tick`` entry), writes the record (the projector) and writes snapshots (the router
pickled with its position in the log) from which a starting process catches up; the log
before the previous snapshot is trimmed. A stale lease holder does no harm: a second tick in
the log finds nothing due, the record is idempotent by sequence number, and a snapshot older
than the stored one is refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import json
import logging
import pickle
import time
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.contacts.center import ContactCenter, RoutingCall, domain_error
from app.contacts.events import to_events
from app.contacts.hub import AgentHub
from app.contacts.presence import CONNECTION_LOST
from app.db.models import Queue
from app.errors import DomainError, Unavailable
from app.events import Event, InProcessBus
from app.shared.router import SharedRouter, apply_calls, recording
from routing import AgentState, IllegalTransition, QueueConfig, Router, RoutingError

log = logging.getLogger(__name__)

# Short: a holder that stalls and loses the lease does no harm (see the module docstring),
# and a dead holder's timers move sooner.
LEASE_MS = 2000
RENEW_SECONDS = 0.5
NODE_MS = 3000  # a process's list of held sockets lives this long unless renewed
SNAPSHOT_SECONDS = 5.0
# An agent logged in to routing whose socket no process has said it holds for this long
# (after that process's own key lapsed, NODE_MS) is on the "connection lost" break: its own
# process, which would have done it, may be dead. Short, so few offers go to ghosts.
REAP_AFTER_SECONDS = 2.0
READ_BLOCK_MS = 1000
SUBMIT_TIMEOUT = 30.0
SEEN_KEPT = 20_000  # request ids remembered against duplicate appends  # a command waits this long for Redis before it is refused (503)

# Take the lease if free, renew it if ours; every new holder bumps the fencing token.
LEASE_SCRIPT = """
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not cur then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  redis.call('INCR', KEYS[2])
  return 2
end
return 0
"""
# The founder of a cluster writes the first snapshot; later processes load the stored one.
FOUND_SCRIPT = """
local cur = redis.call('HGET', KEYS[1], 'data')
if cur then return 0 end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[1], 'data', ARGV[1], 'ms', ARGV[2], 'sq', ARGV[3])
return 1
"""
# A snapshot replaces the stored one only if it is further along the log.
SNAPSHOT_SCRIPT = """
local ms = tonumber(redis.call('HGET', KEYS[1], 'ms') or '0')
local sq = tonumber(redis.call('HGET', KEYS[1], 'sq') or '0')
local nms, nsq = tonumber(ARGV[2]), tonumber(ARGV[3])
if nms < ms or (nms == ms and nsq <= sq) then return 0 end
local old = ms .. '-' .. sq
redis.call('HSET', KEYS[1], 'data', ARGV[1], 'ms', ARGV[2], 'sq', ARGV[3])
redis.call('XTRIM', KEYS[2], 'MINID', old)
return 1
"""


def _split(entry_id: str) -> tuple[int, int]:
    ms, _, sq = entry_id.partition("-")
    return int(ms), int(sq or 0)


class Keys:
    """The Redis keys of one cluster (``HOTLINE_REDIS_PREFIX``, default ``hotline:``)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.log = f"{prefix}log"
        self.snapshot = f"{prefix}snapshot"
        self.leader = f"{prefix}leader"
        self.fence = f"{prefix}leader:fence"
        self.projected = f"{prefix}projected"
        self.nodes = f"{prefix}node:"  # + process id: the agents whose sockets it holds

    def all(self) -> list[str]:
        return [self.log, self.snapshot, self.leader, self.fence, self.projected]

    def node(self, node: str) -> str:
        return f"{self.nodes}{node}"


class SharedContactCenter(ContactCenter):
    """A :class:`ContactCenter` whose commands go through the cluster's command log."""

    def __init__(
        self,
        router: Router,
        bus: InProcessBus,
        clock: Callable[[], float],
        redis: Redis,
        keys: Keys,
        last_id: str = "0-0",
        last_now: float = 0.0,
        seen: list[str] | None = None,
    ) -> None:
        super().__init__(router, bus, clock)
        self.redis = redis
        self.keys = keys
        self.node = uuid.uuid4().hex[:12]
        self.last_id = last_id  # the last log entry applied here
        self.last_now = last_now  # time never goes backwards in the log, whoever wrote it
        self.leader = False
        self.fence = 0
        self.applied = 0
        self.leader_changes: list[float] = []  # when this process took the lease
        self._ids = itertools.count(1)
        self._waiting: dict[str, asyncio.Future[list[Event]]] = {}
        self._outbox: asyncio.Queue[bytes] = asyncio.Queue()
        self._caught_up = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._snapshot_at = "0-0"
        self.hub: AgentHub | None = None  # the sockets this process holds (set by wiring)
        # Tasks to run with the center (each checks the lease itself).
        self.background: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self.agent_grace_seconds = 30.0
        # Entries already applied, by request id: part of the state (snapshots carry it), so
        # every process skips the same duplicates.
        self.seen: dict[str, None] = dict.fromkeys(seen or ())

    # --- lifecycle -----------------------------------------------------------------------
    def leads(self) -> bool:
        """Only the lease holder runs the background passes: each is idempotent, but N
        processes scanning the same rows N times was work for nothing."""
        return self.leader

    def start_replication(self) -> None:
        """Reader and writer of the log (started before anything submits a command)."""
        self._tasks += [
            asyncio.create_task(self._read_forever(), name="shared-log-reader"),
            asyncio.create_task(self._write_forever(), name="shared-log-writer"),
        ]

    def start(self) -> None:
        super().start()  # the ticker: it appends ticks while this process holds the lease
        self._tasks += [
            asyncio.create_task(self._lease_forever(), name="shared-lease"),
            asyncio.create_task(self._snapshot_forever(), name="shared-snapshots"),
            asyncio.create_task(self._presence_forever(), name="shared-presence"),
        ]
        self._tasks += [asyncio.create_task(make()) for make in self.background]

    async def stop(self) -> None:
        """Stop firing timers; the lease is kept until :meth:`close`, so that this process
        can still write the record up to the last event."""
        await super().stop()

    async def close(self) -> None:
        if self.leader:  # let another process take over at once
            with contextlib.suppress(RedisError):
                await self.redis.eval(
                    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
                    "return redis.call('DEL', KEYS[1]) end return 0",
                    1,
                    self.keys.leader,
                    self.node,
                )
            self.leader = False
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(Unavailable("the server is shutting down"))
        with contextlib.suppress(RedisError):
            await self.redis.aclose()

    def cluster_status(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "leader": self.leader,
            "fence": self.fence,
            "log_id": self.last_id,
            "applied": self.applied,
            "pending": len(self._waiting),
        }

    async def caught_up(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Wait until this process has applied the log as it stood when it started."""
        await asyncio.wait_for(self._caught_up.wait(), timeout)

    # --- commands ------------------------------------------------------------------------
    async def apply(
        self,
        call: RoutingCall,
        *,
        ended_by: dict[str, str] | None = None,
        extra: list[tuple[str, dict[str, Any]]] | None = None,
    ) -> list[Event]:
        """Record ``call`` against this process's copy, log it, and return its events once
        this process has applied it (or raise the core's refusal, as the embedded one)."""
        calls: list[Any] = []
        token = recording.set(calls)
        now = self.clock()
        try:
            call(now)  # checks that read the state run here, on this process's copy
        except (RoutingError, IllegalTransition, ValueError) as exc:
            raise domain_error(exc) from exc
        finally:
            recording.reset(token)
        if not calls and not extra:
            return []
        entry = {"k": "call", "c": calls, "e": ended_by, "x": extra, "n": now}
        return await self._submit(entry)

    def publish(self, items: list[tuple[str, dict[str, Any]]]) -> list[Event]:
        """Events that are not routing's go on the log too (in call order); they reach the
        local bus when the log does, so nothing waits on the returned list here."""
        if items:
            self._send({"k": "publish", "items": list(items), "n": self.clock()})
        return []

    def ensure_queue(self, queue: Queue) -> None:
        """Queue changes are log entries: every process's router learns them at one place."""
        self._send(
            {
                "k": "queue",
                "q": (
                    queue.name,
                    tuple((s, 1) for s in queue.skills),
                    float(queue.sla_seconds),
                    float(queue.max_wait_seconds),
                    queue.overflow_queue,
                ),
                "n": self.clock(),
            }
        )

    async def barrier(self) -> None:
        """Return once everything this process sent before has been applied here."""
        await self._submit({"k": "noop", "n": self.clock()})

    async def tick(self) -> list[Event]:
        """Only the lease holder fires timers; every process applies the tick from the log."""
        if not self.leader:
            return []
        due = self.router.next_deadline()
        if due is None or due > self.clock():
            return []
        return await self._submit({"k": "tick", "n": self.clock()})

    # --- the log -------------------------------------------------------------------------
    def _send(self, entry: dict[str, Any]) -> str:
        rid = f"{self.node}:{next(self._ids)}"
        entry["o"] = rid
        self._outbox.put_nowait(pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL))
        return rid

    async def _submit(self, entry: dict[str, Any]) -> list[Event]:
        future: asyncio.Future[list[Event]] = asyncio.get_running_loop().create_future()
        rid = self._send(entry)
        self._waiting[rid] = future
        try:
            return await asyncio.wait_for(future, SUBMIT_TIMEOUT)
        except TimeoutError:
            raise Unavailable("the live state (Redis) did not answer in time") from None
        finally:
            self._waiting.pop(rid, None)

    async def _write_forever(self) -> None:
        """Append this process's entries in the order they were made, many per round trip."""
        while True:
            batch = [await self._outbox.get()]
            while not self._outbox.empty() and len(batch) < 500:
                batch.append(self._outbox.get_nowait())
            delay = 0.05
            while True:
                try:
                    pipe = self.redis.pipeline(transaction=False)
                    for data in batch:
                        pipe.xadd(self.keys.log, {"d": data})
                    await pipe.execute()
                    break
                except RedisError as exc:
                    log.warning("command log: append failed (%s); retrying", exc)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 1.0)

    async def _read_forever(self) -> None:
        """Apply the log from where this process is, in order, for as long as it runs."""
        delay = 0.05
        while True:
            try:
                block = READ_BLOCK_MS if self._caught_up.is_set() else None
                reply = await self.redis.xread(
                    {self.keys.log: self.last_id}, count=1000, block=block
                )
                delay = 0.05
            except RedisError as exc:
                log.warning("command log: read failed (%s); retrying", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)
                continue
            if not reply:
                self._caught_up.set()
                continue
            for _stream, entries in reply:
                async with self.lock:
                    collecting = gc.isenabled()
                    gc.disable()  # as in the embedded center: no collection under the lock
                    try:
                        for entry_id, fields in entries:
                            self._apply_entry(_text(entry_id), fields[b"d"])
                    finally:
                        if collecting:
                            gc.enable()
            if not self._caught_up.is_set() and len(reply[0][1]) < 1000:
                self._caught_up.set()

    def _apply_entry(self, entry_id: str, data: bytes) -> None:
        started = time.perf_counter()
        self.last_id = entry_id
        self.applied += 1
        try:
            entry = pickle.loads(data)  # trusted: only this cluster writes it
        except Exception:
            log.exception("command log: entry %s unreadable; skipped", entry_id)
            return
        rid = entry.get("o", "")
        if rid in self.seen:  # appended twice (a retry after a lost reply): applied once
            return
        self.seen[rid] = None
        if len(self.seen) > SEEN_KEPT:
            del self.seen[next(iter(self.seen))]
        now = self.last_now = max(float(entry["n"]), self.last_now)
        future = self._waiting.get(rid)
        events: list[Event] = []
        try:
            kind = entry["k"]
            if kind == "call":
                decisions = apply_calls(self.router, entry["c"])
                items = to_events(decisions, self.router, entry["e"])
                if entry["x"]:
                    items += entry["x"]
                events = self.bus.append(items, now)
            elif kind == "tick":
                items = to_events(Router.tick(self.router, now), self.router, None)
                events = self.bus.append(items, now)
            elif kind == "publish":
                events = self.bus.append(entry["items"], now)
            elif kind == "queue":
                name, skills, sla, max_wait, overflow = entry["q"]
                self.router.queues[name] = QueueConfig(
                    name=name,
                    skills=skills,
                    sla_seconds=sla,
                    max_wait_seconds=max_wait,
                    overflow=overflow if overflow in self.router.queues else None,
                )
        except (RoutingError, IllegalTransition, ValueError) as exc:
            if future is not None and not future.done():
                future.set_exception(domain_error(exc))
            return
        except Exception as exc:  # the same in every process: log it and go on
            log.exception("command log: entry %s failed", entry_id)
            if future is not None and not future.done():
                future.set_exception(DomainError(f"the command failed: {exc}"))
            return
        finally:
            self.lock_stats.add(time.perf_counter() - started)
        if future is not None and not future.done():
            future.set_result(events)

    # --- lease and snapshots -------------------------------------------------------------
    async def _lease_forever(self) -> None:
        while True:
            try:
                got = await self.redis.eval(
                    LEASE_SCRIPT, 2, self.keys.leader, self.keys.fence, self.node, LEASE_MS
                )
                if got == 2:
                    self.fence = int(await self.redis.get(self.keys.fence) or 0)
                    self.leader_changes.append(time.time())
                    log.info("shared mode: this process leads (fence %d)", self.fence)
                self.leader = bool(got)
            except RedisError as exc:
                # Unsure whether it still holds: it stops acting as the holder at once.
                log.warning("shared mode: lease renewal failed (%s)", exc)
                self.leader = False
            await asyncio.sleep(RENEW_SECONDS)

    async def _presence_forever(self) -> None:
        """Say which agents' sockets this process holds; on the lease holder, put agents no
        process holds on the "connection lost" break, and log them out after the grace
        time — what their own process's presence would have done, had it not died."""
        missing: dict[str, float] = {}
        gave_up: set[str] = set()
        while True:
            await asyncio.sleep(RENEW_SECONDS)
            here = self.hub.connected_agents() if self.hub is not None else []
            try:
                await self.redis.set(self.keys.node(self.node), json.dumps(here), px=NODE_MS)
                if not self.leader:
                    missing.clear()
                    continue
                held: set[str] = set()
                async for key in self.redis.scan_iter(match=f"{self.keys.nodes}*"):
                    raw = await self.redis.get(key)
                    if raw:
                        held |= {str(a) for a in json.loads(raw)}
            except RedisError:
                continue
            now = time.monotonic()
            for record in list(self.router.store.agents()):
                aid, p = record.profile.id, record.presence
                if not p.logged_in or aid in held:
                    missing.pop(aid, None)
                    gave_up.discard(aid)
                    continue
                gone = now - missing.setdefault(aid, now)
                lost = CONNECTION_LOST in (p.break_reason, p.pending_break)
                try:
                    if gone >= REAP_AFTER_SECONDS and not lost:
                        await self.apply(
                            lambda t, a=aid: self.router.set_agent_state(
                                a, AgentState.BREAK, t, CONNECTION_LOST
                            )
                        )
                    if gone >= max(self.agent_grace_seconds, REAP_AFTER_SECONDS):
                        if aid not in gave_up:
                            gave_up.add(aid)  # busy: kept until the contact ends
                            await self.apply(
                                lambda t, a=aid: self.router.set_agent_state(
                                    a, AgentState.OFFLINE, t
                                )
                            )
                except DomainError:
                    pass

    async def _snapshot_forever(self) -> None:
        while True:
            await asyncio.sleep(SNAPSHOT_SECONDS)
            if not self.leader or self.last_id == self._snapshot_at:
                continue
            try:
                await self.snapshot()
            except RedisError as exc:
                log.warning("shared mode: snapshot not written (%s)", exc)

    async def snapshot(self) -> bool:
        """Store this process's state with its place in the log; trim the log before the
        previous snapshot (so a process reading slightly behind still finds its entries)."""
        async with self.lock:
            at = self.last_id
            data = pickle.dumps(
                {
                    "router": self.router,
                    "seq": self.bus.last_seq,
                    "id": at,
                    "now": self.last_now,
                    "seen": list(self.seen),
                },
                protocol=pickle.HIGHEST_PROTOCOL,
            )
        ms, sq = _split(at)
        stored = await self.redis.eval(
            SNAPSHOT_SCRIPT, 2, self.keys.snapshot, self.keys.log, data, ms, sq
        )
        self._snapshot_at = at
        return bool(stored)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


async def open_shared_center(
    redis_url: str,
    prefix: str,
    router: Router,
    first_seq: int,
    clock: Callable[[], float] = time.time,
) -> tuple[SharedContactCenter, bool]:
    """Join the cluster at ``redis_url``/``prefix``: load its snapshot and catch up with its
    log, or found it with ``router`` (built from routing.yaml and the queue table) when Redis
    holds none. Returns the center and whether this process founded the cluster (then it
    resumes the record's live contacts, as a single process does after a restart)."""
    redis = Redis.from_url(redis_url, decode_responses=False)
    keys = Keys(prefix)
    try:
        await redis.ping()
    except RedisError as exc:
        await redis.aclose()
        raise RuntimeError(
            f"HOTLINE_REDIS_URL is set but Redis does not answer ({exc}); shared mode needs it"
        ) from exc
    if not isinstance(router, SharedRouter):
        router.__class__ = SharedRouter  # same object, recordable commands
    initial = {"router": router, "seq": first_seq - 1, "id": "0-0", "now": 0.0}
    founded = await redis.eval(
        FOUND_SCRIPT,
        2,
        keys.snapshot,
        keys.log,
        pickle.dumps(initial, protocol=pickle.HIGHEST_PROTOCOL),
        0,
        0,
    )
    if founded:
        state = initial
    else:
        raw = await redis.hget(keys.snapshot, "data")
        state = pickle.loads(raw)  # trusted: only this cluster writes it
    bus = InProcessBus(first_seq=int(state["seq"]) + 1)
    center = SharedContactCenter(
        state["router"],
        bus,
        clock,
        redis,
        keys,
        str(state["id"]),
        float(state["now"]),
        state.get("seen"),
    )
    return center, bool(founded)
