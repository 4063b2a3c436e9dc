"""Group commit of chat messages and receipts kept in memory (docs/chat.md, "Throughput").

One writer task per process stores the messages of every open conversation this process
holds. Messages that arrive while a transaction is on its way to the database wait for the
next one, and go together: one look-up of their client ids, one multi-row insert, one update
of the conversations' ``last_seq``, one commit — instead of five statements and a commit
each. Nothing waits on purpose: alone, a message is written at once; under load the batches
grow by themselves.

- **Sequence numbers** are handed out here, from a counter per conversation kept in memory:
  loaded once from the record (the conversation's ``last_seq`` when it is remembered, else
  ``max(seq)`` of its messages), moved forward in the batch and kept only once the batch is
  committed. The unique keys (interaction, seq) and (interaction, sender, client id) still
  guard the record: a batch refused by them (another process wrote to the conversation)
  rolls back whole, the counters of its conversations are forgotten (read again next time)
  and each of its messages is stored alone the old way (``fallback``), one transaction
  each, as before.
- **Acknowledged only after the commit**: each sender's future resolves once the batch's
  transaction committed; the ``chat.message`` events are published by that commit, in
  ``seq`` order per conversation.
- **Receipts** (delivered / read watermarks) move forward in memory and are announced at
  once; they are written at most every ``flush_seconds``, many conversations in one
  statement, with the next batch or alone. A crash loses at most that long of receipts —
  watermarks, not messages: the page and the console send their receipt again with the
  next message they show, and on reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.contacts.messages import iso
from app.db.models import ChatMessage
from app.db.repositories.chat import MARKS, ChatRepository
from app.db.uow import UnitOfWork
from app.events import names as ev

log = logging.getLogger(__name__)

MAX_BATCH = 256  # messages in one transaction (bound parameters stay well under limits)
FLUSH_SECONDS = 1.0  # receipts are written at most this often

Stored = tuple[dict[str, Any], bool]  # the message as sockets show it, and whether it is new


def message_out(m: ChatMessage, marks: tuple[int, int] | None = None) -> dict[str, Any]:
    """A stored message as both sides' sockets show it, with its delivery state."""
    out = new_message(m.seq, m.sender, m.text, m.client_id, m.created_at)
    if marks is not None:
        delivered, read = marks
        if m.seq <= read:
            out["state"] = "read"
        elif m.seq <= delivered:
            out["state"] = "delivered"
    return out


def new_message(seq: int, sender: str, text: str, client_id: str, at: datetime) -> dict[str, Any]:
    return {
        "type": "message",
        "seq": seq,
        "from": sender,
        "text": text,
        "client_id": client_id,
        "at": iso(at),
        "state": "sent",
    }


@dataclass
class Pending:
    """One message waiting for the next batch."""

    conversation_id: str
    interaction_id: int
    contact_id: str | None
    sender: str
    client_id: str
    text: str
    agent_id: int | None
    done: asyncio.Future[Stored] = field(repr=False)

    @property
    def key(self) -> tuple[int, str, str]:
        return (self.interaction_id, self.sender, self.client_id)


class Refused(Exception):
    """The conversation closed before its batch was written (the service says ``ended``)."""


class MessageWriter:
    """Stores messages in batches and keeps sequence counters and receipt marks in memory."""

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        wall_clock: Callable[[], datetime],
        is_open: Callable[[str], bool],
        fallback: Callable[[Pending], Awaitable[Stored]],
        flush_seconds: float = FLUSH_SECONDS,
    ) -> None:
        self.uow = uow
        self.wall_clock = wall_clock
        self.is_open = is_open
        self.fallback = fallback
        self.flush_seconds = flush_seconds
        self.seqs: dict[str, int] = {}  # conversation → its last committed seq
        self.marks: dict[str, dict[str, int]] = {}  # conversation → its four watermarks
        self._dirty: set[str] = set()  # marks not yet written
        self._gone: set[str] = set()  # forgotten, kept until their marks are written
        self._queue: list[Pending] = []
        self._wake = asyncio.Event()
        self._marks_due: float | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        # Counted for the tests and the benchmark: transactions written, messages in them.
        self.batches = 0
        self.batched = 0

    # --- what the service tells it -------------------------------------------------------
    def remember(self, conversation_id: str, last_seq: int | None, marks: dict[str, int]) -> None:
        """An open conversation as the record has it (``last_seq`` None: read it on use)."""
        if last_seq is not None:
            self.seqs[conversation_id] = last_seq
        self.marks[conversation_id] = dict(marks)
        self._gone.discard(conversation_id)

    def forget(self, conversation_id: str) -> None:
        """The conversation closed: its counter goes; its marks once they are written."""
        self.seqs.pop(conversation_id, None)
        if conversation_id in self._dirty:
            self._gone.add(conversation_id)
        else:
            self.marks.pop(conversation_id, None)

    @property
    def running(self) -> bool:
        return not self._closing

    # --- messages ------------------------------------------------------------------------
    async def submit(self, item: Pending) -> Stored:
        """Queue one message; returns once it is committed (or refused)."""
        if self._closing:  # shutting down: the direct way
            return await self.fallback(item)
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="chat-writer")
        self._queue.append(item)
        self._wake.set()
        return await item.done

    def pending(
        self,
        conversation_id: str,
        interaction_id: int,
        contact_id: str | None,
        sender: str,
        client_id: str,
        text: str,
        agent_id: int | None,
    ) -> Pending:
        future: asyncio.Future[Stored] = asyncio.get_running_loop().create_future()
        return Pending(
            conversation_id, interaction_id, contact_id, sender, client_id, text, agent_id, future
        )

    # --- receipts ------------------------------------------------------------------------
    def receipt(
        self, conversation_id: str, side: str, delivered: int, read: int
    ) -> tuple[int, int, bool] | None:
        """Move ``side``'s watermarks forward in memory: (delivered, read, changed), or None
        when this conversation's counter is not in memory (the caller writes it through)."""
        marks, last = self.marks.get(conversation_id), self.seqs.get(conversation_id)
        if marks is None or last is None or conversation_id in self._gone or self._closing:
            return None
        changed = False
        for name, value in ((f"{side}_delivered_seq", delivered), (f"{side}_read_seq", read)):
            value = min(value, last)  # nobody received a message not yet stored
            if value > marks[name]:
                marks[name] = value
                changed = True
        if changed:
            self._dirty.add(conversation_id)
            if self._marks_due is None:
                self._marks_due = asyncio.get_running_loop().time() + self.flush_seconds
                if self._task is None:
                    self._task = asyncio.create_task(self._run(), name="chat-writer")
                self._wake.set()
        return marks[f"{side}_delivered_seq"], marks[f"{side}_read_seq"], changed

    def note_marks(self, conversation_id: str, **marks: int) -> None:
        """Marks written straight to the record (the slow path): memory follows."""
        known = self.marks.get(conversation_id)
        if known is not None:
            for name, value in marks.items():
                known[name] = max(known[name], value)

    def overlay(self, conversation_id: str, row: dict[str, int]) -> dict[str, int]:
        """The record's marks raised by those in memory not yet written."""
        known = self.marks.get(conversation_id)
        if known is None:
            return row
        return {name: max(row[name], known[name]) for name in MARKS}

    async def flush(self) -> None:
        """Write the receipts held in memory now (tests, shutdown)."""
        await self._write([], self._take_marks())

    async def close(self) -> None:
        """Write what is queued and the marks, then stop; later messages go the slow way."""
        self._closing = True
        if self._task is not None:
            # Not cancelled: a batch on its way finishes and answers its senders, and the
            # task stops once the queue is empty.
            self._wake.set()
            await self._task
            self._task = None
        while self._queue:  # queued after the task stopped (none, unless it died)
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            await self._write(batch, [])
        await self.flush()

    # --- the writer task -----------------------------------------------------------------
    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not self._queue:
                if self._closing:
                    return
                self._wake.clear()
                timeout = None
                if self._marks_due is not None:
                    timeout = max(0.0, self._marks_due - loop.time())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout)
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            due = self._marks_due is not None and loop.time() >= self._marks_due
            try:
                await self._write(batch, self._take_marks() if due else [])
            except Exception:  # never let the writer die: each caller already has its answer
                log.exception("chat writer: a batch failed")

    def _take_marks(self) -> list[dict[str, Any]]:
        rows = [{"conv": c, **self.marks[c]} for c in sorted(self._dirty) if c in self.marks]
        for c in self._dirty & self._gone:
            self.marks.pop(c, None)
        self._gone -= self._dirty
        self._dirty.clear()
        self._marks_due = None
        return rows

    async def _write(self, batch: list[Pending], marks: list[dict[str, Any]]) -> None:
        if batch:
            await self._write_batch(batch)
        if marks:
            # Receipts in their own transaction: a refused batch does not hold them back, and
            # each transaction locks conversation rows in one sorted pass (no deadlock).
            try:
                async with self.uow() as uow:
                    await ChatRepository(uow.session).raise_marks_many(marks)
            except Exception:
                log.exception("chat writer: receipts not written; trying again")
                # Forward-only watermarks: written again with the next flush.
                for row in marks:
                    conv = row["conv"]
                    if conv not in self.marks:  # forgotten meanwhile: kept until written
                        self.marks[conv] = {n: row[n] for n in MARKS}
                        self._gone.add(conv)
                    self._dirty.add(conv)
                if self._marks_due is None:
                    self._marks_due = asyncio.get_running_loop().time() + self.flush_seconds

    async def _write_batch(self, batch: list[Pending]) -> None:
        try:
            outcomes = await self._commit(batch)
        except Exception as exc:
            # Nothing of this batch was written. Its counters may be behind the record
            # (another writer): forget them, and store each message alone, as before.
            for item in batch:
                self.seqs.pop(item.conversation_id, None)
            log.info("chat writer: batch of %d refused (%s); one by one", len(batch), exc)
            for item in batch:
                try:
                    result = await self.fallback(item)
                except Exception as one:
                    if not item.done.done():
                        item.done.set_exception(one)
                else:
                    if not item.done.done():
                        item.done.set_result(result)
            return
        for item, outcome in zip(batch, outcomes, strict=True):
            if item.done.done():  # its sender went away (cancelled)
                continue
            if isinstance(outcome, Exception):
                item.done.set_exception(outcome)
            else:
                item.done.set_result(outcome)

    async def _commit(self, batch: list[Pending]) -> list[Stored | Exception]:
        outcomes: list[Stored | Exception] = []
        async with self.uow() as uow:
            repo = ChatRepository(uow.session)
            unknown = {
                p.conversation_id: p.interaction_id
                for p in batch
                if p.conversation_id not in self.seqs
            }
            seqs = {p.conversation_id: self.seqs.get(p.conversation_id, 0) for p in batch}
            if unknown:
                seqs |= await repo.last_seqs(unknown)
            now = self.wall_clock()
            rows: list[dict[str, Any]] = []
            fresh: dict[tuple[int, str, str], dict[str, Any]] = {}
            for p in batch:
                # A client id stored before (sent again after a lost acknowledgement) is not
                # looked up: the insert's unique key refuses it, the batch rolls back and its
                # messages go one by one, which answers the repeat with the stored message.
                # Rare (a reconnect), so the common batch saves the look-up.
                if p.key in fresh:  # the same message twice in one batch
                    outcomes.append((fresh[p.key], False))
                    continue
                if not self.is_open(p.conversation_id):
                    outcomes.append(Refused(p.conversation_id))
                    continue
                seq = seqs[p.conversation_id] = seqs[p.conversation_id] + 1
                out = fresh[p.key] = new_message(seq, p.sender, p.text, p.client_id, now)
                rows.append(
                    {
                        "interaction_id": p.interaction_id,
                        "conversation_id": p.conversation_id,
                        "seq": seq,
                        "sender": p.sender,
                        "agent_id": p.agent_id,
                        "client_id": p.client_id,
                        "text": p.text,
                        "extra": {},
                        "created_at": now,
                    }
                )
                outcomes.append((out, True))
                uow.emit(
                    ev.CHAT_MESSAGE,
                    {
                        "conversation_id": p.conversation_id,
                        "contact_id": str(p.contact_id),
                        "message": out,
                    },
                )
            # The conversations first (sorted), then their messages: the order in which the
            # one-message path locks them too, so two writers never wait on each other.
            last = {r["conversation_id"]: r["seq"] for r in rows}
            await repo.set_last_seqs(dict(sorted(last.items())))
            await repo.insert_messages(rows)
        # Committed: the counters move on (a rollback above leaves them where they were).
        for cid, seq in seqs.items():
            if cid in self.seqs or self.is_open(cid):
                self.seqs[cid] = seq
        self.batches += 1
        self.batched += len(rows)
        return outcomes
