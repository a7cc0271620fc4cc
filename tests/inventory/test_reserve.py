"""Stock reservation, release and restocking: atomic, all-or-nothing, logged, never oversold."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from app.catalog.models import Sku
from app.core.db import Database, unit_of_work
from app.core.errors import DomainError
from app.inventory import service
from app.inventory.errors import InsufficientStock, InvalidStockChange, SkuNotFound
from app.inventory.models import MovementReason, ProductStock, SkuStock
from tests.catalog.factories import create_sku
from tests.cooperative.factories import create_cooperative
from tests.inventory.factories import in_stock, movements, stock_of


async def test_reserve_takes_units_off_and_logs_each_sku(database: Database) -> None:
    supplier = await create_cooperative(database)
    apples = await create_sku(database, cooperative_id=supplier, stock=5)
    pears = await create_sku(database, cooperative_id=supplier, stock=3)

    async with unit_of_work(database.writer) as session:
        # Given out of order: the service locks in SKU order whatever the caller's order.
        await service.reserve_stock(session, [(pears.id, 3), (apples.id, 2)], order_id=41)

    assert await stock_of(database, apples.id) == 3
    assert await stock_of(database, pears.id) == 0
    assert await movements(database) == [
        (apples.id, -2, "reserved", 41),
        (pears.id, -3, "reserved", 41),
    ]
    # The pear product sold its last unit; the apple product still has stock.
    assert await in_stock(database, pears.product_id) is False
    assert await in_stock(database, apples.product_id) is True


async def test_a_product_stays_in_stock_while_another_sku_has_units(database: Database) -> None:
    supplier = await create_cooperative(database)
    small = await create_sku(database, cooperative_id=supplier, stock=1)
    large = await create_sku(
        database, cooperative_id=supplier, stock=4, product_id=small.product_id
    )
    # A SKU taken off sale keeps its units, but sells none of them.
    await create_sku(
        database, cooperative_id=supplier, stock=5, is_active=False, product_id=small.product_id
    )

    async with unit_of_work(database.writer) as session:
        await service.reserve_stock(session, [(small.id, 1)], order_id=1)
    assert await in_stock(database, small.product_id) is True

    async with unit_of_work(database.writer) as session:
        await service.reserve_stock(session, [(large.id, 4)], order_id=2)
    assert await in_stock(database, small.product_id) is False


async def test_a_product_the_session_holds_shows_that_it_ran_out(database: Database) -> None:
    supplier = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=supplier, stock=2)

    async with unit_of_work(database.writer) as session:
        held = await session.get(ProductStock, sku.product_id)
        assert held is not None and held.in_stock is True
        await service.reserve_stock(session, [(sku.id, 2)], order_id=1)
        # Read without a query: the object is kept in step with the UPDATE.
        assert held.in_stock is False


async def test_the_largest_quantity_is_reserved(database: Database) -> None:
    supplier = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=supplier, stock=service.MAX_STOCK)

    async with unit_of_work(database.writer) as session:
        await service.reserve_stock(session, [(sku.id, service.MAX_STOCK)], order_id=1)
    assert await stock_of(database, sku.id) == 0


async def test_reservation_is_all_or_nothing(database: Database) -> None:
    supplier = await create_cooperative(database)
    first = await create_sku(database, cooperative_id=supplier, stock=5)
    short = await create_sku(database, cooperative_id=supplier, stock=1)

    with pytest.raises(InsufficientStock) as caught:
        async with unit_of_work(database.writer) as session:
            await service.reserve_stock(session, [(first.id, 2), (short.id, 2)], order_id=7)

    error = caught.value
    assert (error.status_code, error.code) == (409, "insufficient_stock")
    assert (error.sku_id, error.requested, error.available) == (short.id, 2, 1)
    assert error.fields == {f"skus.{short.id}": "only 1 left"}
    assert await stock_of(database, first.id) == 5
    assert await stock_of(database, short.id) == 1
    assert await movements(database) == []
    assert await in_stock(database, first.product_id) is True


async def test_a_refused_reservation_leaves_the_callers_transaction_usable(
    database: Database,
) -> None:
    """The service undoes its own partial work (a savepoint), so a caller that catches the
    error and carries on commits no half reservation."""
    supplier = await create_cooperative(database)
    first = await create_sku(database, cooperative_id=supplier, stock=5)
    short = await create_sku(database, cooperative_id=supplier, stock=0)

    async with unit_of_work(database.writer) as session:
        loaded = await session.get(Sku, first.id)
        assert loaded is not None
        with pytest.raises(InsufficientStock):
            await service.reserve_stock(session, [(first.id, 2), (short.id, 1)], order_id=8)
        assert loaded.stock == 5
        await service.reserve_stock(session, [(first.id, 1)], order_id=9)
        assert loaded.stock == 4  # objects already loaded follow the UPDATE

    assert await stock_of(database, first.id) == 4
    assert await movements(database) == [(first.id, -1, "reserved", 9)]


async def test_the_same_sku_twice_is_reserved_once_with_the_sum(database: Database) -> None:
    supplier = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=supplier, stock=5)

    async with unit_of_work(database.writer) as session:
        await service.reserve_stock(session, [(sku.id, 1), (sku.id, 2)], order_id=3)

    assert await stock_of(database, sku.id) == 2
    assert await movements(database) == [(sku.id, -3, "reserved", 3)]


async def test_the_same_sku_twice_cannot_exceed_the_stock(database: Database) -> None:
    supplier = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=supplier, stock=2)

    with pytest.raises(InsufficientStock):
        async with unit_of_work(database.writer) as session:
            await service.reserve_stock(session, [(sku.id, 2), (sku.id, 1)], order_id=3)
    assert await stock_of(database, sku.id) == 2


@pytest.mark.parametrize(
    "items",
    [
        [(1, 0)],
        [(1, -1)],
        [(1, True)],
        [(1, 1.5)],
        [(1, "3")],
        [(0, 1)],
        [(-4, 1)],
    ],
)
async def test_bad_quantities_and_ids_change_nothing(
    database: Database, items: list[tuple[object, object]]
) -> None:
    supplier = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=supplier, stock=5)
    # Point the bad items at the real SKU where they name SKU 1.
    resolved = [(sku.id if sku_id == 1 else sku_id, q) for sku_id, q in items]

    with pytest.raises(InvalidStockChange) as caught:
        async with unit_of_work(database.writer) as session:
            await service.reserve_stock(session, resolved, order_id=1)  # type: ignore[arg-type]

    assert (caught.value.status_code, caught.value.code) == (422, "invalid_quantity")
    assert await stock_of(database, sku.id) == 5
    assert await movements(database) == []


async def test_an_unknown_sku_is_not_found_and_nothing_is_reserved(database: Database) -> None:
    supplier = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=supplier, stock=5)

    with pytest.raises(SkuNotFound) as caught:
        async with unit_of_work(database.writer) as session:
            await service.reserve_stock(session, [(sku.id, 1), (sku.id + 999, 1)], order_id=1)

    assert caught.value.status_code == 404
    assert caught.value.sku_id == sku.id + 999
    assert caught.value.message == f"No SKU with id {sku.id + 999}."
    assert await stock_of(database, sku.id) == 5
    assert await movements(database) == []


async def test_a_bad_quantity_or_sku_id_names_its_field_and_says_why(database: Database) -> None:
    supplier = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=supplier, stock=5)
    for items, fields in (
        ([(sku.id, 0)], {"quantity": "0 is not a positive whole quantity."}),
        ([(0, 1)], {"sku_id": "0 is not a SKU id."}),
    ):
        with pytest.raises(InvalidStockChange) as caught:
            async with unit_of_work(database.writer) as session:
                await service.reserve_stock(session, items, order_id=1)
        assert caught.value.fields == fields
        # The message the API answers with is the field's.
        assert caught.value.message == next(iter(fields.values()))


async def test_release_puts_units_back_and_restores_in_stock(database: Database) -> None:
    supplier = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=supplier, stock=2)
    async with unit_of_work(database.writer) as session:
        await service.reserve_stock(session, [(sku.id, 2)], order_id=5)
    assert await in_stock(database, sku.product_id) is False

    async with unit_of_work(database.writer) as session:
        await service.release_stock(
            session, [(sku.id, 2)], order_id=5, reason=MovementReason.RELEASED
        )

    assert await stock_of(database, sku.id) == 2
    assert await in_stock(database, sku.product_id) is True
    assert await movements(database) == [
        (sku.id, -2, "reserved", 5),
        (sku.id, 2, "released", 5),
    ]


async def test_a_refunded_line_returns_to_stock(database: Database) -> None:
    supplier = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=supplier, stock=3)

    async with unit_of_work(database.writer) as session:
        await service.release_stock(
            session, [(sku.id, 1)], order_id=6, reason=MovementReason.RETURNED
        )

    assert await stock_of(database, sku.id) == 4
    assert await movements(database) == [(sku.id, 1, "returned", 6)]


async def test_release_skips_a_sku_that_is_gone(database: Database) -> None:
    """A SKU deleted since its units were taken has no stock to give back: the others are
    released and logged, and the release does not fail."""
    supplier = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=supplier, stock=3)

    async with unit_of_work(database.writer) as session:
        await service.release_stock(
            session, [(10**9, 2), (sku.id, 1)], order_id=7, reason=MovementReason.RELEASED
        )

    assert await stock_of(database, sku.id) == 4
    assert await movements(database) == [(sku.id, 1, "released", 7)]


@pytest.mark.parametrize("reason", [MovementReason.RESERVED, MovementReason.RESTOCKED])
async def test_release_refuses_other_reasons(database: Database, reason: MovementReason) -> None:
    supplier = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=supplier, stock=3)

    with pytest.raises(ValueError, match="released"):
        async with unit_of_work(database.writer) as session:
            await service.release_stock(session, [(sku.id, 1)], order_id=6, reason=reason)
    assert await stock_of(database, sku.id) == 3


async def test_set_stock_records_the_difference(database: Database) -> None:
    supplier = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=supplier, stock=0)
    assert await in_stock(database, sku.product_id) is False

    async with unit_of_work(database.writer) as session:
        loaded = await session.get(Sku, sku.id)
        assert loaded is not None
        movement = await service.set_stock(session, loaded, 12, note="秋季新货")
        assert movement is not None
        assert (movement.delta, movement.reason, movement.note) == (
            12,
            MovementReason.RESTOCKED,
            "秋季新货",
        )
        assert loaded.stock == 12
        unchanged = await service.set_stock(session, loaded, 12)
        assert unchanged is None
        assert loaded.stock == 12

    assert await stock_of(database, sku.id) == 12
    assert await in_stock(database, sku.product_id) is True

    async with unit_of_work(database.writer) as session:
        loaded = await session.get(Sku, sku.id)
        assert loaded is not None
        await service.set_stock(session, loaded, 0)

    assert await in_stock(database, sku.product_id) is False
    assert await movements(database) == [
        (sku.id, 12, "restocked", None),
        (sku.id, -12, "restocked", None),
    ]


async def test_set_stock_takes_the_largest_count_and_refuses_a_sku_that_is_gone(
    database: Database,
) -> None:
    supplier = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=supplier, stock=4)

    async with unit_of_work(database.writer) as session:
        loaded = await session.get(Sku, sku.id)
        assert loaded is not None
        assert await service.set_stock(session, loaded, service.MAX_STOCK) is not None
    assert await stock_of(database, sku.id) == 1_000_000_000

    with pytest.raises(SkuNotFound) as caught:
        async with unit_of_work(database.writer) as session:
            await service.set_stock(session, SkuStock(id=sku.id + 999), 5)
    assert caught.value.sku_id == sku.id + 999
    assert await movements(database) == [(sku.id, 1_000_000_000 - 4, "restocked", None)]


@pytest.mark.parametrize("value", [-1, 1_000_000_001, True, 2.0])
async def test_set_stock_refuses_bad_values(database: Database, value: object) -> None:
    supplier = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=supplier, stock=4)

    with pytest.raises(InvalidStockChange) as caught:
        async with unit_of_work(database.writer) as session:
            loaded = await session.get(Sku, sku.id)
            assert loaded is not None
            await service.set_stock(session, loaded, value)  # type: ignore[arg-type]

    assert caught.value.fields == {"stock": "Stock must be a whole number from 0 to 1000000000."}
    assert await stock_of(database, sku.id) == 4
    assert await movements(database) == []


# ---------------------------------------------------------------------------------------------
# Concurrency: each task in its own transaction, as concurrent requests would be


async def _try_reserve(database: Database, items: list[tuple[int, int]], order_id: int) -> bool:
    try:
        async with unit_of_work(database.writer) as session:
            await service.reserve_stock(session, items, order_id=order_id)
    except InsufficientStock:
        return False
    return True


async def test_thirty_buyers_of_ten_units_get_exactly_ten(database: Database) -> None:
    supplier = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=supplier, stock=10)

    results = await asyncio.gather(
        *(_try_reserve(database, [(sku.id, 1)], order_id) for order_id in range(1, 31))
    )

    assert results.count(True) == 10
    assert await stock_of(database, sku.id) == 0
    logged = await movements(database)
    assert len(logged) == 10
    assert sum(delta for _sku, delta, _reason, _order in logged) == -10
    assert await in_stock(database, sku.product_id) is False


async def test_opposite_orders_of_two_skus_do_not_deadlock(database: Database) -> None:
    """Half the buyers list A then B, half B then A: the service's fixed lock order means
    no deadlock, and exactly as many pairs as stock succeed."""
    supplier = await create_cooperative(database)
    a = await create_sku(database, cooperative_id=supplier, stock=8)
    b = await create_sku(database, cooperative_id=supplier, stock=8)

    async def attempt(order_id: int) -> bool:
        items = [(a.id, 1), (b.id, 1)] if order_id % 2 else [(b.id, 1), (a.id, 1)]
        try:
            return await _try_reserve(database, items, order_id)
        except DomainError:
            return False

    results = await asyncio.gather(*(attempt(order_id) for order_id in range(1, 21)))

    assert results.count(True) == 8
    assert await stock_of(database, a.id) == 0
    assert await stock_of(database, b.id) == 0
    async with unit_of_work(database.writer) as session:
        negative = await session.scalar(select(Sku.id).where(Sku.stock < 0))
    assert negative is None
