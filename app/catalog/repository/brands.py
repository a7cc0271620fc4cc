"""Queries of regional public brands: a brand with its counties, the listed products shown
under it today, and what the brand pages count."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date

from sqlalchemy import ColumnElement, and_, exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.catalog.models import Brand, BrandCounty, Product, ProductCertificate, ProductStatus
from app.certification.models import Certificate
from app.certification.repository import valid_certificate_clause
from app.cooperative.models import Cooperative, SupplierStatus
from app.regions.models import County


async def get_brand(session: AsyncSession, brand_id: int) -> Brand | None:
    result = await session.scalars(
        select(Brand).where(Brand.id == brand_id).options(selectinload(Brand.counties))
    )
    return result.first()


async def get_brand_by_slug(session: AsyncSession, slug: str) -> Brand | None:
    result = await session.scalars(
        select(Brand).where(Brand.slug == slug).options(selectinload(Brand.counties))
    )
    return result.first()


async def brand_taken(
    session: AsyncSession, *, slug: str | None, name: str | None, other_than: int | None = None
) -> tuple[bool, bool]:
    """(slug used by another brand, name used by another brand)."""
    query = select(Brand.slug, Brand.name).where(
        or_(Brand.slug == (slug or ""), Brand.name == (name or ""))
    )
    if other_than is not None:
        query = query.where(Brand.id != other_than)
    rows = (await session.execute(query)).all()
    return (
        slug is not None and any(row[0] == slug for row in rows),
        name is not None and any(row[1] == name for row in rows),
    )


async def counties_by_code(session: AsyncSession, codes: Collection[str]) -> dict[str, County]:
    if not codes:
        return {}
    result = await session.scalars(
        select(County).where(County.code.in_(sorted(codes))).options(selectinload(County.province))
    )
    return {county.code: county for county in result}


def in_brand_region() -> ColumnElement[bool]:
    """The product's supplier lies in its brand's region (a region may shrink after a link)."""
    return exists(
        select(literal(1))
        .select_from(BrandCounty)
        .where(BrandCounty.brand_id == Brand.id, BrandCounty.county_code == Cooperative.county_code)
    )


def brand_shown(today: date) -> ColumnElement[bool]:
    """The product's brand link holds today: its supplier lies in the brand's region, and the
    brand requires no certificate or the product carries a verified certificate of that kind
    valid today (as a label would show)."""
    return and_(in_brand_region(), brand_condition(today))


def brand_condition(today: date) -> ColumnElement[bool]:
    return or_(
        Brand.required_certificate_kind.is_(None),
        exists(
            select(literal(1))
            .select_from(ProductCertificate)
            .join(Certificate, Certificate.id == ProductCertificate.certificate_id)
            .where(
                ProductCertificate.product_id == Product.id,
                Certificate.kind == Brand.required_certificate_kind,
                valid_certificate_clause(today),
            )
        ),
    )


def _listed_under(today: date) -> list[ColumnElement[bool]]:
    return [
        Product.status == ProductStatus.ACTIVE,
        Cooperative.status == SupplierStatus.VERIFIED,
        brand_shown(today),
    ]


async def brand_product_ids(session: AsyncSession, brand_id: int, today: date) -> list[int]:
    """The listed products shown under the brand today, newest first."""
    result = await session.scalars(
        select(Product.id)
        .join(Brand, Brand.id == Product.brand_id)
        .join(Cooperative, Cooperative.id == Product.cooperative_id)
        .where(Product.brand_id == brand_id, *_listed_under(today))
        .order_by(Product.published_at.desc(), Product.id.desc())
    )
    return list(result)


async def brand_suppliers(
    session: AsyncSession, brand_id: int, today: date
) -> Sequence[tuple[int, str, str, str, int]]:
    """(id, name, county code, county name, households) of the suppliers with a product shown
    under the brand today."""
    result = await session.execute(
        select(
            Cooperative.id,
            Cooperative.name,
            County.code,
            County.name,
            Cooperative.households_supported,
        )
        .select_from(Product)
        .join(Brand, Brand.id == Product.brand_id)
        .join(Cooperative, Cooperative.id == Product.cooperative_id)
        .join(County, County.code == Cooperative.county_code)
        .where(Product.brand_id == brand_id, *_listed_under(today))
        .distinct()
        .order_by(Cooperative.name, Cooperative.id)
    )
    return [tuple(row) for row in result.all()]  # type: ignore[misc]


async def brand_list(session: AsyncSession, today: date) -> list[tuple[Brand, int, int]]:
    """Every brand, by name, with (county count, products shown under it today)."""
    counties = (
        select(BrandCounty.brand_id, func.count().label("n"))
        .group_by(BrandCounty.brand_id)
        .subquery()
    )
    products = (
        select(Product.brand_id.label("brand_id"), func.count().label("n"))
        .join(Brand, Brand.id == Product.brand_id)
        .join(Cooperative, Cooperative.id == Product.cooperative_id)
        .where(*_listed_under(today))
        .group_by(Product.brand_id)
        .subquery()
    )
    result = await session.execute(
        select(Brand, func.coalesce(counties.c.n, 0), func.coalesce(products.c.n, 0))
        .outerjoin(counties, counties.c.brand_id == Brand.id)
        .outerjoin(products, products.c.brand_id == Brand.id)
        .order_by(Brand.name)
    )
    return [(brand, int(c), int(p)) for brand, c, p in result.all()]


async def product_brand_certificates(
    session: AsyncSession, certificate_ids: Collection[int], kind: str, today: date
) -> bool:
    """One of these certificates is of `kind`, verified and valid today."""
    if not certificate_ids:
        return False
    found = await session.scalar(
        select(func.count())
        .select_from(Certificate)
        .where(
            and_(
                Certificate.id.in_(sorted(certificate_ids)),
                Certificate.kind == kind,
                valid_certificate_clause(today),
            )
        )
    )
    return bool(found)


async def brand_product_ids_all(session: AsyncSession, brand_id: int) -> list[int]:
    """Every product linked to the brand, listed or not (to reindex after a change)."""
    result = await session.scalars(select(Product.id).where(Product.brand_id == brand_id))
    return list(result)


async def brands_covering(session: AsyncSession, county_code: str) -> list[Brand]:
    """The brands whose region holds the county, by name (a supplier's choices)."""
    rows = await session.scalars(
        select(Brand)
        .join(BrandCounty, BrandCounty.brand_id == Brand.id)
        .where(BrandCounty.county_code == county_code)
        .order_by(Brand.name, Brand.id)
    )
    return list(rows.all())
