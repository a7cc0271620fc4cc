"""Media files that outlive their rows: deleted by an outbox job, so only once the change
that dropped them has committed (a rolled-back change keeps its files)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.storage import check_key, media_storage
from app.jobs.registry import JobContext, job
from app.jobs.service import enqueue

DISCARD_MEDIA_JOB = "media.discard_files"


async def discard_after_commit(session: AsyncSession, keys: Iterable[str]) -> None:
    """Delete these media files once the caller's transaction commits."""
    wanted = sorted({check_key(key) for key in keys})
    if wanted:
        await enqueue(session, DISCARD_MEDIA_JOB, {"keys": wanted})


@job(DISCARD_MEDIA_JOB)
async def discard_files(ctx: JobContext, payload: dict[str, Any]) -> None:
    storage = media_storage(ctx.settings.media_dir)
    for key in payload["keys"]:
        await storage.delete(key)  # a file already gone is fine: the job may run again
