"""What a release of stock leaves behind besides the rows: the SKU objects the session already
holds, and the cache generations that decide when pages show the new figure."""

from __future__ import annotations

from fastapi import FastAPI

from app.core.cache import Caches, table_generation
from app.core.db import Database, unit_of_work
from app.inventory import service
from app.inventory.models import MovementReason, SkuStock
from app.inventory.repository import SALES_GENERATION, STOCK_FIGURES_GENERATION
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


def _generations(caches: Caches) -> tuple[int, int]:
    return caches.generations[table_generation(STOCK_FIGURES_GENERATION)], caches.generations[
        table_generation(SALES_GENERATION)
    ]


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

    skus_before, sales_before = _generations(caches)
    async with unit_of_work(database.writer) as session:
        await service.release_stock(
            session, [(plenty.id, 10)], order_id=9, reason=MovementReason.RELEASED
        )
    skus_plenty, sales_plenty = _generations(caches)
    assert skus_plenty == skus_before
    assert sales_plenty > sales_before

    async with unit_of_work(database.writer) as session:
        await service.release_stock(
            session, [(scarce.id, 10)], order_id=10, reason=MovementReason.RELEASED
        )
    skus_scarce, _sales = _generations(caches)
    assert skus_scarce > skus_plenty
