"""HTML routes of the storefront: the home page, the product listing, product and county pages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.account.deps import StorefrontVisitor
from app.catalog import listing
from app.catalog.deps import BuyerRegion, ListingCachesDep, ShippingEstimator
from app.catalog.errors import ProductNotFound
from app.catalog.schemas import (
    MAX_PAGE,
    MAX_PRICE_FEN,
    ProductDetail,
    ProductPage,
    ProductQuery,
    QueryUnderstanding,
)
from app.core.cache import Caches, CacheSpec, Refreshing
from app.core.errors import DomainError, ValidationFailed
from app.core.fields import parse_yuan, yuan_text
from app.web import front_door, i18n
from app.web.delivery_region import delivery_county
from app.web.forms import field_messages
from app.web.fragments import (
    AnonymousPage,
    PageBlocks,
    frame_is_anonymous,
    render_anonymous,
    render_blocks,
    render_page,
    with_csrf_token,
)
from app.web.i18n import gettext as _
from app.web.media import request_media
from app.web.templating import render, templates

router = APIRouter(include_in_schema=False)

LISTING_PATH = "/products"
MAX_SLUG_LENGTH = 120  # the column's length
_TRUE = {"1", "on", "true", "yes"}
_FALSE = {"0", "off", "false", "no"}
# The listing's own parameters, as the form and the links name them (prices in yuan).
FILTER_PARAMS = (
    "q",
    "province",
    "county",
    "category",
    "label",
    "key_assistance",
    "brand",
    "min_price",
    "max_price",
    "sort",
)
# The service's field names, as the page's form names them.
_PAGE_FIELD = {"min_price_fen": "min_price", "max_price_fen": "max_price"}

OptionalText = Annotated[str | None, Query()]

# The home, product and county pages are the same for every visitor: their blocks are rendered
# once per page, language and day and kept here (app/web/fragments.py puts them in each
# visitor's frame), keyed by the generations of every table they show (STOREFRONT_TABLES; a
# product's page, which shows its stock figures, product_tables).
# A page's blocks and, once a visitor who is not signed in has seen it, the whole page:
# measured on the demo catalogue 29 KB on average, 161 KB at most (the home page: blocks 59 KB,
# the whole page's text 62 KB, its bytes 35 KB and gzip 5 KB), so 256 pages hold about 8 MB in
# practice and 41 MB at worst.
STOREFRONT_PAGE_ENTRIES = 256
# Fresh for 2 s; then served while one refresh runs behind it, for up to a minute: a page nobody
# asked for in a while is refreshed behind its next visitors instead of keeping them all waiting
# for a whole build (measured in the page benchmark: every round of the home page began with
# one, and its p99 went over 5 × its p50). A write of this process changes the page's key and
# shows at once; another process's write shows within 2 s while the page has visitors, and at
# worst to the first of them after a quiet minute. Checkout prices and reserves from the
# database, never from a page.
STOREFRONT_FRESH_SECONDS = 2.0
STOREFRONT_STALE_SECONDS = 60.0
STOREFRONT_PAGES: CacheSpec[Hashable, PageBlocks] = CacheSpec(
    "catalog.storefront_pages",
    max_entries=STOREFRONT_PAGE_ENTRIES,
    ttl_seconds=STOREFRONT_FRESH_SECONDS,
    stale_seconds=STOREFRONT_STALE_SECONDS,
)

# A product's page is rendered again at each sale that changes a stock figure it shows (where
# little is left, at once: app.inventory). What else it shows (the product, shipping line,
# reviews) is kept here while none of the other tables it shows changes, so that rendering it
# again reads one statement, its SKUs' stock, instead of twelve. Measured in a festival spike:
# each statement of a page built during the rush waited a long turn of the event loop, and its
# reads took 0.6–1.8 s while every visitor of the page waited for it. Entries are the pydantic
# objects the template reads: 18 KB measured for a product with one SKU and one certificate, a
# few times that for one with many SKUs, photos and reviews (256 entries: under 25 MB at worst).
PRODUCT_PAGE_CONTEXTS: CacheSpec[Hashable, dict[str, Any]] = CacheSpec(
    "catalog.product_page_contexts",
    max_entries=STOREFRONT_PAGE_ENTRIES,
    ttl_seconds=STOREFRONT_FRESH_SECONDS,
    stale_seconds=STOREFRONT_STALE_SECONDS,
)


async def _cached_page(
    request: Request,
    page: tuple[Hashable, ...],
    build: Callable[[AsyncSession], Awaitable[tuple[str, dict[str, Any]]]],
    tables: tuple[str, ...] = listing.STOREFRONT_TABLES,
) -> Response:
    """The page `build` makes (its template and context, read in a session of its own),
    rendered once for every visitor while none of the `tables` it shows changes (single
    flight)."""
    state = request.app.state
    caches: Caches = state.caches
    pages: Refreshing[Hashable, PageBlocks] = caches.refreshing(STOREFRONT_PAGES)
    locale, media = i18n.current_locale.get(), request_media(request)

    def key() -> Hashable:
        return (
            page,
            locale,
            listing.today_in_china(),
            caches.table_generations(tables),
            media,
        )

    async def compute() -> PageBlocks:
        async with state.database.page_reader() as session:
            template, context = await build(session)
        return await render_blocks(template, context)

    blocks = await pages.get_or_compute(key(), compute)
    # What a visitor who is not signed in is answered stands while this entry is kept fresh.
    return render_page(request, blocks, still_answered=lambda: pages.fresh(key()) is blocks)


# ---------------------------------------------------------------------------------------------
# Parsing the listing's query string


def _field_messages() -> dict[str, str]:
    """One message per field, in the page's language."""
    return {
        "q": _("关键词最多 100 个字，不能包含控制字符。"),
        "province": _("没有这个省份，请从列表中选择。"),
        "county": _("没有这个县。"),
        "category": _("没有这个品类，请从列表中选择。"),
        "label": _("没有这个认证标识，请从列表中选择。"),
        "key_assistance": _("请勾选或取消勾选。"),
        "brand": _("没有这个区域公用品牌，请从列表中选择。"),
        "min_price": _("最低价（元）请填写不小于 0 的金额，最多两位小数。"),
        "max_price": _("最高价（元）请填写不小于 0 的金额，最多两位小数，且不低于最低价。"),
        "sort": _("请选择有效的排序方式。"),
        "page": _("页码无效。"),
    }


def _page_fields(fields: dict[str, str]) -> dict[str, str]:
    named = {_PAGE_FIELD.get(name, name) for name in fields}
    return field_messages(sorted(named), _field_messages())


def _listing_query(form: dict[str, str], page: str | None) -> ProductQuery:
    """The service's query from the page's parameters; ValidationFailed with page field names."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        name: form[name]
        for name in ("q", "province", "county", "category", "label", "brand", "sort")
    }
    for name in ("min_price", "max_price"):
        if form[name]:
            fen = parse_yuan(form[name])
            if fen is None or fen > MAX_PRICE_FEN:
                errors[name] = "invalid amount"
            else:
                values[f"{name}_fen"] = fen
    flag = form["key_assistance"].lower()
    if flag in _TRUE:
        values["key_assistance"] = True
    elif flag in _FALSE:
        values["key_assistance"] = False
    elif flag:
        errors["key_assistance"] = "invalid flag"
    if page:
        # Length first: int() of thousands of digits is slow, and refused past 4300 of them.
        if (
            len(page) <= len(str(MAX_PAGE))
            and page.isascii()
            and page.isdigit()
            and (1 <= int(page) <= MAX_PAGE)
        ):
            values["page"] = int(page)
        else:
            errors["page"] = "invalid page"
    clean = {k: v for k, v in values.items() if v not in (None, "")}
    try:
        query = ProductQuery(**clean)
    except ValidationError as exc:
        for error in exc.errors():
            errors.setdefault(str(error["loc"][0]) if error["loc"] else "q", error["msg"])
    if errors:
        raise ValidationFailed("Some filters are invalid.", fields=errors)
    return query


def _url_maker(form: dict[str, str], understood: QueryUnderstanding | None) -> Callable[..., str]:
    """url_with(province=None, page=2): this listing with some parameters changed or removed.

    Choosing or clearing a place or a label also takes out the words of `q` that were
    understood as one (宁夏枸杞 with another province chosen is 枸杞 there)."""

    def url_with(**changes: str | int | None) -> str:
        params: dict[str, str] = {k: v for k, v in form.items() if v}
        if understood is not None and "q" not in changes:
            if changes.keys() & {"province", "county"}:
                params["q"] = understood.q_without_places
            if "label" in changes:
                params["q"] = understood.q_without_labels
        for name, value in changes.items():
            if value is None or value == "" or (name == "page" and value == 1):
                params.pop(name, None)
            else:
                params[name] = str(value)
        params = {k: v for k, v in params.items() if v}
        return f"{LISTING_PATH}?{urlencode(params)}" if params else LISTING_PATH

    return url_with


def _query_url(query: ProductQuery, sort: str) -> str:
    """The listing's address for a query of the service (a suggestion), prices in yuan."""
    values: dict[str, str | None] = {
        "q": query.q,
        "province": query.province,
        "county": query.county,
        "category": query.category,
        "label": query.label,
        "key_assistance": None if query.key_assistance is None else "01"[query.key_assistance],
        "brand": query.brand,
        "min_price": None if query.min_price_fen is None else yuan_text(query.min_price_fen),
        "max_price": None if query.max_price_fen is None else yuan_text(query.max_price_fen),
        "sort": sort or None,
    }
    params = {name: value for name, value in values.items() if value}
    return f"{LISTING_PATH}?{urlencode(params)}" if params else LISTING_PATH


def _selected(form: dict[str, str], result: ProductPage | None) -> dict[str, str]:
    """The province and label the facets show as chosen: picked, or understood from `q`."""
    selected = {"province": form["province"], "label": form["label"]}
    understood = result.understood if result is not None else None
    for part in understood.parts if understood is not None else []:
        if part.kind in ("province", "prefecture", "county") and not selected["province"]:
            selected["province"] = part.value[:2] + "0000"
        elif part.kind == "label" and not selected["label"]:
            selected["label"] = part.value
    return selected


def _category_names() -> dict[str, str]:
    """The categories' names in the page's language (the facets list their codes)."""
    return {
        "fruit": _("水果"),
        "vegetables": _("蔬菜"),
        "grain_oil": _("粮油"),
        "tea": _("茶叶"),
        "meat_eggs": _("肉禽蛋"),
        "aquatic": _("水产"),
        "mushrooms": _("菌菇"),
        "nuts": _("干果坚果"),
        "herbs": _("中药材"),
        "condiments": _("调味品"),
        "bee_products": _("蜂产品"),
        "drinks": _("酒水饮品"),
        "crafts": _("手工艺品"),
        "other": _("其他"),
    }


def _sort_options() -> list[tuple[str, str]]:
    return [
        ("relevance", _("综合推荐")),
        ("price_asc", _("价格从低到高")),
        ("price_desc", _("价格从高到低")),
        ("newest", _("最新上架")),
        ("rating", _("评分最高")),
    ]


# ---------------------------------------------------------------------------------------------
# Routes


@router.get("/", response_class=HTMLResponse)
async def show_home(request: Request, user: StorefrontVisitor) -> Response:
    """Hero, featured key-assistance counties, new and seasonal products, the provinces."""
    media = request_media(request)

    async def build(reading: AsyncSession) -> tuple[str, dict[str, Any]]:
        sections = await listing.home_sections(reading, listing.today_in_china(), media=media)
        context = {"sections": sections, "overview": sections.regions}
        return "catalog/storefront_home.html", context

    return await _cached_page(request, ("home",), build)


@router.get(LISTING_PATH, response_class=HTMLResponse)
async def list_products(
    request: Request, user: StorefrontVisitor, caches: ListingCachesDep
) -> Response:
    """Listed products with facets, price range, sort and pages; plain GET forms and links.

    Invalid filters re-render the page with field errors and what was entered (422).
    """
    # Read here rather than declared one by one: FastAPI would inspect eleven declarations
    # on every request of the site's busiest page. Every value is text (a repeated one: the
    # last), checked below.
    params = request.query_params
    page = params.get("page")
    form = {name: params.get(name, "").strip()[:200] for name in FILTER_PARAMS}
    result: ProductPage | None = None
    memo: listing.PageMemo | None = None
    errors: dict[str, str] = {}
    error_code: str | None = None
    try:
        query = _listing_query(form, page)
        # No session of the request's: a kept page needs none (the listing opens one otherwise).
        result, memo = await listing.list_kept_products(
            query,
            search=request.app.state.search,
            caches=caches,
            media=request_media(request),
        )
    except ValidationFailed as exc:
        errors, error_code = _page_fields(exc.fields), exc.code
    except DomainError as exc:
        if exc.status_code != 404 or "page" not in exc.fields:
            raise
        # A page past the last one (results changed since the link was made): the first page.
        errors, error_code = {"page": _("这一页已经没有商品了。")}, exc.code
    # The listing's column is the same for every visitor who asks the same thing in the same
    # language: rendered once per cached listing page (and dropped with it, so a catalog
    # write shows on the next request), then spliced into the visitor's own frame.
    locale = i18n.current_locale.get()
    body_key = (_LISTING_BODY, locale, tuple(form.values()))
    body: Markup | None = memo.get(body_key) if memo is not None else None
    if body is None:
        body = _listing_body(result, form, errors, error_code, locale)
        if memo is not None:
            memo.put(body_key, body)
    status = 200 if not errors else (404 if error_code == "page_out_of_range" else 422)
    if memo is not None and frame_is_anonymous(request):
        # The whole page is the same for every visitor who is not signed in: kept beside the
        # column, dropped with it; the front door answers it while the listing page is kept.
        page_key = (_LISTING_FRAME, *body_key)
        whole: AnonymousPage | None = memo.get(page_key)
        if whole is None:
            whole = render_anonymous(request, _LISTING_FRAME, {"listing_body": body})
            memo.put(page_key, whole)
        # Named again for the door's check below: a lambda keeps neither `memo`'s narrowing nor a
        # reference to the request.
        kept_query, kept_memo = query, memo
        search, media = request.app.state.search, request_media(request)
        front_door.offer(
            request,
            whole,
            status,
            lambda: listing.still_kept(
                kept_query, kept_memo, search=search, caches=caches, media=media
            ),
        )
        return with_csrf_token(request, whole, status_code=status)
    return render(request, _LISTING_FRAME, {"listing_body": body}, status_code=status)


_LISTING_FRAME = "catalog/storefront_products.html"
_LISTING_BODY = "catalog/storefront_products_body.html"


def _listing_body(
    result: ProductPage | None,
    form: dict[str, str],
    errors: dict[str, str],
    error_code: str | None,
    locale: str,
) -> Markup:
    """The listing's column (facets, filter form, chips, cards, pager): nothing per visitor."""
    context = {
        "locale": locale,
        "result": result,
        "form": form,
        "errors": errors,
        "error_code": error_code,
        "understood": result.understood if result is not None else None,
        "selected": _selected(form, result),
        "url_with": _url_maker(form, result.understood if result is not None else None),
        "query_url": lambda query: _query_url(query, form["sort"]),
        "sort_options": _sort_options(),
        "category_names": _category_names(),
        "last_page": max(1, -(-result.total // result.per_page)) if result else 1,
    }
    return Markup(templates.env.get_template(_LISTING_BODY).render(context))  # noqa: S704


# Sections of the product page that domains above the catalog draw (buyers' reviews), each an
# escaped fragment of their own template, registered at import time.
ProductSection = Callable[[Request, AsyncSession, ProductDetail], Awaitable[Markup]]
_PRODUCT_SECTIONS: list[ProductSection] = []


def register_product_section(section: ProductSection) -> None:
    """Draw `await section(request, session, product)` below the product page's content."""
    if section not in _PRODUCT_SECTIONS:
        _PRODUCT_SECTIONS.append(section)


@router.get("/products/{slug}", response_class=HTMLResponse)
async def show_product(request: Request, user: StorefrontVisitor, slug: str) -> Response:
    """A listed product: photos, SKUs and tier prices, certificates, origin and supplier, what
    its label says, and shipping to the buyer's region (or the supplier's lowest fee)."""
    # No slug has control characters (PostgreSQL would even refuse a NUL byte in a query).
    if not slug.isprintable() or len(slug) > MAX_SLUG_LENGTH:
        raise ProductNotFound(slug[:MAX_SLUG_LENGTH])
    media = request_media(request)
    estimator: ShippingEstimator | None = getattr(request.app.state, "shipping_estimator", None)
    # The shipping line is the one part that depends on the visitor: the page is kept per
    # delivery county, the cart's, else the signed-in buyer's default address's.
    county_code = delivery_county(request)
    region: BuyerRegion | None = getattr(request.app.state, "buyer_region", None)
    if county_code is None and user is not None and region is not None:
        async with request.app.state.database.reader() as reading:
            county_code = await region(reading, user_id=user.id)

    caches: Caches = request.app.state.caches
    contexts: Refreshing[Hashable, dict[str, Any]] = caches.refreshing(PRODUCT_PAGE_CONTEXTS)
    context_key = (
        ("product", slug, county_code),
        i18n.current_locale.get(),
        listing.today_in_china(),
        # Not whether the product is in stock: the page reads that with its stock figures.
        caches.table_generations(listing.STOREFRONT_CONTENT_TABLES),
        media,
    )

    async def read_context() -> dict[str, Any]:
        async with request.app.state.database.page_reader() as reading:
            product = await listing.get_public_product_by_slug(reading, slug, media=media)
            shipping = (
                await estimator(reading, product, user_id=None, county_code=county_code)
                if estimator is not None
                else None
            )
            # The sections of the domains above (reviews) are the same for every visitor too.
            sections = [await section(request, reading, product) for section in _PRODUCT_SECTIONS]
        return {
            "product": product,
            "category_names": _category_names(),
            "shipping": shipping,
            "sections": sections,
        }

    context = await contexts.get_or_compute(context_key, read_context)
    product: ProductDetail = context["product"]

    async def build(reading: AsyncSession) -> tuple[str, dict[str, Any]]:
        current = await listing.with_current_stock(reading, product)
        return "catalog/storefront_product.html", {**context, "product": current}

    return await _cached_page(
        request,
        ("product", slug, county_code),
        build,
        tables=listing.product_tables(product.id),
    )


@router.get("/counties/{code}", response_class=HTMLResponse)
async def show_county(request: Request, user: StorefrontVisitor, code: str) -> Response:
    """A county: its badges, the pairings that help it, its verified suppliers and products."""
    media = request_media(request)

    async def build(reading: AsyncSession) -> tuple[str, dict[str, Any]]:
        catalog = await listing.county_catalog(reading, code, media=media)
        return "catalog/storefront_county.html", {"county": catalog.detail, "catalog": catalog}

    return await _cached_page(request, ("county", code), build)
