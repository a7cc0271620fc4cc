"""The ledger is append-only in the database itself: triggers refuse UPDATE and DELETE on it
(and DELETE on the rollups), on SQLite and PostgreSQL, unless a clean-up lifts the guard for
its own transaction."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from app.core.db import Database, unit_of_work
from app.impact.models import EntryPairing, LedgerEntry, TotalByCounty
from tests.account.factories import create_user
from tests.catalog.factories import create_seller
from tests.conftest import Backend
from tests.impact.factories import GUANGDONG, SANDU, Line, count, paid_order, rollup_snapshot
from tests.impact.ledger_purge import ledger_purge


async def _one_entry(database: Database) -> int:
    seller = await create_seller(database, county_code=SANDU)
    buyer = await create_user(database)
    await paid_order(
        database,
        buyer_user_id=buyer,
        lines=[Line(seller, 2, 1500)],
        buyer_province_code=GUANGDONG,  # east_west 广东 → 贵州: one attribution too
        paid_at=datetime(2026, 3, 1, tzinfo=UTC),
    )
    async with unit_of_work(database.reader) as session:
        entry_id: int | None = await session.scalar(select(LedgerEntry.id))
    assert entry_id is not None
    return entry_id


async def _entry(database: Database, entry_id: int) -> tuple[int, int, int]:
    async with unit_of_work(database.reader) as session:
        row = (
            await session.execute(
                select(
                    LedgerEntry.amount_fen, LedgerEntry.quantity, LedgerEntry.period_month
                ).where(LedgerEntry.id == entry_id)
            )
        ).one()
        return row[0], row[1], row[2]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE impact_ledger_entries SET amount_fen = 1",
        "UPDATE impact_ledger_entries SET period_month = 4",
        "UPDATE impact_entry_pairings SET amount_fen = 1",
    ],
)
async def test_an_update_of_the_ledger_raises_and_changes_nothing(
    database: Database, statement: str
) -> None:
    entry_id = await _one_entry(database)
    before = await _entry(database, entry_id)

    with pytest.raises(DBAPIError, match="append-only"):
        async with unit_of_work(database.writer) as session:
            await session.execute(text(statement))

    assert await _entry(database, entry_id) == before == (3000, 2, 3)


@pytest.mark.parametrize(
    "table",
    ["impact_ledger_entries", "impact_entry_pairings", "impact_totals_by_county"],
)
async def test_a_delete_from_the_ledger_or_a_rollup_raises_and_removes_nothing(
    database: Database, table: str
) -> None:
    await _one_entry(database)
    rollups = await rollup_snapshot(database)

    with pytest.raises(DBAPIError, match="append-only"):
        async with unit_of_work(database.writer) as session:
            await session.execute(text("DELETE FROM impact_entry_pairings"))
            await session.execute(text(f"DELETE FROM {table}"))  # noqa: S608

    assert await count(database, LedgerEntry) == 1
    assert await count(database, EntryPairing) == 1
    assert await rollup_snapshot(database) == rollups


async def test_truncate_is_refused_on_postgresql(database: Database, db_backend: Backend) -> None:
    if db_backend.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    await _one_entry(database)

    for table in ("impact_ledger_entries", "impact_totals_by_month"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with unit_of_work(database.writer) as session:
                await session.execute(text(f"TRUNCATE {table} CASCADE"))

    assert await count(database, LedgerEntry) == 1


async def test_the_guard_is_lifted_for_deletes_only_within_the_purging_transaction(
    database: Database,
) -> None:
    entry_id = await _one_entry(database)

    with pytest.raises(DBAPIError, match="append-only"):
        async with unit_of_work(database.writer) as session, ledger_purge(session):
            await session.execute(text("UPDATE impact_ledger_entries SET amount_fen = 1"))
    assert await _entry(database, entry_id) == (3000, 2, 3)

    with pytest.raises(DBAPIError, match="append-only"):
        async with unit_of_work(database.writer) as session:
            async with ledger_purge(session):
                await session.execute(text("DELETE FROM impact_totals_by_county"))
            # Still in the same transaction, but after the block: refused again.
            await session.execute(text("DELETE FROM impact_ledger_entries"))
    assert await count(database, TotalByCounty) == 1  # the transaction rolled back

    async with unit_of_work(database.writer) as session, ledger_purge(session):
        await session.execute(text("DELETE FROM impact_entry_pairings"))
        await session.execute(text("DELETE FROM impact_ledger_entries"))
    assert await count(database, LedgerEntry) == 0

    # A later transaction is guarded again.
    await _one_entry(database)
    with pytest.raises(DBAPIError, match="append-only"):
        async with unit_of_work(database.writer) as session:
            await session.execute(text("DELETE FROM impact_totals_by_month"))
