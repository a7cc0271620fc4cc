"""The listing's caches are the app's: catalog writes through the app's sessions (requests and
the job runner alike) drop cached pages at once, a write the app does not see shows once the
page expires, and an expired page is served stale while one background task rebuilds it."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from app.catalog.indexing import CATALOG_GENERATION, INDEX_GENERATION, enqueue_reindex
from app.catalog.listing.caching import LISTING_PAGES, SEARCH_CACHE_SECONDS
from app.core.cache import Caches
from app.core.db import Database, unit_of_work
from app.jobs.runner import JobRunner
from tests.catalog.factories import create_product, sku
from tests.cooperative.factories import Supplier, create_supplier


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The app's caches on a clock that moves only when the test says so."""
    stopped = Clock()
    monkeypatch.setattr(app.state.caches, "clock", stopped)
    return stopped


@pytest.fixture
async def supplier(client: httpx.AsyncClient, database: Database, runner: JobRunner) -> Supplier:
    seller = await create_supplier(database)
    await create_product(client, seller, title="融水香糯", skus=[sku(price_fen=3980)])
    await runner.run_until_idle()
    return seller


async def _prices(client: httpx.AsyncClient) -> dict[str, int]:
    response = await client.get("/api/v1/products")
    assert response.status_code == 200, response.text
    return {item["title"]: item["min_price_fen"] for item in response.json()["items"]}


async def test_a_catalog_write_bumps_the_generation_when_made_and_when_committed(
    app: FastAPI, database: Database, supplier: Supplier
) -> None:
    caches: Caches = app.state.caches
    before = caches.generations[CATALOG_GENERATION]
    async with unit_of_work(database.writer) as session:
        await enqueue_reindex(session, product_ids=[1])
        assert caches.generations[CATALOG_GENERATION] == before + 1
    assert caches.generations[CATALOG_GENERATION] == before + 2

    other = Database(database.url)  # as a script or another process would write
    try:
        async with unit_of_work(other.writer) as session:
            await enqueue_reindex(session, product_ids=[1])
    finally:
        await other.dispose()
    assert caches.generations[CATALOG_GENERATION] == before + 2


async def test_the_runner_indexes_through_the_apps_backend_and_drops_its_results(
    app: FastAPI, client: httpx.AsyncClient, runner: JobRunner, supplier: Supplier
) -> None:
    assert runner.search is app.state.search
    generations = app.state.caches.generations
    before = generations[INDEX_GENERATION]

    await create_product(client, supplier, title="融水红茶", skus=[sku(price_fen=8800)])
    assert await runner.run_until_idle() >= 1

    assert generations[INDEX_GENERATION] > before
    assert await _prices(client) == {"融水香糯": 3980, "融水红茶": 8800}


async def test_an_unseen_write_shows_after_a_stale_page_is_refreshed_in_the_background(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    supplier: Supplier,
    clock: Clock,
) -> None:
    pages = app.state.caches.refreshing(LISTING_PAGES)
    assert await _prices(client) == {"融水香糯": 3980}
    other = Database(database.url)  # a write this app's caches never hear of
    try:
        async with unit_of_work(other.writer) as session:
            await session.execute(text("UPDATE products SET min_price_fen = 4580"))
    finally:
        await other.dispose()

    assert await _prices(client) == {"融水香糯": 3980}  # fresh: from the cache
    clock.now += SEARCH_CACHE_SECONDS + 0.5
    assert await _prices(client) == {"融水香糯": 3980}  # stale, while a refresh runs
    assert pages.stale_hits == 1
    for _ in range(200):
        if not pages.refreshing:
            break
        await asyncio.sleep(0.01)

    assert await _prices(client) == {"融水香糯": 4580}
    assert pages.refreshing == 0 and pages.stale_hits == 1
