"""A last statement sent with its transaction's COMMIT (PostgreSQL's pipeline)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from app.core.commit_with import StatementFailed, can_commit_with, commit_with
from app.core.db import Database, unit_of_work

_TAKE = "UPDATE counters SET n = n - %(q)s WHERE id = %(id)s RETURNING id, n"


async def _counters(database: Database) -> list[tuple[int, int]]:
    async with unit_of_work(database.reader) as session:
        rows = (await session.execute(text("SELECT id, n FROM counters ORDER BY id"))).all()
        return [(row[0], row[1]) for row in rows]


@pytest.fixture
async def counters(database: Database) -> AsyncIterator[None]:
    if database.dialect != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no pipeline (can_commit_with says so)")
    async with unit_of_work(database.writer) as session:
        await session.execute(text("DROP TABLE IF EXISTS counters"))
        await session.execute(
            text("CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL CHECK (n >= 0))")
        )
        await session.execute(text("INSERT INTO counters VALUES (1, 5), (2, 5)"))
    yield
    async with unit_of_work(database.writer) as session:
        await session.execute(text("DROP TABLE counters"))


async def test_only_postgresql_takes_a_statement_with_its_commit(database: Database) -> None:
    async with unit_of_work(database.reader) as session:
        assert can_commit_with(session) is (database.dialect == "postgresql")


@pytest.mark.usefixtures("counters")
async def test_the_statement_and_the_transaction_before_it_are_committed(
    database: Database,
) -> None:
    async with unit_of_work(database.writer) as session:
        await session.execute(text("INSERT INTO counters VALUES (3, 1)"))
        rows = await commit_with(session, _TAKE, {"q": 2, "id": 1})
        assert rows == [(1, 3)]
        assert not session.in_transaction()

    assert await _counters(database) == [(1, 3), (2, 5), (3, 1)]


@pytest.mark.usefixtures("counters")
async def test_a_failed_statement_commits_nothing_and_leaves_the_transaction_usable(
    database: Database,
) -> None:
    async with unit_of_work(database.writer) as session:
        await session.execute(text("INSERT INTO counters VALUES (3, 1)"))
        with pytest.raises(StatementFailed) as failed:
            await commit_with(session, _TAKE, {"q": 9, "id": 2})
        assert failed.value.sqlstate == "23514"  # check_violation
        # Rolled back to before the statement: the earlier write is still there, uncommitted.
        assert await _counters(database) == [(1, 5), (2, 5)]
        seen = (await session.execute(text("SELECT id, n FROM counters ORDER BY id"))).all()
        assert [tuple(row) for row in seen] == [(1, 5), (2, 5), (3, 1)]
        await session.execute(text("UPDATE counters SET n = 4 WHERE id = 2"))

    assert await _counters(database) == [(1, 5), (2, 4), (3, 1)]
