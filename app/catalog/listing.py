"""Read side of the catalog: the public listing with facets, product pages, home and county."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog import repository
from app.catalog.errors import ProductNotFound, UnknownCategory, UnknownCounty, UnknownLabel
from app.catalog.models import Product, ProductPhoto, Sku
from app.catalog.repository import ListingFilters, SummaryRow
from app.catalog.schemas import (
    CategoryOut,
    CertificateBadge,
    CooperativeProducts,
    CooperativeRef,
    CountyCatalog,
    CountyProducts,
    CountyRef,
    CountyWithSuppliers,
    Facets,
    FacetValue,
    HomeSections,
    PhotoOut,
    PriceTierOut,
    ProductDetail,
    ProductOut,
    ProductPage,
    ProductQuery,
    ProductSummary,
    SkuOut,
)
from app.certification.models import CertificateKind
from app.certification.service import badge_is_valid
from app.core.clock import china_date, utcnow
from app.core.errors import ValidationFailed
from app.core.storage import MediaStorage, check_key
from app.regions.errors import CountyNotFound, PageOutOfRange, ProvinceUnknown
from app.regions.service import get_county_detail

# The app mounts media storage here (app.main); listings only need the URL of a key.
MEDIA_URL_PREFIX = "/media"
HOME_SECTION_SIZE = 8
FEATURED_COUNTIES = 8
COUNTY_PAGE_PRODUCTS = 48

# The label facet's labels; the kinds are the certificate kinds (zh-CN is the source language).
LABEL_NAMES: dict[str, str] = {
    CertificateKind.GI.value: "地理标志农产品",
    CertificateKind.GREEN_FOOD.value: "绿色食品",
    CertificateKind.ORGANIC.value: "有机产品",
}


def today_in_china() -> date:
    return china_date(utcnow())


def media_url(key: str, media: MediaStorage | None = None) -> str:
    return media.url(key) if media is not None else f"{MEDIA_URL_PREFIX}/{check_key(key)}"


def _is_region_code(code: str) -> bool:
    return len(code) == 6 and code.isascii() and code.isdigit()


# ---------------------------------------------------------------------------------------------
# The listing


async def _filters(session: AsyncSession, query: ProductQuery, today: date) -> ListingFilters:
    """Check each filter against what its facet can list; 422 with field errors otherwise."""
    if query.province is not None and not (
        _is_region_code(query.province)
        and await repository.province_exists(session, query.province)
    ):
        raise ProvinceUnknown(query.province)
    if query.county is not None and not (
        _is_region_code(query.county) and await repository.get_county(session, query.county)
    ):
        raise UnknownCounty(query.county)
    if (
        query.category is not None
        and await repository.get_category(session, query.category) is None
    ):
        raise UnknownCategory(query.category)
    if query.label is not None and query.label not in LABEL_NAMES:
        raise UnknownLabel(query.label)
    if (
        query.min_price_fen is not None
        and query.max_price_fen is not None
        and query.min_price_fen > query.max_price_fen
    ):
        raise ValidationFailed(
            "The price range is empty.",
            fields={"max_price_fen": "must not be below min_price_fen"},
        )
    q = query.q.strip() if query.q else None
    return ListingFilters(
        today=today,
        q=q or None,
        province_code=query.province,
        county_code=query.county,
        category_code=query.category,
        label=query.label,
        key_assistance=query.key_assistance,
        min_price_fen=query.min_price_fen,
        max_price_fen=query.max_price_fen,
    )


async def _summaries(
    session: AsyncSession,
    rows: Sequence[SummaryRow],
    today: date,
    media: MediaStorage | None,
) -> list[ProductSummary]:
    """Summaries of a page of rows: labels and thumbnails come in one query each."""
    ids = [row.id for row in rows]
    labels = await repository.labels_of(session, ids, today)
    thumbs = await repository.first_thumbnails(session, ids)
    return [
        ProductSummary(
            id=row.id,
            slug=row.slug,
            title=row.title,
            min_price_fen=row.min_price_fen,
            unit=row.unit,
            image_url=media_url(thumbs[row.id], media) if row.id in thumbs else None,
            in_stock=row.in_stock,
            labels=labels.get(row.id, []),
            cooperative=CooperativeRef(id=row.cooperative_id, name=row.cooperative_name),
            county=CountyRef(
                code=row.county_code,
                name=row.county_name,
                province_code=row.province_code,
                province_name=row.province_name,
                key_assistance=row.key_assistance,
            ),
        )
        for row in rows
    ]


async def list_products(
    session: AsyncSession,
    query: ProductQuery,
    *,
    today: date | None = None,
    media: MediaStorage | None = None,
) -> ProductPage:
    """Active products of verified suppliers, filtered, sorted and paged, with facets.

    A bounded number of statements whatever the page size: the count, one per facet, the page,
    and one each for the page's labels and thumbnails.
    """
    today = today or today_in_china()
    filters = await _filters(session, query, today)
    total = await repository.count_listed(session, filters)
    last_page = max(1, -(-total // query.per_page))
    if total and query.page > last_page:
        raise PageOutOfRange(query.page, last_page)
    rows = await repository.search_listed(
        session,
        filters,
        sort=query.sort,
        offset=(query.page - 1) * query.per_page,
        limit=query.per_page,
    )
    provinces = await repository.province_facet(session, filters)
    categories = await repository.category_facet(session, filters)
    label_counts = dict(await repository.label_facet(session, filters))
    facets = Facets(
        province=[FacetValue(value=f.value, label=f.label, count=f.count) for f in provinces],
        category=[FacetValue(value=f.value, label=f.label, count=f.count) for f in categories],
        label=[
            FacetValue(value=kind, label=name, count=label_counts[kind])
            for kind, name in LABEL_NAMES.items()
            if label_counts.get(kind)
        ],
    )
    return ProductPage(
        items=await _summaries(session, rows, today, media),
        total=total,
        page=query.page,
        per_page=query.per_page,
        facets=facets,
    )


# ---------------------------------------------------------------------------------------------
# One product


def _photo(photo: ProductPhoto, media: MediaStorage | None) -> PhotoOut:
    return PhotoOut(
        id=photo.id,
        url=media_url(photo.image_key, media),
        thumb_url=media_url(photo.thumb_key, media),
        width=photo.width,
        height=photo.height,
    )


def sku_out(sku: Sku) -> SkuOut:
    return SkuOut(
        id=sku.id,
        code=sku.code,
        name=sku.name,
        price_fen=sku.price_fen,
        stock_available=sku.stock,
        min_qty=sku.min_qty,
        weight_grams=sku.weight_grams,
        price_tiers=[
            PriceTierOut(min_qty=t.min_qty, price_fen=t.price_fen) for t in sku.price_tiers
        ],
    )


def season_months(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip().isdigit()]


def product_detail(
    product: Product, *, today: date, media: MediaStorage | None = None
) -> ProductDetail:
    """A product loaded with repository.get_product's options, as its public page shows it."""
    badges = [c for c in product.certificates if badge_is_valid(c, today)]
    county = product.cooperative.county
    photos = [_photo(p, media) for p in product.photos]
    return ProductDetail(
        id=product.id,
        slug=product.slug,
        title=product.title,
        min_price_fen=product.min_price_fen,
        unit=product.unit,
        image_url=photos[0].thumb_url if photos else None,
        in_stock=product.in_stock,
        labels=sorted({c.kind.value for c in badges}),
        cooperative=CooperativeRef(id=product.cooperative.id, name=product.cooperative.name),
        county=CountyRef(
            code=county.code,
            name=county.name,
            province_code=county.province_code,
            province_name=county.province.name,
            key_assistance=county.key_assistance,
        ),
        description_html=product.description_html,
        category=CategoryOut(code=product.category.code, name=product.category.name_zh),
        season_months=season_months(product.season_months),
        skus=[sku_out(s) for s in product.skus if s.is_active],
        certificates=[
            CertificateBadge(
                kind=c.kind.value, number=c.number, issuer=c.issuer, valid_until=c.valid_until
            )
            for c in sorted(badges, key=lambda c: (c.kind.value, c.id))
        ],
        households_supported=product.cooperative.households_supported,
        photos=photos,
    )


def product_out(product: Product, *, today: date, media: MediaStorage | None = None) -> ProductOut:
    """A product as its supplier sees it: the public view plus status, flags and links."""
    detail = product_detail(product, today=today, media=media)
    return ProductOut(
        **detail.model_dump(),
        status=product.status.value,
        price_flagged=product.price_flagged,
        certificate_ids=sorted(c.id for c in product.certificates),
        published_at=product.published_at,
    )


async def get_public_product(
    session: AsyncSession,
    product_id: int,
    *,
    today: date | None = None,
    media: MediaStorage | None = None,
) -> ProductDetail:
    """A listed product (active, verified supplier); anything else is 404 product_not_found."""
    product = await repository.get_listed_product(session, product_id=product_id)
    if product is None:
        raise ProductNotFound(product_id)
    return product_detail(product, today=today or today_in_china(), media=media)


async def get_public_product_by_slug(
    session: AsyncSession,
    slug: str,
    *,
    today: date | None = None,
    media: MediaStorage | None = None,
) -> ProductDetail:
    """The product page's product, by its slug (404 like get_public_product)."""
    # A slug is at most 120 characters and never holds NUL (which PostgreSQL would refuse).
    plausible = len(slug) <= 120 and "\x00" not in slug
    product = await repository.get_listed_product(session, slug=slug) if plausible else None
    if product is None:
        raise ProductNotFound(slug)
    return product_detail(product, today=today or today_in_china(), media=media)


# ---------------------------------------------------------------------------------------------
# Home page and county page


async def home_sections(
    session: AsyncSession, today: date, *, media: MediaStorage | None = None
) -> HomeSections:
    """New products, products in season this (China) month and featured key-assistance counties."""
    newest = await repository.search_listed(
        session, ListingFilters(today=today), sort="newest", limit=HOME_SECTION_SIZE
    )
    seasonal = await repository.search_listed(
        session,
        ListingFilters(today=today, season_month=today.month),
        sort="newest",
        limit=HOME_SECTION_SIZE,
    )
    counties = await repository.featured_counties(session, limit=FEATURED_COUNTIES)
    # One batch for both sections' labels and thumbnails.
    summaries = {s.id: s for s in await _summaries(session, [*newest, *seasonal], today, media)}
    return HomeSections(
        new_products=[summaries[row.id] for row in newest],
        seasonal_products=[summaries[row.id] for row in seasonal],
        featured_counties=[
            CountyProducts(
                county=CountyRef(
                    code=c.code,
                    name=c.name,
                    province_code=c.province_code,
                    province_name=c.province_name,
                    key_assistance=c.key_assistance,
                ),
                product_count=c.product_count,
            )
            for c in counties
        ],
    )


def _cooperative_counts(
    rows: Sequence[repository.CooperativeCountRow],
) -> list[CooperativeProducts]:
    return [
        CooperativeProducts(
            id=r.id,
            name=r.name,
            households_supported=r.households_supported,
            product_count=r.product_count,
        )
        for r in rows
    ]


async def county_catalog(
    session: AsyncSession,
    county_code: str,
    *,
    today: date | None = None,
    limit: int = COUNTY_PAGE_PRODUCTS,
    media: MediaStorage | None = None,
) -> CountyCatalog:
    """A county's verified suppliers with their product counts, and its newest products."""
    county = (
        await repository.get_county(session, county_code) if _is_region_code(county_code) else None
    )
    if county is None:
        raise CountyNotFound(county_code)
    today = today or today_in_china()
    filters = ListingFilters(today=today, county_code=county.code)
    rows = await repository.search_listed(session, filters, sort="newest", limit=limit)
    return CountyCatalog(
        county=CountyRef(
            code=county.code,
            name=county.name,
            province_code=county.province_code,
            province_name=county.province.name,
            key_assistance=county.key_assistance,
        ),
        cooperatives=_cooperative_counts(
            await repository.county_cooperatives(session, county.code)
        ),
        product_count=await repository.count_listed(session, filters),
        products=await _summaries(session, rows, today, media),
    )


async def county_with_suppliers(session: AsyncSession, code: str) -> CountyWithSuppliers:
    """GET /regions/counties/{code}: the county, its pairings, suppliers and product counts."""
    detail = await get_county_detail(session, code)
    cooperatives = _cooperative_counts(await repository.county_cooperatives(session, detail.code))
    return CountyWithSuppliers(
        **detail.model_dump(),
        cooperatives=cooperatives,
        product_count=sum(c.product_count for c in cooperatives),
    )
