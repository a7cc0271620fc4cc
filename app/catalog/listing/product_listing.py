"""The public product listing: filters checked against reference data, `q` understood (its place
and label words filter, app.catalog.listing.understanding), the page and its facets from the
search backend (from the catalog tables when it is down or absent), nearby queries when it
finds nothing (suggestions), kept in the app's caches (app.catalog.listing.caching)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog import repository
from app.catalog.errors import (
    UnknownBrandFilter,
    UnknownCategory,
    UnknownCounty,
    UnknownLabel,
)
from app.catalog.listing.caching import (
    LISTING_PAGES,
    CachedPage,
    ListingCaches,
    PageMemo,
    Reference,
    cached_search,
    page_key,
    reference,
)
from app.catalog.listing.suggestions import suggest
from app.catalog.listing.summaries import LABEL_NAMES, summaries, summary, today_in_china
from app.catalog.listing.understanding import (
    Filters,
    invalid_search_query,
    search_query,
    understand,
    understanding_out,
)
from app.catalog.repository import ListingFilters
from app.catalog.schemas import (
    MAX_PER_PAGE,
    Facets,
    FacetValue,
    ProductPage,
    ProductQuery,
    brand_label,
)
from app.core.cache import Caches
from app.core.errors import ValidationFailed
from app.core.storage import MediaStorage
from app.regions.errors import PageOutOfRange, ProvinceUnknown
from search import InvalidQuery, ParsedQuery, SearchBackend, SearchResult, SearchUnavailable
from search import ProductQuery as SearchQuery

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------
# Checking the query


def _filters(
    query: ProductQuery, parsed: ParsedQuery, today: date, known: Reference
) -> ListingFilters:
    """Check each filter against what its facet can list; 422 with field errors otherwise.
    The catalog tables' filters are those of `q` as understood, like the search backend's."""
    if query.province is not None and query.province not in known.provinces:
        raise ProvinceUnknown(query.province)
    if query.county is not None and query.county not in known.counties:
        raise UnknownCounty(query.county)
    if query.category is not None and query.category not in known.categories:
        raise UnknownCategory(query.category)
    if query.label is not None and query.label not in LABEL_NAMES:
        raise UnknownLabel(query.label)
    if query.brand is not None and query.brand not in known.brands:
        raise UnknownBrandFilter(query.brand)
    if (
        query.min_price_fen is not None
        and query.max_price_fen is not None
        and query.min_price_fen > query.max_price_fen
    ):
        raise ValidationFailed(
            "The price range is empty.",
            fields={"max_price_fen": "must not be below min_price_fen"},
        )
    understood = Filters.of(query, parsed)
    return ListingFilters(
        today=today,
        q=parsed.text.strip() or None,
        province_code=understood.province,
        county_code=understood.county,
        prefecture_code=understood.prefecture,
        category_code=query.category,
        label=understood.label,
        key_assistance=query.key_assistance,
        brand_id=known.brands[query.brand][0] if query.brand is not None else None,
        min_price_fen=query.min_price_fen,
        max_price_fen=query.max_price_fen,
    )


# ---------------------------------------------------------------------------------------------
# From the catalog tables, or from the search backend


def _facet(value: str, label: str, count: int) -> FacetValue:
    return FacetValue.model_construct(value=value, label=label, count=count)


async def _sql_listing(
    session: AsyncSession,
    query: ProductQuery,
    filters: ListingFilters,
    parsed: ParsedQuery,
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
    brands = await repository.brand_facet(session, filters)
    facets = Facets(
        province=[_facet(f.value, f.label, f.count) for f in provinces],
        category=[_facet(f.value, f.label, f.count) for f in categories],
        label=[
            _facet(kind, name, label_counts[kind])
            for kind, name in LABEL_NAMES.items()
            if label_counts.get(kind)
        ],
        brand=[_facet(f.value, f.label, f.count) for f in brands],
    )
    return ProductPage.model_construct(
        items=await summaries(session, rows, today, media),
        total=total,
        page=query.page,
        per_page=query.per_page,
        facets=facets,
        degraded=degraded,
        understood=understanding_out(parsed),
    )


def _search_facets(result: SearchResult, known: Reference) -> Facets:
    """The backend's counts, named from the database, in the catalog's facet order."""
    provinces = sorted(result.facets.get("province", []), key=lambda f: (-f.count, f.value))
    categories = sorted(
        (f for f in result.facets.get("category", []) if f.value in known.categories),
        key=lambda f: (known.categories[f.value][1], f.value),
    )
    label_counts = {f.value: f.count for f in result.facets.get("label", [])}
    # Brands are labels of their own in the index ("brand_12"): counted with the labels.
    brand_slugs = {brand_label(i): (slug, name) for slug, (i, name) in known.brands.items()}
    brands = sorted(
        (
            (brand_slugs[value], count)
            for value, count in label_counts.items()
            if value in brand_slugs and count
        ),
        key=lambda item: (-item[1], item[0][0]),
    )
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
        brand=[_facet(slug, name, count) for (slug, name), count in brands],
    )


# ---------------------------------------------------------------------------------------------
# The listing, cached


async def list_products(
    session: AsyncSession,
    query: ProductQuery,
    *,
    search: SearchBackend | None = None,
    caches: ListingCaches | None = None,
    today: date | None = None,
    media: MediaStorage | None = None,
) -> ProductPage:
    """Active products of verified suppliers, filtered, sorted and paged, with facets.

    With a search backend, it finds the page's ids, the total and the facet counts, and one
    query loads the page's products (one more their labels and thumbnails). Should the backend
    be down, the catalog tables answer instead, newest first, and the page says `degraded`.
    Without a backend (tests of the SQL listing), the catalog tables answer as asked. With
    the app's `caches`, pages and search results are kept (list_kept_products), and nothing
    without them.
    """
    today = today or today_in_china()
    if search is None or caches is None:
        return await _uncached(session, query, search, caches, today, media)
    page, _memo = await list_kept_products(
        query, search=search, caches=caches, today=today, media=media
    )
    return page


async def list_kept_products(
    query: ProductQuery,
    *,
    search: SearchBackend,
    caches: ListingCaches,
    today: date | None = None,
    media: MediaStorage | None = None,
) -> tuple[ProductPage, PageMemo]:
    """The kept page and its memo, for a caller without a session of its own: a kept page
    (nearly every request) needs none, a page computed or the degraded listing open one. What
    a caller derives from the page (a rendered fragment, its encoded JSON) goes in the memo,
    and is dropped with the page (expiry or any catalog write)."""
    today = today or today_in_china()
    pages = caches.caches.refreshing(LISTING_PAGES)
    key = page_key(caches.caches, search, query, today, media)
    try:
        # Concurrent requests for a page not kept (or too old) wait for one computation.
        found = await pages.get_or_compute(
            key, lambda: _refreshed(caches, search, query, today, media)
        )
    except SearchUnavailable as exc:
        async with caches.sessions() as session:
            known = await reference(session, caches.caches)
            parsed = understand(query, known)
            filters = _filters(query, parsed, today, known)
            page = await _degraded(session, query, filters, parsed, today, media, exc)
        return page, PageMemo()
    return found.page, found.memo


def still_kept(
    query: ProductQuery,
    memo: PageMemo,
    *,
    search: SearchBackend,
    caches: ListingCaches,
    media: MediaStorage | None = None,
) -> bool:
    """Whether list_kept_products would answer the page `memo` belongs to now, fresh: what
    was derived from it stands (no write since, not expired, the same day)."""
    pages = caches.caches.refreshing(LISTING_PAGES)
    found = pages.fresh(page_key(caches.caches, search, query, today_in_china(), media))
    return found is not None and found.memo is memo


async def _uncached(
    session: AsyncSession,
    query: ProductQuery,
    search: SearchBackend | None,
    caches: ListingCaches | None,
    today: date,
    media: MediaStorage | None,
) -> ProductPage:
    known = await reference(session, caches.caches if caches is not None else None)
    parsed = understand(query, known)
    filters = _filters(query, parsed, today, known)
    if search is None:
        return await _sql_listing(session, query, filters, parsed, today=today, media=media)
    try:
        return await _search_page(session, search, query, parsed, known, today, media, None)
    except SearchUnavailable as exc:
        return await _degraded(session, query, filters, parsed, today, media, exc)


async def _degraded(
    session: AsyncSession,
    query: ProductQuery,
    filters: ListingFilters,
    parsed: ParsedQuery,
    today: date,
    media: MediaStorage | None,
    exc: SearchUnavailable,
) -> ProductPage:
    """The catalog tables' newest products while the search backend is down (never cached)."""
    log.warning("search unavailable, listing from the catalog tables: %s", exc)
    newest = query.model_copy(update={"sort": "newest"})
    return await _sql_listing(
        session, newest, filters, parsed, today=today, media=media, degraded=True
    )


async def _search_page(
    session: AsyncSession,
    search: SearchBackend,
    query: ProductQuery,
    parsed: ParsedQuery,
    known: Reference,
    today: date,
    media: MediaStorage | None,
    caches: Caches | None,
) -> ProductPage:
    """The page as the search backend lists it (SearchUnavailable when it is down)."""

    async def run(wanted: SearchQuery) -> SearchResult:
        try:
            return await cached_search(search, session, wanted, today, caches)
        except InvalidQuery as exc:
            raise invalid_search_query(exc) from exc

    wanted = search_query(query, parsed, brands=known.brands)
    named = named_brand(query, known)
    if named is not None:
        result = await _brand_first(run, wanted, named, query)
    else:
        result = await run(wanted)
    if result.total and query.page > result.pages:
        raise PageOutOfRange(query.page, result.pages)
    rows = await repository.page_rows(session, result.ids, today)
    return ProductPage.model_construct(
        items=[summary(r.summary, r.labels, r.thumb_key, media) for r in rows],
        total=result.total,
        page=query.page,
        per_page=query.per_page,
        facets=_search_facets(result, known),
        degraded=False,
        understood=understanding_out(parsed),
        suggestions=[] if result.total else await suggest(query, parsed, known, run),
    )


def named_brand(query: ProductQuery, known: Reference) -> int | None:
    """The brand whose name the query's text names (the longest, 赣南脐橙 in 赣南脐橙礼盒), when
    the listing is ranked by relevance and no brand filter is chosen."""
    if not query.q or query.brand is not None or query.sort != "relevance":
        return None
    found = [(len(name), brand_id) for brand_id, name in known.brands.values() if name in query.q]
    return max(found)[1] if found else None


async def _brand_first(
    run: Callable[[SearchQuery], Awaitable[SearchResult]],
    wanted: SearchQuery,
    brand_id: int,
    query: ProductQuery,
) -> SearchResult:
    """A query naming a brand lists the brand's products first, then the rest as ranked. The
    brand's products are the query's under the brand filter, so they are among its results
    and the total stays the query's. Only the first MAX_PER_PAGE results are reordered: a
    page past them is the query's own page."""
    window = query.page * query.per_page
    if window > MAX_PER_PAGE:
        return await run(wanted)
    first = await run(
        replace(wanted, brand=brand_label(brand_id), page=1, per_page=MAX_PER_PAGE, facets=False)
    )
    ranked = await run(replace(wanted, page=1, per_page=window))
    leading = set(first.ids)
    ids = [*first.ids, *(i for i in ranked.ids if i not in leading)]
    start = (query.page - 1) * query.per_page
    return SearchResult(
        ids=ids[start : start + query.per_page],
        total=ranked.total,
        page=query.page,
        per_page=query.per_page,
        backend=ranked.backend,
        facets=ranked.facets,
    )


async def _refreshed(
    caches: ListingCaches,
    search: SearchBackend,
    query: ProductQuery,
    today: date,
    media: MediaStorage | None,
) -> CachedPage:
    """A page to keep, computed in a session of its own (it may outlive the request that
    started it, and serves every request waiting for it): its filters checked (422), then
    the search backend's page (SearchUnavailable when it is down)."""
    async with caches.sessions() as session:
        known = await reference(session, caches.caches)
        parsed = understand(query, known)
        _filters(query, parsed, today, known)
        page = await _search_page(
            session, search, query, parsed, known, today, media, caches.caches
        )
    return CachedPage(page, PageMemo())
