"""Stock read back (levels, in-stock flags, movements) and set as a supplier counts it, for the
stock, cart, shipping and page tests, and the routes those tests mount."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import select

from app.catalog.models import Product, Sku
from app.core.db import Database, unit_of_work
from app.inventory.models import SkuStock, StockMovement
from app.inventory.service import set_stock

COUNTY_CODE = "450123"  # 隆安县 (广西), a poverty-lifted county in the reference data


async def stock_of(database: Database, sku_id: int) -> int:
    async with unit_of_work(database.writer) as session:
        stock = await session.scalar(select(Sku.stock).where(Sku.id == sku_id))
        assert stock is not None
        return stock


async def restock(database: Database, sku_id: int, stock: int) -> None:
    """Set the SKU's stock as its supplier does (inventory.service.set_stock), committed."""
    async with unit_of_work(database.writer) as session:
        level = await session.get(SkuStock, sku_id)
        assert level is not None
        await set_stock(session, level, stock)


async def in_stock(database: Database, product_id: int) -> bool:
    async with unit_of_work(database.writer) as session:
        flag = await session.scalar(select(Product.in_stock).where(Product.id == product_id))
        assert flag is not None
        return flag


async def movements(database: Database) -> list[tuple[int, int, str, int | None]]:
    """(sku_id, delta, reason, order_id) of every stock movement, in insertion order."""
    async with unit_of_work(database.writer) as session:
        rows = await session.scalars(select(StockMovement).order_by(StockMovement.id))
        return [(m.sku_id, m.delta, m.reason.value, m.order_id) for m in rows]


def with_part_a_routes(app: FastAPI) -> FastAPI:
    """Mount the shipping and cart routers when app.main does not include them yet."""
    from app.cart import api as cart_api
    from app.cart import pages as cart_pages
    from app.shipping import api as shipping_api
    from app.shipping import pages as shipping_pages

    paths = {getattr(route, "path", None) for route in app.routes}
    for router in (shipping_api.router, cart_api.router, shipping_pages.router, cart_pages.router):
        if not any(getattr(route, "path", None) in paths for route in router.routes):
            app.include_router(router)
    return app
