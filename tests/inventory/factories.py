"""Plain typed factories for stock, shipping and cart tests: suppliers, products and SKUs."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import FastAPI
from sqlalchemy import select

from app.account import service as accounts
from app.account.models import Role, User
from app.catalog.models import PriceTier, Product, ProductStatus, Sku
from app.cooperative.models import Cooperative, SupplierKind, SupplierStatus
from app.core.db import Database, unit_of_work
from app.inventory.models import StockMovement
from tests.account.factories import create_user

COUNTY_CODE = "450123"  # 隆安县 (广西), a poverty-lifted county in the reference data
_serial = itertools.count(1)


@dataclass(frozen=True)
class SkuRef:
    id: int
    product_id: int
    cooperative_id: int
    code: str


async def create_supplier(
    database: Database,
    *,
    name: str = "隆安县丰收果蔬专业合作社",
    status: SupplierStatus = SupplierStatus.VERIFIED,
    county_code: str = COUNTY_CODE,
) -> int:
    """A committed supplier; returns its id."""
    serial = next(_serial)
    async with unit_of_work(database.writer) as session:
        cooperative = Cooperative(
            name=name,
            kind=SupplierKind.COOPERATIVE,
            credit_code=f"93{uuid.uuid4().hex[:10].upper()}{serial:05d}X"[:18],
            county_code=county_code,
            contact_name="李明",
            contact_phone="13800000000",
            households_supported=20,
            status=status,
        )
        session.add(cooperative)
        await session.flush()
        return cooperative.id


async def create_sku(
    database: Database,
    *,
    cooperative_id: int,
    price_fen: int = 2500,
    stock: int = 10,
    weight_grams: int = 500,
    min_qty: int = 1,
    tiers: Sequence[tuple[int, int]] = (),
    category: str = "fruit",
    title: str = "隆安香蕉",
    sku_name: str = "5 斤装",
    product_status: ProductStatus = ProductStatus.ACTIVE,
    is_active: bool = True,
    product_id: int | None = None,
) -> SkuRef:
    """A committed SKU (of a new product unless `product_id` is given); tiers are
    (min_qty, price_fen)."""
    serial = next(_serial)
    code = f"SKU-{serial:05d}-{uuid.uuid4().hex[:6].upper()}"
    async with unit_of_work(database.writer) as session:
        if product_id is None:
            product = Product(
                cooperative_id=cooperative_id,
                slug=f"p-{serial}-{uuid.uuid4().hex[:8]}",
                title=title,
                category_code=category,
                unit="箱",
                status=product_status,
                min_price_fen=price_fen,
                in_stock=stock > 0 and is_active,
            )
            session.add(product)
            await session.flush()
            product_id = product.id
        sku = Sku(
            product_id=product_id,
            code=code,
            name=sku_name,
            price_fen=price_fen,
            stock=stock,
            weight_grams=weight_grams,
            min_qty=min_qty,
            is_active=is_active,
        )
        session.add(sku)
        await session.flush()
        for tier_min, tier_price in tiers:
            session.add(PriceTier(sku_id=sku.id, min_qty=tier_min, price_fen=tier_price))
        await session.flush()
        return SkuRef(id=sku.id, product_id=product_id, cooperative_id=cooperative_id, code=code)


async def stock_of(database: Database, sku_id: int) -> int:
    async with unit_of_work(database.writer) as session:
        stock = await session.scalar(select(Sku.stock).where(Sku.id == sku_id))
        assert stock is not None
        return stock


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


async def set_supplier_status(
    database: Database, cooperative_id: int, status: SupplierStatus
) -> None:
    async with unit_of_work(database.writer) as session:
        cooperative = await session.get(Cooperative, cooperative_id)
        assert cooperative is not None
        cooperative.status = status


async def create_member(
    database: Database,
    cooperative_id: int,
    *,
    email: str,
    role: Role = Role.SUPPLIER_MEMBER,
) -> int:
    """A user who is a member (or admin) of the supplier; returns the user id."""
    user_id = await create_user(database, email=email, roles=())
    async with unit_of_work(database.writer) as session:
        user = await session.get(User, user_id)
        assert user is not None
        await accounts.grant_role(session, user, role, scope_id=cooperative_id)
    return user_id


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
