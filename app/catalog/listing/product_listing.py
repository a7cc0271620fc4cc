"""Read side of the catalog: the public listing with facets, product pages, home and county."""

from __future__ import annotations

import logging
import time
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog import indexing, repository
from app.catalog.errors import (
    InvalidSearchQuery,
    ProductNotFound,
    UnknownCategory,
    UnknownCounty,
    UnknownLabel,
)
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
from app.regions.service import get_county_detail, summarize_regions
from search import InvalidQuery, SearchBackend, SearchResult, SearchUnavailable
from search import ProductQuery as SearchQuery
from search.embedded.backend import EmbeddedBackend

# The app mounts media storage here (app.main); listings only need the URL of a key.
MEDIA_URL_PREFIX = "/media"
HOME_SECTION_SIZE = 8
FEATURED_COUNTIES = 8
COUNTY_PAGE_PRODUCTS = 48

log = logging.getLogger(__name__)

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


# ---------------------------------------------------------------------------------------------
# The listing


@dataclass(frozen=True)
class Reference:
    """Slow-changing reference data the listing names and checks filters against."""

    provinces: dict[str, str]
    categories: dict[str, tuple[str, int]]
    counties: frozenset[str]
    loaded: float


# Reference data (provinces, categories, counties) changes only when `fengshou regions load`
# or a migration runs: kept per engine, reread after a few minutes to bound the staleness.
REFERENCE_TTL_SECONDS = 300.0
_reference: weakref.WeakKeyDictionary[Any, Reference] = weakref.WeakKeyDictionary()


async def reference(session: AsyncSession) -> Reference:
    bind = session.bind
    engine = getattr(bind, "sync_engine", bind)
    cached = _reference.get(engine)
    now = time.monotonic()
    if cached is not None and now - cached.loaded < REFERENCE_TTL_SECONDS:
        return cached
    provinces, categories, counties = await repository.reference_names(session)
    fresh = Reference(provinces, categories, frozenset(counties), now)
    _reference[engine] = fresh
    return fresh


async def _filters(
    session: AsyncSession, query: ProductQuery, today: date, known: Reference
) -> ListingFilters:
    """Check each filter against what its facet can list; 422 with field errors otherwise."""
    if query.province is not None and query.province not in known.provinces:
        raise ProvinceUnknown(query.province)
    if query.county is not None and query.county not in known.counties:
        raise UnknownCounty(query.county)
    if query.category is not None and query.category not in known.categories:
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


def _summary(
    row: SummaryRow, labels: list[str], thumb: str | None, media: MediaStorage | None
) -> ProductSummary:
    # Built without re-validation: every value comes typed from the database.
    return ProductSummary.model_construct(
        id=row.id,
        slug=row.slug,
        title=row.title,
        min_price_fen=row.min_price_fen,
        unit=row.unit,
        image_url=media_url(thumb, media) if thumb is not None else None,
        in_stock=row.in_stock,
        labels=labels,
        cooperative=CooperativeRef.model_construct(
            id=row.cooperative_id, name=row.cooperative_name
        ),
        county=CountyRef.model_construct(
            code=row.county_code,
            name=row.county_name,
            province_code=row.province_code,
            province_name=row.province_name,
            key_assistance=row.key_assistance,
        ),
    )


async def _summaries(
    session: AsyncSession,
    rows: Sequence[SummaryRow],
    today: date,
    media: MediaStorage | None,
) -> list[ProductSummary]:
    """Summaries of a page of rows: labels and thumbnails come in one query."""
    labels, thumbs = await repository.labels_and_thumbnails(session, [r.id for r in rows], today)
    return [_summary(row, labels.get(row.id, []), thumbs.get(row.id), media) for row in rows]


def _facet(value: str, label: str, count: int) -> FacetValue:
    return FacetValue.model_construct(value=value, label=label, count=count)


async def _sql_listing(
    session: AsyncSession,
    query: ProductQuery,
    filters: ListingFilters,
    *,
    today: date,
    media: MediaStorage | None,
    degraded: bool = False,
) -> ProductPage:
    """The listing straight from the catalog tables: titles matched plainly, no ranking."""
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
        province=[_facet(f.value, f.label, f.count) for f in provinces],
        category=[_facet(f.value, f.label, f.count) for f in categories],
        label=[
            _facet(kind, name, label_counts[kind])
            for kind, name in LABEL_NAMES.items()
            if label_counts.get(kind)
        ],
    )
    return ProductPage.model_construct(
        items=await _summaries(session, rows, today, media),
        total=total,
        page=query.page,
        per_page=query.per_page,
        facets=facets,
        degraded=degraded,
    )


# The search library's names for the listing's parameters, and back for its field errors.
_QUERY_FIELDS = {"text": "q"}


def search_query(query: ProductQuery) -> SearchQuery:
    """The search library's query for the listing's (InvalidSearchQuery if it refuses it)."""
    try:
        return SearchQuery(
            text=query.q or "",
            province=query.province,
            county=query.county,
            category=query.category,
            label=query.label,
            key_assistance=query.key_assistance,
            min_price_fen=query.min_price_fen,
            max_price_fen=query.max_price_fen,
            sort=query.sort,
            page=query.page,
            per_page=query.per_page,
        )
    except InvalidQuery as exc:
        raise InvalidSearchQuery(
            {_QUERY_FIELDS.get(name, name): problem for name, problem in exc.fields.items()}
        ) from exc


def _search_facets(result: SearchResult, known: Reference) -> Facets:
    """The backend's counts, named from the database, in the catalog's facet order."""
    provinces = sorted(result.facets.get("province", []), key=lambda f: (-f.count, f.value))
    categories = sorted(
        (f for f in result.facets.get("category", []) if f.value in known.categories),
        key=lambda f: (known.categories[f.value][1], f.value),
    )
    label_counts = {f.value: f.count for f in result.facets.get("label", [])}
    return Facets.model_construct(
        province=[
            _facet(f.value, known.provinces.get(f.value, f.label), f.count)
            for f in provinces
            if f.count
        ],
        category=[
            _facet(f.value, known.categories[f.value][0], f.count) for f in categories if f.count
        ],
        label=[
            _facet(kind, name, label_counts[kind])
            for kind, name in LABEL_NAMES.items()
            if label_counts.get(kind)
        ],
    )


# Values a page's memo may hold: its locales and a spelling or two of one query. Bounds the
# memory too: SEARCH_CACHE_ENTRIES pages x 4 rendered columns of ~30 KB is at most ~60 MB.
PAGE_MEMO_ENTRIES = 4


class PageMemo:
    """Values derived from one listing page, kept as long as the page is (bounded, oldest out).

    A page that is not cached (no search backend, or the degraded listing) gets a memo of
    its own that nobody else sees: `get` then always misses.
    """

    __slots__ = ("_values",)

    def __init__(self) -> None:
        self._values: dict[Any, Any] = {}

    def get(self, key: Any) -> Any | None:
        return self._values.get(key)

    def put(self, key: Any, value: Any) -> None:
        if key not in self._values and len(self._values) >= PAGE_MEMO_ENTRIES:
            self._values.pop(next(iter(self._values)))
        self._values[key] = value


# Search results (ids, total, facets; never the products' own fields, which are read afresh
# on every request) are kept briefly. Any index write in this process invalidates them at
# once; another process's write (a separate worker) shows within SEARCH_CACHE_SECONDS, on top
# of the outbox's own delay. Bounded in entries, oldest dropped first.
SEARCH_CACHE_SECONDS = 2.0
SEARCH_CACHE_ENTRIES = 512
# Whole listing pages too, for the same time, dropped at once by any catalog write of this
# process (stock sold through orders, or another process's writes, show within that time).
# Each page carries a memo of what callers derive from it (the storefront's rendered grid):
# it lives and dies with the page, so nothing derived outlives the listing it came from.
_page_cache: OrderedDict[
    tuple[int, int, str, date, int], tuple[float, SearchBackend, ProductPage, PageMemo]
] = OrderedDict()
# Each entry holds its backend: while cached, no other backend can reuse its id().
_search_cache: OrderedDict[
    tuple[int, int, SearchQuery, date], tuple[float, SearchBackend, SearchResult]
] = OrderedDict()


async def _cached_search(
    search: SearchBackend, session: AsyncSession, wanted: SearchQuery, today: date
) -> SearchResult:
    key = (id(search), indexing.index_version(), wanted, today)
    now = time.monotonic()
    hit = _search_cache.get(key)
    if hit is not None and hit[1] is search and now - hit[0] < SEARCH_CACHE_SECONDS:
        return hit[2]
    # The embedded index answers inside the request's own transaction: no second connection.
    backend = search.in_session(session) if isinstance(search, EmbeddedBackend) else search
    try:
        result = await backend.search(wanted, today)
    except SearchUnavailable:
        if backend is not search:
            # The failed statement may have spoilt the transaction (PostgreSQL); it only read.
            await session.rollback()
        raise
    _remember(_search_cache, key, (now, search, result))
    return result


def _remember(cache: OrderedDict[Any, Any], key: Any, value: Any) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > SEARCH_CACHE_ENTRIES:
        cache.popitem(last=False)


async def list_products(
    session: AsyncSession,
    query: ProductQuery,
    *,
    search: SearchBackend | None = None,
    today: date | None = None,
    media: MediaStorage | None = None,
) -> ProductPage:
    """Active products of verified suppliers, filtered, sorted and paged, with facets.

    With a search backend, it finds the page's ids, the total and the facet counts, and one
    query loads the page's products (one more their labels and thumbnails). Should the backend
    be down, the catalog tables answer instead, newest first, and the page says `degraded`.
    Without a backend (tests of the SQL listing), the catalog tables answer as asked.
    """
    page, _memo = await list_products_with_memo(
        session, query, search=search, today=today, media=media
    )
    return page


async def list_products_with_memo(
    session: AsyncSession,
    query: ProductQuery,
    *,
    search: SearchBackend | None = None,
    today: date | None = None,
    media: MediaStorage | None = None,
) -> tuple[ProductPage, PageMemo]:
    """list_products() and the page's memo: what a caller derives from the page (a rendered
    fragment) goes there, and is dropped with the cached page (expiry or any catalog write)."""
    today = today or today_in_china()
    key = (
        indexing.index_version(),
        indexing.catalog_version(),
        query.model_dump_json(),
        today,
        id(media),
    )
    cached = _page_cache.get(key)
    if (
        search is not None
        and cached is not None
        and cached[1] is search
        and time.monotonic() - cached[0] < SEARCH_CACHE_SECONDS
    ):
        return cached[2], cached[3]
    known = await reference(session)
    filters = await _filters(session, query, today, known)
    if search is None:
        return await _sql_listing(session, query, filters, today=today, media=media), PageMemo()
    wanted = search_query(query)
    try:
        result = await _cached_search(search, session, wanted, today)
    except InvalidQuery as exc:
        raise InvalidSearchQuery(
            {_QUERY_FIELDS.get(name, name): problem for name, problem in exc.fields.items()}
        ) from exc
    except SearchUnavailable as exc:
        log.warning("search unavailable, listing from the catalog tables: %s", exc)
        newest = query.model_copy(update={"sort": "newest"})
        degraded = await _sql_listing(
            session, newest, filters, today=today, media=media, degraded=True
        )
        return degraded, PageMemo()
    if result.total and query.page > result.pages:
        raise PageOutOfRange(query.page, result.pages)
    rows = await repository.page_rows(session, result.ids, today)
    page = ProductPage.model_construct(
        items=[_summary(r.summary, r.labels, r.thumb_key, media) for r in rows],
        total=result.total,
        page=query.page,
        per_page=query.per_page,
        facets=_search_facets(result, known),
        degraded=False,
    )
    memo = PageMemo()
    _remember(_page_cache, key, (time.monotonic(), search, page, memo))
    return page, memo


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
    overview = await summarize_regions(session)
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
        county=CountyRef(
            code=county.code,
            name=county.name,
            province_code=county.province_code,
            province_name=county.province.name,
            key_assistance=county.key_assistance,
        ),
        detail=detail,
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
