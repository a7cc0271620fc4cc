"""One last statement sent with its transaction's COMMIT, on PostgreSQL (psycopg's pipeline).

A statement that locks a hot row (a SKU a thousand buyers want) holds the lock until the
transaction ends. Sent the usual way, the end is two client round trips later: the result
comes back, the process gets round to sending COMMIT (under load, after every other task
ready in its event loop), and COMMIT comes back. Pipelined, SAVEPOINT, the statement, RELEASE
and COMMIT leave in one write and the server runs them back to back: the lock is held for the
server's own milliseconds. See ADR 0017.

If the statement fails (a CHECK it was written to trip, say), the server skips the rest: the
transaction is rolled back to the savepoint, as it was before the statement, nothing is
committed, and StatementFailed says why; the caller may go on in the same transaction.

Writes whose results nobody reads (an order's lines, its payment, its jobs) may wait for that
last round trip too (DeferredWrites): they leave in the same write, before the savepoint, and
a busy process saves a round trip for each (ADR 0017).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import psycopg
from sqlalchemy import Executable
from sqlalchemy.ext.asyncio import AsyncSession

_SAVEPOINT = "commit_with"


class StatementFailed(Exception):
    """The statement sent with the COMMIT failed; nothing was committed."""

    def __init__(self, sqlstate: str | None, message: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


class DeferredWrites:
    """Statements that return no rows, held back to be sent with a transaction's last
    statement by commit_with, in its pipeline; or run as usual by `send` when that does not
    happen (another database, another path). The ids the rows need are known beforehand."""

    def __init__(self) -> None:
        self._statements: list[tuple[Executable, Any]] = []

    def add(self, statement: Executable, params: Any) -> None:
        self._statements.append((statement, params))

    def __len__(self) -> int:
        return len(self._statements)

    async def send(self, session: AsyncSession) -> None:
        """Run what is held, in order, once: in a pipeline each leaves without waiting for
        its result (a failure comes back with a later command)."""
        statements, self._statements = self._statements, []
        for statement, params in statements:
            await session.execute(statement, params)


async def execute_or_defer(
    session: AsyncSession, statement: Executable, params: Any, deferred: DeferredWrites | None
) -> None:
    """Run a write that returns no rows now, or hold it in `deferred`."""
    if deferred is None:
        await session.execute(statement, params)
    else:
        deferred.add(statement, params)


def can_commit_with(session: AsyncSession) -> bool:
    """Whether this session's database takes a statement pipelined with COMMIT (PostgreSQL
    through psycopg)."""
    bind = session.get_bind()
    return bind.dialect.name == "postgresql" and bind.dialect.driver == "psycopg"


async def commit_with(
    session: AsyncSession,
    sql: str,
    params: Mapping[str, Any],
    *,
    sent_first: DeferredWrites | None = None,
) -> Sequence[tuple[Any, ...]]:
    """Run `sql` (psycopg's `%(name)s` parameters, plain Python values) as the last statement
    of the session's transaction and commit with it in one round trip; its rows.

    The session's pending objects are flushed first (they belong to the transaction), and
    the writes held in `sent_first` go in the same round trip, before the savepoint: when
    `sql` fails they stay in the transaction. When one of them fails, its error is raised
    and the transaction is spoiled (the caller rolls back), as if it had been run at once.
    After it, the session is committed as usual (its COMMIT finds nothing left to do, and the
    session's after-commit hooks run)."""
    await session.flush()
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = cast(psycopg.AsyncConnection[Any], raw.driver_connection)
    failure: psycopg.Error | None = None
    savepoint: psycopg.AsyncCursor[Any] | None = None
    rows: list[tuple[Any, ...]] = []
    try:
        async with driver.pipeline():
            # The statement's error may come back with any command that follows it (psycopg
            # reads what the server has answered whenever it sends).
            try:
                if sent_first is not None:
                    await sent_first.send(session)
                savepoint = await driver.execute(f"SAVEPOINT {_SAVEPOINT}")
                cursor = await driver.execute(sql, params)
                await driver.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
                await driver.commit()
                rows = await cursor.fetchall()
            except psycopg.Error as exc:
                failure = exc
    except psycopg.errors.PipelineAborted:
        # Leaving the pipeline drains the commands the server skipped after the failure.
        if failure is None:
            raise
    if failure is not None:
        if not _established(savepoint):
            raise failure  # a write sent first failed: the server skipped the rest
        if driver.info.transaction_status != psycopg.pq.TransactionStatus.INERROR:
            raise failure  # not the statement: the connection itself broke
        await driver.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
        raise StatementFailed(failure.sqlstate, str(failure)) from failure
    await session.commit()
    return rows


def _established(savepoint: psycopg.AsyncCursor[Any] | None) -> bool:
    """Whether the pipeline's SAVEPOINT ran: a command the server skipped, after an earlier
    one failed, has no result of its own."""
    result = savepoint.pgresult if savepoint is not None else None
    return result is not None and result.status == psycopg.pq.ExecStatus.COMMAND_OK
