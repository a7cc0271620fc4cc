"""unit_of_work: commits what the block did, rolls back on error, and costs nothing unused."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import pytest
from sqlalchemy import delete, inspect, select
from sqlalchemy.orm import SessionTransaction

from app.core.db import Database, unit_of_work
from app.regions.models import Province

CODE = "990000"  # no such province


@pytest.fixture
async def cleanup(database: Database) -> AsyncIterator[None]:
    yield
    async with unit_of_work(database.writer) as session:
        await session.execute(delete(Province).where(Province.code == CODE))


async def test_an_unused_session_begins_nothing(
    database: Database, transactions: list[SessionTransaction]
) -> None:
    async with unit_of_work(database.reader) as session:
        assert session is not None
    assert transactions == []


async def test_an_object_added_and_never_flushed_is_committed(
    database: Database, cleanup: None
) -> None:
    async with unit_of_work(database.writer) as session:
        session.add(Province(code=CODE, name="测试省"))
    async with unit_of_work(database.reader) as session:
        assert await session.scalar(select(Province.name).where(Province.code == CODE)) == "测试省"


async def test_a_used_session_is_committed_and_closed(database: Database, cleanup: None) -> None:
    async with unit_of_work(database.writer) as session:
        province = Province(code=CODE, name="测试省")
        session.add(province)
        await session.flush()
    # Closed: what it loaded is detached, and the row was committed.
    assert inspect(province).detached
    async with unit_of_work(database.reader) as session:
        assert await session.scalar(select(Province.code).where(Province.code == CODE)) == CODE


async def test_a_session_ended_by_its_commit_is_let_go_of_without_a_task(
    database: Database, cleanup: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its connection is back in the pool: nothing is left to await, and under load a task
    # would wait for turns of the event loop before the response could leave.
    tasks: list[object] = []

    def create_task(coro: Coroutine[Any, Any, Any]) -> None:
        tasks.append(coro)
        coro.close()

    monkeypatch.setattr(asyncio, "create_task", create_task)
    async with unit_of_work(database.writer) as session:
        province = Province(code=CODE, name="测试省")
        session.add(province)
        await session.flush()
        await session.commit()
        loaded = await session.get(Province, CODE)
        assert loaded is province
        await session.rollback()
    assert tasks == []
    assert inspect(province).detached


async def test_an_error_rolls_back_what_the_block_wrote(database: Database) -> None:
    with pytest.raises(RuntimeError):
        async with unit_of_work(database.writer) as session:
            session.add(Province(code=CODE, name="测试省"))
            await session.flush()
            raise RuntimeError("the block failed")
    async with unit_of_work(database.reader) as session:
        assert await session.scalar(select(Province.code).where(Province.code == CODE)) is None
