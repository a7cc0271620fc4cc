"""Queries of the county pages: a county's suppliers, and the featured counties."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.models import Product, ProductStatus
from app.catalog.repository.public_listing import listed_from
from app.cooperative.models import Cooperative, SupplierStatus
from app.regions.models import County, Province


@dataclass(frozen=True)
class CountyCountRow:
    code: str
    name: str
    province_code: str
    province_name: str
    key_assistance: bool
    product_count: int


@dataclass(frozen=True)
class CooperativeCountRow:
    id: int
    name: str
    households_supported: int
    product_count: int


async def county_cooperatives(session: AsyncSession, county_code: str) -> list[CooperativeCountRow]:
    """The county's verified suppliers with how many active products each lists."""
    listed = and_(Product.cooperative_id == Cooperative.id, Product.status == ProductStatus.ACTIVE)
    rows = await session.execute(
        select(
            Cooperative.id,
            Cooperative.name,
            Cooperative.households_supported,
            func.count(Product.id),
        )
        .outerjoin(Product, listed)
        .where(
            Cooperative.county_code == county_code,
            Cooperative.status == SupplierStatus.VERIFIED,
        )
        .group_by(Cooperative.id, Cooperative.name, Cooperative.households_supported)
        .order_by(func.count(Product.id).desc(), Cooperative.id)
    )
    return [CooperativeCountRow(*row) for row in rows]


async def featured_counties(session: AsyncSession, *, limit: int) -> list[CountyCountRow]:
    """Key-assistance counties with listed products, most products first."""
    count = func.count(Product.id)
    rows = await session.execute(
        listed_from(
            select(
                County.code,
                County.name,
                County.province_code,
                Province.name,
                County.key_assistance,
                count,
            ).select_from(Product)
        )
        .join(Province, County.province_code == Province.code)
        .where(
            Product.status == ProductStatus.ACTIVE,
            Cooperative.status == SupplierStatus.VERIFIED,
            County.key_assistance.is_(True),
        )
        .group_by(
            County.code, County.name, County.province_code, Province.name, County.key_assistance
        )
        .order_by(count.desc(), County.code)
        .limit(limit)
    )
    return [
        CountyCountRow(code, name, province, province_name, key, int(n))
        for code, name, province, province_name, key, n in rows
    ]
