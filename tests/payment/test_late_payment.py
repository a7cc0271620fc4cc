"""A payment that arrives after its order expired is refunded automatically, never kept."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from app.core.db import Database
from app.jobs.runner import JobRunner
from app.order.models import OrderStatus
from app.payment.models import PaymentStatus, RefundStatus
from tests.account.factories import create_api_user
from tests.catalog.factories import create_seller
from tests.inventory.factories import stock_of
from tests.order.factories import pass_deadline
from tests.payment.factories import (
    audit_actions,
    confirm_intent,
    deliver,
    events_of,
    get_order,
    jobs,
    order_row,
    payment_of,
    place_order,
    refunds_of,
    run_outbox,
)
from tests.stripe_fixtures import LocalStripe


async def _expired_after_paying(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> tuple[dict[str, Any], str, int]:
    """An order whose buyer paid at Stripe at the last moment, then expired (only the expiry
    job has run). Returns the order, its intent id and its SKU."""
    supplier = await create_seller(database, stock=5)
    buyer = await create_api_user(database)
    placed = await place_order(client, buyer, [(supplier.sku_ids[0], 2)])
    await run_outbox(runner)
    intent_id = (await payment_of(database, placed["id"])).stripe_payment_intent_id
    assert intent_id is not None
    assert await confirm_intent(localstripe, intent_id) == "succeeded"
    await pass_deadline(database, placed["id"])
    assert await runner.run_once()  # the expiry job, and nothing else yet
    assert (await order_row(database, placed["id"])).status == OrderStatus.CANCELLED
    assert (await payment_of(database, placed["id"])).status == PaymentStatus.CANCELLED
    return placed, intent_id, supplier.sku_ids[0]


async def test_a_webhook_after_expiry_books_the_money_and_refunds_it_in_full(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    placed, intent_id, sku_id = await _expired_after_paying(
        app, client, database, runner, localstripe
    )
    [event] = events_of(localstripe, intent_id, "payment_intent.succeeded")

    assert (await deliver(client, event)).status_code == 200

    payment = await payment_of(database, placed["id"])
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.received_fen == payment.refunded_fen == placed["total_fen"]
    [refund] = await refunds_of(database, placed["id"])
    assert (refund.amount_fen, refund.status, refund.reason) == (
        placed["total_fen"],
        RefundStatus.PENDING,
        "late_payment",
    )
    assert refund.lines == []  # money that bought nothing
    # The order stays cancelled, its stock released once, and no supplier is told to ship.
    assert (await order_row(database, placed["id"])).status == OrderStatus.CANCELLED
    assert await stock_of(database, sku_id) == 5
    assert await jobs(database, "order.notify_supplier") == []
    assert "payment.refund_late_payment" in await audit_actions(database, placed["id"])

    await run_outbox(runner)  # the refund goes to Stripe; the intent's cancellation is refused

    [refund] = await refunds_of(database, placed["id"])
    assert refund.status == RefundStatus.SUCCEEDED
    assert refund.stripe_refund_id is not None
    at_stripe = localstripe.get(f"/v1/refunds/{refund.stripe_refund_id}")
    assert at_stripe["amount"] == placed["total_fen"]
    assert at_stripe["payment_intent"] == intent_id
    assert at_stripe["metadata"] == {"order_id": str(placed["id"]), "refund_id": str(refund.id)}
    # The same event again refunds nothing more.
    assert (await deliver(client, event)).json()["duplicate"] is True
    assert len(await refunds_of(database, placed["id"])) == 1


async def test_without_any_webhook_the_cancellation_job_finds_the_payment_and_refunds_it(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    placed, intent_id, _ = await _expired_after_paying(app, client, database, runner, localstripe)

    # Stripe refuses to cancel a paid intent: the job asks for its state and applies it.
    await run_outbox(runner)

    payment = await payment_of(database, placed["id"])
    assert payment.status == PaymentStatus.SUCCEEDED
    [refund] = await refunds_of(database, placed["id"])
    assert refund.amount_fen == placed["total_fen"]
    assert refund.status == RefundStatus.SUCCEEDED
    refunds = localstripe.get("/v1/refunds", payment_intent=intent_id)["data"]
    assert [r["amount"] for r in refunds] == [placed["total_fen"]]
    # A webhook arriving later still changes nothing.
    [event] = events_of(localstripe, intent_id, "payment_intent.succeeded")
    assert (await deliver(client, event)).json() == {"received": True, "duplicate": False}
    assert len(await refunds_of(database, placed["id"])) == 1
    assert (await payment_of(database, placed["id"])).refunded_fen == placed["total_fen"]


async def test_an_expired_unpaid_order_has_its_intent_cancelled_at_stripe(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    supplier = await create_seller(database)
    buyer = await create_api_user(database)
    placed = await place_order(client, buyer, [(supplier.sku_ids[0], 1)])
    await run_outbox(runner)
    intent_id = (await payment_of(database, placed["id"])).stripe_payment_intent_id

    await pass_deadline(database, placed["id"])
    await run_outbox(runner)

    assert localstripe.get(f"/v1/payment_intents/{intent_id}")["status"] == "canceled"
    order = await get_order(client, buyer, placed["id"])
    assert order["status"] == "cancelled"
    assert order["payment"]["status"] == "cancelled"
    assert order["payment"]["stripe_client_secret"] is None  # the pay page offers nothing
    assert await refunds_of(database, placed["id"]) == []


async def test_an_order_that_expires_before_its_intent_exists_gets_none(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    supplier = await create_seller(database)
    buyer = await create_api_user(database)
    placed = await place_order(client, buyer, [(supplier.sku_ids[0], 1)])
    await pass_deadline(database, placed["id"])

    await run_outbox(runner)  # the intent job runs after the expiry (or beside it)

    assert localstripe.get("/v1/payment_intents")["data"] == []
    assert (await payment_of(database, placed["id"])).status == PaymentStatus.CANCELLED
