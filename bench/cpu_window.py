"""Where a machine's CPU went during a window of a benchmark: each group of processes' user and
system time (/proc/<pid>/stat) and the whole machine's busy time (/proc/stat), in cores.

    window = CpuWindow.start({"web processes": pids, "PostgreSQL": postgres_pids, ...})
    ...                                 # the load
    print(window.stop().render())

A group's processes are looked up again at the end (`pids` may be a function), so that one
started during the window (a database connection opened under load) counts from its start;
one that ended within it (gone from /proc) is missed, not counted below zero.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

Pids = Iterable[int] | Callable[[], Iterable[int]]
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def stat_fields(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (which may hold spaces)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def process_ticks(pid: int) -> int | None:
    """utime + stime of a process (fields 14 and 15 of /proc/<pid>/stat); None when it is
    gone."""
    with contextlib.suppress(OSError, IndexError, ValueError):
        fields = stat_fields(pid)
        return int(fields[11]) + int(fields[12])
    return None


def _machine_busy_ticks() -> int:
    """All CPUs' ticks but idle and iowait (the first line of /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(values) - values[3] - values[4]


def processes_named(name: str) -> list[int]:
    """The processes whose command (/proc/<pid>/comm) is `name`."""
    found = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        with contextlib.suppress(OSError):
            if comm.read_text().strip() == name:
                found.append(int(comm.parent.name))
    return found


def _resolve(pids: Pids) -> list[int]:
    return list(pids() if callable(pids) else pids)


@dataclass
class CpuWindow:
    groups: dict[str, Pids]
    started: float
    machine_before: int
    before: dict[int, int]
    shares: dict[str, float] = field(default_factory=dict)
    machine: float = 0.0
    seconds: float = 0.0

    @classmethod
    def start(cls, groups: dict[str, Pids]) -> CpuWindow:
        before = {
            pid: ticks
            for pids in groups.values()
            for pid in _resolve(pids)
            if (ticks := process_ticks(pid)) is not None
        }
        return cls(groups, time.perf_counter(), _machine_busy_ticks(), before)

    def stop(self) -> CpuWindow:
        """Each group's CPU since start, in cores (CPU seconds per second of the window)."""
        self.seconds = max(time.perf_counter() - self.started, 1e-9)
        for name, pids in self.groups.items():
            now = {pid: process_ticks(pid) for pid in set(_resolve(pids))}
            ticks = sum(t - self.before.get(pid, 0) for pid, t in now.items() if t is not None)
            self.shares[name] = ticks / TICKS_PER_SECOND / self.seconds
        self.machine = (
            (_machine_busy_ticks() - self.machine_before) / TICKS_PER_SECOND / self.seconds
        )
        return self

    def render(self) -> str:
        counted = sum(self.shares.values())
        parts = ", ".join(f"{name} {cores:.2f}" for name, cores in self.shares.items())
        return (
            f"CPU in cores over {self.seconds:.1f} s: {parts}; the rest (the kernel, other "
            f"processes) {max(0.0, self.machine - counted):.2f}; the machine busy "
            f"{self.machine:.2f} of {os.cpu_count()}"
        )
