"""A worker killed (SIGKILL) in the middle of a job: its lease, renewed while it lived, runs
out, another worker takes the job and it completes, its mail sent once."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime
from email import message_from_bytes
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from app.config import Settings
from app.core.db import Database
from app.jobs.models import Job, JobStatus

pytestmark = pytest.mark.slow

FENGSHOU = Path(sys.executable).parent / "fengshou"


@contextlib.contextmanager
def silent_mail_server() -> Iterator[int]:
    """A port that accepts SMTP connections and never greets: a sender hangs there."""
    held: list[socket.socket] = []
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.settimeout(0.2)
        stop = threading.Event()

        def accept() -> None:
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    held.append(server.accept()[0])

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        try:
            yield server.getsockname()[1]
        finally:
            stop.set()
            thread.join()
            for connection in held:
                connection.close()


async def _welcome_job(database: Database) -> Job | None:
    async with database.reader() as session:
        return await session.scalar(select(Job).where(Job.name == "account.send_welcome_mail"))


async def _wait_for(database: Database, ready: object, what: str) -> Job:
    for _ in range(600):  # up to 60 s
        found = await _welcome_job(database)
        if found is not None and ready(found):  # type: ignore[operator]
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"the job never {what}: {await _welcome_job(database)!r}")


def _worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # our own interpreter's entry point
        [str(FENGSHOU), "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


async def test_a_killed_workers_job_is_taken_again_and_completes(
    client: httpx.AsyncClient, settings: Settings, database: Database
) -> None:
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": "killed@example.com", "password": "a long password", "display_name": "买家"},
    )
    assert response.status_code == 201, response.text
    env = {
        **os.environ,
        "FENGSHOU_DATABASE_URL": settings.database_url,
        "FENGSHOU_VAR_DIR": str(settings.var_dir),
        "FENGSHOU_SECRET_KEY": settings.secret_key,
        "FENGSHOU_ENVIRONMENT": "test",
        "FENGSHOU_JOB_LEASE_SECONDS": "2",
        "FENGSHOU_WORKER_POLL_SECONDS": "0.1",
    }
    with silent_mail_server() as port:
        hanging = _worker(
            {**env, "FENGSHOU_SMTP_HOST": "127.0.0.1", "FENGSHOU_SMTP_PORT": str(port)}
        )
        try:
            taken = await _wait_for(
                database,
                lambda job: job.status == JobStatus.RUNNING and f":{hanging.pid}:" in job.locked_by,
                "was claimed",
            )
            if not settings.is_sqlite:  # PostgreSQL: the lease is renewed while it hangs
                first: datetime = taken.locked_until  # type: ignore[assignment]
                await _wait_for(
                    database, lambda job: job.locked_until > first, "had its lease renewed"
                )
            hanging.send_signal(signal.SIGKILL)
            hanging.wait(timeout=30)
        finally:
            if hanging.poll() is None:
                hanging.kill()
        survivor = _worker(env)  # mail to files this time
        try:
            done = await _wait_for(database, lambda job: job.status == JobStatus.DONE, "completed")
        finally:
            survivor.terminate()
            survivor.wait(timeout=30)
    assert f":{survivor.pid}:" in (done.locked_by or "")
    assert done.attempts == 2
    mails = [message_from_bytes(path.read_bytes()) for path in settings.mail_dir.glob("*.eml")]
    assert [str(mail["To"]) for mail in mails] == ["killed@example.com"]
