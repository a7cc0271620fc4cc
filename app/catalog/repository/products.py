"""Queries of products as their supplier edits them: a product, its SKUs, photos, codes."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from app.catalog.models import Brand, Product, ProductPhoto, ProductStatus, Sku
from app.cooperative.models import Cooperative, SupplierStatus
from app.regions.models import County


def _editable_product_options() -> list[Any]:
    return [
        selectinload(Product.skus).selectinload(Sku.price_tiers),
        selectinload(Product.photos),
        selectinload(Product.certificates),
        joinedload(Product.category),
        joinedload(Product.brand).selectinload(Brand.counties),
        joinedload(Product.cooperative).joinedload(Cooperative.county).joinedload(County.province),
    ]


async def get_product(session: AsyncSession, product_id: int) -> Product | None:
    """A product with everything its page and its supplier's form show."""
    result = await session.scalars(
        select(Product)
        .where(Product.id == product_id)
        .options(*_editable_product_options())
        .execution_options(populate_existing=True)
    )
    return result.first()


async def get_listed_product(
    session: AsyncSession, *, product_id: int | None = None, slug: str | None = None
) -> Product | None:
    """An active product of a verified supplier, by id or slug."""
    query = (
        select(Product)
        .join(Cooperative, Product.cooperative_id == Cooperative.id)
        .where(
            Product.status == ProductStatus.ACTIVE,
            Cooperative.status == SupplierStatus.VERIFIED,
        )
        .options(*_editable_product_options())
    )
    if product_id is not None:
        query = query.where(Product.id == product_id)
    if slug is not None:
        query = query.where(Product.slug == slug)
    return (await session.scalars(query)).first()


async def get_sku(session: AsyncSession, sku_id: int) -> Sku | None:
    result = await session.scalars(
        select(Sku).where(Sku.id == sku_id).options(selectinload(Sku.price_tiers))
    )
    return result.first()


async def taken_sku_codes(session: AsyncSession, codes: Collection[str]) -> set[str]:
    """Which of `codes` some SKU already has."""
    if not codes:
        return set()
    result = await session.scalars(select(Sku.code).where(Sku.code.in_(list(codes))))
    return set(result)


async def count_photos(session: AsyncSession, product_id: int) -> int:
    total = await session.scalar(
        select(func.count()).select_from(ProductPhoto).where(ProductPhoto.product_id == product_id)
    )
    return int(total or 0)


async def max_photo_position(session: AsyncSession, product_id: int) -> int:
    top = await session.scalar(
        select(func.max(ProductPhoto.position)).where(ProductPhoto.product_id == product_id)
    )
    return int(top) if top is not None else -1


async def get_photo(session: AsyncSession, product_id: int, photo_id: int) -> ProductPhoto | None:
    result = await session.scalars(
        select(ProductPhoto).where(
            ProductPhoto.id == photo_id, ProductPhoto.product_id == product_id
        )
    )
    return result.first()


async def cooperative_products(session: AsyncSession, cooperative_id: int) -> list[Product]:
    """Every product of a supplier, newest first, with SKUs and photos (the portal list)."""
    result = await session.scalars(
        select(Product)
        .where(Product.cooperative_id == cooperative_id)
        .order_by(Product.id.desc())
        .options(selectinload(Product.skus), selectinload(Product.photos))
    )
    return list(result)
