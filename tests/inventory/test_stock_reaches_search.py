"""A product's in-stock flag flipped by a sale or a release reaches the search index."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.catalog.indexing import REINDEX_JOB
from app.catalog.models import Sku
from app.core.clock import china_date, utcnow
from app.core.db import Database, unit_of_work
from app.inventory import service
from app.inventory.models import MovementReason
from app.jobs.models import Job, JobStatus
from app.jobs.runner import JobRunner
from search import ProductQuery
from tests.catalog.factories import create_sku, sync_search_index
from tests.cooperative.factories import create_cooperative
from tests.search.analysis import CountingAnalyzer


async def _pending_reindex(database: Database) -> list[list[int]]:
    """Product ids of each pending reindex job."""
    async with unit_of_work(database.reader) as session:
        jobs = await session.scalars(
            select(Job).where(Job.name == REINDEX_JOB, Job.status == JobStatus.PENDING)
        )
        return [list(job.payload["product_ids"]) for job in jobs]


async def _found(app: FastAPI, *, in_stock: bool) -> set[int]:
    result = await app.state.search.search(ProductQuery(in_stock=in_stock), china_date(utcnow()))
    return set(result.ids)


async def test_selling_the_last_unit_and_releasing_it_reach_the_index(
    app: FastAPI, database: Database, runner: JobRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    supplier = await create_cooperative(database)
    last = await create_sku(database, cooperative_id=supplier, stock=1, title="隆安香蕉")
    plenty = await create_sku(database, cooperative_id=supplier, stock=5, title="隆安火龙果")
    await sync_search_index(database)
    assert await _found(app, in_stock=True) == {last.product_id, plenty.product_id}
    # The texts of a product whose stock flipped are not analysed again (the index keeps their
    # tokens): a worker needs no text dictionaries for it.
    counting = CountingAnalyzer(app.state.search.analyzer)
    monkeypatch.setattr(app.state.search, "analyzer", counting)

    async with unit_of_work(database.writer) as session:
        await service.reserve_stock(session, [(last.id, 1), (plenty.id, 1)], order_id=7)
    # Only the product that sold out is reindexed.
    assert await _pending_reindex(database) == [[last.product_id]]
    await runner.run_until_idle()
    assert await _found(app, in_stock=True) == {plenty.product_id}
    assert await _found(app, in_stock=False) == {last.product_id}

    async with unit_of_work(database.writer) as session:
        await service.release_stock(
            session, [(last.id, 1)], order_id=7, reason=MovementReason.RELEASED
        )
    assert await _pending_reindex(database) == [[last.product_id]]
    await runner.run_until_idle()
    assert await _found(app, in_stock=True) == {last.product_id, plenty.product_id}
    assert await _found(app, in_stock=False) == set()
    assert counting.analysed == []


async def test_a_sale_that_leaves_stock_enqueues_no_reindex(
    app: FastAPI, database: Database
) -> None:
    supplier = await create_cooperative(database)
    small = await create_sku(database, cooperative_id=supplier, stock=1)
    # A second SKU keeps the product in stock when the first sells out.
    await create_sku(database, cooperative_id=supplier, stock=3, product_id=small.product_id)
    other = await create_sku(database, cooperative_id=supplier, stock=4)

    async with unit_of_work(database.writer) as session:
        await service.reserve_stock(session, [(small.id, 1), (other.id, 2)], order_id=8)
        await service.release_stock(
            session, [(other.id, 2)], order_id=8, reason=MovementReason.RELEASED
        )

    assert await _pending_reindex(database) == []


async def test_setting_stock_to_zero_and_back_reindexes_the_product(
    app: FastAPI, database: Database, runner: JobRunner
) -> None:
    supplier = await create_cooperative(database)
    ref = await create_sku(database, cooperative_id=supplier, stock=2)
    await sync_search_index(database)

    for stock, expected in ((0, False), (6, True)):
        async with unit_of_work(database.writer) as session:
            sku = await session.get_one(Sku, ref.id)
            await service.set_stock(session, sku, stock)
        assert await _pending_reindex(database) == [[ref.product_id]]
        await runner.run_until_idle()
        assert await _found(app, in_stock=expected) == {ref.product_id}
