"""bench/lean_http: the load generators' keep-alive client sends a request again, once, only
when the server closed a reused connection without answering (its keep-alive timeout)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from bench import lean_http

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
# What the server does with a request: send these bytes (and, with True, close after them),
# or None: close without answering.
Answer = bytes | tuple[bytes, bool] | None


async def _serve(answer: Callable[[int, int], Answer]) -> tuple[asyncio.Server, list[int]]:
    """A loopback server answering `answer(connection, request)` (both counted from 0).
    Returns the server and, per request received, its connection's number."""
    seen: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = len({*seen})
        request = 0
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                seen.append(connection)
                reply = answer(connection, request)
                request += 1
                if reply is None:
                    break
                data, close = reply if isinstance(reply, tuple) else (reply, False)
                writer.write(data)
                await writer.drain()
                if close:
                    break
        except asyncio.IncompleteReadError:
            pass
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, seen


def _base(server: asyncio.Server) -> str:
    host, port = server.sockets[0].getsockname()[:2]
    return f"http://{host}:{port}"


async def test_a_request_the_server_dropped_on_a_reused_connection_is_sent_again() -> None:
    # The first connection answers once, then closes on the next request unanswered.
    server, seen = await _serve(lambda connection, request: None if request == 1 else OK)
    async with server:
        client = lean_http.Connection(_base(server))
        assert (await client.request("GET", "/")).status == 200
        reply = await client.request("POST", "/orders", json_body={"a": 1})
        await client.close()
    assert (reply.status, reply.body) == (200, b"ok")
    assert seen == [0, 0, 1]  # dropped on the first connection, answered on a second


async def test_a_new_connection_closed_unanswered_is_a_failure_not_sent_again() -> None:
    server, seen = await _serve(lambda connection, request: None)
    async with server:
        client = lean_http.Connection(_base(server))
        with pytest.raises(lean_http.HTTPFailure):
            await client.request("POST", "/orders", json_body={"a": 1})
    assert seen == [0]


async def test_a_half_answer_is_a_failure_not_sent_again() -> None:
    half = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nok"
    # The first connection answers once, then half an answer before it closes.
    server, seen = await _serve(
        lambda connection, request: OK if request == 0 else (half, True) if connection == 0 else OK
    )
    async with server:
        client = lean_http.Connection(_base(server))
        await client.request("GET", "/")
        with pytest.raises(lean_http.HTTPFailure, match="IncompleteReadError"):
            await client.request("POST", "/orders", json_body={"a": 1})
        await client.close()
    assert seen == [0, 0]
