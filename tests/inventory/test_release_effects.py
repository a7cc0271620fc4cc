"""What a release of stock leaves behind besides the rows: the SKU objects the session already
holds, and the cache generations that decide when pages show the new figure."""

from __future__ import annotations

from fastapi import FastAPI

from app.core.cache import Caches, table_generation
from app.core.db import Database, unit_of_work
from app.inventory import service
from app.inventory.models import MovementReason, SkuStock
from app.inventory.repository import (
    SALES_GENERATION,
    STOCK_FIGURE_BUCKETS,
    stock_figures_generation,
)
from tests.catalog.factories import create_sku
from tests.cooperative.factories import create_cooperative


async def test_a_sku_the_session_holds_shows_the_released_stock(database: Database) -> None:
    supplier = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=supplier, stock=15)

    async with unit_of_work(database.writer) as session:
        held = await session.get(SkuStock, sku.id)
        assert held is not None and held.stock == 15
        await service.release_stock(
            session, [(sku.id, 10)], order_id=8, reason=MovementReason.RELEASED
        )
        # Read without a query: the object is kept in step with the UPDATE.
        assert held.stock == 25


def _generations(caches: Caches, product_id: int) -> tuple[int, int]:
    """The generations of the product's stock figures and of sales."""
    return caches.generations[
        table_generation(stock_figures_generation(product_id))
    ], caches.generations[table_generation(SALES_GENERATION)]


async def test_a_release_where_little_was_left_shows_at_once(
    app: FastAPI, database: Database
) -> None:
    """A sale's release bumps its own generation (pages show it within their lifetime);
    where 20 units or fewer were left before it, the stock figures' too (shown at once on
    the pages that show them)."""
    caches: Caches = app.state.caches
    supplier = await create_cooperative(database)
    scarce = await create_sku(database, cooperative_id=supplier, stock=15)
    plenty = await create_sku(database, cooperative_id=supplier, stock=50)

    # Each product's figures have a generation of their own: these two differ.
    assert stock_figures_generation(scarce.product_id) != stock_figures_generation(
        plenty.product_id
    )
    plenty_before, sales_before = _generations(caches, plenty.product_id)
    async with unit_of_work(database.writer) as session:
        await service.release_stock(
            session, [(plenty.id, 10)], order_id=9, reason=MovementReason.RELEASED
        )
    plenty_after, sales_after = _generations(caches, plenty.product_id)
    assert plenty_after == plenty_before
    assert sales_after > sales_before

    scarce_before, _sales = _generations(caches, scarce.product_id)
    async with unit_of_work(database.writer) as session:
        await service.release_stock(
            session, [(scarce.id, 10)], order_id=10, reason=MovementReason.RELEASED
        )
    scarce_after, _sales = _generations(caches, scarce.product_id)
    assert scarce_after > scarce_before
    # The other product's pages are not rendered again.
    assert _generations(caches, plenty.product_id)[0] == plenty_after


def test_the_stock_figures_generations_are_a_fixed_set_however_many_products() -> None:
    """The caches' generations are never dropped: one per product would grow with the
    catalogue."""
    names = {stock_figures_generation(product_id) for product_id in range(1, 10_000)}
    assert len(names) == STOCK_FIGURE_BUCKETS
