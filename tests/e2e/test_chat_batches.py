"""Chat messages stored in batches and receipts held in memory (app/chat/writer.py,
docs/chat.md "Throughput"): the guarantees of "no message lost, none doubled" hold as before."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from app.chat.service import ChatService
from app.db.repositories.chat import ChatRepository
from config.settings import Settings
from tests.conftest import LiveServer, make_settings
from tests.e2e.test_chat_flow import ChatClient, chat_yaml, setup_floor

CHATS = 6


@pytest.fixture
async def live_settings(db_url: str, tmp_path: Path) -> Settings:
    # Every customer here comes from 127.0.0.1: the per-address limits would stop the fourth.
    limits = {"open_per_address": 50, "new_per_address_per_hour": 50}
    return make_settings(db_url, tmp_path, chat_file=chat_yaml(tmp_path, limits=limits))


async def open_chats(live: LiveServer, n: int) -> list[ChatClient]:
    await setup_floor(live)
    return [await ChatClient(live).start(reach=f"c{k}@example.com") for k in range(n)]


async def stored(chat: ChatService, conversation_id: str) -> list[tuple[int, str, str]]:
    return [(m["seq"], m["from"], m["text"]) for m in await chat.history(conversation_id, 0)]


async def test_a_burst_is_stored_once_each_in_order_and_a_refused_batch_one_by_one(
    live: LiveServer,
) -> None:
    customers = await open_chats(live, CHATS)
    chat: ChatService = live.app.state.hotline.chat
    ids = [c.conversation_id or "" for c in customers]
    before = chat.writer.batches
    # Five messages in each chat, all at once, each chat's third one sent twice in the burst.
    plan = [(cid, n) for n in range(5) for cid in ids for _ in range(2 if n == 2 else 1)]
    results = await asyncio.gather(
        *(chat.post(cid, "customer", f"m-{n}", f"text {n}") for cid, n in plan)
    )
    # Fewer transactions than messages: they went together.
    assert chat.writer.batches - before < len(ids) * 5
    for cid in ids:
        assert await stored(chat, cid) == [(n + 1, "customer", f"text {n}") for n in range(5)]
    # Each acknowledgement names the seq the message has in the record; the repeat the same.
    seqs: dict[tuple[str, int], set[int]] = {}
    for (cid, n), (message, _new) in zip(plan, results, strict=True):
        seqs.setdefault((cid, n), set()).add(message["seq"])
    assert seqs == {(cid, n): {n + 1} for cid in ids for n in range(5)}
    assert sum(new for _, new in results) == len(ids) * 5
    # Each page got each message once, in order.
    first = customers[0]
    await first.expect("message", seq=5)
    await first.nothing("message", wait=0.2)
    assert [m["seq"] for m in first.messages] == [1, 2, 3, 4, 5]

    # Another process wrote to a chat behind this one's counter: the batch with that chat
    # rolls back whole (nobody is told anything of it) and each message is stored alone,
    # with the seq the record gives it; the counter is read again.
    a, b = ids[0], ids[1]
    # A second server's chat service: it holds no conversation open, so it writes directly.
    other = ChatService(chat.contacts, chat.uow, chat.config, chat.hub, chat.rooms)
    behind, _ = await other.post(a, "customer", "elsewhere", "from the other process")
    assert behind["seq"] == 6 and chat.writer.seqs[a] == 5  # this one does not know
    (in_a, new_a), (in_b, new_b) = await asyncio.gather(
        chat.post(a, "customer", "here", "in a"), chat.post(b, "customer", "here", "in b")
    )
    assert (in_a["seq"], new_a, in_b["seq"], new_b) == (7, True, 6, True)
    assert (await stored(chat, a))[5:] == [
        (6, "customer", "from the other process"),
        (7, "customer", "in a"),
    ]
    # Only what was committed reached the page (here the two services share one bus), each
    # once: nothing of the refused batch, nothing with a wrong number.
    await first.expect("message", seq=7)
    await first.nothing("message", wait=0.2)
    assert [(m["seq"], m["text"]) for m in first.messages[5:]] == [
        (6, "from the other process"),
        (7, "in a"),
    ]
    # The next message is batched again, numbered on from the record.
    assert (await chat.post(a, "customer", "next", "again"))[0]["seq"] == 8
    # A repeat of a stored client id goes the same way: found, not stored twice.
    again, new = await chat.post(a, "customer", "here", "in a")
    assert (again["seq"], new) == (7, False)
    for c in customers:
        await c.close()


async def test_shutdown_writes_what_is_queued_and_a_restart_numbers_on(
    live: LiveServer,
) -> None:
    customers = await open_chats(live, 2)
    chat: ChatService = live.app.state.hotline.chat
    a, b = (c.conversation_id or "" for c in customers)
    await chat.post(a, "customer", "m-0", "first")
    # Receipts are held in memory: seen at once by a resuming page, written later.
    await chat.post(b, "customer", "b-0", "hello")
    await chat.receipt(a, "agent", 1, 1)
    async with chat.uow() as uow:
        row = await ChatRepository(uow.session).get(a)
        assert row is not None and row.agent_read_seq == 0  # not yet written
        assert chat.marks(row)["agent_read_seq"] == 1
    # Shut-down with messages still queued: each is written, then acknowledged.
    sending = [
        asyncio.create_task(chat.post(cid, "customer", f"q-{n}", f"queued {n}"))
        for n in range(4)
        for cid in (a, b)
    ]
    await asyncio.sleep(0)  # queued, not yet written
    await chat.close()
    acked = [message for message, _new in await asyncio.gather(*sending)]
    assert sorted(m["seq"] for m in acked) == [2, 2, 3, 3, 4, 4, 5, 5]
    async with chat.uow() as uow:
        row = await ChatRepository(uow.session).get(a)
        assert row is not None and (row.agent_delivered_seq, row.agent_read_seq) == (1, 1)
        assert row.last_seq == 5
    # A new process over the same record: open chats come back, numbered on from the record.
    again = ChatService(chat.contacts, chat.uow, chat.config, chat.hub, chat.rooms)
    await again.load()
    assert (await again.post(a, "customer", "after", "after the restart"))[0]["seq"] == 6
    assert [seq for seq, _, _ in await stored(again, a)] == [1, 2, 3, 4, 5, 6]
    await again.close()
    for c in customers:
        await c.close()
