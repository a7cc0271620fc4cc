"""Queries of the sitemap: every public page of a product, county and supplier."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.models import Product, ProductStatus
from app.catalog.repository.public_listing import listed_from
from app.cooperative.models import Cooperative, SupplierStatus

# A sitemap file holds at most 50,000 addresses; the fixed pages take a few.
MAX_PRODUCTS = 40_000
MAX_SUPPLIERS = 5_000


@dataclass(frozen=True)
class SitemapRow:
    key: str
    updated_at: datetime | None


async def listed_products(session: AsyncSession) -> list[SitemapRow]:
    """Slugs of the listed products (active, of a verified supplier), newest change first."""
    rows = await session.execute(
        listed_from(select(Product.slug, Product.updated_at).select_from(Product))
        .where(
            Product.status == ProductStatus.ACTIVE,
            Cooperative.status == SupplierStatus.VERIFIED,
        )
        .order_by(Product.updated_at.desc(), Product.id.desc())
        .limit(MAX_PRODUCTS)
    )
    return [SitemapRow(slug, updated_at) for slug, updated_at in rows.all()]


async def supplier_counties(session: AsyncSession) -> list[SitemapRow]:
    """Codes of the counties that have a verified supplier, with its latest change."""
    rows = await session.execute(
        select(Cooperative.county_code, func.max(Cooperative.updated_at))
        .where(Cooperative.status == SupplierStatus.VERIFIED)
        .group_by(Cooperative.county_code)
        .order_by(Cooperative.county_code)
    )
    return [SitemapRow(code, updated_at) for code, updated_at in rows.all()]


async def verified_suppliers(session: AsyncSession) -> list[SitemapRow]:
    """Ids of the verified suppliers, whose public pages are /suppliers/{id}."""
    rows = await session.execute(
        select(Cooperative.id, Cooperative.updated_at)
        .where(Cooperative.status == SupplierStatus.VERIFIED)
        .order_by(Cooperative.id)
        .limit(MAX_SUPPLIERS)
    )
    return [SitemapRow(str(id_), updated_at) for id_, updated_at in rows.all()]
