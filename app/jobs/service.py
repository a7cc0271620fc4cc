"""Enqueueing jobs in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.jobs.models import Job

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
