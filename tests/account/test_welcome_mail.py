"""Registration sends one welcome mail through the outbox, exactly once."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

import httpx
from sqlalchemy import delete, select

from app.account.models import User
from app.config import Settings
from app.core.db import Database, unit_of_work
from app.jobs.models import Job, JobStatus
from app.jobs.runner import JobRunner
from app.jobs.service import enqueue
from tests.account.factories import PASSWORD, csrf_token_in

JOB_NAME = "account.send_welcome_mail"


async def _welcome_jobs(database: Database) -> list[Job]:
    async with unit_of_work(database.reader) as session:
        result = await session.execute(select(Job).where(Job.name == JOB_NAME).order_by(Job.id))
        return list(result.scalars().all())


def _mails(mail_dir: Path) -> list[EmailMessage]:
    if not mail_dir.exists():
        return []
    messages = []
    for path in sorted(mail_dir.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        messages.append(message)
    return messages


async def test_registration_sends_one_welcome_mail(
    client: httpx.AsyncClient, database: Database, runner: JobRunner, settings: Settings
) -> None:
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": "Zhao.Lei@Example.com", "password": PASSWORD, "display_name": "赵磊"},
    )
    assert response.status_code == 201
    user_id = response.json()["id"]

    jobs = await _welcome_jobs(database)
    assert [(job.payload, job.status) for job in jobs] == [
        ({"user_id": user_id}, JobStatus.PENDING)
    ]
    assert _mails(settings.mail_dir) == []  # nothing leaves before a worker runs

    assert await runner.run_until_idle() == 1

    mails = _mails(settings.mail_dir)
    assert len(mails) == 1
    mail = mails[0]
    assert mail["To"] == "zhao.lei@example.com"
    assert "欢迎" in str(mail["Subject"])
    assert f"welcome-{user_id}@" in str(mail["Message-ID"])
    body = mail.get_content()
    assert "赵磊" in body
    assert [job.status for job in await _welcome_jobs(database)] == [JobStatus.DONE]

    assert await runner.run_until_idle() == 0
    assert len(_mails(settings.mail_dir)) == 1


async def test_page_registration_sends_it_too(
    client: httpx.AsyncClient, database: Database, runner: JobRunner, settings: Settings
) -> None:
    csrf = csrf_token_in((await client.get("/register")).text)
    await client.post(
        "/register",
        data={
            "email": "page@example.com",
            "password": PASSWORD,
            "display_name": "网页用户",
            "csrf_token": csrf,
        },
    )

    assert len(await _welcome_jobs(database)) == 1
    await runner.run_until_idle()
    mails = _mails(settings.mail_dir)
    assert len(mails) == 1
    assert "网页用户" in mails[0].get_content()


async def test_a_refused_registration_enqueues_nothing(
    client: httpx.AsyncClient, database: Database
) -> None:
    body = {"email": "twice@example.com", "password": PASSWORD, "display_name": "两次"}
    assert (await client.post("/api/v1/auth/register", json=body)).status_code == 201
    assert (await client.post("/api/v1/auth/register", json=body)).status_code == 409
    invalid = {**body, "email": "other@example.com", "password": "short"}
    assert (await client.post("/api/v1/auth/register", json=invalid)).status_code == 422

    assert len(await _welcome_jobs(database)) == 1


async def test_a_deleted_user_gets_no_mail(
    database: Database, runner: JobRunner, settings: Settings
) -> None:
    async with unit_of_work(database.writer) as session:
        user = User(email="gone@example.com", password_hash="x", display_name="已删除")
        session.add(user)
        await session.flush()
        await enqueue(session, JOB_NAME, {"user_id": user.id})
        await session.execute(delete(User).where(User.id == user.id))

    assert await runner.run_until_idle() == 1

    assert _mails(settings.mail_dir) == []
    assert [job.status for job in await _welcome_jobs(database)] == [JobStatus.DONE]
