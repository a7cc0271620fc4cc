"""The outbox runner: claims due jobs, runs each in its own transaction, retries with backoff."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import time
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.core.clock import utcnow
from app.core.mail import Mailer, OutgoingMail
from app.core.memory import resident_bytes, return_freed_memory
from app.jobs.models import Job, JobStatus
from app.jobs.registry import JobContext, handler_for
from search import SearchBackend
from search.text import release_text_dictionaries

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 3600
# A running job's lease is renewed this many times per lease (PostgreSQL; see _keep_lease).
RENEWALS_PER_LEASE = 3
# A worker process that released its memory frees what its jobs loaded or allocated once it
# has found nothing to do for this long (a burst of reindex jobs loads the dictionaries once).
RELEASE_AFTER_IDLE_SECONDS = 10.0


def run_behind_web_processes(niceness: int) -> int:
    """Give this process at least `niceness` (Unix niceness, 0–19) and return the one it has.

    A worker and the web processes often share the machine's cores. Jobs (mail, payment
    intents, reindexing) may wait a moment; a buyer at checkout may not. At niceness 19 (the
    default) the kernel gives a worker about 1.5 % of what a web process gets while both want
    the CPU, and all of an idle one. Never raised: a worker started at a lower priority keeps
    it."""
    current = os.nice(0)
    if niceness > current:
        return os.nice(niceness - current)
    return current


def backoff_seconds(attempt: int) -> float:
    """2, 4, 8 … seconds after the 1st, 2nd, 3rd … failure, capped at an hour, with jitter."""
    base: float = min(MAX_BACKOFF_SECONDS, 2**attempt)
    return base * (0.8 + 0.4 * random.random())  # noqa: S311  (jitter, not security)


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    name: str
    payload: dict[str, object]
    attempts: int
    max_attempts: int
    # Keys of the mails an earlier attempt of this job already handed to the mail server.
    mailed: frozenset[str] = frozenset()


class OncePerJobMailer:
    """The mailer a handler sees: each mail gets a key stable across the job's attempts (its
    own message_key, else the job id and the mail's rank), and a mail whose key an earlier
    attempt delivered is not sent again. The runner stores the delivered keys with the job,
    whether the attempt succeeds or fails; only a process killed between the hand-over and
    that write can send one twice, with the same Message-ID."""

    def __init__(self, inner: Mailer, job_id: int, already_mailed: frozenset[str]) -> None:
        self.inner = inner
        self.job_id = job_id
        self.already_mailed = already_mailed
        self.delivered: list[str] = []
        self._rank = 0

    async def send(self, mail: OutgoingMail) -> None:
        self._rank += 1
        key = mail.message_key or f"job-{self.job_id}-mail-{self._rank}"
        if key in self.already_mailed or key in self.delivered:
            return
        if mail.message_key is None:
            mail = OutgoingMail(mail.to, mail.subject, mail.text, mail.html, message_key=key)
        await self.inner.send(mail)
        self.delivered.append(key)

    def all_mailed(self) -> list[str]:
        return sorted(self.already_mailed.union(self.delivered))


class JobRunner:
    """Drains the outbox. Several runners (threads, processes, machines) may share it."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        settings: Settings,
        mailer: Mailer,
        http: httpx.AsyncClient,
        worker_id: str | None = None,
        search: SearchBackend | None = None,
        release_memory: bool = False,
    ) -> None:
        """`release_memory`: for a worker in a process of its own, never one inside a web
        process (whose searches need the text dictionaries loaded): see release_idle_memory."""
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.mailer = mailer
        self.http = http
        self.search = search
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.lease = timedelta(seconds=settings.job_lease_seconds)
        self.release_memory = release_memory
        # When the last job ended (monotonic), and whether memory was freed since.
        self._last_job_at = time.monotonic()
        self._released = True

    @property
    def renews_leases(self) -> bool:
        """PostgreSQL only. On SQLite a handler's transaction holds the database's write lock,
        so no other runner can claim anything while it runs, and a renewal would only queue
        behind that lock."""
        bind = self.sessionmaker.kw.get("bind")
        return bind is not None and bind.dialect.name != "sqlite"

    async def claim(self, now: datetime | None = None) -> ClaimedJob | None:
        """Atomically take one due job (or one whose runner's lease ran out).

        PostgreSQL: FOR UPDATE SKIP LOCKED lets concurrent runners pass each other's rows.
        SQLite drops FOR UPDATE; there the writing session's BEGIN IMMEDIATE serialises the
        UPDATE … RETURNING, so no two runners take the same row.
        """
        now = now or utcnow()
        due = (
            select(Job.id)
            .where(
                or_(
                    (Job.status == JobStatus.PENDING) & (Job.run_after <= now),
                    (Job.status == JobStatus.RUNNING) & (Job.locked_until < now),
                )
            )
            .order_by(Job.run_after, Job.id)
            .limit(1)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        claim = (
            update(Job)
            .where(Job.id == due)
            .values(
                status=JobStatus.RUNNING,
                attempts=Job.attempts + 1,
                locked_until=now + self.lease,
                locked_by=self.worker_id,
            )
            .returning(Job.id, Job.name, Job.payload, Job.attempts, Job.max_attempts, Job.mailed)
            .execution_options(synchronize_session=False)
        )
        async with self.sessionmaker() as session:
            row = (await session.execute(claim)).first()
            await session.commit()
        if row is None:
            return None
        return ClaimedJob(
            row.id,
            row.name,
            dict(row.payload),
            row.attempts,
            row.max_attempts,
            frozenset(row.mailed or ()),
        )

    async def renew_lease(self, job_id: int, now: datetime | None = None) -> bool:
        """Push this runner's lease on a running job one lease ahead; False if it was lost."""
        now = now or utcnow()
        async with self.sessionmaker() as session:
            renewed = await session.execute(
                update(Job)
                .where(
                    Job.id == job_id,
                    Job.status == JobStatus.RUNNING,
                    Job.locked_by == self.worker_id,
                )
                .values(locked_until=now + self.lease)
                .execution_options(synchronize_session=False)
            )
            await session.commit()
        return bool(renewed.rowcount == 1)  # type: ignore[attr-defined]

    async def _keep_lease(self, job_id: int) -> None:
        """Renew the lease while the job runs (a heartbeat), so that the lease can be short
        and a killed worker's job is taken again soon, while a slow one is not run twice."""
        interval = self.lease.total_seconds() / RENEWALS_PER_LEASE
        while True:
            await asyncio.sleep(interval)
            try:
                if not await self.renew_lease(job_id):
                    log.warning("job %s: lease lost by %s", job_id, self.worker_id)
                    return
            except Exception:  # the database may be briefly away; try again next beat
                log.warning("job %s: lease renewal failed", job_id, exc_info=True)

    async def run_once(self) -> bool:
        """Claim and run one job; False when none was due."""
        claimed = await self.claim()
        if claimed is None:
            return False
        mailer = OncePerJobMailer(self.mailer, claimed.id, claimed.mailed)
        heartbeat = (
            asyncio.create_task(self._keep_lease(claimed.id)) if self.renews_leases else None
        )
        try:
            await self._execute(claimed, mailer)
        except Exception as exc:  # a failing job must not stop the runner
            await self._record_failure(claimed, exc, mailed=mailer.all_mailed())
        finally:
            if heartbeat is not None:
                heartbeat.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await heartbeat
            self._last_job_at = time.monotonic()
            self._released = False
        return True

    def release_idle_memory(self, *, idle_for: float = RELEASE_AFTER_IDLE_SECONDS) -> bool:
        """Once jobs ran and none has run for `idle_for` seconds: free the text dictionaries
        an indexing job loaded (search.text.release_text_dictionaries; loaded again by the
        next one) and hand the freed memory back to the system, so that a worker does not
        keep a one-off job's peak. Only with `release_memory`; True when it released."""
        if not self.release_memory or self._released:
            return False
        if time.monotonic() - self._last_job_at < idle_for:
            return False
        self._released = True
        before = resident_bytes()
        dictionaries = release_text_dictionaries()
        return_freed_memory()
        after = resident_bytes()
        if before is not None and after is not None:
            log.info(
                "outbox worker %s idle: %s; resident memory %.0f → %.0f MB",
                self.worker_id,
                "text dictionaries released" if dictionaries else "memory trimmed",
                before / 2**20,
                after / 2**20,
            )
        return True

    async def _execute(self, claimed: ClaimedJob, mailer: OncePerJobMailer | None = None) -> None:
        handler = handler_for(claimed.name)
        if handler is None:
            raise LookupError(f"no handler registered for job {claimed.name!r}")
        mailer = mailer or OncePerJobMailer(self.mailer, claimed.id, claimed.mailed)
        async with self.sessionmaker() as session:
            try:
                context = JobContext(
                    session=session,
                    settings=self.settings,
                    mailer=mailer,
                    http=self.http,
                    job_id=claimed.id,
                    attempt=claimed.attempts,
                    search=self.search,
                )
                await handler(context, claimed.payload)
                # Done in the handler's own transaction, and only if our lease still holds.
                finished = await session.execute(
                    update(Job)
                    .where(
                        Job.id == claimed.id,
                        Job.status == JobStatus.RUNNING,
                        Job.locked_by == self.worker_id,
                    )
                    .values(
                        status=JobStatus.DONE,
                        finished_at=utcnow(),
                        locked_until=None,
                        mailed=mailer.all_mailed(),
                    )
                    .execution_options(synchronize_session=False)
                )
                if finished.rowcount != 1:  # type: ignore[attr-defined]
                    raise RuntimeError(f"lost the lease on job {claimed.id}")
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def _record_failure(
        self, claimed: ClaimedJob, exc: Exception, *, mailed: list[str] | None = None
    ) -> None:
        """Back to pending after a backoff (or dead), keeping the keys of the mails this
        attempt delivered before it failed: the next attempt does not send them again."""
        dead = claimed.attempts >= claimed.max_attempts or handler_for(claimed.name) is None
        error = "".join(traceback.format_exception(exc))[-4000:]
        log.warning(
            "job %s %s failed (attempt %s): %s", claimed.id, claimed.name, claimed.attempts, exc
        )
        values: dict[str, object] = {"last_error": error, "locked_until": None, "locked_by": None}
        if mailed is not None:
            values["mailed"] = mailed
        if dead:
            values.update(status=JobStatus.DEAD, finished_at=utcnow())
        else:
            values.update(
                status=JobStatus.PENDING,
                run_after=utcnow() + timedelta(seconds=backoff_seconds(claimed.attempts)),
            )
        async with self.sessionmaker() as session:
            await session.execute(
                update(Job)
                .where(Job.id == claimed.id, Job.locked_by == self.worker_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            await session.commit()

    async def run_until_idle(self, max_jobs: int = 10_000) -> int:
        """Run due jobs until none is left (tests, `worker --once`); returns how many ran."""
        count = 0
        while count < max_jobs and await self.run_once():
            count += 1
        return count

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Poll for due jobs until `stop` is set."""
        log.info("outbox worker %s started", self.worker_id)
        while not stop.is_set():
            try:
                ran = await self.run_once()
            except Exception:  # the database may be briefly away; keep the worker alive
                log.exception("outbox worker %s: claim failed", self.worker_id)
                ran = False
            if not ran:
                self.release_idle_memory()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.settings.worker_poll_seconds)
        log.info("outbox worker %s stopped", self.worker_id)
