"""A lean HTTP/1.1 client for the benchmarks that must send requests one by one (checkouts:
each with its own Idempotency-Key and body, its answer read): keep-alive connections over
asyncio streams, one request at a time on each.

httpx costs about 3 ms of CPU per request here (bench/checkout.py printed it), so on two cores
a load of 150 requests/s gives the client half a core the server would otherwise have; this
costs a few hundredths of that, and the figures measure the server. Pages with no per-request
logic are loaded with `wrk` (bench/pages.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


class HTTPFailure(Exception):
    """The connection broke, or the server sent something that is not HTTP/1.1."""


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]  # names lower-cased; a repeated header keeps its last value
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Connection:
    """One keep-alive connection to `base` (http://host:port); reopened after the server
    closes it. Not for concurrent use: one request at a time."""

    def __init__(self, base: str, *, timeout: float = 60.0) -> None:
        parts = urlsplit(base)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"{base!r} is not an http:// address")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.timeout = timeout
        self._host_header = f"{self.host}:{self.port}"
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        # A connection the server closed while it sat idle (uvicorn's keep-alive timeout is
        # 5 s) has read its end: a new one, rather than a request sent into a closed socket.
        if self._reader is not None and self._reader.at_eof():
            await self.close()
        if self._reader is None or self._writer is None or self._writer.is_closing():
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        return self._reader, self._writer

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
        self._reader = self._writer = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        json_body: Any = None,
    ) -> Reply:
        body = b""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self._host_header}"]
        if json_body is not None:
            body = json.dumps(json_body, ensure_ascii=False, separators=(",", ":")).encode()
            lines.append("Content-Type: application/json")
        if body or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body)}")
        lines.extend(f"{name}: {value}" for name, value in (headers or {}).items())
        message = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        # A request the server dropped unanswered on a reused connection (closed idle as the
        # request left: its keep-alive timeout) is sent again once on a new one, as browsers
        # do; callers' POSTs carry an Idempotency-Key, so even one it read would be answered
        # with its first answer.
        for last_try in (False, True):
            reused = self._writer is not None
            try:
                return await asyncio.wait_for(self._exchange(message), self.timeout)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
                await self.close()
                if last_try or not (reused and _closed_before_answering(exc)):
                    raise HTTPFailure(f"{type(exc).__name__}: {exc}") from exc
            except TimeoutError:
                await self.close()
                raise
        raise AssertionError("unreachable: the last try returns or raises")

    async def _exchange(self, message: bytes) -> Reply:
        reader, writer = await self._open()
        writer.write(message)
        # Headers past the reader's limit (64 KiB) raise LimitOverrunError: an HTTPFailure.
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
        version, _, rest = status_line.partition(" ")
        if not version.startswith("HTTP/1.") or not rest[:3].isdigit():
            raise HTTPFailure(f"not an HTTP/1.1 status line: {status_line!r}")
        headers: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await _read_chunked(reader)
        else:
            body = b""
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return Reply(int(rest[:3]), headers, body)


def _closed_before_answering(exc: BaseException) -> bool:
    """A connection the server closed or reset before a byte of its answer came back."""
    if isinstance(exc, asyncio.IncompleteReadError):
        return not exc.partial
    return isinstance(exc, ConnectionResetError | BrokenPipeError)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # the empty trailer
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)  # the chunk's CRLF
