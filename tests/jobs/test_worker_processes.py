"""Real worker processes: two `fengshou worker` processes deliver each welcome mail once, and
`serve`'s in-process worker delivers mail on the embedded default."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from email import message_from_bytes
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.config import Settings
from app.core.db import Database, unit_of_work
from app.jobs.models import Job, JobStatus
from app.main import create_app
from tests.conftest import make_settings

pytestmark = pytest.mark.slow

FENGSHOU = Path(sys.executable).parent / "fengshou"


def _recipients(mail_dir: Path) -> list[str]:
    return sorted(
        str(message_from_bytes(path.read_bytes())["To"]) for path in mail_dir.glob("*.eml")
    )


async def _register(client: httpx.AsyncClient, n: int) -> list[str]:
    emails = [f"buyer{i}@example.com" for i in range(n)]
    for email in emails:
        response = await client.post(
            "/api/v1/auth/register",
            json={"email": email, "password": "a long password", "display_name": "买家"},
        )
        assert response.status_code == 201, response.text
    return emails


async def test_two_worker_processes_deliver_each_mail_exactly_once(
    client: httpx.AsyncClient, settings: Settings, database: Database
) -> None:
    emails = await _register(client, 30)
    env = {
        **os.environ,
        "FENGSHOU_DATABASE_URL": settings.database_url,
        "FENGSHOU_VAR_DIR": str(settings.var_dir),
        "FENGSHOU_SECRET_KEY": settings.secret_key,
        "FENGSHOU_ENVIRONMENT": "test",
        "FENGSHOU_WORKER_NICE": "7",
    }
    workers = [
        await asyncio.create_subprocess_exec(
            str(FENGSHOU),
            "worker",
            "--once",
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    outputs = [await asyncio.wait_for(w.communicate(), timeout=120) for w in workers]
    for worker, (_, stderr) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, stderr.decode()
        # Each ran behind the web processes, at the niceness its setting asked for.
        assert f"at niceness {max(7, os.nice(0))}" in stderr.decode()

    assert _recipients(settings.mail_dir) == sorted(emails)
    async with unit_of_work(database.writer) as session:
        statuses = (
            await session.execute(
                select(Job.status, Job.attempts, func.count()).group_by(Job.status, Job.attempts)
            )
        ).all()
    assert [(s, a, c) for s, a, c in statuses] == [(JobStatus.DONE, 1, 30)]


async def test_the_in_process_worker_of_serve_delivers_mail(
    settings: Settings, tmp_path: Path
) -> None:
    embedded = make_settings(
        settings.database_url, tmp_path / "var", worker_in_process=True, worker_poll_seconds=0.05
    )
    app: FastAPI = create_app(embedded)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            emails = await _register(c, 2)
        for _ in range(200):  # the worker polls every 50 ms; give it up to 10 s
            if len(_recipients(embedded.mail_dir)) == 2:
                break
            await asyncio.sleep(0.05)
    assert _recipients(embedded.mail_dir) == sorted(emails)
    # The lifespan disposed of the engine; clean up the rows this test made.
    database = Database(embedded.database_url)
    try:
        from tests.conftest import _empty_non_reference_tables

        await _empty_non_reference_tables(database)
    finally:
        await database.dispose()
