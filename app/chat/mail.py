"""The chat transcript by e-mail, when the customer asks for it and SMTP is configured.

The request is made at the end of a chat (``email_transcript: true`` on the ``end`` or
``rate`` frame, docs/chat.md). The mail goes out *after* the conversation's end is committed,
from a background task: the customer's socket never waits for an SMTP server. The stdlib is
enough (``email`` builds the message, ``smtplib`` sends it in a worker thread), so no new
dependency. A failure is retried a few times with a growing pause, then logged and dropped:
the chat itself is already on the record. The password never reaches a log line — only the
conversation id, the server's host and port, and the error's class and text are logged.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from app.chat.config import ChatConfig
from app.db.repositories.chat import ChatRepository
from app.db.repositories.staff import StaffRepository
from app.db.uow import UnitOfWork

if TYPE_CHECKING:
    from config.settings import Settings

log = logging.getLogger(__name__)

# Pauses between attempts (seconds): four tries in all, about 45 s before giving up.
RETRY_PAUSES: tuple[float, ...] = (2.0, 10.0, 30.0)

WORDS: dict[str, dict[str, str]] = {
    "subject": {"en": "Your chat with us on {date}", "zh": "您于 {date} 的在线咨询记录"},
    "greeting": {"en": "Hello {name},", "zh": "{name}，您好："},
    "intro": {
        "en": "Here is the transcript of your chat, as you asked (times in {zone}).",
        "zh": "以下是您要求发送的在线咨询记录（时间为 {zone} 时间）。",
    },
    "you": {"en": "You", "zh": "您"},
    "agent": {"en": "Agent", "zh": "客服"},
    "empty": {"en": "(no messages)", "zh": "（无消息）"},
    "closing": {
        "en": "Thank you for contacting us.",
        "zh": "感谢您的咨询。",
    },
    "customer": {"en": "customer", "zh": "客户"},
}


def _say(key: str, lang: str, **facts: Any) -> str:
    words = WORDS[key]
    return (words.get(lang) or words["en"]).format(**facts)


@dataclass(frozen=True)
class SmtpConfig:
    """Where mail goes out. ``password`` is kept out of ``repr`` so that no log of this
    object ever shows it."""

    host: str
    port: int
    sender: str
    user: str = ""
    password: str = field(default="", repr=False)
    starttls: bool = False
    timeout: float = 10.0


def smtp_from_settings(settings: Settings) -> SmtpConfig | None:
    """The SMTP server from HOTLINE_SMTP_*; None when e-mail is not configured (no host or
    no sender address)."""
    if not settings.smtp_host.strip() or not settings.smtp_from.strip():
        return None
    return SmtpConfig(
        host=settings.smtp_host.strip(),
        port=settings.smtp_port,
        sender=settings.smtp_from.strip(),
        user=settings.smtp_user,
        password=settings.smtp_password.get_secret_value(),
        starttls=settings.smtp_starttls,
        timeout=settings.smtp_timeout_seconds,
    )


def send_blocking(config: SmtpConfig, message: EmailMessage) -> None:
    """One attempt over SMTP (blocking: run it in a thread)."""
    with smtplib.SMTP(config.host, config.port, timeout=config.timeout) as smtp:
        if config.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if config.user:
            smtp.login(config.user, config.password)
        smtp.send_message(message)


@dataclass(frozen=True)
class Line:
    """One message of the transcript, ready to print."""

    at: datetime
    who: str
    text: str


def compose(
    *,
    sender: str,
    to: str,
    lang: str,
    zone: str,
    customer_name: str | None,
    lines: Sequence[Line],
    started: datetime,
) -> EmailMessage:
    """The transcript as a plain-text e-mail in the customer's language, times in ``zone``."""
    tz = ZoneInfo(zone)
    local_start = started.astimezone(tz)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = _say("subject", lang, date=local_start.strftime("%Y-%m-%d"))
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    body = [
        _say("greeting", lang, name=customer_name or _say("customer", lang)),
        "",
        _say("intro", lang, zone=zone),
        "",
    ]
    for line in lines:
        stamp = line.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
        # A multi-line message stays readable: its further lines are indented under it.
        text = line.text.replace("\r\n", "\n").replace("\n", "\n    ")
        body.append(f"[{stamp}] {line.who}: {text}")
    if not lines:
        body.append(_say("empty", lang))
    body += ["", _say("closing", lang), ""]
    message.set_content("\n".join(body), subtype="plain", charset="utf-8")
    return message


class TranscriptMailer:
    """Sends a conversation's transcript in the background, after its end is on the record.

    ``sleep`` and ``send`` are injectable so tests can drive retries without waiting and
    count attempts; in production they are ``asyncio.sleep`` and :func:`send_blocking` in a
    worker thread.
    """

    def __init__(
        self,
        smtp: SmtpConfig,
        uow: Callable[[], UnitOfWork],
        config: ChatConfig,
        pauses: Sequence[float] = RETRY_PAUSES,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        send: Callable[[SmtpConfig, EmailMessage], None] = send_blocking,
    ) -> None:
        self.smtp = smtp
        self.uow = uow
        self.config = config
        self.pauses = tuple(pauses)
        self.sleep = sleep
        self.send = send
        self._tasks: dict[str, asyncio.Task[bool]] = {}  # conversation id → its sending
        self.sent: set[str] = set()  # conversations mailed by this process

    def request(self, conversation_id: str) -> asyncio.Task[bool]:
        """Send the transcript soon; a second request while one is under way or done is the
        same request (the customer gets one e-mail)."""
        task = self._tasks.get(conversation_id)
        if task is None:
            task = asyncio.create_task(
                self.deliver(conversation_id), name=f"mail-{conversation_id}"
            )
            self._tasks[conversation_id] = task
        return task

    async def settled(self) -> None:
        """Wait until every mail asked for so far has been sent or given up (what a test
        awaits to show that a repeated request sent nothing more)."""
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def close(self) -> None:
        """Stop mails still being tried (shutdown)."""
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def deliver(self, conversation_id: str) -> bool:
        """Build and send, retrying; True once the SMTP server accepted the mail."""
        try:
            built = await self._build(conversation_id)
        except Exception:
            log.exception("chat %s: the transcript e-mail could not be built", conversation_id)
            return False
        if built is None:
            return False
        message, interaction_id = built
        attempts = len(self.pauses) + 1
        for attempt in range(1, attempts + 1):
            try:
                await asyncio.to_thread(self.send, self.smtp, message)
            except (OSError, smtplib.SMTPException) as exc:
                # The error's text, never the configuration: the password stays out of logs.
                log.warning(
                    "chat %s: transcript e-mail via %s:%s failed (attempt %d of %d): %s: %s",
                    conversation_id,
                    self.smtp.host,
                    self.smtp.port,
                    attempt,
                    attempts,
                    type(exc).__name__,
                    exc,
                )
                if attempt < attempts:
                    await self.sleep(self.pauses[attempt - 1])
                continue
            self.sent.add(conversation_id)
            await self._mark(interaction_id)
            log.info("chat %s: transcript e-mailed", conversation_id)
            return True
        log.error(
            "chat %s: transcript e-mail given up after %d attempts", conversation_id, attempts
        )
        return False

    async def _build(self, conversation_id: str) -> tuple[EmailMessage, int] | None:
        async with self.uow() as uow:
            repo = ChatRepository(uow.session)
            conv = await repo.get(conversation_id)
            if conv is None or conv.interaction_id is None or not email_of(conv.reach):
                return None
            interaction = await repo.interaction(conv.interaction_id)
            if interaction is not None and interaction.attributes.get("transcript_emailed_at"):
                return None  # already sent (before a restart, say)
            rows = await repo.messages_after(conv.interaction_id, 0, limit=100_000)
            staff = StaffRepository(uow.session)
            names: dict[int, str] = {}
            for agent_id in {m.agent_id for m in rows if m.agent_id is not None}:
                agent = await staff.get_agent(agent_id)
                if agent is not None:
                    names[agent_id] = agent.display_name
        lang = conv.language
        lines = [
            Line(
                m.created_at,
                _say("you", lang)
                if m.sender == "customer"
                else names.get(m.agent_id or 0) or conv.agent_name or _say("agent", lang),
                m.text,
            )
            for m in rows
        ]
        message = compose(
            sender=self.smtp.sender,
            to=str(conv.reach),
            lang=lang,
            zone=self.config.hours.timezone,
            customer_name=conv.name,
            lines=lines,
            started=conv.created_at,
        )
        return message, conv.interaction_id

    async def _mark(self, interaction_id: int) -> None:
        """The interaction remembers the transcript went out (no second mail after a
        restart)."""
        try:
            async with self.uow() as uow:
                interaction = await ChatRepository(uow.session).interaction(interaction_id)
                if interaction is not None:
                    stamp = datetime.now(ZoneInfo("UTC")).isoformat()
                    interaction.attributes = {
                        **interaction.attributes,
                        "transcript_emailed_at": stamp,
                    }
        except Exception:
            log.exception("interaction %s: could not note the e-mailed transcript", interaction_id)


def email_of(reach: str | None) -> str | None:
    """The customer's e-mail address, when the way to reach them given is one."""
    if reach and "@" in reach:
        return reach
    return None


__all__ = ["SmtpConfig", "TranscriptMailer", "compose", "email_of", "smtp_from_settings"]
