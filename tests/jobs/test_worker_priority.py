"""A worker process runs behind the web processes: it lowers its own CPU priority, never
raises it. Run in child processes, since a process cannot take its priority back."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

_REPORT = (
    "import os; from app.jobs.runner import run_behind_web_processes as r; "
    "print(os.nice(0), r({wanted}), os.nice(0))"
)


def _niceness_in_child(wanted: int, *, started_at: int = 0) -> tuple[int, int, int]:
    """(niceness before, returned, after) in a child started `started_at` above this one."""
    command = [sys.executable, "-c", _REPORT.format(wanted=wanted)]
    if started_at:
        command = ["nice", "-n", str(started_at), *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    before, returned, after = map(int, done.stdout.split())
    return before, returned, after


@pytest.mark.skipif(os.nice(0) > 5, reason="the test process itself runs above niceness 5")
def test_a_worker_lowers_its_priority_to_the_niceness_asked() -> None:
    before, returned, after = _niceness_in_child(9)
    assert (before, returned, after) == (os.nice(0), 9, 9)


@pytest.mark.skipif(os.nice(0) > 5, reason="the test process itself runs above niceness 5")
def test_a_worker_started_lower_keeps_its_priority() -> None:
    own = os.nice(0)
    before, returned, after = _niceness_in_child(3, started_at=12 - own)
    assert (before, returned, after) == (12, 12, 12)


def test_niceness_zero_leaves_the_priority_as_it_is() -> None:
    own = os.nice(0)
    assert _niceness_in_child(0) == (own, own, own)
