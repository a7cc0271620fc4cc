"""Queries of the public listing: its filters, pages of product summaries and facets."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import (
    Select,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.catalog.models import (
    Brand,
    Category,
    Product,
    ProductCertificate,
    ProductPhoto,
    ProductStatus,
)
from app.catalog.repository.brands import brand_shown, in_brand_region
from app.certification.models import Certificate
from app.certification.repository import valid_certificate_clause
from app.cooperative.models import Cooperative, SupplierStatus
from app.regions.models import County, Province


@dataclass(frozen=True)
class ListingFilters:
    """Validated filters of the listing; `today` decides which certificates back labels."""

    today: date
    q: str | None = None
    province_code: str | None = None
    county_code: str | None = None
    prefecture_code: str | None = None
    category_code: str | None = None
    label: str | None = None
    key_assistance: bool | None = None
    brand_id: int | None = None
    min_price_fen: int | None = None
    max_price_fen: int | None = None
    season_month: int | None = None
    cooperative_id: int | None = None


@dataclass(frozen=True)
class SummaryRow:
    """The columns a product summary needs, from one joined row."""

    id: int
    slug: str
    title: str
    min_price_fen: int
    unit: str
    in_stock: bool
    cooperative_id: int
    cooperative_name: str
    county_code: str
    county_name: str
    province_code: str
    province_name: str
    key_assistance: bool
    rating_sum: int = 0
    rating_count: int = 0
    # The brand, shown only while brand_shown holds (summaries check the required kind).
    brand_slug: str | None = None
    brand_name: str | None = None
    brand_required: str | None = None


def escape_like(text: str) -> str:
    """The text as a literal inside a LIKE pattern with escape character backslash."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _has_valid_label(label: str, today: date) -> ColumnElement[bool]:
    return exists(
        select(literal(1))
        .select_from(ProductCertificate)
        .join(Certificate, Certificate.id == ProductCertificate.certificate_id)
        .where(
            ProductCertificate.product_id == Product.id,
            Certificate.kind == label,
            valid_certificate_clause(today),
        )
    )


def _conditions(filters: ListingFilters, *, skip: str | None = None) -> list[ColumnElement[bool]]:
    """WHERE terms of the listing; `skip` leaves one filter out (for that filter's facet)."""
    terms: list[ColumnElement[bool]] = [
        Product.status == ProductStatus.ACTIVE,
        Cooperative.status == SupplierStatus.VERIFIED,
    ]
    if filters.q:
        pattern = f"%{escape_like(filters.q)}%"
        terms.append(
            or_(
                Product.title.ilike(pattern, escape="\\"),
                Cooperative.name.ilike(pattern, escape="\\"),
                County.name.ilike(pattern, escape="\\"),
            )
        )
    if filters.province_code is not None and skip != "province":
        terms.append(County.province_code == filters.province_code)
    if filters.county_code is not None:
        terms.append(County.code == filters.county_code)
    if filters.cooperative_id is not None:
        terms.append(Cooperative.id == filters.cooperative_id)
    if filters.prefecture_code is not None:
        terms.append(County.prefecture_code == filters.prefecture_code)
    if filters.category_code is not None and skip != "category":
        terms.append(Product.category_code == filters.category_code)
    if filters.label is not None and skip != "label":
        terms.append(_has_valid_label(filters.label, filters.today))
    if filters.key_assistance is not None:
        terms.append(County.key_assistance.is_(filters.key_assistance))
    if filters.brand_id is not None and skip != "brand":
        terms.append(Product.brand_id == filters.brand_id)
        terms.append(brand_shown(filters.today))
    if filters.min_price_fen is not None:
        terms.append(Product.min_price_fen >= filters.min_price_fen)
    if filters.max_price_fen is not None:
        terms.append(Product.min_price_fen <= filters.max_price_fen)
    if filters.season_month is not None:
        # season_months is "10,11,12": wrap both in commas so that 1 does not match 10.
        months = literal(",") + Product.season_months + literal(",")
        terms.append(months.like(f"%,{filters.season_month},%"))
    return terms


_Query = TypeVar("_Query", bound="Select[*tuple[Any, ...]]")


def listed_from(query: _Query) -> _Query:
    """The query joined to each product's supplier and county (the county pages use it too)."""
    return (
        query.join(Cooperative, Product.cooperative_id == Cooperative.id)
        .join(County, Cooperative.county_code == County.code)
        .outerjoin(Brand, and_(Brand.id == Product.brand_id, in_brand_region()))
    )


async def count_listed(session: AsyncSession, filters: ListingFilters) -> int:
    query = listed_from(select(func.count(Product.id)).select_from(Product)).where(
        *_conditions(filters)
    )
    return int(await session.scalar(query) or 0)


def _summary_columns() -> Sequence[Any]:
    return (
        Product.id,
        Product.slug,
        Product.title,
        Product.min_price_fen,
        Product.unit,
        Product.in_stock,
        Cooperative.id,
        Cooperative.name,
        County.code,
        County.name,
        County.province_code,
        Province.name,
        County.key_assistance,
        Product.rating_sum,
        Product.rating_count,
        Brand.slug,
        Brand.name,
        cast(Brand.required_certificate_kind, String),
    )


# The average rating in thousandths (0 without reviews), as the search index stores it.
_RATING_MILLI = case(
    (Product.rating_count > 0, Product.rating_sum * 1000 / Product.rating_count), else_=0
)


SORTS: dict[str, tuple[Any, ...]] = {
    # "relevance" until the search library ranks by text: key-assistance counties first.
    "relevance": (County.key_assistance.desc(), Product.published_at.desc(), Product.id.desc()),
    "price_asc": (Product.min_price_fen.asc(), Product.id.asc()),
    "price_desc": (Product.min_price_fen.desc(), Product.id.desc()),
    "newest": (Product.published_at.desc(), Product.id.desc()),
    "rating": (_RATING_MILLI.desc(), Product.rating_count.desc(), Product.id.desc()),
}


async def search_listed(
    session: AsyncSession,
    filters: ListingFilters,
    *,
    sort: str = "relevance",
    offset: int = 0,
    limit: int = 24,
) -> list[SummaryRow]:
    query = (
        listed_from(select(*_summary_columns()).select_from(Product))
        .join(Province, County.province_code == Province.code)
        .where(*_conditions(filters))
        .order_by(*SORTS[sort])
        .offset(offset)
        .limit(limit)
    )
    return [SummaryRow(*row) for row in await session.execute(query)]


@dataclass(frozen=True)
class PageRow:
    """A summary row with its first thumbnail and its valid label kinds ("gi,organic")."""

    summary: SummaryRow
    thumb_key: str | None
    labels: list[str]


async def page_rows(
    session: AsyncSession, product_ids: Sequence[int], today: date
) -> list[PageRow]:
    """The listed products among `product_ids` in that order, with their first thumbnail and
    valid labels: one statement for a whole page (correlated subqueries on the page's rows)."""
    if not product_ids:
        return []
    thumb = (
        select(ProductPhoto.thumb_key)
        .where(ProductPhoto.product_id == Product.id)
        .order_by(ProductPhoto.position, ProductPhoto.id)
        .limit(1)
        .scalar_subquery()
    )
    kinds = (
        select(func.aggregate_strings(cast(Certificate.kind, String), ","))
        .select_from(ProductCertificate)
        .join(Certificate, Certificate.id == ProductCertificate.certificate_id)
        .where(ProductCertificate.product_id == Product.id, valid_certificate_clause(today))
        .scalar_subquery()
    )
    query = (
        listed_from(select(*_summary_columns(), thumb, kinds).select_from(Product))
        .join(Province, County.province_code == Province.code)
        .where(
            Product.id.in_(list(product_ids)),
            Product.status == ProductStatus.ACTIVE,
            Cooperative.status == SupplierStatus.VERIFIED,
        )
    )
    found: dict[int, PageRow] = {}
    for row in await session.execute(query):
        labels = sorted(set(row[-1].split(","))) if row[-1] else []
        found[row[0]] = PageRow(SummaryRow(*row[:-2]), row[-2], labels)
    return [found[i] for i in product_ids if i in found]


async def labels_and_thumbnails(
    session: AsyncSession, product_ids: Collection[int], today: date
) -> tuple[dict[int, list[str]], dict[int, str]]:
    """Each product's valid label kinds and first thumbnail, in one statement for a page."""
    if not product_ids:
        return {}, {}
    ids = list(product_ids)
    labels_part = (
        select(
            literal("l").label("part"),
            ProductCertificate.product_id.label("product_id"),
            cast(Certificate.kind, String).label("value"),
            literal(0).label("position"),
            literal(0).label("photo_id"),
        )
        .join(Certificate, Certificate.id == ProductCertificate.certificate_id)
        .where(ProductCertificate.product_id.in_(ids), valid_certificate_clause(today))
    )
    photos_part = select(
        literal("p"),
        ProductPhoto.product_id,
        ProductPhoto.thumb_key,
        ProductPhoto.position,
        ProductPhoto.id,
    ).where(ProductPhoto.product_id.in_(ids))
    union = union_all(labels_part, photos_part).subquery()
    rows = await session.execute(
        select(union.c.part, union.c.product_id, union.c.value).order_by(
            union.c.part, union.c.product_id, union.c.position, union.c.photo_id, union.c.value
        )
    )
    labels: dict[int, list[str]] = {}
    thumbs: dict[int, str] = {}
    for part, product_id, value in rows:
        if part == "l":
            kinds = labels.setdefault(product_id, [])
            if value not in kinds:
                kinds.append(value)
        else:
            thumbs.setdefault(product_id, value)
    return labels, thumbs


@dataclass(frozen=True)
class FacetRow:
    value: str
    label: str
    count: int


async def province_facet(session: AsyncSession, filters: ListingFilters) -> list[FacetRow]:
    query = (
        listed_from(select(Province.code, Province.name, func.count(Product.id)))
        .join(Province, County.province_code == Province.code)
        .where(*_conditions(filters, skip="province"))
        .group_by(Province.code, Province.name)
        .order_by(func.count(Product.id).desc(), Province.code)
    )
    return [FacetRow(*row) for row in await session.execute(query.select_from(Product))]


async def category_facet(session: AsyncSession, filters: ListingFilters) -> list[FacetRow]:
    query = (
        listed_from(select(Category.code, Category.name_zh, func.count(Product.id)))
        .join(Category, Product.category_code == Category.code)
        .where(*_conditions(filters, skip="category"))
        .group_by(Category.code, Category.name_zh, Category.position)
        .order_by(Category.position, Category.code)
    )
    return [FacetRow(*row) for row in await session.execute(query.select_from(Product))]


async def label_facet(session: AsyncSession, filters: ListingFilters) -> list[tuple[str, int]]:
    """(kind, number of listed products with a valid certificate of that kind)."""
    query = (
        listed_from(select(Certificate.kind, func.count(func.distinct(Product.id))))
        .join(ProductCertificate, ProductCertificate.product_id == Product.id)
        .join(Certificate, Certificate.id == ProductCertificate.certificate_id)
        .where(*_conditions(filters, skip="label"), valid_certificate_clause(filters.today))
        .group_by(Certificate.kind)
    )
    rows = await session.execute(query.select_from(Product))
    return [(str(kind), int(count)) for kind, count in rows]


async def brand_facet(session: AsyncSession, filters: ListingFilters) -> list[FacetRow]:
    """(slug, name, listed products shown under the brand) under every other filter."""
    count = func.count(Product.id)
    query = (
        listed_from(select(Brand.slug, Brand.name, count))
        .where(
            *_conditions(filters, skip="brand"),
            Product.brand_id.is_not(None),
            brand_shown(filters.today),
        )
        .group_by(Brand.slug, Brand.name)
        .order_by(count.desc(), Brand.slug)
    )
    return [FacetRow(*row) for row in await session.execute(query.select_from(Product))]
