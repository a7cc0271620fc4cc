"""The outbox: jobs commit with their cause, run once, retry with backoff, and die after N tries."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.core.clock import utcnow
from app.core.db import Database, unit_of_work
from app.jobs.models import Job, JobStatus
from app.jobs.registry import JobContext, job
from app.jobs.runner import JobRunner, backoff_seconds
from app.jobs.service import enqueue
from app.main import build_runner

runs: list[tuple[int, dict[str, Any]]] = []
failures_left: dict[int, int] = {}


@job("tests.record_run")
async def record_run(ctx: JobContext, payload: dict[str, Any]) -> None:
    await asyncio.sleep(0)  # let a concurrent runner interleave
    runs.append((ctx.job_id, payload))


@job("tests.fail_then_succeed")
async def fail_then_succeed(ctx: JobContext, payload: dict[str, Any]) -> None:
    key = int(payload["key"])
    if failures_left.get(key, 0) > 0:
        failures_left[key] -= 1
        raise RuntimeError("temporary failure")
    runs.append((ctx.job_id, payload))


@pytest.fixture(autouse=True)
def _reset() -> None:
    runs.clear()
    failures_left.clear()


async def _job(database: Database, job_id: int) -> Job:
    async with unit_of_work(database.writer) as session:
        found = await session.get(Job, job_id)
        assert found is not None
        return found


async def test_a_job_exists_only_if_its_transaction_commits(
    database: Database, runner: JobRunner
) -> None:
    with pytest.raises(RuntimeError):
        async with unit_of_work(database.writer) as session:
            await enqueue(session, "tests.record_run", {"n": 1})
            raise RuntimeError("the cause of the job failed")
    assert await runner.run_until_idle() == 0
    assert runs == []


async def test_a_job_runs_once_and_is_marked_done(database: Database, runner: JobRunner) -> None:
    async with unit_of_work(database.writer) as session:
        created = await enqueue(session, "tests.record_run", {"n": 7})
    assert await runner.run_until_idle() == 1
    assert await runner.run_until_idle() == 0
    assert runs == [(created.id, {"n": 7})]
    done = await _job(database, created.id)
    assert done.status == JobStatus.DONE and done.attempts == 1 and done.finished_at is not None


async def test_a_failing_job_is_retried_later_with_backoff(
    database: Database, runner: JobRunner
) -> None:
    failures_left[1] = 1
    async with unit_of_work(database.writer) as session:
        created = await enqueue(session, "tests.fail_then_succeed", {"key": 1})
    assert await runner.run_until_idle() == 1  # ran once, failed, not due again yet
    failed = await _job(database, created.id)
    assert failed.status == JobStatus.PENDING and failed.attempts == 1
    assert failed.last_error is not None and "temporary failure" in failed.last_error
    assert failed.run_after > utcnow() + timedelta(seconds=1)
    assert runs == []

    later = failed.run_after + timedelta(seconds=1)
    claimed = await runner.claim(now=later)
    assert claimed is not None and claimed.attempts == 2
    await runner._execute(claimed)
    assert runs == [(created.id, {"key": 1})]
    assert (await _job(database, created.id)).status == JobStatus.DONE


async def test_a_job_that_keeps_failing_dies_after_max_attempts(
    database: Database, runner: JobRunner
) -> None:
    failures_left[2] = 100
    async with unit_of_work(database.writer) as session:
        created = await enqueue(session, "tests.fail_then_succeed", {"key": 2}, max_attempts=3)
    moment = utcnow()
    for _ in range(3):
        moment += timedelta(hours=2)  # past any backoff
        claimed = await runner.claim(now=moment)
        assert claimed is not None
        try:
            await runner._execute(claimed)
        except RuntimeError as exc:
            await runner._record_failure(claimed, exc)
    dead = await _job(database, created.id)
    assert dead.status == JobStatus.DEAD and dead.attempts == 3
    assert await runner.claim(now=moment + timedelta(days=1)) is None


async def test_an_unknown_job_name_dies_at_once(database: Database, runner: JobRunner) -> None:
    async with unit_of_work(database.writer) as session:
        created = await enqueue(session, "nobody.handles_this")
    assert await runner.run_until_idle() == 1
    dead = await _job(database, created.id)
    assert dead.status == JobStatus.DEAD
    assert dead.last_error is not None and "no handler" in dead.last_error


async def test_a_crashed_workers_job_is_taken_again_after_its_lease(
    database: Database, app: FastAPI
) -> None:
    async with unit_of_work(database.writer) as session:
        created = await enqueue(session, "tests.record_run", {"n": 3})
    crashed = build_runner(app, worker_id="crashed")
    assert (await crashed.claim()) is not None  # claimed, then the process "died"
    survivor = build_runner(app, worker_id="survivor")
    assert await survivor.claim() is None  # the lease still holds
    claimed = await survivor.claim(now=utcnow() + survivor.lease + timedelta(seconds=1))
    assert claimed is not None and claimed.id == created.id and claimed.attempts == 2
    await survivor._execute(claimed)
    assert runs == [(created.id, {"n": 3})]
    # The crashed worker cannot mark it done any more: its lease is gone.
    done = await _job(database, created.id)
    assert done.status == JobStatus.DONE and done.locked_by == "survivor"


async def test_two_concurrent_runners_run_each_job_exactly_once(
    database: Database, app: FastAPI
) -> None:
    async with unit_of_work(database.writer) as session:
        ids = [(await enqueue(session, "tests.record_run", {"n": n})).id for n in range(40)]
    # Each runner has its own engine and connections, as two worker processes would.
    second = Database(database.url)
    try:
        first_runner = build_runner(app, worker_id="first")
        second_runner = JobRunner(
            second.writer,
            settings=app.state.settings,
            mailer=app.state.mailer,
            http=app.state.http,
            worker_id="second",
        )
        counts = await asyncio.gather(first_runner.run_until_idle(), second_runner.run_until_idle())
    finally:
        await second.dispose()
    assert sum(counts) == 40
    assert sorted(job_id for job_id, _ in runs) == sorted(ids)
    async with unit_of_work(database.writer) as session:
        jobs = (await session.scalars(select(Job).where(Job.id.in_(ids)))).all()
    assert all(j.status == JobStatus.DONE and j.attempts == 1 for j in jobs)


def test_backoff_grows_and_is_capped() -> None:
    assert 1.6 <= backoff_seconds(1) <= 2.4
    assert 6.4 <= backoff_seconds(3) <= 9.6
    assert backoff_seconds(40) <= 3600 * 1.2
