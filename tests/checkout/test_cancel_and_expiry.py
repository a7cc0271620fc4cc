"""Cancelling by the buyer (unpaid; paid and unshipped, refunded) and expiry of unpaid orders."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.account.models import Role, User
from app.checkout import service as checkout_service
from app.core.db import Database, unit_of_work
from app.inventory.models import MovementReason, StockMovement
from app.jobs.models import JobStatus
from app.jobs.runner import JobRunner
from app.jobs.service import enqueue
from app.order.models import FulfillmentStatus, Order, OrderStatus
from app.payment import service as payment_service
from app.payment.models import Payment, PaymentStatus, Refund
from tests.account.factories import ApiUser, create_api_user, grant
from tests.catalog.factories import Seller, create_seller
from tests.http_assertions import assert_error
from tests.inventory.factories import stock_of
from tests.order.factories import (
    address,
    jobs_named,
    load_order,
    make_due,
    pass_deadline,
    placed_order,
)

STOCK = 10


@pytest.fixture
async def suppliers(database: Database) -> tuple[Seller, Seller]:
    return (
        await create_seller(database, stock=STOCK, price_fen=1500),
        await create_seller(database, stock=STOCK, price_fen=2000),
    )


@pytest.fixture
async def buyer(app: FastAPI, database: Database) -> ApiUser:
    return await create_api_user(database)


async def _order(
    client: httpx.AsyncClient, buyer: ApiUser, suppliers: tuple[Seller, Seller], **extra: Any
) -> dict[str, Any]:
    a, b = suppliers
    return await placed_order(client, buyer, [(a.sku_ids[0], 3), (b.sku_ids[0], 2)], **extra)


async def _stocks(database: Database, suppliers: tuple[Seller, Seller]) -> list[int]:
    return [await stock_of(database, s.sku_ids[0]) for s in suppliers]


async def _payment(database: Database, order_id: int) -> Payment:
    async with unit_of_work(database.reader) as session:
        payment = await session.scalar(select(Payment).where(Payment.order_id == order_id))
        assert payment is not None
        return payment


async def _movements(database: Database, order_id: int) -> list[tuple[int, int, str]]:
    async with unit_of_work(database.reader) as session:
        rows = await session.execute(
            select(StockMovement.sku_id, StockMovement.delta, StockMovement.reason)
            .where(StockMovement.order_id == order_id)
            .order_by(StockMovement.id)
        )
        return [(sku, delta, str(reason)) for sku, delta, reason in rows]


async def _pay_by_transfer(app: FastAPI, database: Database, order: dict[str, Any]) -> None:
    """An operator records the buyer's remittance (the payment domain's real path)."""
    operator = await create_api_user(database)
    await grant(database, operator.id, Role.OPERATOR)
    async with unit_of_work(database.writer) as session:
        actor = await session.get(User, operator.id)
        assert actor is not None
        await payment_service.confirm_bank_transfer(
            session,
            order_id=order["id"],
            bank_reference=order["payment"]["bank_reference"],
            amount_fen=order["total_fen"],
            actor=actor,
        )


async def test_the_buyer_cancels_an_unpaid_order(
    client: httpx.AsyncClient,
    database: Database,
    buyer: ApiUser,
    suppliers: tuple[Seller, Seller],
) -> None:
    order = await _order(client, buyer, suppliers)
    assert await _stocks(database, suppliers) == [STOCK - 3, STOCK - 2]

    response = await client.post(f"/api/v1/orders/{order['id']}/cancel", headers=buyer.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "cancelled"
    assert body["cancel_reason"] == "cancelled_by_buyer"
    assert body["cancellable"] is False
    assert {f["status"] for f in body["fulfillments"]} == {"cancelled"}
    assert body["payment"]["status"] == "cancelled"
    assert await _stocks(database, suppliers) == [STOCK, STOCK]
    released = [m for m in await _movements(database, order["id"]) if m[2] == "released"]
    assert sorted((sku, delta) for sku, delta, _ in released) == sorted(
        [(suppliers[0].sku_ids[0], 3), (suppliers[1].sku_ids[0], 2)]
    )

    # Once is enough: a second cancel is refused and puts nothing back twice.
    again = await client.post(f"/api/v1/orders/{order['id']}/cancel", headers=buyer.headers)
    assert_error(again, 409, "order_not_cancellable")
    assert await _stocks(database, suppliers) == [STOCK, STOCK]
    assert len(await _movements(database, order["id"])) == 4


async def test_the_buyer_cancels_a_paid_order_before_shipping_and_is_refunded(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    buyer: ApiUser,
    suppliers: tuple[Seller, Seller],
) -> None:
    order = await _order(client, buyer, suppliers)
    await _pay_by_transfer(app, database, order)
    member = await create_api_user(database)
    await grant(database, member.id, Role.SUPPLIER_ADMIN, suppliers[0].id)
    fa = next(f for f in order["fulfillments"] if f["cooperative_id"] == suppliers[0].id)
    accepted = await client.post(f"/api/v1/fulfillments/{fa['id']}/accept", headers=member.headers)
    assert accepted.status_code == 200

    response = await client.post(f"/api/v1/orders/{order['id']}/cancel", headers=buyer.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "cancelled"
    assert body["payment"]["refunded_fen"] == order["total_fen"]
    async with unit_of_work(database.reader) as session:
        refunds = list(await session.scalars(select(Refund).where(Refund.order_id == order["id"])))
    assert [r.amount_fen for r in refunds] == [order["total_fen"]]  # goods and shipping
    # Stock back exactly once (not once by the cancellation and again by the refund).
    assert await _stocks(database, suppliers) == [STOCK, STOCK]
    reasons = [reason for _, _, reason in await _movements(database, order["id"])]
    assert reasons.count(MovementReason.RELEASED.value) == 2
    assert MovementReason.RETURNED.value not in reasons


async def test_no_cancelling_once_a_supplier_has_shipped(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    buyer: ApiUser,
    suppliers: tuple[Seller, Seller],
) -> None:
    order = await _order(client, buyer, suppliers)
    await _pay_by_transfer(app, database, order)
    member = await create_api_user(database)
    await grant(database, member.id, Role.SUPPLIER_ADMIN, suppliers[1].id)
    fb = next(f for f in order["fulfillments"] if f["cooperative_id"] == suppliers[1].id)
    await client.post(f"/api/v1/fulfillments/{fb['id']}/accept", headers=member.headers)
    shipped = await client.post(
        f"/api/v1/fulfillments/{fb['id']}/ship",
        json={"carrier": "顺丰速运", "tracking_number": "SF1234567"},
        headers=member.headers,
    )
    assert shipped.status_code == 200

    response = await client.post(f"/api/v1/orders/{order['id']}/cancel", headers=buyer.headers)

    assert_error(response, 409, "order_not_cancellable")
    stored = await load_order(database, order["id"])
    assert stored.status == OrderStatus.PAID
    assert await _stocks(database, suppliers) == [STOCK - 3, STOCK - 2]
    assert (await _payment(database, order["id"])).refunded_fen == 0
    shown = await client.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers)
    assert shown.json()["cancellable"] is False


async def test_an_unpaid_order_expires_and_releases_its_stock_once(
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    buyer: ApiUser,
    suppliers: tuple[Seller, Seller],
) -> None:
    order = await _order(client, buyer, suppliers)
    await runner.run_until_idle()
    assert (await load_order(database, order["id"])).status == OrderStatus.PENDING_PAYMENT

    await pass_deadline(database, order["id"])
    assert await runner.run_until_idle() == 1

    stored = await load_order(database, order["id"])
    assert stored.status == OrderStatus.CANCELLED
    assert stored.cancel_reason == "payment_expired"
    assert await _stocks(database, suppliers) == [STOCK, STOCK]
    assert (await _payment(database, order["id"])).status == PaymentStatus.CANCELLED
    shown = (await client.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers)).json()
    assert {f["status"] for f in shown["fulfillments"]} == {FulfillmentStatus.CANCELLED.value}

    # The job delivered twice (a retry after a lost lease): nothing is released again.
    async with unit_of_work(database.writer) as session:
        await enqueue(session, checkout_service.EXPIRE_ORDER_JOB, {"order_id": order["id"]})
    assert await runner.run_until_idle() == 1
    assert await _stocks(database, suppliers) == [STOCK, STOCK]
    assert len(await _movements(database, order["id"])) == 4
    assert {job.status for job in await jobs_named(database, "checkout.expire_order")} == {
        JobStatus.DONE
    }


async def test_a_paid_order_does_not_expire(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    buyer: ApiUser,
    suppliers: tuple[Seller, Seller],
) -> None:
    order = await _order(client, buyer, suppliers)
    await _pay_by_transfer(app, database, order)

    await pass_deadline(database, order["id"])
    await runner.run_until_idle()

    assert (await load_order(database, order["id"])).status == OrderStatus.PAID
    assert await _stocks(database, suppliers) == [STOCK - 3, STOCK - 2]


async def test_an_expiry_job_that_runs_early_waits_for_the_deadline(
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    buyer: ApiUser,
    suppliers: tuple[Seller, Seller],
) -> None:
    order = await _order(client, buyer, suppliers)
    await make_due(database, checkout_service.EXPIRE_ORDER_JOB)  # the deadline is days away

    await runner.run_until_idle()

    stored = await load_order(database, order["id"])
    assert stored.status == OrderStatus.PENDING_PAYMENT
    assert await _stocks(database, suppliers) == [STOCK - 3, STOCK - 2]
    pending = [
        job
        for job in await jobs_named(database, checkout_service.EXPIRE_ORDER_JOB)
        if job.status == JobStatus.PENDING
    ]
    assert [job.run_after for job in pending] == [stored.expires_at]


async def test_an_expired_order_frees_the_last_units_for_someone_else(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    buyer: ApiUser,
) -> None:
    supplier = await create_seller(database, stock=1)
    order = await placed_order(client, buyer, [(supplier.sku_ids[0], 1)])
    other = await create_api_user(database)
    blocked = await client.post(
        "/api/v1/orders",
        json={
            "shipping_address": address(),
            "payment_method": "bank_transfer",
            "lines": [{"sku_id": supplier.sku_ids[0], "quantity": 1}],
        },
        headers={**other.headers, "Idempotency-Key": "other-1"},
    )
    assert_error(blocked, 409, "insufficient_stock")

    await pass_deadline(database, order["id"])
    await runner.run_until_idle()

    retried = await client.post(
        "/api/v1/orders",
        json={
            "shipping_address": address(),
            "payment_method": "bank_transfer",
            "lines": [{"sku_id": supplier.sku_ids[0], "quantity": 1}],
        },
        headers={**other.headers, "Idempotency-Key": "other-2"},
    )
    assert retried.status_code == 201
    async with unit_of_work(database.reader) as session:
        live = await session.scalar(
            select(func.count()).select_from(Order).where(Order.status != OrderStatus.CANCELLED)
        )
    assert live == 1
