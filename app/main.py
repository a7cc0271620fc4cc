"""create_app(): the application, its lifespan and every domain's routes (the site's contents)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp

from app.account import api as account_api
from app.account import jobs as account_jobs
from app.account import pages as account_pages
from app.admin import api as admin_api
from app.admin import pages as admin_pages
from app.aftersales import api as aftersales_api
from app.aftersales import jobs as aftersales_jobs
from app.aftersales import pages as aftersales_pages
from app.brands import admin_pages as brand_admin_pages
from app.brands import api as brands_api
from app.brands import pages as brands_pages
from app.cart import api as cart_api
from app.cart import pages as cart_pages
from app.catalog import api as catalog_api
from app.catalog import jobs as catalog_jobs
from app.catalog import pages_seo, pages_storefront
from app.catalog.pages import editor as product_editor
from app.catalog.pages import photos as product_photos
from app.catalog.pages import price_monitoring as price_monitoring_pages
from app.catalog.pages import products as portal_products
from app.catalog.pages import skus as product_skus
from app.certification import api as certification_api
from app.certification import pages as certification_pages
from app.checkout import api as checkout_api
from app.checkout import jobs as checkout_jobs
from app.checkout import pages as checkout_pages
from app.checkout import product_shipping
from app.config import Settings, get_settings
from app.cooperative import api as cooperative_api
from app.cooperative import pages as cooperative_pages
from app.core import memory
from app.core.cache import Caches
from app.core.db import Database
from app.core.storage import media_storage
from app.impact import api as impact_api
from app.impact import pages as impact_pages
from app.jobs import media as media_jobs
from app.jobs.runner import JobRunner
from app.order import api as order_api
from app.order import jobs as order_jobs
from app.order import pages as order_pages
from app.organization import api as organization_api
from app.organization.pages import portal as organization_portal
from app.organization.pages import review as organization_review
from app.payment import api as payment_api
from app.payment import jobs as payment_jobs
from app.payment import pages as payment_pages
from app.performance import api as performance_api
from app.performance import pages as performance_pages
from app.procurement import api as procurement_api
from app.procurement import gift_api as procurement_gift_api
from app.procurement import pages as procurement_pages
from app.proof import api as proof_api
from app.proof import pages as proof_pages
from app.regions import api as regions_api
from app.regions import pages as regions_pages
from app.review import api as review_api
from app.review import pages as review_pages
from app.shipping import api as shipping_api
from app.shipping import pages as shipping_pages
from app.trace import api as trace_api
from app.trace import pages as trace_pages
from app.web import api_docs, health
from app.web.caching import ConditionalGetMiddleware
from app.web.compression import GZIP_LEVEL, GZIP_MINIMUM_BYTES, GZipWhenAsked
from app.web.errors import install_error_handlers
from app.web.front_door import FrontDoor
from app.web.i18n import LocaleMiddleware
from app.web.limits import BodySizeLimitMiddleware
from app.web.media import MediaFiles
from app.web.ratelimit import create_attempt_limiter
from app.web.route_index import index_routes
from app.web.security_headers import SecurityHeadersMiddleware
from app.web.static import STATIC_DIR, HashedStaticFiles, manifest
from app.wiring import build_mailer, build_search

SESSION_COOKIE = "fengshou_session"

# Modules whose @job handlers must be registered before a runner starts.
JOB_MODULES = (
    account_jobs,
    order_jobs,
    payment_jobs,
    aftersales_jobs,
    checkout_jobs,
    catalog_jobs,
    media_jobs,
)

log = logging.getLogger(__name__)

# Public reads that answer the same to every anonymous visitor: given an ETag and answered 304
# when unchanged (app.web.caching; never for a signed-in user or a bearer token).
CACHEABLE_PATHS = (
    r"/",
    r"/products",
    r"/products/[^/]+",
    r"/counties/[^/]+",
    r"/suppliers/[0-9]+",
    r"/brands",
    r"/brands/[^/]+",
    r"/trace/[^/]+",
    r"/impact",
    r"/impact/region",
    r"/impact/counties/[^/]+/box",
    r"/api/v1/products",
    r"/api/v1/products/[0-9]+",
    r"/api/v1/suppliers/[0-9]+",
    r"/api/v1/brands",
    r"/api/v1/brands/[^/]+",
    r"/api/v1/regions/counties/[^/]+",
    r"/api/v1/impact/summary",
    r"/api/v1/impact/pairings",
    r"/api/v1/impact/counties/[^/]+",
)
# Compressed already (photos, PDFs, spreadsheets, which are zip files): not worth gzip's time.
INCOMPRESSIBLE = (
    *DEFAULT_EXCLUDED_CONTENT_TYPES,
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)


def build_runner(app: FastAPI, worker_id: str | None = None) -> JobRunner:
    """A job runner sharing the app's database (hence its caches), mailer, HTTP client and
    search backend (jobs index through it; the embedded one in the job's transaction)."""
    state = app.state
    return JobRunner(
        state.database.writer,
        settings=state.settings,
        mailer=state.mailer,
        http=state.http,
        worker_id=worker_id,
        search=state.search,
    )


_heap_frozen = False


def freeze_start_up_heap() -> None:
    """Move what imports made out of the collector's generations, once per process: they
    live as long as it does, and walking them made each full collection stall a request for
    150-250 ms. (The pinyin dictionary, loaded later and only by a process that indexes, is
    not among them; the segmenter's lives in Rust, outside the collector.)"""
    global _heap_frozen
    if not _heap_frozen:
        memory.freeze_heap()
        _heap_frozen = True


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    freeze_start_up_heap()
    settling = asyncio.create_task(
        memory.freeze_heap_as_it_settles(memory.HEAP_SETTLES_AFTER_SECONDS)
    )
    stop = asyncio.Event()
    worker: asyncio.Task[None] | None = None
    if settings.runs_worker_in_process:
        worker = asyncio.create_task(build_runner(app).run_forever(stop))
    try:
        yield
    finally:
        settling.cancel()
        stop.set()
        if worker is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        await app.state.http.aclose()
        await app.state.limits.close()
        # The search backends hold no connection of their own to close (the embedded one uses
        # the app's engine, Meilisearch's client opens one per request).
        await app.state.caches.aclose()
        await app.state.database.dispose()


class Fengshou(FastAPI):
    """The application: FastAPI with the security headers outside everything, Starlette's
    ServerErrorMiddleware included, so that a 500 page carries them too; and the front door
    before them (app.web.front_door)."""

    def build_middleware_stack(self) -> ASGIApp:
        settings: Settings = self.state.settings
        secured = SecurityHeadersMiddleware(
            super().build_middleware_stack(), hsts=settings.session_cookie_secure
        )
        # In front of everything: a kept page for a visitor without cookies is answered there.
        door: FrontDoor = self.state.front_door
        return door.opening_onto(secured)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = Fengshou(
        title="Fengshou 丰收",
        summary="Consumption-assistance marketplace for products of poverty-lifted counties",
        version="0.1.0",
        lifespan=lifespan,
        # /docs is app.web.api_docs (served from the site, as the CSP wants); no ReDoc.
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        # No OpenTelemetry is configured: FastAPI's native telemetry would only check, on every
        # request, for providers that are not there.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    # Built here rather than in the lifespan, so that an app is usable as soon as it exists;
    # the lifespan only starts the in-process worker and closes these on shutdown.
    app.state.settings = settings
    app.state.database = Database(settings.database_url, echo=settings.database_echo)
    # The app's caches (docs/adr/0006-caching.md). Routes hand them to what they call; every
    # session of the app carries them, so that a write anywhere invalidates what it staled.
    app.state.caches = Caches()
    app.state.caches.attach(
        app.state.database.writer, app.state.database.reader, app.state.database.page_reader
    )
    # Answers kept pages to visitors without cookies before the middleware (app.web.front_door).
    app.state.front_door = FrontDoor(secret_key=settings.secret_key, session_cookie=SESSION_COOKIE)
    app.state.http = httpx.AsyncClient(timeout=httpx.Timeout(10.0))
    app.state.mailer = build_mailer(settings)
    settings.media_dir.mkdir(parents=True, exist_ok=True)
    app.state.media = media_storage(settings.media_dir)
    app.state.search = build_search(settings, app.state.database)
    # The product page's shipping line needs buyers' addresses and suppliers' shipping rules,
    # which live above the catalog (app.catalog.deps.ShippingEstimator).
    app.state.shipping_estimator = product_shipping.estimate_product_shipping
    app.state.buyer_region = product_shipping.default_delivery_county
    # Sign-in and sign-up limits (app/account/limits.py), shared through Redis when configured.
    app.state.limits = create_attempt_limiter(settings.redis_url, prefix="fengshou:limits")

    # Added innermost first: the body limit wraps everything.
    app.add_middleware(LocaleMiddleware)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie=SESSION_COOKIE,
        same_site="lax",
        https_only=settings.session_cookie_secure,
        # The cookie lives as long as the server-side session it names (app/account/sessions.py).
        max_age=settings.session_ttl_seconds,
    )
    # Outside the session and the locale, so that it sees the cookies they set.
    app.add_middleware(ConditionalGetMiddleware, paths=CACHEABLE_PATHS)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    # Streams stay streams (each chunk is flushed), and a 206 or an answer with its own
    # Content-Encoding (a kept body gzipped once: app.web.compression) is left alone.
    app.add_middleware(
        GZipWhenAsked,
        minimum_size=GZIP_MINIMUM_BYTES,
        compresslevel=GZIP_LEVEL,
        exclude_content_types=INCOMPRESSIBLE,
    )

    # Hashed once per process, for static_url() in the templates.
    manifest(STATIC_DIR)
    app.mount("/static", HashedStaticFiles(directory=STATIC_DIR), name="static")
    app.mount("/media", MediaFiles(directory=settings.media_dir, check_dir=False), name="media")
    app.router.routes.append(health.LIVENESS)
    app.include_router(health.router)
    # Routes are matched in order, each costing a few microseconds: the pages shoppers open
    # most (home, listing, product and county pages; no path of theirs is another's) first.
    app.include_router(pages_storefront.router)
    app.include_router(api_docs.router)
    app.include_router(pages_seo.router)
    # The site's table of contents: JSON API first, then pages.
    for router in (
        account_api.router,
        regions_api.router,
        cooperative_api.router,
        organization_api.router,
        certification_api.router,
        catalog_api.router,
        performance_api.router,
        shipping_api.router,
        cart_api.router,
        order_api.router,
        trace_api.router,
        review_api.router,
        payment_api.router,
        checkout_api.router,
        aftersales_api.router,
        procurement_api.router,
        procurement_gift_api.router,
        impact_api.router,
        brands_api.router,
        proof_api.router,
        admin_api.router,
        account_pages.router,
        regions_pages.router,
        performance_pages.router,
        price_monitoring_pages.router,
        cooperative_pages.router,
        organization_portal.router,
        organization_review.router,
        certification_pages.router,
        portal_products.router,
        product_editor.router,
        product_skus.router,
        product_photos.router,
        shipping_pages.router,
        cart_pages.router,
        order_pages.router,
        trace_pages.router,
        review_pages.router,
        payment_pages.router,
        checkout_pages.router,
        aftersales_pages.router,
        procurement_pages.router,
        impact_pages.router,
        brands_pages.router,
        brand_admin_pages.router,
        proof_pages.router,
        admin_pages.router,
    ):
        app.include_router(router)

    install_error_handlers(app)
    # Last: a route skips at a glance a request whose path it cannot match (app/web/route_index).
    index_routes(app.router.routes)
    return app
