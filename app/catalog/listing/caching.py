"""What the listing keeps in the app's caches: reference data, search results and whole pages.

Search results hold ids, the total and facet counts, never the products' own fields. Pages are
whole listing pages, each with a memo of what callers derive from it (the storefront's
rendered column): the memo lives and dies with its page, so nothing derived outlives the
listing it came from. Keys carry the app's catalog generations (app.catalog.indexing): any
index write of this process drops the search results at once, any catalog write the pages.
Another process's writes (a separate worker) show when the entries expire, on top of the
outbox's own delay. Bounds and times: the specs below; docs/adr/0006-caching.md.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.catalog import repository
from app.catalog.indexing import CATALOG_GENERATION, INDEX_GENERATION
from app.catalog.listing.summaries import LABEL_WORDS, today_in_china
from app.catalog.schemas import ProductPage, ProductQuery
from app.core.cache import Cache, Caches, CacheSpec
from app.core.storage import MediaStorage
from app.inventory.repository import AVAILABILITY_GENERATION, stock_figures_generation
from search import Place, QueryParser, SearchBackend, SearchResult, SearchUnavailable
from search import ProductQuery as SearchQuery
from search.embedded.backend import EmbeddedBackend


@dataclass(frozen=True)
class Reference:
    """Slow-changing reference data the listing names and checks filters against, and the
    query parser built from its place names."""

    provinces: dict[str, str]
    categories: dict[str, tuple[str, int]]
    counties: dict[str, str]
    parser: QueryParser
    # Regional brands: slug → (id, name); a change shows within the reference's refresh.
    brands: dict[str, tuple[int, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class ListingCaches:
    """The app's caches, and the sessions a stale page is refreshed with in the background
    (a request's own session is gone by the time the refresh runs)."""

    caches: Caches
    sessions: async_sessionmaker[AsyncSession]


# Values a page's memo may hold: per locale and spelling of one query, the rendered column
# and, for visitors who are not signed in, the whole page (its text, and its UTF-8 bytes when
# it holds no CSRF token); and the JSON listing's encoded body. Measured on the demo
# catalogue, a cached page with its memo filled for one locale held up to 280 KB (the page's
# 24 summaries ~50 KB, the column and the whole page's text ~100 KB each, Chinese text at 2
# bytes a character, its bytes ~32 KB); the JSON of 24 products is ~14 KB, of 100 ~47 KB;
# with all 4 values, about 450 KB at worst.
PAGE_MEMO_ENTRIES = 4
PAGE_MEMO: CacheSpec[Hashable, Any] = CacheSpec("catalog.page_memo", PAGE_MEMO_ENTRIES)


class PageMemo(Cache[Hashable, Any]):
    """Values derived from one listing page, kept as long as the page is (bounded, least
    recently used out). A page that is not cached (no search backend, or the degraded
    listing) gets a memo of its own that nobody else sees: `get` then always misses."""

    def __init__(self) -> None:
        super().__init__(PAGE_MEMO)


@dataclass(frozen=True)
class CachedPage:
    page: ProductPage
    memo: PageMemo


# Reference data (provinces, categories, counties) changes only when `fengshou regions load`
# or a migration runs: reread after a few minutes to bound the staleness.
REFERENCE_TTL_SECONDS = 300.0
# Search results and pages are kept briefly, at most this many of each. Results hold ids,
# the total and facet counts (at most ~11 KB measured: 512 take under 6 MB). Pages hold
# their memo too (~450 KB at worst, above): 128 take under 60 MB; kept for 4 s at most, 128
# distinct listing pages are more than the hot ones of any moment.
SEARCH_CACHE_SECONDS = 2.0
SEARCH_CACHE_ENTRIES = 512
LISTING_PAGE_ENTRIES = 128
# An expired page is still served this long while one background task recomputes it, so that
# no request waits for a page to be rebuilt under steady traffic.
PAGE_STALE_SECONDS = 2.0

SearchKey = tuple[SearchBackend, int, SearchQuery, date]
PageKey = tuple[SearchBackend, int, int, str, date, MediaStorage | None]

REFERENCE: CacheSpec[str, Reference] = CacheSpec(
    "catalog.reference", max_entries=1, ttl_seconds=REFERENCE_TTL_SECONDS
)
Places = tuple[Place, ...]
# The query parser, kept with the places it was built from: rereading the reference data
# every few minutes rebuilds it (some 20 ms) only when a place name changed.
QUERY_PARSER: CacheSpec[str, tuple[Places, QueryParser]] = CacheSpec(
    "catalog.query_parser", max_entries=1
)
SEARCH_RESULTS: CacheSpec[SearchKey, SearchResult] = CacheSpec(
    "catalog.search_results", SEARCH_CACHE_ENTRIES, ttl_seconds=SEARCH_CACHE_SECONDS
)
LISTING_PAGES: CacheSpec[PageKey, CachedPage] = CacheSpec(
    "catalog.listing_pages",
    LISTING_PAGE_ENTRIES,
    ttl_seconds=SEARCH_CACHE_SECONDS,
    stale_seconds=PAGE_STALE_SECONDS,
)


async def reference(session: AsyncSession, caches: Caches | None) -> Reference:
    """The reference data, from the app's cache when it holds them."""
    cache = caches.cache(REFERENCE) if caches is not None else None
    known = cache.get("reference") if cache is not None else None
    if known is None:
        names = await repository.reference_names(session)
        parser = query_parser(_places(names), caches)
        known = Reference(names.provinces, names.categories, names.counties, parser, names.brands)
        if cache is not None:
            cache.put("reference", known)
    return known


def _places(names: repository.ReferenceNames) -> Places:
    return (
        *(Place(code, name, "province") for code, name in sorted(names.provinces.items())),
        *(Place(code, name, "prefecture") for code, name in sorted(names.prefectures.items())),
        *(Place(code, name, "county") for code, name in sorted(names.counties.items())),
    )


def query_parser(places: Places, caches: Caches | None) -> QueryParser:
    """The parser of these places (and the label words), built once while they stay the same."""
    cache = caches.cache(QUERY_PARSER) if caches is not None else None
    found = cache.get("parser", lambda entry: entry[0] == places) if cache is not None else None
    if found is not None:
        return found[1]
    parser = QueryParser(places, LABEL_WORDS)
    if cache is not None:
        cache.put("parser", (places, parser))
    return parser


def page_key(
    caches: Caches,
    search: SearchBackend,
    query: ProductQuery,
    today: date,
    media: MediaStorage | None,
) -> PageKey:
    """A page's key: the search backend and media it was made with (the entry holds them,
    so no other can take their place), the generations, the query and the day."""
    generations = caches.generations
    return (
        search,
        generations[INDEX_GENERATION],
        generations[CATALOG_GENERATION],
        query.model_dump_json(),
        today,
        media,
    )


async def cached_search(
    search: SearchBackend,
    session: AsyncSession,
    wanted: SearchQuery,
    today: date,
    caches: Caches | None,
) -> SearchResult:
    """The backend's answer, from the app's cache when fresh."""
    cache = caches.cache(SEARCH_RESULTS) if caches is not None else None
    key = (search, caches.generations[INDEX_GENERATION] if caches else 0, wanted, today)
    hit = cache.get(key) if cache is not None else None
    if hit is not None:
        return hit
    # The embedded index answers inside the request's own transaction: no second connection.
    backend = search.in_session(session) if isinstance(search, EmbeddedBackend) else search
    try:
        result = await backend.search(wanted, today)
    except SearchUnavailable:
        if backend is not search:
            # The failed statement may have spoilt the transaction (PostgreSQL); it only read.
            await session.rollback()
        raise
    if cache is not None:
        cache.put(key, result)
    return result


# Every table the public pages of products and counties show: a key part of what is kept of
# them, so that any write of this process (a price, stock, a certificate, a supplier's status)
# shows on the next request; another process's writes show within the kept entries' lifetimes
# (the product API's answers below; the pages' in app.catalog.pages_storefront). Whether a
# product is in stock aside: see STOREFRONT_TABLES and product_tables.
STOREFRONT_CONTENT_TABLES = (
    "categories",
    "products",
    "skus",
    "price_tiers",
    "product_photos",
    "product_certificates",
    "certificates",
    "cooperatives",
    "provinces",
    "prefectures",
    "counties",
    "pairings",
    "pairing_areas",
    "shipping_rules",
    "reviews",
)
# The home and county pages: the storefront's tables, and whether each product is in stock
# (a product running out bumps AVAILABILITY_GENERATION rather than the `products` table's).
STOREFRONT_TABLES = (*STOREFRONT_CONTENT_TABLES, AVAILABILITY_GENERATION)


def product_tables(product_id: int) -> tuple[str, ...]:
    """What a product's own page and its API twin show: the storefront's tables and its SKUs'
    stock figures and availability, which a sale changes at once where little is left or where
    the product runs out (app.inventory: the home and county pages show only whether a product
    is in stock, and are not rebuilt at each such sale, nor are other products' pages)."""
    return (*STOREFRONT_CONTENT_TABLES, stock_figures_generation(product_id))


# Answers of the JSON API about one product, encoded: measured on the demo catalogue 3–9 KB
# each, so 512 hold under 5 MB. Kept 4 s at most (2 fresh, 2 stale).
KEPT_ANSWERS: CacheSpec[Hashable, Any] = CacheSpec(
    "catalog.kept_answers", max_entries=512, ttl_seconds=2.0, stale_seconds=2.0
)
T = TypeVar("T")


async def kept_answer(
    caches: ListingCaches,
    product_id: int,
    key: Hashable,
    compute: Callable[[AsyncSession], Awaitable[T]],
) -> T:
    """What `compute` makes of the public product `product_id` (in a session of its own),
    once for every request that asks the same while no table it reads changes: one
    computation at a time, refreshed in the background once old. An error (not found) is not
    kept."""
    generations = caches.caches.table_generations(product_tables(product_id))
    full_key = (key, today_in_china(), generations)

    async def computed() -> T:
        async with caches.sessions() as session:
            return await compute(session)

    found: T = await caches.caches.refreshing(KEPT_ANSWERS).get_or_compute(full_key, computed)
    return found
