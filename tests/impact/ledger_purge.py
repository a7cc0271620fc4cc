"""Lifting the ledger's append-only guard for one block of one transaction, for the tests'
clean-up: DELETE is then allowed on the ledger and rollup tables; an UPDATE of the ledger stays
refused. The application itself never lifts it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.impact import cache
from app.impact.models import LEDGER_MODELS, ROLLUP_MODELS, LedgerGuard

GUARD_TABLE = str(LedgerGuard.__tablename__)
# Children first: attributions reference entries.
GUARDED_TABLES = tuple(
    str(model.__tablename__) for model in (*reversed(LEDGER_MODELS), *ROLLUP_MODELS)
)


@asynccontextmanager
async def ledger_purge(session: AsyncSession) -> AsyncIterator[None]:
    """Inside the block, and in the session's transaction only, the triggers let rows go.

    PostgreSQL: the transaction setting `fengshou.allow_ledger_purge` (SET LOCAL ends with
    the transaction anyway). SQLite: the one row of impact_ledger_guard, set back before the
    block ends, so that no other transaction ever sees it set. No `finally`: if the block
    fails, the caller's transaction rolls back, and with it the lifting.

    The report cache of the session's app is cleared: it trusts the ledger never to shrink.
    """
    cache.clear(session)
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SET LOCAL fengshou.allow_ledger_purge = 'on'"))
        yield
        await session.execute(text("SET LOCAL fengshou.allow_ledger_purge = 'off'"))
        return
    # INSERT OR REPLACE: a clean-up that emptied the guard table (or a database restored
    # without it) still gets its row back; a missing row means "refuse".
    await session.execute(
        text(f"INSERT OR REPLACE INTO {GUARD_TABLE} (id, purge_allowed) VALUES (1, 1)")  # noqa: S608
    )
    yield
    await session.execute(text(f"UPDATE {GUARD_TABLE} SET purge_allowed = 0 WHERE id = 1"))  # noqa: S608


async def purge_ledger(session: AsyncSession) -> None:
    """Empty the ledger and the rollups (test clean-up): DELETE, guard lifted."""
    async with ledger_purge(session):
        for name in GUARDED_TABLES:
            await session.execute(text(f"DELETE FROM {name}"))  # noqa: S608
