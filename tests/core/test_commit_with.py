"""A last statement sent with its transaction's COMMIT (PostgreSQL's pipeline)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError

from app.core.commit_with import (
    DeferredWrites,
    StatementFailed,
    can_commit_with,
    commit_with,
    execute_or_defer,
)
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
        assert "counters_n_check" in str(failed.value)  # the server's message, for the log
        # Rolled back to before the statement: the earlier write is still there, uncommitted.
        assert await _counters(database) == [(1, 5), (2, 5)]
        seen = (await session.execute(text("SELECT id, n FROM counters ORDER BY id"))).all()
        assert [tuple(row) for row in seen] == [(1, 5), (2, 5), (3, 1)]
        await session.execute(text("UPDATE counters SET n = 4 WHERE id = 2"))

    assert await _counters(database) == [(1, 5), (2, 4), (3, 1)]


_ADD = text("INSERT INTO counters VALUES (:id, :n)")


@pytest.mark.usefixtures("counters")
async def test_held_writes_leave_with_the_statement_in_one_pipeline(database: Database) -> None:
    in_pipeline: list[tuple[str, bool]] = []

    def before(connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        status = connection.connection.driver_connection.pgconn.pipeline_status
        in_pipeline.append((statement, status != psycopg.pq.PipelineStatus.OFF))

    held = DeferredWrites()
    async with unit_of_work(database.writer) as session:
        await execute_or_defer(session, _ADD, {"id": 3, "n": 1}, held)
        await execute_or_defer(session, _ADD, [{"id": 4, "n": 2}, {"id": 5, "n": 3}], held)
        await execute_or_defer(session, _ADD, {"id": 6, "n": 4}, None)  # run at once
        assert len(held) == 2
        # Nothing held has been sent yet.
        seen = (await session.execute(text("SELECT id FROM counters ORDER BY id"))).all()
        assert [row[0] for row in seen] == [1, 2, 6]
        event.listen(database.engine.sync_engine, "before_cursor_execute", before)
        try:
            rows = await commit_with(session, _TAKE, {"q": 2, "id": 1}, sent_first=held)
        finally:
            event.remove(database.engine.sync_engine, "before_cursor_execute", before)
        assert rows == [(1, 3)]
        assert len(held) == 0

    assert [inside for _statement, inside in in_pipeline] == [True, True]
    assert await _counters(database) == [(1, 3), (2, 5), (3, 1), (4, 2), (5, 3), (6, 4)]


@pytest.mark.usefixtures("counters")
async def test_a_failed_statement_leaves_the_held_writes_in_the_transaction(
    database: Database,
) -> None:
    held = DeferredWrites()
    async with unit_of_work(database.writer) as session:
        held.add(_ADD, {"id": 3, "n": 1})
        with pytest.raises(StatementFailed):
            await commit_with(session, _TAKE, {"q": 9, "id": 2}, sent_first=held)
        assert await _counters(database) == [(1, 5), (2, 5)]  # nothing committed
        await held.send(session)  # sent already: nothing again
        seen = (await session.execute(text("SELECT id, n FROM counters ORDER BY id"))).all()
        assert [tuple(row) for row in seen] == [(1, 5), (2, 5), (3, 1)]

    assert await _counters(database) == [(1, 5), (2, 5), (3, 1)]


@pytest.mark.usefixtures("counters")
async def test_a_failed_held_write_is_raised_as_itself_and_nothing_is_committed(
    database: Database,
) -> None:
    held = DeferredWrites()
    async with unit_of_work(database.writer) as session:
        held.add(_ADD, {"id": 3, "n": 1})
        held.add(_ADD, {"id": 1, "n": 1})  # the key is taken
        # The server's own error, wherever psycopg read it: not a StatementFailed, whose
        # caller would go on and commit.
        with pytest.raises((psycopg.errors.UniqueViolation, IntegrityError), match="duplicate"):
            await commit_with(session, _TAKE, {"q": 2, "id": 1}, sent_first=held)
        await session.rollback()

    assert await _counters(database) == [(1, 5), (2, 5)]


async def test_held_writes_run_when_sent_on_any_database(database: Database) -> None:
    held = DeferredWrites()
    async with unit_of_work(database.writer) as session:
        await session.execute(text("CREATE TABLE held_rows (id int PRIMARY KEY)"))
        try:
            held.add(text("INSERT INTO held_rows VALUES (:id)"), [{"id": 1}, {"id": 2}])
            rows = (await session.execute(text("SELECT count(*) FROM held_rows"))).scalar()
            assert rows == 0
            await held.send(session)
            await held.send(session)
            rows = (await session.execute(text("SELECT count(*) FROM held_rows"))).scalar()
            assert rows == 2
        finally:
            await session.rollback()
