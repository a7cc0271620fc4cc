"""On a server database, reads have a pool of connections of their own: a page built while
orders hold every connection of the writers' pool does not wait for one of them. What is built
to be kept for every visitor is read with no transaction of its own there, and never writes."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from app.catalog.models import Category
from app.core.db import Database, WriteRefused


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


async def test_pages_are_read_with_each_statement_its_own_transaction_on_a_server(
    database: Database,
) -> None:
    async def two_statements(sessionmaker: async_sessionmaker[AsyncSession]) -> list[object]:
        async with sessionmaker() as session:
            first = await session.scalar(text("SELECT transaction_timestamp()"))
            await asyncio.sleep(0.02)
            second = await session.scalar(text("SELECT transaction_timestamp()"))
        return [first, second]

    if database.dialect == "sqlite":
        # SQLite's statements make no round trip: its page reads begin as its other reads do.
        assert database.page_reader.kw["bind"] is database.reader.kw["bind"]
        return
    first, second = await two_statements(database.page_reader)
    assert first != second  # no BEGIN: each statement was a transaction of its own
    first, second = await two_statements(database.reader)
    assert first == second  # the other reads keep their transaction


async def test_a_page_read_refuses_to_write_and_writes_nothing(database: Database) -> None:
    async with database.page_reader() as session:
        session.add(Category(code="test-refused", name_zh="拒", name_en="refused"))
        with pytest.raises(WriteRefused):
            await session.flush()
        await session.rollback()
        with pytest.raises(WriteRefused):
            await session.execute(
                update(Category).where(Category.code == "fruit").values(name_en="refused")
            )
        with pytest.raises(WriteRefused):
            await session.execute(delete(Category).where(Category.code == "fruit"))
        # Reads go on.
        assert await session.scalar(select(Category.name_en).where(Category.code == "fruit"))
    async with database.reader() as session:
        rows = await session.execute(select(Category.code, Category.name_en))
        names = {code: name for code, name in rows}
    assert "test-refused" not in names
    assert names["fruit"] != "refused"
