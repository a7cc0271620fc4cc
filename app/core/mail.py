"""Outgoing e-mail: written to files under var/mail by default, sent over SMTP when configured."""

from __future__ import annotations

import asyncio
import smtplib
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from app.core.clock import utcnow


@dataclass(frozen=True)
class OutgoingMail:
    to: str
    subject: str
    text: str
    html: str | None = None
    # A stable id (e.g. the job's) so that a receiver can tell a retried message from a new one.
    message_key: str | None = None


class Mailer(Protocol):
    async def send(self, mail: OutgoingMail) -> None: ...


def _build(mail: OutgoingMail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Message-ID"] = f"<{mail.message_key or uuid.uuid4().hex}@fengshou>"
    message.set_content(mail.text)
    if mail.html:
        message.add_alternative(mail.html, subtype="html")
    return message


class FileMailer:
    """Writes each message as an .eml file: the embedded default and the tests' mailbox."""

    def __init__(self, directory: Path, sender: str) -> None:
        self.directory = directory
        self.sender = sender

    async def send(self, mail: OutgoingMail) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
        path = self.directory / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        data = bytes(_build(mail, self.sender))
        await asyncio.to_thread(path.write_bytes, data)


class SmtpMailer:
    """Plain SMTP (optionally STARTTLS and login), run in a thread: smtplib blocks."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        user: str | None = None,
        password: str | None = None,
        starttls: bool = False,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password, self.starttls = user, password, starttls

    def _send_sync(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user and self.password:
                smtp.login(self.user, self.password)
            smtp.send_message(message)

    async def send(self, mail: OutgoingMail) -> None:
        await asyncio.to_thread(self._send_sync, _build(mail, self.sender))


def create_mailer(
    *,
    mail_dir: Path,
    sender: str,
    smtp_host: str | None,
    smtp_port: int = 25,
    smtp_user: str | None = None,
    smtp_password: str | None = None,
    smtp_starttls: bool = False,
) -> Mailer:
    """SMTP when a host is configured, else files under `mail_dir`."""
    if smtp_host:
        return SmtpMailer(
            smtp_host,
            smtp_port,
            sender,
            user=smtp_user,
            password=smtp_password,
            starttls=smtp_starttls,
        )
    return FileMailer(mail_dir, sender)
