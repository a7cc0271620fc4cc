"""A worker process's memory: it registers every job without importing the web app, and once
idle it frees what an indexing job loaded (the text dictionaries) and trims the heap."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from app.core.db import unit_of_work
from app.jobs.runner import JobRunner
from app.jobs.service import enqueue
from search.text import default_analyzer, text_dictionaries_loaded

ROOT = Path(__file__).resolve().parents[2]


def test_the_worker_registers_every_job_of_the_app_without_the_web_app() -> None:
    code = (
        "import sys\n"
        "from app.jobs.registry import registered_names\n"
        "from app.wiring import register_jobs\n"
        "register_jobs()\n"
        "worker = sorted(registered_names())\n"
        "print(len(worker), 'app.main' in sys.modules, 'app.web.templating' in sys.modules)\n"
        "import app.main\n"
        "print(sorted(registered_names()) == worker)\n"
    )
    finished = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert finished.returncode == 0, finished.stderr
    count, main_loaded, templates_loaded, same = finished.stdout.split()
    assert int(count) >= 10
    assert (main_loaded, templates_loaded) == ("False", "False")
    assert same == "True"  # app.main's job modules register nothing the worker lacks


async def test_an_idle_worker_releases_the_dictionaries_an_indexing_job_loaded(
    runner: JobRunner,
) -> None:
    releasing = JobRunner(
        runner.sessionmaker,
        settings=runner.settings,
        mailer=runner.mailer,
        http=runner.http,
        search=runner.search,
        worker_id="releasing",
        release_memory=True,
    )
    assert not releasing.release_idle_memory(idle_for=0)  # no job ran yet
    async with unit_of_work(runner.sessionmaker) as session:
        await enqueue(session, "catalog.reindex_products", {"product_ids": [1]})
    default_analyzer().segment("赣南脐橙")  # what an indexing job loads
    assert await releasing.run_until_idle() == 1
    assert text_dictionaries_loaded()
    assert not releasing.release_idle_memory(idle_for=60)  # not idle long enough
    assert text_dictionaries_loaded()
    await asyncio.sleep(0.01)
    assert releasing.release_idle_memory(idle_for=0.005)
    assert not text_dictionaries_loaded()
    assert not releasing.release_idle_memory(idle_for=0)  # once per spell of work
    # The next analysis loads them again, and rjieba's module functions are its again.
    assert default_analyzer().segment("赣南脐橙") == ["赣南", "脐橙"]
    assert text_dictionaries_loaded()
    import rjieba

    assert default_analyzer()._jieba is getattr(rjieba.cut, "__self__", None)
    assert rjieba.cut("赣南脐橙") == ["赣南", "脐橙"]


async def test_a_runner_inside_a_web_process_keeps_them(runner: JobRunner) -> None:
    async with unit_of_work(runner.sessionmaker) as session:
        await enqueue(session, "catalog.reindex_products", {"product_ids": [1]})
    default_analyzer().segment("赣南脐橙")
    assert await runner.run_until_idle() == 1
    assert not runner.release_idle_memory(idle_for=0)
    assert text_dictionaries_loaded()
