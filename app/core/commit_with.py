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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import psycopg
from sqlalchemy.ext.asyncio import AsyncSession

_SAVEPOINT = "commit_with"


class StatementFailed(Exception):
    """The statement sent with the COMMIT failed; nothing was committed."""

    def __init__(self, sqlstate: str | None, message: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def can_commit_with(session: AsyncSession) -> bool:
    """Whether this session's database takes a statement pipelined with COMMIT (PostgreSQL
    through psycopg)."""
    bind = session.get_bind()
    return bind.dialect.name == "postgresql" and bind.dialect.driver == "psycopg"


async def commit_with(
    session: AsyncSession, sql: str, params: Mapping[str, Any]
) -> Sequence[tuple[Any, ...]]:
    """Run `sql` (psycopg's `%(name)s` parameters, plain Python values) as the last statement
    of the session's transaction and commit with it in one round trip; its rows.

    The session's pending objects are flushed first (they belong to the transaction). After
    it, the session is committed as usual (its COMMIT finds nothing left to do, and the
    session's after-commit hooks run)."""
    await session.flush()
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = cast(psycopg.AsyncConnection[Any], raw.driver_connection)
    failure: psycopg.Error | None = None
    rows: list[tuple[Any, ...]] = []
    try:
        async with driver.pipeline():
            # The statement's error may come back with any command that follows it (psycopg
            # reads what the server has answered whenever it sends).
            try:
                await driver.execute(f"SAVEPOINT {_SAVEPOINT}")
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
        if driver.info.transaction_status != psycopg.pq.TransactionStatus.INERROR:
            raise failure  # not the statement: the connection itself broke
        await driver.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
        raise StatementFailed(failure.sqlstate, str(failure)) from failure
    await session.commit()
    return rows
