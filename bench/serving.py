"""The served app of the benchmarks: uvicorn in a process of its own on 127.0.0.1.

A process of its own, so that the benchmark's heap and garbage collections do not show in the
latencies it measures; stopped (terminated, killed if it hangs) when the block ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def serve(
    factory: str, env: Mapping[str, str], *, start_within_seconds: float = 60.0
) -> AsyncIterator[str]:
    """uvicorn running `factory` ("module:function" returning the app) with `env` added to this
    process's environment; yields the base URL once /healthz answers."""
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", factory, "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    process = await asyncio.create_subprocess_exec(*command, env=environment, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as probe:
            for _ in range(int(start_within_seconds * 10)):
                if process.returncode is not None:
                    raise RuntimeError(f"uvicorn exited with {process.returncode}")
                with contextlib.suppress(httpx.TransportError):
                    if (await probe.get(f"{base}/healthz")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError(f"uvicorn did not start within {start_within_seconds:.0f} s")
        yield base
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), timeout=15)
            except TimeoutError:
                process.kill()
                await process.wait()
