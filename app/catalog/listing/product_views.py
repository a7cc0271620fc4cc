"""The storefront's reads besides the listing: one product, the home page and a county's page."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog import repository
from app.catalog.errors import ProductNotFound
from app.catalog.listing.summaries import media_url, summaries, today_in_china
from app.catalog.models import Product, ProductPhoto, Sku
from app.catalog.repository import ListingFilters
from app.catalog.schemas import (
    BrandListItem,
    BrandRef,
    CategoryOut,
    CertificateBadge,
    CooperativeProducts,
    CooperativeRef,
    CountyCatalog,
    CountyProducts,
    CountyRef,
    CountyWithSuppliers,
    HomeSections,
    PhotoOut,
    PriceTierOut,
    ProductDetail,
    ProductOut,
    SkuOut,
    rating_summary,
)
from app.certification.models import Certificate
from app.certification.service import badge_is_valid
from app.core.storage import MediaStorage
from app.inventory import repository as inventory_repository
from app.regions.errors import CountyNotFound
from app.regions.models import County
from app.regions.service import get_county_detail, summarize_regions

HOME_SECTION_SIZE = 8
FEATURED_COUNTIES = 8
COUNTY_PAGE_PRODUCTS = 48


# ---------------------------------------------------------------------------------------------
# One product


def photo_out(photo: ProductPhoto, media: MediaStorage | None) -> PhotoOut:
    """A photo with its URLs in media storage."""
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


def certificate_badge(certificate: Certificate, media: MediaStorage | None) -> CertificateBadge:
    """A valid certificate as buyers see it, with the supplier's scan where it uploaded one."""
    key = certificate.scan_key
    return CertificateBadge(
        kind=certificate.kind.value,
        number=certificate.number,
        issuer=certificate.issuer,
        valid_until=certificate.valid_until,
        scan_url=media_url(key, media) if key else None,
        scan_is_pdf=bool(key and key.endswith(".pdf")),
    )


def county_ref(county: County) -> CountyRef:
    """A county (loaded with its province) as products and county pages name it."""
    return CountyRef(
        code=county.code,
        name=county.name,
        province_code=county.province_code,
        province_name=county.province.name,
        key_assistance=county.key_assistance,
    )


def season_months(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip().isdigit()]


def product_detail(
    product: Product, *, today: date, media: MediaStorage | None = None
) -> ProductDetail:
    """A product loaded with repository.get_product's options, as its public page shows it."""
    badges = [c for c in product.certificates if badge_is_valid(c, today)]
    county = product.cooperative.county
    photos = [photo_out(p, media) for p in product.photos]
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
        county=county_ref(county),
        description_html=product.description_html,
        category=CategoryOut(
            code=product.category.code,
            name=product.category.name_zh,
            requires_food_licence=product.category.requires_food_licence,
        ),
        season_months=season_months(product.season_months),
        skus=[sku_out(s) for s in product.skus if s.is_active],
        certificates=[
            certificate_badge(c, media) for c in sorted(badges, key=lambda c: (c.kind.value, c.id))
        ],
        households_supported=product.cooperative.households_supported,
        photos=photos,
        shelf_life_days=product.shelf_life_days,
        storage_conditions=product.storage_conditions,
        food_licence_number=product.food_licence_number,
        rating=rating_summary(product.rating_sum, product.rating_count),
        brand=_brand(product, {c.kind.value for c in badges}),
    )


def _brand(product: Product, labels: set[str]) -> BrandRef | None:
    """The product's brand while the link holds: its county in the region, the required kind
    among its valid labels."""
    brand = product.brand
    if brand is None:
        return None
    if product.cooperative.county_code not in {c.county_code for c in brand.counties}:
        return None
    required = brand.required_certificate_kind
    if required is not None and required.value not in labels:
        return None
    return BrandRef(slug=brand.slug, name=brand.name)


def product_out(product: Product, *, today: date, media: MediaStorage | None = None) -> ProductOut:
    """A product as its supplier sees it: the public view plus status, flags and links."""
    detail = product_detail(product, today=today, media=media)
    return ProductOut(
        **detail.model_dump(),
        status=product.status.value,
        price_flagged=product.price_flagged,
        certificate_ids=sorted(c.id for c in product.certificates),
        published_at=product.published_at,
        brand_id=product.brand_id,
    )


def _listed_detail(
    product: Product | None, key: int | str, today: date | None, media: MediaStorage | None
) -> ProductDetail:
    """The public view of a listed product; none found (by id or slug `key`) is 404."""
    if product is None:
        raise ProductNotFound(key)
    return product_detail(product, today=today or today_in_china(), media=media)


async def get_public_product(
    session: AsyncSession,
    product_id: int,
    *,
    today: date | None = None,
    media: MediaStorage | None = None,
) -> ProductDetail:
    """A listed product (active, verified supplier); anything else is 404 product_not_found."""
    product = await repository.get_listed_product(session, product_id=product_id)
    return _listed_detail(product, product_id, today, media)


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
    return _listed_detail(product, slug, today, media)


async def with_current_stock(session: AsyncSession, product: ProductDetail) -> ProductDetail:
    """`product` (read earlier) with its SKUs' stock figures as they are now, and whether it is
    in stock by them (an active SKU with stock, as app.inventory keeps it): one statement, for
    a page that keeps the rest of what it shows while a sale changes only these."""
    stock = await inventory_repository.stock_of(session, [sku.id for sku in product.skus])
    skus = [
        sku.model_copy(update={"stock_available": stock[sku.id]})
        if stock.get(sku.id, sku.stock_available) != sku.stock_available
        else sku
        for sku in product.skus
    ]
    in_stock = any(sku.stock_available > 0 for sku in skus)
    return product.model_copy(update={"skus": skus, "in_stock": in_stock})


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
    key_assistance = await repository.search_listed(
        session,
        ListingFilters(today=today, key_assistance=True),
        sort="newest",
        limit=HOME_SECTION_SIZE,
    )
    counties = await repository.featured_counties(session, limit=FEATURED_COUNTIES)
    brands = [
        BrandListItem(
            id=brand.id,
            slug=brand.slug,
            name=brand.name,
            owner=brand.owner,
            logo_url=media_url(brand.logo_key, media) if brand.logo_key else None,
            county_count=county_count,
            product_count=product_count,
        )
        for brand, county_count, product_count in await repository.brand_list(session, today)
        if product_count
    ]
    overview = await summarize_regions(session)
    # One batch for the sections' labels and thumbnails.
    rows = [*newest, *seasonal, *key_assistance]
    cards = {s.id: s for s in await summaries(session, rows, today, media)}
    return HomeSections(
        new_products=[cards[row.id] for row in newest],
        seasonal_products=[cards[row.id] for row in seasonal],
        key_assistance_products=[cards[row.id] for row in key_assistance],
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
        brands=brands,
        regions=overview,
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
    """The county with its pairings, its verified suppliers with their product counts, and
    its newest products (CountyNotFound for anything but a county's code)."""
    today = today or today_in_china()
    detail = await get_county_detail(session, county_code, on=today)
    county = await repository.get_county(session, detail.code)
    if county is None:  # get_county_detail found it: only a concurrent reload could do this
        raise CountyNotFound(county_code)
    filters = ListingFilters(today=today, county_code=county.code)
    rows = await repository.search_listed(session, filters, sort="newest", limit=limit)
    return CountyCatalog(
        county=county_ref(county),
        detail=detail,
        cooperatives=_cooperative_counts(
            await repository.county_cooperatives(session, county.code)
        ),
        product_count=await repository.count_listed(session, filters),
        products=await summaries(session, rows, today, media),
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
