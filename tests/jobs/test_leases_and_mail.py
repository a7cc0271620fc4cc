"""Short leases renewed while a job runs, and a job's mails sent once whatever its retries."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.core.clock import utcnow
from app.core.db import Database, unit_of_work
from app.core.mail import OutgoingMail
from app.jobs.models import Job, JobStatus
from app.jobs.registry import JobContext, job
from app.jobs.runner import JobRunner
from app.jobs.service import enqueue

sent: list[OutgoingMail] = []
mail_failures_left: dict[int, int] = {}
running = asyncio.Event()
may_finish = asyncio.Event()


class RecordingMailer:
    async def send(self, mail: OutgoingMail) -> None:
        sent.append(mail)


@job("tests.mail_twice_then_fail")
async def mail_twice_then_fail(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Two mails (one keyed, one not), then a failure while failures are left."""
    key = int(payload["key"])
    await ctx.mailer.send(OutgoingMail("a@example.com", "keyed", "…", message_key=f"k-{key}"))
    await ctx.mailer.send(OutgoingMail("b@example.com", "unkeyed", "…"))
    if mail_failures_left.get(key, 0) > 0:
        mail_failures_left[key] -= 1
        raise RuntimeError("the mail server dropped the connection")
    await ctx.mailer.send(OutgoingMail("c@example.com", "after the failure", "…"))


@job("tests.wait_for_the_test")
async def wait_for_the_test(ctx: JobContext, payload: dict[str, Any]) -> None:
    running.set()
    await may_finish.wait()


@pytest.fixture(autouse=True)
def _reset() -> None:
    sent.clear()
    mail_failures_left.clear()
    running.clear()
    may_finish.clear()


def runner_for(app: FastAPI, worker_id: str, **settings: Any) -> JobRunner:
    state = app.state
    return JobRunner(
        state.database.writer,
        settings=state.settings.model_copy(update=settings),
        mailer=RecordingMailer(),
        http=state.http,
        worker_id=worker_id,
    )


async def _job(database: Database, job_id: int) -> Job:
    async with unit_of_work(database.writer) as session:
        found = await session.scalar(select(Job).where(Job.id == job_id))
        assert found is not None
        return found


async def test_a_claim_lasts_thirty_seconds_by_default(database: Database, app: FastAPI) -> None:
    async with unit_of_work(database.writer) as session:
        created = await enqueue(session, "tests.wait_for_the_test")
    runner = runner_for(app, "first")
    moment = utcnow()
    assert await runner.claim(now=moment) is not None
    claimed = await _job(database, created.id)
    assert claimed.locked_until == moment + timedelta(seconds=30)
    assert claimed.locked_by == "first"


async def test_a_lease_is_renewed_by_its_holder_only(database: Database, app: FastAPI) -> None:
    async with unit_of_work(database.writer) as session:
        created = await enqueue(session, "tests.wait_for_the_test")
    holder, other = runner_for(app, "holder"), runner_for(app, "other")
    moment = utcnow()
    assert await holder.claim(now=moment) is not None
    later = moment + timedelta(seconds=20)

    assert await other.renew_lease(created.id, now=later) is False
    assert (await _job(database, created.id)).locked_until == moment + timedelta(seconds=30)
    assert await holder.renew_lease(created.id, now=later) is True
    assert (await _job(database, created.id)).locked_until == later + timedelta(seconds=30)
    # Taken over after the lease ran out: the old holder's renewal is refused.
    taken = await other.claim(now=later + timedelta(seconds=31))
    assert taken is not None and taken.id == created.id
    assert await holder.renew_lease(created.id) is False


async def test_a_running_job_keeps_its_lease_while_it_runs(
    database: Database, app: FastAPI
) -> None:
    runner = runner_for(app, "beating", job_lease_seconds=1.0)
    if not runner.renews_leases:
        # SQLite: the handler's transaction holds the write lock; nobody can claim meanwhile.
        assert database.url.startswith("sqlite")
        return
    async with unit_of_work(database.writer) as session:
        created = await enqueue(session, "tests.wait_for_the_test")
    task = asyncio.create_task(runner.run_once())
    await asyncio.wait_for(running.wait(), timeout=30)
    first = (await _job(database, created.id)).locked_until
    assert first is not None
    renewed = first
    for _ in range(300):  # a renewal every third of a second; wait up to 30 s for two
        await asyncio.sleep(0.1)
        renewed = (await _job(database, created.id)).locked_until or first
        if renewed > first + timedelta(seconds=0.5):
            break
    assert renewed > first + timedelta(seconds=0.5)
    # Still running past its first lease, so nobody else could take it.
    assert await runner_for(app, "thief").claim() is None
    may_finish.set()
    assert await asyncio.wait_for(task, timeout=30) is True
    done = await _job(database, created.id)
    assert done.status == JobStatus.DONE and done.attempts == 1


async def test_a_retried_job_does_not_send_its_delivered_mails_again(
    database: Database, app: FastAPI
) -> None:
    async with unit_of_work(database.writer) as session:
        created = await enqueue(session, "tests.mail_twice_then_fail", {"key": 7})
    mail_failures_left[7] = 2
    runner = runner_for(app, "mailing")
    for _ in range(3):
        async with unit_of_work(database.writer) as session:
            row = await session.get(Job, created.id)
            assert row is not None
            row.run_after = utcnow()  # past its backoff
        assert await runner.run_once() is True

    assert [mail.subject for mail in sent] == ["keyed", "unkeyed", "after the failure"]
    keys = [mail.message_key for mail in sent]
    assert keys == ["k-7", f"job-{created.id}-mail-2", f"job-{created.id}-mail-3"]
    done = await _job(database, created.id)
    assert done.status == JobStatus.DONE and done.attempts == 3
    assert done.mailed == sorted(key for key in keys if key)


async def test_run_once_keeps_the_mails_of_a_failed_attempt(
    database: Database, app: FastAPI
) -> None:
    async with unit_of_work(database.writer) as session:
        created = await enqueue(session, "tests.mail_twice_then_fail", {"key": 8})
    mail_failures_left[8] = 1
    runner = runner_for(app, "mailing")
    assert await runner.run_once() is True
    failed = await _job(database, created.id)
    assert failed.status == JobStatus.PENDING
    assert failed.mailed == sorted(["k-8", f"job-{created.id}-mail-2"])
    async with unit_of_work(database.writer) as session:
        row = await session.get(Job, created.id)
        assert row is not None
        row.run_after = utcnow()
    assert await runner.run_once() is True

    assert [mail.to for mail in sent] == ["a@example.com", "b@example.com", "c@example.com"]
    assert (await _job(database, created.id)).status == JobStatus.DONE
