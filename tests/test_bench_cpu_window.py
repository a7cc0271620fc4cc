"""bench/cpu_window: each group of processes' CPU over a window, a process started within the
window counted from its start, and the machine's busy time beside them."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from bench.cpu_window import CpuWindow, processes_named

SPIN = "import time\nend = time.process_time() + 0.6\nwhile time.process_time() < end: pass"


@pytest.fixture
def children() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for child in started:
        child.kill()
        child.wait()


def test_a_busy_group_shows_its_cpu_and_an_idle_one_none(
    children: list[subprocess.Popen[bytes]],
) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    children.append(sleeper)
    time.sleep(0.3)  # past the interpreter's start
    spinners: list[int] = []
    window = CpuWindow.start({"spinning": lambda: spinners, "sleeping": [sleeper.pid]})
    # Started within the window: the group is looked up again at its end.
    spinner = subprocess.Popen([sys.executable, "-c", SPIN])
    children.append(spinner)
    spinners.append(spinner.pid)
    time.sleep(1.0)  # the spinner stays a zombie (not waited for): its ticks stay readable

    window.stop()

    assert window.shares["spinning"] >= 0.3  # 0.6 s of CPU (and its start) in about 1 s
    assert window.shares["sleeping"] < 0.05
    assert window.machine >= window.shares["spinning"] - 0.05
    assert "spinning" in window.render()
    assert "sleeping" in window.render()


def test_processes_are_found_by_their_command(children: list[subprocess.Popen[bytes]]) -> None:
    sleeper = subprocess.Popen(["sleep", "30"])  # noqa: S607
    children.append(sleeper)
    # Until the child has run `sleep`, its command is still the parent's.
    deadline = time.monotonic() + 10
    while sleeper.pid not in processes_named("sleep") and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sleeper.pid in processes_named("sleep")
    assert sleeper.pid not in processes_named("postgres")


def test_a_process_gone_by_the_end_is_missed_not_counted_below_zero(
    children: list[subprocess.Popen[bytes]],
) -> None:
    finished = subprocess.Popen([sys.executable, "-c", SPIN])
    children.append(finished)
    time.sleep(0.3)  # spinning: ticks on the books when the window starts
    window = CpuWindow.start({"gone": [finished.pid]})
    finished.kill()
    finished.wait()  # reaped: gone from /proc

    window.stop()

    assert window.shares["gone"] == 0.0
