"""Fifty buyers race for ten units: exactly ten orders, stock 0, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from app.core.db import Database, unit_of_work
from app.inventory.models import StockMovement
from app.order.models import OrderLine
from tests.account.factories import create_api_user
from tests.catalog.factories import create_seller
from tests.inventory.factories import stock_of
from tests.order.factories import counts, order_body, place
from tests.sql_statements import recorded_statements

BUYERS = 50
STOCK = 10


async def test_fifty_concurrent_checkouts_for_ten_units(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=STOCK)
    sku_id = supplier.sku_ids[0]
    buyers = [await create_api_user(database) for _ in range(BUYERS)]

    responses = await asyncio.gather(
        *(place(client, buyer, order_body([(sku_id, 1)])) for buyer in buyers)
    )

    statuses = Counter(response.status_code for response in responses)
    assert statuses == {201: STOCK, 409: BUYERS - STOCK}, [r.text for r in responses][:3]
    assert {
        response.json()["error"]["code"] for response in responses if response.status_code == 409
    } == {"insufficient_stock"}
    assert await stock_of(database, sku_id) == 0
    written = await counts(database)
    assert written.orders == written.fulfillments == written.payments == STOCK
    async with unit_of_work(database.reader) as session:
        sold = await session.scalar(
            select(func.coalesce(func.sum(OrderLine.quantity), 0)).where(OrderLine.sku_id == sku_id)
        )
        moved = await session.scalar(
            select(func.coalesce(func.sum(StockMovement.delta), 0)).where(
                StockMovement.sku_id == sku_id
            )
        )
    assert sold == STOCK
    assert moved == -STOCK
    # Each winner is a different buyer with a different order number.
    numbers = {response.json()["number"] for response in responses if response.status_code == 201}
    assert len(numbers) == STOCK


async def test_one_buyer_double_submitting_the_same_key_gets_one_order(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=STOCK)
    buyer = await create_api_user(database)
    body = order_body([(supplier.sku_ids[0], 2)])

    responses = await asyncio.gather(*(place(client, buyer, body, key="same") for _ in range(5)))

    assert sorted(r.status_code for r in responses) == [200, 200, 200, 200, 201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert (await counts(database)).orders == 1
    assert await stock_of(database, supplier.sku_ids[0]) == STOCK - 2


async def test_buyers_of_two_hot_skus_in_either_order_each_reserve_in_one_go(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    """Every order's lines hold their SKUs' foreign-key locks while it reserves; orders of the
    same two SKUs, listed either way round, all at once, neither deadlock nor fall back to
    the reservation's usual path (on PostgreSQL one statement sent with the COMMIT)."""
    supplier = await create_seller(database, stock=100, skus=2)
    first, second = supplier.sku_ids
    buyers = [await create_api_user(database) for _ in range(12)]
    bodies = [
        order_body([(first, 2), (second, 1)] if n % 2 else [(second, 1), (first, 2)])
        for n in range(len(buyers))
    ]

    with recorded_statements(database) as seen:
        responses = await asyncio.gather(
            *(place(client, buyer, body) for buyer, body in zip(buyers, bodies, strict=True))
        )

    assert [response.status_code for response in responses] == [201] * len(buyers)
    assert await stock_of(database, first) == 100 - 2 * len(buyers)
    assert await stock_of(database, second) == 100 - len(buyers)
    usual_path = [sql for sql in seen if sql.upper().startswith("UPDATE SKUS")]
    # SQLite: the usual conditional UPDATE per SKU of each order.
    assert len(usual_path) == (0 if database.dialect == "postgresql" else 2 * len(buyers))
