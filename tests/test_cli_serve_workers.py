"""`fengshou serve --workers 2` for real, on PostgreSQL: two web processes answer, each with
the app's logging configured (each one's in-process outbox worker logs its start)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bench.serving import ROOT, free_port, stop, wait_until_up
from tests.conftest import database_of_its_own, served_env

pytestmark = pytest.mark.slow


def children_of(pid: int) -> set[int]:
    found = set()
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(status.parent.name))
    return found


def test_serve_with_two_workers_runs_two_web_processes_that_log() -> None:
    with database_of_its_own("postgresql", "fengshou-workers-") as (settings, workdir):
        port = free_port()
        env = {
            **os.environ,
            **served_env(settings),
            "PYTHONPATH": str(ROOT),
            "FENGSHOU_WORKER_IN_PROCESS": "true",
        }
        log = workdir / "serve.log"
        with log.open("wb") as out:
            command = [str(Path(sys.executable).parent / "fengshou"), "serve"]
            command += ["--port", str(port), "--workers", "2", "--no-migrate"]
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        try:
            wait_until_up(
                process, f"http://127.0.0.1:{port}/healthz", within_seconds=60, output=log
            )
            deadline = time.monotonic() + 30
            started: set[str] = set()
            while time.monotonic() < deadline and len(started) < 2:
                started = set(
                    re.findall(r"\[(\d+)\] app\.jobs\.runner: outbox worker", log.read_text())
                )
                time.sleep(0.2)
            assert len(started) == 2, log.read_text()
            assert {int(pid) for pid in started} <= children_of(process.pid)
            assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
        finally:
            stop(process)


def test_web_processes_are_spawned_without_running_the_cli_again(tmp_path: Path) -> None:
    """multiprocessing's spawn runs the parent's main module again in each child unless there
    is none: `fengshou serve --workers N` leaves none, so that no web process loads the CLI."""
    script = tmp_path / "fengshou_like.py"
    script.write_text(
        "from multiprocessing import spawn\n"
        "from app.cli import spawn_without_main_module\n"
        "def main_steps():\n"
        "    data = spawn.get_preparation_data('web')\n"
        "    return sorted(key for key in data if key.startswith('init_main'))\n"
        "before = main_steps()\n"
        "spawn_without_main_module()\n"
        "print(before, main_steps())\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    ran = subprocess.run(
        [sys.executable, str(script)], cwd=ROOT, env=env, capture_output=True, text=True,
        check=True, timeout=60,
    )  # fmt: skip
    assert ran.stdout.strip() == "['init_main_from_path'] []"
