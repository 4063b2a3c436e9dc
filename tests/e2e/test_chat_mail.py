"""The chat transcript by e-mail, end to end: a real SMTP server (aiosmtpd) in the test
process, the customer on /ws/chat, the agent on /ws/agent (docs/chat.md, "The conversation").
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Iterator
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller

from config.settings import Settings
from tests.conftest import LiveServer, make_settings
from tests.e2e.test_chat_flow import ChatClient, chat_with_alice, setup_floor

PASSWORD = "smtp-pass-never-logged-9f3k"
SENDER = "support@hotline.example"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """aiosmtpd handler: every message the server accepted, parsed."""

    def __init__(self) -> None:
        self.mails: list[EmailMessage] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        mail = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        self.mails.append(mail)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"

    async def wait(self, count: int = 1, within: float = 5.0) -> list[EmailMessage]:
        async with asyncio.timeout(within):
            # aiosmtpd runs in its own thread and loop: an asyncio.Event of this loop cannot
            # be set from there, so the list is polled.
            while len(self.mails) < count:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        return self.mails


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
async def live_settings(db_url: str, tmp_path: Path, smtp: tuple[Inbox, int]) -> Settings:
    return make_settings(
        db_url, tmp_path, smtp_host="127.0.0.1", smtp_port=smtp[1], smtp_from=SENDER
    )


def local(at: str) -> str:
    """A message's ``at`` as the mail prints it: in the chat config's zone (Asia/Shanghai)."""
    moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
    return moment.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M:%S")


async def mails_settled(live: LiveServer) -> None:
    """Every mail asked for so far sent or given up: nothing more can come of them."""
    chat = live.app.state.hotline.chat
    assert chat is not None and chat.mailer is not None
    await chat.mailer.settled()


async def converse(live: LiveServer, language: str) -> tuple[ChatClient, Any, str, list[str]]:
    """A chat answered by alice, one message each way; the two messages' local times."""
    await setup_floor(live)
    alice_ready = chat_with_alice(live) if language == "en" else _zh_chat(live)
    customer, alice, cid = await alice_ready
    assert customer.welcome["email_transcript"] is True
    await customer.say("我的账单有误" if language == "zh" else "My bill is wrong", "c-1")
    await alice.expect("chat.message", contact_id=cid)
    await alice.send("chat.send", contact_id=cid, text="Let me check\nfor you", client_id="a-1")
    await alice.expect("chat.sent", contact_id=cid)
    await customer.expect("message", seq=2)
    times = [local(m["at"]) for m in customer.messages[:2]]
    return customer, alice, cid, times


async def _zh_chat(live: LiveServer) -> tuple[ChatClient, Any, str]:
    from tests.agent_client import AgentClient

    alice = await AgentClient(live, "alice").connect()
    await alice.available()
    customer = await ChatClient(live, language="zh").start(name="王芳")
    cid = (await alice.expect("offer"))["contact"]["id"]
    await alice.send("offer.accept", contact_id=cid)
    await alice.expect("contact.assigned")
    await customer.expect("agent")
    return customer, alice, cid


async def test_transcript_is_mailed_in_english_after_the_end(
    live: LiveServer, smtp: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp
    customer, alice, cid, (t1, t2) = await converse(live, "en")
    await customer.send("end", email_transcript=True)
    assert (await customer.expect("transcript"))["status"] == "queued"
    assert (await customer.expect("ended"))["by"] == "customer"

    [mail] = await inbox.wait()
    assert mail["To"] == "wang.fang@example.com" and mail["From"] == SENDER
    assert inbox.recipients == [["wang.fang@example.com"]]
    assert mail["Subject"] == f"Your chat with us on {t1[:10]}"
    body = mail.get_content()
    lines = body.splitlines()
    assert lines[0] == "Hello Wang Fang,"
    assert "(times in Asia/Shanghai)" in body
    assert f"[{t1}] You: My bill is wrong" in lines
    assert f"[{t2}] Alice: Let me check" in lines and "    for you" in lines
    # Nothing more is sent: one request, one mail.
    await mails_settled(live)
    assert len(inbox.mails) == 1
    r = await live.request("GET", f"/api/interactions/{cid}", as_="super")
    assert r.json()["attributes"]["transcript_emailed_at"]
    await customer.close()
    await alice.close()


async def test_transcript_in_chinese_asked_with_the_rating_is_mailed_once(
    live: LiveServer, smtp: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp
    customer, alice, _, (t1, t2) = await converse(live, "zh")
    await customer.send("end", email_transcript=True)
    await customer.expect("transcript")
    await customer.expect("ended")
    await inbox.wait()
    # Asked again with the rating: the rating lands, the same mail is not sent twice.
    await customer.send("rate", rating=5, comment="很好", email_transcript=True)
    assert (await customer.expect("rated"))["rating"] == 5
    assert (await customer.expect("transcript"))["status"] == "queued"
    await mails_settled(live)
    [mail] = inbox.mails
    assert mail["To"] == "wang.fang@example.com"
    assert mail["Subject"] == f"您于 {t1[:10]} 的在线咨询记录"
    lines = mail.get_content().splitlines()
    assert lines[0] == "王芳，您好："
    assert f"[{t1}] 您: 我的账单有误" in lines
    assert f"[{t2}] Alice: Let me check" in lines
    assert "感谢您的咨询。" in lines
    await customer.close()
    await alice.close()


async def test_the_box_ticked_after_the_agent_ended_the_chat_sends_one_mail(
    live: LiveServer, smtp: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp
    customer, alice, cid, _ = await converse(live, "en")
    await alice.send("contact.end", contact_id=cid)
    await customer.expect("ended")
    assert inbox.mails == []  # not asked: nothing sent
    # The page's checkbox: an `end` of the chat already over only asks for the mail.
    await customer.send("end", email_transcript=True)
    assert (await customer.expect("transcript"))["status"] == "queued"
    await customer.nothing("error", wait=0.3)
    [mail] = await inbox.wait()
    assert mail["To"] == "wang.fang@example.com"
    await customer.send("rate", rating=4, email_transcript=True)
    await customer.expect("rated")
    await mails_settled(live)
    assert len(inbox.mails) == 1
    await customer.close()
    await alice.close()


async def test_no_email_address_means_no_offer_and_a_clear_refusal(live: LiveServer) -> None:
    await setup_floor(live)
    customer = await ChatClient(live).start(reach="+8613800138000")
    assert customer.welcome["email_transcript"] is False
    await customer.send("end", email_transcript=True)
    refusal = await customer.expect("error", ref="email_transcript")
    assert refusal["code"] == "transcript_unavailable" and "e-mail" in refusal["message"]
    await customer.close()


class TestUnreachable:
    """The SMTP server is down: the chat goes on, attempts are logged, the password is not."""

    @pytest.fixture
    async def live_settings(self, db_url: str, tmp_path: Path) -> Settings:
        return make_settings(
            db_url,
            tmp_path,
            smtp_host="127.0.0.1",
            smtp_port=free_port(),  # nothing listens there
            smtp_from=SENDER,
            smtp_user="hotline",
            smtp_password=PASSWORD,
            smtp_timeout_seconds=2,
        )

    async def test_a_dead_mail_server_does_not_hurt_the_chat(
        self, live: LiveServer, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO)
        mailer = live.app.state.hotline.chat.mailer
        pauses: list[float] = []

        async def fake_sleep(seconds: float) -> None:  # the retry clock, without waiting
            pauses.append(seconds)

        mailer.sleep = fake_sleep
        customer, alice, _, _ = await converse(live, "en")
        await customer.send("end", email_transcript=True)
        await customer.expect("transcript")
        await customer.expect("ended")
        delivered = await asyncio.wait_for(mailer.request(customer.conversation_id), 10)
        assert delivered is False
        assert pauses == [2.0, 10.0, 30.0]  # four attempts, growing pauses
        # The socket still answers, the rating still lands.
        await customer.send("rate", rating=3)
        assert (await customer.expect("rated"))["rating"] == 3
        failures = [r for r in caplog.records if r.name == "app.chat.mail"]
        assert sum("failed (attempt" in r.getMessage() for r in failures) == 4
        assert any("given up after 4 attempts" in r.getMessage() for r in failures)
        assert all(PASSWORD not in r.getMessage() for r in caplog.records)
        assert PASSWORD not in caplog.text
        await customer.close()
        await alice.close()


class TestNotConfigured:
    """No HOTLINE_SMTP_HOST: no mailer, and the page is not offered the e-mail."""

    @pytest.fixture
    async def live_settings(self, db_url: str, tmp_path: Path) -> Settings:
        return make_settings(db_url, tmp_path)

    async def test_the_page_is_not_offered_the_mail(self, live: LiveServer) -> None:
        assert live.app.state.hotline.chat.mailer is None
        await setup_floor(live)
        customer = await ChatClient(live).start()  # an e-mail address was given
        assert customer.welcome["email_transcript"] is False
        await customer.send("end", email_transcript=True)
        refusal = await customer.expect("error", ref="email_transcript")
        assert refusal["code"] == "transcript_unavailable"
        await customer.close()
