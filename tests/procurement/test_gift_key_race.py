"""A gift's approval racing an order its submitter places through checkout with the gift's own
Idempotency-Key (`gift-order-{id}`, a valid key), on PostgreSQL.

The approval finds no order with the key (the other is not committed yet), and its INSERT
waits on the unique index until the other commits; then it must answer 409
`idempotency_key_reused` (that key placed another order), not fail on an order it never
wrote. SQLite lets one writer in at a time, so nothing can interleave there: PostgreSQL only.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, text

from app.account.models import User
from app.checkout.service import place_order
from app.core.db import Database, unit_of_work
from app.order.models import Order
from app.order.schemas import PlaceOrderRequest
from app.order.service import PaymentTimeouts
from app.procurement.service.gifts import order_key
from tests.catalog.factories import create_seller
from tests.conftest import Backend
from tests.http_assertions import assert_error
from tests.inventory.factories import stock_of
from tests.order.factories import counts, order_body
from tests.procurement.factories import create_team, gift_path, submitted_gift

_WAITING_ON_A_LOCK = text(
    "SELECT count(*) FROM pg_stat_activity"
    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


@pytest.fixture(autouse=True)
def _postgresql_only(db_backend: Backend) -> None:
    if db_backend.name != "postgresql":
        pytest.skip("SQLite lets one writer in at a time: no transactions interleave")


async def _until_one_waits(database: Database) -> None:
    """Return once a transaction of the test's database waits for a lock (10 s at most)."""
    async with asyncio.timeout(10):
        while True:
            async with unit_of_work(database.reader) as session:
                if await session.scalar(_WAITING_ON_A_LOCK):
                    return
            await asyncio.sleep(0.02)


async def test_an_approval_whose_key_the_submitter_used_meanwhile_is_refused(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    team = await create_team(app, database)
    gifted, own = [await create_seller(database, stock=30) for _ in range(2)]
    gift = await submitted_gift(client, team, [(gifted.sku_ids[0], 2)])
    request = PlaceOrderRequest.model_validate(order_body([(own.sku_ids[0], 1)]))

    async with unit_of_work(database.writer) as session:
        submitter = await session.get(User, team.buyer.id)
        assert submitter is not None
        mine, created = await place_order(
            session,
            buyer=submitter,
            idempotency_key=order_key(gift["id"]),
            request=request,
            timeouts=PaymentTimeouts(),
        )
        assert created
        approval = asyncio.create_task(
            client.post(gift_path(team, f"/{gift['id']}/approve"), headers=team.approver.headers)
        )
        await _until_one_waits(database)
    response = await asyncio.wait_for(approval, timeout=10)

    assert_error(response, 409, "idempotency_key_reused")
    written = await counts(database)
    assert (written.orders, written.payments) == (1, 1)
    async with unit_of_work(database.reader) as session:
        keys = await session.execute(select(Order.id, Order.idempotency_key))
        assert list(keys) == [(mine.id, order_key(gift["id"]))]
    assert await stock_of(database, gifted.sku_ids[0]) == 30
    assert await stock_of(database, own.sku_ids[0]) == 29
    shown = await client.get(gift_path(team, f"/{gift['id']}"), headers=team.buyer.headers)
    assert shown.json()["status"] == "submitted"
