"""The app served by uvicorn in a process of its own on 127.0.0.1: for the benchmarks, and for the
tests that need a real server (the browser tests, crash recovery).

A process of its own, so that a benchmark's heap and garbage collections do not show in the
latencies it measures, and so that a test can kill it; stopped (terminated, killed if it hangs)
when the block ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


class ServerDidNotStart(RuntimeError):
    """The server exited, or did not answer in time; the message ends with its output."""


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on (when asked)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _tail(output: Path | None) -> str:
    if output is None or not output.exists():
        return ""
    return output.read_text(errors="replace")[-4000:]


def wait_until_up(
    process: subprocess.Popen[bytes],
    url: str,
    *,
    within_seconds: float,
    output: Path | None = None,
) -> None:
    """Poll `url` until it answers 200; ServerDidNotStart (with the end of `output`, where the
    process writes) if the process exits first or the time runs out."""
    deadline = time.monotonic() + within_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerDidNotStart(f"exited with {process.returncode}:\n{_tail(output)}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise ServerDidNotStart(f"{url} did not answer within {within_seconds:.0f} s:\n{_tail(output)}")


def stop(process: subprocess.Popen[bytes], *, within_seconds: float = 10.0) -> None:
    """Terminate the process (uvicorn shuts down cleanly on SIGTERM), killed if it hangs."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=within_seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=within_seconds)


def start(
    factory: str,
    env: Mapping[str, str],
    *,
    output: Path | None = None,
    start_within_seconds: float = 60.0,
    workers: int = 1,
) -> tuple[str, subprocess.Popen[bytes]]:
    """uvicorn running `factory` ("module:function" returning the app) on a free port, with
    `env` added to this process's environment and its output appended to `output` (else
    this process's own), in `workers` processes (more than one: uvicorn's supervisor and its
    workers); returns (base URL, process) once /healthz answers."""
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", factory, "--factory",
        "--host", HOST, "--port", str(port), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    if workers > 1:
        command += ["--workers", str(workers)]
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    with contextlib.ExitStack() as files:
        out = files.enter_context(output.open("ab")) if output is not None else None
        process = subprocess.Popen(  # noqa: S603  (our own interpreter and arguments)
            command,
            cwd=ROOT,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT if out is not None else None,
        )
    base = f"http://{HOST}:{port}"
    try:
        wait_until_up(
            process, f"{base}/healthz", within_seconds=start_within_seconds, output=output
        )
    except BaseException:
        stop(process)
        raise
    return base, process


@contextlib.contextmanager
def served(
    factory: str,
    env: Mapping[str, str],
    *,
    output: Path | None = None,
    start_within_seconds: float = 60.0,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`start`, then `stop` when the block ends; yields (base URL, process)."""
    base, process = start(factory, env, output=output, start_within_seconds=start_within_seconds)
    try:
        yield base, process
    finally:
        stop(process)


@contextlib.asynccontextmanager
async def serve(
    factory: str, env: Mapping[str, str], *, start_within_seconds: float = 60.0
) -> AsyncIterator[str]:
    """`served` for a benchmark running in an event loop: started and stopped in a thread, so
    that the loop is not blocked meanwhile; yields the base URL."""
    base, process = await asyncio.to_thread(
        start, factory, env, start_within_seconds=start_within_seconds
    )
    try:
        yield base
    finally:
        await asyncio.to_thread(stop, process)
