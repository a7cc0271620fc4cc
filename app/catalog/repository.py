"""Queries of the catalog domain: products for editing, the public listing and its facets."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Select, String, and_, cast, exists, func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.sql.elements import ColumnElement

from app.catalog.models import (
    Category,
    Product,
    ProductCertificate,
    ProductPhoto,
    ProductStatus,
    ReferencePrice,
    Sku,
)
from app.certification.models import Certificate
from app.certification.repository import valid_certificate_clause
from app.cooperative.models import Cooperative, SupplierStatus
from app.regions.models import County, Province

# ---------------------------------------------------------------------------------------------
# Reference data


async def reference_names(
    session: AsyncSession,
) -> tuple[dict[str, str], dict[str, tuple[str, int]], set[str]]:
    """Province names, category (name, position) and county codes, in one statement."""
    union = union_all(
        select(literal("p"), Province.code, Province.name, literal(0)),
        select(literal("c"), Category.code, Category.name_zh, Category.position),
        select(literal("k"), County.code, literal(""), literal(0)),
    )
    provinces: dict[str, str] = {}
    categories: dict[str, tuple[str, int]] = {}
    counties: set[str] = set()
    for part, code, name, position in await session.execute(union):
        if part == "p":
            provinces[code] = name
        elif part == "c":
            categories[code] = (name, int(position))
        else:
            counties.add(code)
    return provinces, categories, counties


async def list_categories(session: AsyncSession) -> list[Category]:
    result = await session.scalars(select(Category).order_by(Category.position, Category.code))
    return list(result)


async def get_category(session: AsyncSession, code: str) -> Category | None:
    return await session.get(Category, code)


async def province_exists(session: AsyncSession, code: str) -> bool:
    return (await session.scalar(select(Province.code).where(Province.code == code))) is not None


async def get_county(session: AsyncSession, code: str) -> County | None:
    result = await session.scalars(
        select(County).where(County.code == code).options(joinedload(County.province))
    )
    return result.first()


# ---------------------------------------------------------------------------------------------
# Products as their supplier edits them


def _editable_product_options() -> list[Any]:
    return [
        selectinload(Product.skus).selectinload(Sku.price_tiers),
        selectinload(Product.photos),
        selectinload(Product.certificates),
        joinedload(Product.category),
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


async def slug_taken(session: AsyncSession, slug: str) -> bool:
    return (await session.scalar(select(Product.id).where(Product.slug == slug))) is not None


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


async def cooperative_certificates(session: AsyncSession, cooperative_id: int) -> list[Certificate]:
    result = await session.scalars(
        select(Certificate)
        .where(Certificate.cooperative_id == cooperative_id)
        .order_by(Certificate.kind, Certificate.id)
    )
    return list(result)


# ---------------------------------------------------------------------------------------------
# Price monitoring


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
    title: str
    unit: str
    category_code: str
    cooperative_id: int
    cooperative_name: str
    max_price_fen: int
    reference_price_fen: int
    flag_ratio_bp: int


async def flagged_products(session: AsyncSession) -> list[FlaggedRow]:
    """Flagged products with their highest active SKU price and the reference they break."""
    max_price = (
        select(Sku.product_id, func.max(Sku.price_fen).label("max_price"))
        .where(Sku.is_active.is_(True))
        .group_by(Sku.product_id)
        .subquery()
    )
    rows = await session.execute(
        select(
            Product.id,
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
    return [FlaggedRow(*row) for row in rows]


# ---------------------------------------------------------------------------------------------
# The public listing


@dataclass(frozen=True)
class ListingFilters:
    """Validated filters of the listing; `today` decides which certificates back labels."""

    today: date
    q: str | None = None
    province_code: str | None = None
    county_code: str | None = None
    category_code: str | None = None
    label: str | None = None
    key_assistance: bool | None = None
    min_price_fen: int | None = None
    max_price_fen: int | None = None
    season_month: int | None = None


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
    if filters.category_code is not None and skip != "category":
        terms.append(Product.category_code == filters.category_code)
    if filters.label is not None and skip != "label":
        terms.append(_has_valid_label(filters.label, filters.today))
    if filters.key_assistance is not None:
        terms.append(County.key_assistance.is_(filters.key_assistance))
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


def _listed_from(query: _Query) -> _Query:
    return query.join(Cooperative, Product.cooperative_id == Cooperative.id).join(
        County, Cooperative.county_code == County.code
    )


async def count_listed(session: AsyncSession, filters: ListingFilters) -> int:
    query = _listed_from(select(func.count(Product.id)).select_from(Product)).where(
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
    )


SORTS: dict[str, tuple[Any, ...]] = {
    # "relevance" until the search library ranks by text: key-assistance counties first.
    "relevance": (County.key_assistance.desc(), Product.published_at.desc(), Product.id.desc()),
    "price_asc": (Product.min_price_fen.asc(), Product.id.asc()),
    "price_desc": (Product.min_price_fen.desc(), Product.id.desc()),
    "newest": (Product.published_at.desc(), Product.id.desc()),
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
        _listed_from(select(*_summary_columns()).select_from(Product))
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
        _listed_from(select(*_summary_columns(), thumb, kinds).select_from(Product))
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
        _listed_from(select(Province.code, Province.name, func.count(Product.id)))
        .join(Province, County.province_code == Province.code)
        .where(*_conditions(filters, skip="province"))
        .group_by(Province.code, Province.name)
        .order_by(func.count(Product.id).desc(), Province.code)
    )
    return [FacetRow(*row) for row in await session.execute(query.select_from(Product))]


async def category_facet(session: AsyncSession, filters: ListingFilters) -> list[FacetRow]:
    query = (
        _listed_from(select(Category.code, Category.name_zh, func.count(Product.id)))
        .join(Category, Product.category_code == Category.code)
        .where(*_conditions(filters, skip="category"))
        .group_by(Category.code, Category.name_zh, Category.position)
        .order_by(Category.position, Category.code)
    )
    return [FacetRow(*row) for row in await session.execute(query.select_from(Product))]


async def label_facet(session: AsyncSession, filters: ListingFilters) -> list[tuple[str, int]]:
    """(kind, number of listed products with a valid certificate of that kind)."""
    query = (
        _listed_from(select(Certificate.kind, func.count(func.distinct(Product.id))))
        .join(ProductCertificate, ProductCertificate.product_id == Product.id)
        .join(Certificate, Certificate.id == ProductCertificate.certificate_id)
        .where(*_conditions(filters, skip="label"), valid_certificate_clause(filters.today))
        .group_by(Certificate.kind)
    )
    rows = await session.execute(query.select_from(Product))
    return [(str(kind), int(count)) for kind, count in rows]


async def labels_of(
    session: AsyncSession, product_ids: Collection[int], today: date
) -> dict[int, list[str]]:
    """The kinds of valid certificates of each product (one query for a whole page)."""
    if not product_ids:
        return {}
    rows = await session.execute(
        select(ProductCertificate.product_id, Certificate.kind)
        .join(Certificate, Certificate.id == ProductCertificate.certificate_id)
        .where(
            ProductCertificate.product_id.in_(list(product_ids)), valid_certificate_clause(today)
        )
        .distinct()
        .order_by(ProductCertificate.product_id, Certificate.kind)
    )
    labels: dict[int, list[str]] = {}
    for product_id, kind in rows:
        labels.setdefault(product_id, []).append(str(kind))
    return labels


async def first_thumbnails(session: AsyncSession, product_ids: Collection[int]) -> dict[int, str]:
    """The thumbnail key of each product's first photo (one query for a whole page)."""
    if not product_ids:
        return {}
    rows = await session.execute(
        select(ProductPhoto.product_id, ProductPhoto.thumb_key)
        .where(ProductPhoto.product_id.in_(list(product_ids)))
        .order_by(ProductPhoto.product_id, ProductPhoto.position, ProductPhoto.id)
    )
    thumbs: dict[int, str] = {}
    for product_id, thumb_key in rows:
        thumbs.setdefault(product_id, thumb_key)
    return thumbs


# ---------------------------------------------------------------------------------------------
# Counties


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
        _listed_from(
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
