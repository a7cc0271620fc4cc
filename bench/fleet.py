"""The app as production runs it, for the benchmarks: `fengshou serve --workers N` and
`fengshou worker` processes on 127.0.0.1, their process ids and their resident memory.

`fleet()` starts them (stopped, terminated or killed, when the block ends); `Fleet.memory()`
reads each process's RSS from /proc, and `MemoryReport` keeps those readings at the stages a
benchmark names (started, after the load, after the outbox drained) and prints them per
process kind against a target.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench import serving

FENGSHOU = Path(sys.executable).parent / "fengshou"
START_TIMEOUT_SECONDS = 300


def resident_megabytes(pid: int) -> float:
    """A process's resident set (VmRSS) in MB; NaN when it is gone."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def web_processes(pid: int) -> list[int]:
    """The processes uvicorn spawned to serve (not its resource tracker); the server itself
    when it serves alone (one worker: nothing is spawned)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(status.read_text().rsplit(")", 1)[1].split()[1]) != pid:
                continue
            if b"spawn_main" in (status.parent / "cmdline").read_bytes():
                found.append(int(status.parent.name))
    return sorted(found) or [pid]


@dataclass
class Fleet:
    base: str
    serve: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]]

    def memory(self) -> dict[str, list[float]]:
        """RSS in MB of each web process and each outbox worker, now."""
        return {
            "web": [resident_megabytes(pid) for pid in web_processes(self.serve.pid)],
            "worker": [resident_megabytes(worker.pid) for worker in self.workers],
        }


@contextlib.contextmanager
def fleet(env: dict[str, str], *, web_workers: int, job_workers: int, log: Path) -> Iterator[Fleet]:
    """`fengshou serve --workers N` and the `fengshou worker` processes, with `env` added to
    this process's environment and their output appended to `log`; stopped at the end."""
    port = serving.free_port()
    environment = {**os.environ, "PYTHONPATH": str(serving.ROOT), **env}
    with log.open("ab") as out:
        serve = subprocess.Popen(  # noqa: S603  (our own entry point)
            [str(FENGSHOU), "serve", "--port", str(port), "--no-migrate",
             "--workers", str(web_workers)],
            env=environment, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        workers = [
            subprocess.Popen(  # noqa: S603  (our own entry point)
                [str(FENGSHOU), "worker"], env=environment, stdout=out, stderr=subprocess.STDOUT
            )
            for _ in range(job_workers)
        ]
    base = f"http://{serving.HOST}:{port}"
    try:
        serving.wait_until_up(
            serve, f"{base}/healthz", within_seconds=START_TIMEOUT_SECONDS, output=log
        )
        yield Fleet(base, serve, workers)
    finally:
        for process in [*workers, serve]:
            serving.stop(process, within_seconds=20)


@dataclass
class MemoryReport:
    """RSS per process kind at named stages, printed against `target_mb`."""

    target_mb: float
    stages: list[tuple[str, dict[str, list[float]]]] = field(default_factory=list)

    def record(self, stage: str, fleet: Fleet) -> None:
        self.stages.append((stage, fleet.memory()))

    def latest(self, kind: str) -> list[float]:
        return self.stages[-1][1].get(kind, []) if self.stages else []

    def render(self) -> str:
        lines = [f"{'resident memory (MB)':<40} {'web processes':>26} {'outbox workers':>20}"]
        for stage, figures in self.stages:
            web, workers = (
                ", ".join(f"{mb:.0f}" for mb in figures.get(kind, [])) for kind in ("web", "worker")
            )
            lines.append(f"  {stage:<38} {web:>26} {workers:>20}")
        worst = {kind: max(self.latest(kind), default=float("nan")) for kind in ("web", "worker")}
        met = all(mb <= self.target_mb for mb in worst.values())
        lines.append(
            f"  at the end, largest: web {worst['web']:.0f} MB, worker {worst['worker']:.0f} MB; "
            f"target ≤ {self.target_mb:.0f} MB each: {'met' if met else 'NOT MET'}"
        )
        return "\n".join(lines)
