"""Enqueueing jobs in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.core.commit_with import DeferredWrites, execute_or_defer
from app.core.db import table_of
from app.jobs.models import Job, JobStatus

DEFAULT_MAX_ATTEMPTS = 8


async def enqueue(
    session: AsyncSession,
    name: str,
    payload: dict[str, Any] | None = None,
    *,
    run_after: datetime | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    flush: bool = True,
) -> Job:
    """Add a job to the outbox; it exists only if the caller's transaction commits.

    `flush=False` leaves the INSERT to the caller's next flush: several jobs enqueued at once
    are then written in one statement (the job has no id until then).

    The name is not checked against the registry: a lower domain may enqueue a job that a
    higher one handles, without importing it.
    """
    job = Job(
        name=name,
        payload=payload or {},
        run_after=run_after or utcnow(),
        max_attempts=max_attempts,
    )
    session.add(job)
    if flush:
        await session.flush()
    return job


class JobBatch:
    """Jobs gathered from several domains' parts of one change, to be written together in
    one INSERT by enqueue_batch (plain statements: no ORM objects)."""

    __slots__ = ("rows",)

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(
        self,
        name: str,
        payload: dict[str, Any] | None = None,
        *,
        run_after: datetime | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        """As enqueue's arguments; the job exists once the batch is written and committed."""
        now = utcnow()
        self.rows.append(
            {
                "name": name,
                "payload": payload or {},
                "status": JobStatus.PENDING,
                "attempts": 0,
                "max_attempts": max_attempts,
                "run_after": run_after or now,
                "created_at": now,
            }
        )


# inline: no implicit RETURNING of the id, which nobody reads (and a held write cannot wait for).
_JOBS_INSERT = insert(table_of(Job)).inline()


async def enqueue_batch(
    session: AsyncSession, batch: JobBatch, deferred: DeferredWrites | None = None
) -> None:
    """Write the batch's jobs in the caller's transaction, in one statement (held in
    `deferred` if given)."""
    if batch.rows:
        await execute_or_defer(session, _JOBS_INSERT, batch.rows, deferred)
