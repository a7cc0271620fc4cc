"""Reserving as the last step of a transaction and committing it (checkout's API path).

On PostgreSQL the reservation is one statement sent with the COMMIT, so that a hot SKU's row
is locked only while the server runs it; a reservation that empties a SKU, or finds one
short or missing, takes the usual path. Both give the same rows.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, insert, select

from app.core.commit_with import DeferredWrites
from app.core.db import Database, table_of, unit_of_work
from app.core.errors import DomainError
from app.inventory import service
from app.inventory.errors import InsufficientStock, SkuNotFound
from app.inventory.models import MovementReason, SkuStock, StockMovement
from app.jobs.models import Job
from tests.catalog.factories import create_sku
from tests.cooperative.factories import create_cooperative
from tests.inventory.factories import in_stock, movements, stock_of
from tests.sql_statements import recorded_statements


def _callers_own_write(sku_id: int) -> StockMovement:
    """Something the caller wrote earlier in the same transaction (an order, in checkout)."""
    return StockMovement(
        sku_id=sku_id, delta=0, reason=MovementReason.RESTOCKED, note="the caller's own write"
    )


async def _notes(database: Database) -> list[str | None]:
    async with unit_of_work(database.reader) as session:
        return list(
            (await session.scalars(select(StockMovement.note).order_by(StockMovement.id))).all()
        )


async def test_a_sale_that_leaves_stock_commits_with_the_callers_writes(
    database: Database,
) -> None:
    supplier = await create_cooperative(database)
    apples = await create_sku(database, cooperative_id=supplier, stock=5)
    pears = await create_sku(database, cooperative_id=supplier, stock=9)

    with recorded_statements(database) as seen:
        async with unit_of_work(database.writer) as session:
            session.add(_callers_own_write(apples.id))
            await service.reserve_stock_and_commit(
                session, [(pears.id, 3), (apples.id, 2), (pears.id, 1)], order_id=7
            )
            assert not session.in_transaction()  # committed here, not by the block's end

    assert await stock_of(database, apples.id) == 3
    assert await stock_of(database, pears.id) == 5
    assert await movements(database) == [
        (apples.id, 0, "restocked", None),
        (apples.id, -2, "reserved", 7),
        (pears.id, -4, "reserved", 7),
    ]
    assert await in_stock(database, apples.product_id) is True
    # PostgreSQL: one statement sent with the COMMIT, not the usual conditional UPDATEs.
    usual_path = [sql for sql in seen if sql.upper().startswith("UPDATE SKUS")]
    assert len(usual_path) == (0 if database.dialect == "postgresql" else 2)


@pytest.mark.parametrize("stock", [5, 2], ids=["stock left", "emptied: the usual path"])
async def test_the_writes_held_for_the_commit_are_committed_with_the_sale(
    database: Database, stock: int
) -> None:
    supplier = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=supplier, stock=stock)
    held = DeferredWrites()
    held.add(
        insert(table_of(StockMovement)).inline(),
        {"sku_id": sku.id, "delta": 0, "reason": MovementReason.RESTOCKED, "note": "held"},
    )

    async with unit_of_work(database.writer) as session:
        await service.reserve_stock_and_commit(session, [(sku.id, 2)], order_id=7, sent_first=held)
        assert not session.in_transaction()

    assert len(held) == 0
    assert await stock_of(database, sku.id) == stock - 2
    assert await _notes(database) == ["held", None]


async def test_skus_the_session_holds_show_the_stock_left(database: Database) -> None:
    supplier = await create_cooperative(database)
    apples = await create_sku(database, cooperative_id=supplier, stock=5)
    pears = await create_sku(database, cooperative_id=supplier, stock=9)

    async with unit_of_work(database.writer) as session:
        held = [await session.get(SkuStock, sku.id) for sku in (apples, pears)]
        await service.reserve_stock_and_commit(session, [(pears.id, 3), (apples.id, 2)], order_id=7)
        # Read without a query: the objects are kept in step with the sale (and a commit
        # does not expire them).
        assert [sku.stock for sku in held if sku is not None] == [3, 6]


async def test_a_sale_that_empties_a_sku_turns_its_product_out_of_stock_in_the_same_commit(
    database: Database,
) -> None:
    supplier = await create_cooperative(database)
    last = await create_sku(database, cooperative_id=supplier, stock=2)
    other = await create_sku(database, cooperative_id=supplier, stock=6)

    async with unit_of_work(database.writer) as session:
        await service.reserve_stock_and_commit(session, [(last.id, 2), (other.id, 1)], order_id=8)

    assert await stock_of(database, last.id) == 0
    assert await stock_of(database, other.id) == 5
    assert await in_stock(database, last.product_id) is False
    assert await in_stock(database, other.product_id) is True
    async with unit_of_work(database.reader) as session:
        jobs = (
            await session.scalars(select(Job).where(Job.name == service.REINDEX_PRODUCTS_JOB))
        ).all()
    assert [job.payload for job in jobs] == [
        {"product_ids": [last.product_id], "texts_as_indexed": True}
    ]
    assert sorted(await movements(database)) == sorted(
        [(last.id, -2, "reserved", 8), (other.id, -1, "reserved", 8)]
    )


async def test_a_short_sku_refuses_the_whole_reservation_and_commits_nothing(
    database: Database,
) -> None:
    supplier = await create_cooperative(database)
    plenty = await create_sku(database, cooperative_id=supplier, stock=50)
    scarce = await create_sku(database, cooperative_id=supplier, stock=2)

    with pytest.raises(InsufficientStock) as refused:
        async with unit_of_work(database.writer) as session:
            session.add(_callers_own_write(plenty.id))
            await service.reserve_stock_and_commit(
                session, [(plenty.id, 1), (scarce.id, 3)], order_id=9
            )

    assert refused.value.fields == {f"skus.{scarce.id}": "only 2 left"}
    assert await stock_of(database, plenty.id) == 50
    assert await stock_of(database, scarce.id) == 2
    assert await _notes(database) == []  # the caller's write rolled back with it


async def test_a_missing_sku_refuses_the_reservation_and_commits_nothing(
    database: Database,
) -> None:
    supplier = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=supplier, stock=5)

    with pytest.raises(SkuNotFound):
        async with unit_of_work(database.writer) as session:
            await service.reserve_stock_and_commit(
                session, [(sku.id, 1), (sku.id + 1000, 1)], order_id=10
            )

    assert await stock_of(database, sku.id) == 5
    assert await movements(database) == []


async def test_buyers_of_two_hot_skus_in_either_order_get_exactly_the_stock(
    database: Database,
) -> None:
    """Half list A then B, half B then A, all at once, each with a write of its own before
    the reservation: no deadlock, never oversold, and each success committed whole."""
    supplier = await create_cooperative(database)
    a = await create_sku(database, cooperative_id=supplier, stock=12)
    b = await create_sku(database, cooperative_id=supplier, stock=12)

    async def buyer(order_id: int) -> bool:
        items = [(a.id, 2), (b.id, 1)] if order_id % 2 else [(b.id, 1), (a.id, 2)]
        try:
            async with unit_of_work(database.writer) as session:
                session.add(_callers_own_write(a.id))
                await service.reserve_stock_and_commit(session, items, order_id=order_id)
        except DomainError:
            return False
        return True

    results = await asyncio.gather(*(buyer(order_id) for order_id in range(1, 25)))

    assert results.count(True) == 6  # 12 units of A, two per order
    assert await stock_of(database, a.id) == 0
    assert await stock_of(database, b.id) == 6
    assert len(await _notes(database)) == 6 * 3  # per success: its own write and two sales
    async with unit_of_work(database.reader) as session:
        sold = await session.scalar(
            select(func.sum(StockMovement.delta)).where(StockMovement.reason == "reserved")
        )
    assert sold == -(12 + 6)
