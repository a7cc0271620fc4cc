"""Queries of price monitoring: reference prices, the products they apply to, flagged ones."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.catalog.models import Product, ReferencePrice, Sku
from app.cooperative.models import Cooperative


async def get_reference_price(
    session: AsyncSession, category_code: str, unit: str
) -> ReferencePrice | None:
    result = await session.scalars(
        select(ReferencePrice).where(
            ReferencePrice.category_code == category_code, ReferencePrice.unit == unit
        )
    )
    return result.first()


async def products_priced_against(
    session: AsyncSession, category_code: str, unit: str
) -> list[Product]:
    """Products a reference price applies to, with their SKUs (to recompute their flag)."""
    result = await session.scalars(
        select(Product)
        .where(Product.category_code == category_code, Product.unit == unit)
        .options(selectinload(Product.skus))
    )
    return list(result)


@dataclass(frozen=True)
class FlaggedRow:
    product_id: int
    slug: str
    status: str
    title: str
    unit: str
    category_code: str
    cooperative_id: int
    cooperative_name: str
    max_price_fen: int
    reference_price_fen: int
    flag_ratio_bp: int


async def flagged_products(
    session: AsyncSession, *, cooperative_id: int | None = None
) -> list[FlaggedRow]:
    """Flagged products (of one supplier, when given) with their highest active SKU price and
    the reference they break."""
    max_price = (
        select(Sku.product_id, func.max(Sku.price_fen).label("max_price"))
        .where(Sku.is_active.is_(True))
        .group_by(Sku.product_id)
        .subquery()
    )
    query = (
        select(
            Product.id,
            Product.slug,
            Product.status,
            Product.title,
            Product.unit,
            Product.category_code,
            Cooperative.id,
            Cooperative.name,
            func.coalesce(max_price.c.max_price, 0),
            ReferencePrice.price_fen,
            ReferencePrice.flag_ratio_bp,
        )
        .join(Cooperative, Product.cooperative_id == Cooperative.id)
        .outerjoin(max_price, max_price.c.product_id == Product.id)
        .join(
            ReferencePrice,
            and_(
                ReferencePrice.category_code == Product.category_code,
                ReferencePrice.unit == Product.unit,
            ),
        )
        .where(Product.price_flagged.is_(True))
        .order_by(Product.id)
    )
    if cooperative_id is not None:
        query = query.where(Product.cooperative_id == cooperative_id)
    return [FlaggedRow(*row) for row in await session.execute(query)]


async def list_reference_prices(session: AsyncSession) -> list[ReferencePrice]:
    result = await session.scalars(
        select(ReferencePrice).order_by(ReferencePrice.category_code, ReferencePrice.unit)
    )
    return list(result)


async def count_flagged_products(session: AsyncSession) -> int:
    count = await session.scalar(
        select(func.count()).select_from(Product).where(Product.price_flagged.is_(True))
    )
    return int(count or 0)
