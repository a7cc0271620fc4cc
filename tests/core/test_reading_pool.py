"""On a server database, reads have a pool of connections of their own: a page built while
orders hold every connection of the writers' pool does not wait for one of them."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.db import Database


async def test_reads_get_a_connection_while_writers_hold_all_of_theirs(
    database: Database,
) -> None:
    if database.dialect == "sqlite":
        # One file, one engine: SQLite's readers never wait for a pooled connection.
        assert database.engines == (database.engine,)
        assert database.reader.kw["bind"].engine is database.engine.sync_engine
        return
    assert database.engines == (database.engine, database.reading_engine)
    pool = database.engine.sync_engine.pool
    held: list[AsyncConnection] = []
    try:
        for _ in range(pool.size() + pool._max_overflow):  # type: ignore[attr-defined]
            held.append(await database.engine.connect())
        # The writers' pool is used up: one more would wait.
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(database.engine.connect(), 0.5)

        async def read() -> int | None:
            async with database.reader() as session:
                value: int | None = await session.scalar(text("SELECT 1"))
            return value

        assert await asyncio.wait_for(read(), 5) == 1
    finally:
        for connection in held:
            with contextlib.suppress(Exception):
                await connection.close()
