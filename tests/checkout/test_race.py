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
