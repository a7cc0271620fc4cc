"""PostgreSQL's pooled connections: one idle past the window is pinged before use and replaced
when the server dropped it; one back within the window is used as it is (no round trip), and
if it died meanwhile its statement fails once and the pool is renewed."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core import db
from tests.conftest import BACKENDS, POSTGRES_ADMIN_URL

pytestmark = pytest.mark.skipif("postgresql" not in BACKENDS, reason="PostgreSQL only")

URL = POSTGRES_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://")


async def _backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(text("SELECT pg_backend_pid()")) or 0)


def _terminate(pid: int) -> None:
    """The server drops the connection (as a restart or an idle timeout would)."""
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


async def test_a_connection_idle_past_the_window_is_replaced_if_the_server_dropped_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = db.create_engine(URL)
    try:
        first = await _backend_pid(engine)
        _terminate(first)
        monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)

        second = await _backend_pid(engine)

        assert second not in (0, first)
    finally:
        await engine.dispose()


async def test_a_connection_back_within_the_window_is_used_without_a_ping() -> None:
    engine = db.create_engine(URL)
    try:
        first = await _backend_pid(engine)
        assert await _backend_pid(engine) == first  # the same pooled connection, alive
        _terminate(first)

        # Not pinged: its statement is the one that finds it dead ...
        with pytest.raises(DBAPIError) as failed:
            await _backend_pid(engine)
        assert failed.value.connection_invalidated
        # ... and the pool is renewed for the next.
        assert await _backend_pid(engine) not in (0, first)
    finally:
        await engine.dispose()
