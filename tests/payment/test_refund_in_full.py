"""`refund_order_in_full` on its own: it refunds only a paid order, and only what is left."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from app.account.models import User
from app.core.db import Database, unit_of_work
from app.order import service as order_service
from app.payment import service
from app.payment.models import PaymentStatus
from tests.account.factories import create_api_user
from tests.catalog.factories import create_seller
from tests.payment.factories import (
    audit_actions,
    jobs,
    payment_of,
    place_order,
    refunds_of,
)


async def test_an_order_not_paid_is_not_refunded(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, price_fen=1500, stock=10)
    buyer = await create_api_user(database)
    placed = await place_order(client, buyer, [(supplier.sku_ids[0], 2)])
    assert (await payment_of(database, placed["id"])).status == PaymentStatus.PENDING

    async with unit_of_work(database.writer) as session:
        order = await order_service.get_order(session, placed["id"])
        actor = await session.get(User, buyer.id)
        assert actor is not None
        created = await service.refund_order_in_full(session, order, reason="取消", actor=actor)

    assert created is None
    assert await refunds_of(database, placed["id"]) == []
    assert (await payment_of(database, placed["id"])).refunded_fen == 0
    assert await jobs(database, "payment.send_refund") == []
    assert "payment.refund" not in await audit_actions(database, placed["id"])
