"""Payment methods: only those the site is set up to take are offered, and an unpaid order
switches between card and bank transfer without being ordered again (POST
/api/v1/orders/{id}/payment-method and the pay page's button): same order, same stock, a
deadline of the new method's length that switching cannot stretch."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from app.checkout import service as checkout_service
from app.config import Settings
from app.core.clock import utcnow
from app.core.db import Database, unit_of_work
from app.inventory.models import StockMovement
from app.order.models import Order, OrderStatus, PaymentMethod
from app.payment.models import Payment, PaymentStatus
from tests.account.factories import (
    ApiUser,
    create_api_user,
    create_user,
    csrf_token_in,
    sign_in_page,
    token_headers,
)
from tests.catalog.factories import Seller, create_seller
from tests.conftest import Backend, make_settings
from tests.http_assertions import assert_error
from tests.inventory.factories import stock_of
from tests.order.factories import (
    counts,
    fill_cart,
    jobs_named,
    load_order,
    mark_paid,
    order_body,
    place,
    placed_order,
)
from tests.stripe_fixtures import CARD_PAYMENTS_UNREACHABLE

NO_CARDS: dict[str, object] = {}
CARD_TIMEOUT = timedelta(minutes=30)
TRANSFER_TIMEOUT = timedelta(hours=120)
SLACK = timedelta(seconds=30)


@pytest.fixture
def settings(db_backend: Backend, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """Card payments set up (Stripe unreachable: no job here pays), unless a test asks for
    the test settings' own (no Stripe) with `indirect` NO_CARDS."""
    overrides = getattr(request, "param", CARD_PAYMENTS_UNREACHABLE)
    return make_settings(db_backend.url, tmp_path / "var", **overrides)


@pytest.fixture
async def supplier(database: Database) -> Seller:
    return await create_seller(database, stock=10, price_fen=1500)


@pytest.fixture
async def buyer(app: FastAPI, database: Database) -> ApiUser:
    return await create_api_user(database)


async def _switch(
    client: httpx.AsyncClient, buyer: ApiUser, order_id: int, method: str
) -> httpx.Response:
    return await client.post(
        f"/api/v1/orders/{order_id}/payment-method",
        json={"payment_method": method},
        headers=buyer.headers,
    )


async def _payment(database: Database, order_id: int) -> Payment:
    async with unit_of_work(database.reader) as session:
        payment = await session.scalar(select(Payment).where(Payment.order_id == order_id))
        assert payment is not None
        return payment


async def _movements(database: Database, order_id: int) -> int:
    async with unit_of_work(database.reader) as session:
        rows = await session.scalars(
            select(StockMovement.id).where(StockMovement.order_id == order_id)
        )
        return len(list(rows))


async def _order(
    client: httpx.AsyncClient, buyer: ApiUser, supplier: Seller, method: str
) -> dict[str, Any]:
    return await placed_order(client, buyer, [(supplier.sku_ids[0], 2)], method=method)


async def test_stripe_orders_expire_after_the_card_timeout(
    client: httpx.AsyncClient, database: Database, buyer: ApiUser, supplier: Seller
) -> None:
    response = await place(client, buyer, order_body([(supplier.sku_ids[0], 1)], method="stripe"))

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["payment"]["method"] == "stripe"
    assert body["payment"]["status"] == "pending"
    stored = await load_order(database, body["id"])
    assert stored.expires_at is not None
    assert abs(stored.expires_at - stored.created_at - CARD_TIMEOUT) < timedelta(seconds=5)
    # The PaymentIntent is created by the outbox once the order has committed.
    assert [job.payload for job in await jobs_named(database, "payment.create_payment_intent")] == [
        {"order_id": body["id"]}
    ]


@pytest.mark.parametrize(
    "settings", [{**CARD_PAYMENTS_UNREACHABLE, "order_payment_timeout_minutes": 10}], indirect=True
)
async def test_a_configured_card_timeout_expires_the_order_then_and_not_before(
    client: httpx.AsyncClient,
    database: Database,
    buyer: ApiUser,
    supplier: Seller,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    timeout = timedelta(minutes=10)  # the setting, not the default of 30
    order = await _order(client, buyer, supplier, "stripe")
    stored = await load_order(database, order["id"])
    assert stored.expires_at is not None
    assert abs(stored.expires_at - stored.created_at - timeout) < timedelta(seconds=5)
    [expiry] = await jobs_named(database, checkout_service.EXPIRE_ORDER_JOB)
    assert expiry.run_after == stored.expires_at

    async def expire_at(moment: datetime) -> bool:
        # The expiry job's own check, on a clock that reads `moment`.
        monkeypatch.setattr(checkout_service, "utcnow", lambda: moment)
        async with unit_of_work(database.writer) as session:
            return await checkout_service.expire_order(session, order["id"])

    assert await expire_at(stored.created_at + timeout - timedelta(seconds=5)) is False
    assert (await load_order(database, order["id"])).status == OrderStatus.PENDING_PAYMENT
    assert await stock_of(database, supplier.sku_ids[0]) == 8

    assert await expire_at(stored.created_at + timeout + timedelta(seconds=5)) is True
    expired = await load_order(database, order["id"])
    assert (expired.status, expired.cancel_reason) == (OrderStatus.CANCELLED, "payment_expired")
    assert await stock_of(database, supplier.sku_ids[0]) == 10
    assert (await _payment(database, order["id"])).status == PaymentStatus.CANCELLED


async def test_cancelling_an_unpaid_card_order_stops_its_payment(
    client: httpx.AsyncClient, database: Database, buyer: ApiUser, supplier: Seller
) -> None:
    order = await _order(client, buyer, supplier, "stripe")

    response = await client.post(f"/api/v1/orders/{order['id']}/cancel", headers=buyer.headers)

    assert response.status_code == 200
    assert (await _payment(database, order["id"])).status == PaymentStatus.CANCELLED


@pytest.mark.parametrize("settings", [NO_CARDS], indirect=True)
async def test_a_card_order_is_refused_where_stripe_is_not_set_up(
    client: httpx.AsyncClient, database: Database, buyer: ApiUser, supplier: Seller
) -> None:
    before = await counts(database)

    response = await place(client, buyer, order_body([(supplier.sku_ids[0], 1)], method="stripe"))

    error = assert_error(response, 422, "payment_method_unavailable")
    assert error["fields"] == {"payment_method": "one of bank_transfer"}
    assert await counts(database) == before
    assert await stock_of(database, supplier.sku_ids[0]) == 10


async def test_a_card_order_switches_to_a_transfer_and_keeps_its_stock(
    client: httpx.AsyncClient, database: Database, buyer: ApiUser, supplier: Seller
) -> None:
    order = await _order(client, buyer, supplier, "stripe")
    movements = await _movements(database, order["id"])

    response = await _switch(client, buyer, order["id"], "bank_transfer")

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["id"], body["number"], body["total_fen"]) == (
        order["id"],
        order["number"],
        order["total_fen"],
    )
    assert body["payment_method"] == "bank_transfer"
    assert body["payment"]["method"] == "bank_transfer"
    assert body["payment"]["bank_reference"] == "FS" + re.sub(r"\D", "", order["number"])
    assert body["payment"]["stripe_client_secret"] is None
    assert (await counts(database)).orders == 1
    assert await _movements(database, order["id"]) == movements  # nothing released or taken
    assert await stock_of(database, supplier.sku_ids[0]) == 8
    stored = await load_order(database, order["id"])
    assert stored.expires_at is not None
    assert abs(stored.expires_at - (stored.created_at + TRANSFER_TIMEOUT)) < SLACK
    # The same method again changes nothing.
    again = await _switch(client, buyer, order["id"], "bank_transfer")
    assert again.status_code == 200
    assert again.json()["payment"] == body["payment"]


async def test_a_transfer_switches_to_a_card_with_a_card_deadline(
    client: httpx.AsyncClient, database: Database, buyer: ApiUser, supplier: Seller
) -> None:
    order = await _order(client, buyer, supplier, "bank_transfer")
    assert await jobs_named(database, "payment.create_payment_intent") == []

    response = await _switch(client, buyer, order["id"], "stripe")

    assert response.status_code == 200, response.text
    payment = response.json()["payment"]
    assert (payment["method"], payment["status"], payment["bank_reference"]) == (
        "stripe",
        "pending",
        None,
    )
    stored = await load_order(database, order["id"])
    assert stored.payment_method == PaymentMethod.STRIPE
    assert stored.expires_at is not None
    assert abs(stored.expires_at - (utcnow() + CARD_TIMEOUT)) < SLACK
    # Its PaymentIntent is on its way, and the order expires at the earlier card deadline.
    intents = await jobs_named(database, "payment.create_payment_intent")
    assert [job.payload for job in intents] == [{"order_id": order["id"]}]
    expiries = await jobs_named(database, "checkout.expire_order")
    assert len(expiries) == 2
    assert abs(expiries[-1].run_after - stored.expires_at) < timedelta(seconds=1)


async def test_switching_back_and_forth_cannot_hold_stock_longer(
    client: httpx.AsyncClient, database: Database, buyer: ApiUser, supplier: Seller
) -> None:
    order = await _order(client, buyer, supplier, "bank_transfer")
    # A hundred hours later: switching to a card and back does not start 120 hours afresh.
    async with unit_of_work(database.writer) as session:
        await session.execute(
            update(Order)
            .where(Order.id == order["id"])
            .values(created_at=utcnow() - timedelta(hours=100))
        )

    await _switch(client, buyer, order["id"], "stripe")
    await _switch(client, buyer, order["id"], "bank_transfer")

    stored = await load_order(database, order["id"])
    assert stored.expires_at is not None
    assert abs(stored.expires_at - (utcnow() + timedelta(hours=20))) < SLACK


async def test_a_paid_or_cancelled_order_keeps_its_method(
    client: httpx.AsyncClient, database: Database, buyer: ApiUser, supplier: Seller
) -> None:
    paid = await _order(client, buyer, supplier, "bank_transfer")
    await mark_paid(database, paid["id"])
    cancelled = await _order(client, buyer, supplier, "stripe")
    await client.post(f"/api/v1/orders/{cancelled['id']}/cancel", headers=buyer.headers)

    assert_error(await _switch(client, buyer, paid["id"], "stripe"), 409, "payment_method_locked")
    assert_error(
        await _switch(client, buyer, cancelled["id"], "bank_transfer"), 409, "payment_method_locked"
    )
    assert (await load_order(database, cancelled["id"])).payment_method == PaymentMethod.STRIPE


async def test_a_transfer_reported_as_sent_keeps_its_method(
    client: httpx.AsyncClient, database: Database, buyer: ApiUser, supplier: Seller
) -> None:
    order = await _order(client, buyer, supplier, "bank_transfer")
    reported = await client.post(f"/api/v1/orders/{order['id']}/remittance", headers=buyer.headers)
    assert reported.status_code == 200, reported.text

    response = await _switch(client, buyer, order["id"], "stripe")

    assert_error(response, 409, "payment_method_locked")
    assert (await _payment(database, order["id"])).method == PaymentMethod.BANK_TRANSFER


@pytest.mark.parametrize("settings", [NO_CARDS], indirect=True)
async def test_no_switch_to_a_method_the_site_does_not_take(
    client: httpx.AsyncClient, database: Database, buyer: ApiUser, supplier: Seller
) -> None:
    order = await _order(client, buyer, supplier, "bank_transfer")

    response = await _switch(client, buyer, order["id"], "stripe")

    assert_error(response, 422, "payment_method_unavailable")
    assert (await _payment(database, order["id"])).method == PaymentMethod.BANK_TRANSFER


async def test_bad_requests_and_other_buyers_orders(
    client: httpx.AsyncClient, database: Database, buyer: ApiUser, supplier: Seller
) -> None:
    order = await _order(client, buyer, supplier, "stripe")
    other = await create_api_user(database)

    assert_error(await _switch(client, other, order["id"], "bank_transfer"), 404, "order_not_found")
    assert (await _switch(client, buyer, order["id"], "cash")).status_code == 422
    assert (
        await client.post(
            f"/api/v1/orders/{order['id']}/payment-method", json={"payment_method": "bank_transfer"}
        )
    ).status_code == 401
    assert (await _payment(database, order["id"])).method == PaymentMethod.STRIPE


# ---------------------------------------------------------------------------------------------
# The pages


async def _signed_in(client: httpx.AsyncClient, database: Database) -> ApiUser:
    user_id = await create_user(database, email="lina@example.com", display_name="李娜")
    assert (await sign_in_page(client, "lina@example.com")).status_code == 303
    return ApiUser(user_id, {})


async def test_a_card_payment_goes_on_to_the_pay_page_and_offers_a_transfer(
    client: httpx.AsyncClient, database: Database, supplier: Seller
) -> None:
    user = await _signed_in(client, database)
    await fill_cart(database, user.id, [(supplier.sku_ids[0], 1)])
    page = await client.get("/checkout")
    assert 'name="payment_method" value="stripe" checked' in page.text  # the first offered
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text)
    assert key is not None

    placed = await client.post(
        "/checkout",
        data={
            "csrf_token": csrf_token_in(page.text),
            "idempotency_key": key.group(1),
            "address_id": "new",
            "name": "李娜",
            "phone": "13912345678",
            "county_code": "110105",
            "detail": "建国路 88 号 SOHO 现代城",
            "payment_method": "stripe",
        },
    )

    assert placed.status_code == 303
    assert re.fullmatch(r"/orders/\d+/pay", placed.headers["location"])
    pay = await client.get(placed.headers["location"])
    assert "改用对公转账" in pay.text
    order_id = int(placed.headers["location"].split("/")[2])
    switched = await client.post(
        f"/orders/{order_id}/payment-method",
        data={"csrf_token": csrf_token_in(pay.text), "payment_method": "bank_transfer"},
    )
    assert switched.status_code == 303
    assert switched.headers["location"] == f"/orders/{order_id}/pay?switched=1"
    shown = await client.get(switched.headers["location"])
    assert "支付方式已更换" in shown.text
    assert 'id="bank-reference"' in shown.text and "我已汇款" in shown.text
    assert "改用银行卡支付" in shown.text


@pytest.mark.parametrize("settings", [NO_CARDS], indirect=True)
async def test_a_card_order_on_a_site_without_cards_is_switched_not_stranded(
    client: httpx.AsyncClient, database: Database, supplier: Seller
) -> None:
    user = await _signed_in(client, database)
    order = await placed_order(
        client, await create_api_user(database), [(supplier.sku_ids[0], 1)]
    )  # someone else's, for the 404 below
    mine = await placed_order(
        client,
        ApiUser(user.id, token_headers(user.id)),
        [(supplier.sku_ids[0], 1)],
    )
    # Placed while cards were taken: its payment waits for a card the site cannot take.
    async with unit_of_work(database.writer) as session:
        await session.execute(
            update(Order).where(Order.id == mine["id"]).values(payment_method=PaymentMethod.STRIPE)
        )
        await session.execute(
            update(Payment)
            .where(Payment.order_id == mine["id"])
            .values(method=PaymentMethod.STRIPE, bank_reference=None)
        )

    pay = await client.get(f"/orders/{mine['id']}/pay")

    assert "本站暂未开通银行卡支付" in pay.text
    assert "改用对公转账" in pay.text
    assert "pay.js" not in pay.text
    switched = await client.post(
        f"/orders/{mine['id']}/payment-method",
        data={"csrf_token": csrf_token_in(pay.text), "payment_method": "bank_transfer"},
    )
    assert switched.status_code == 303
    assert (await _payment(database, mine["id"])).method == PaymentMethod.BANK_TRANSFER
    refused = await client.post(
        f"/orders/{mine['id']}/payment-method",
        data={"csrf_token": csrf_token_in(pay.text), "payment_method": "stripe"},
    )
    assert refused.headers["location"] == f"/orders/{mine['id']}/pay?refused=method"
    assert "不能再更换支付方式" in (await client.get(refused.headers["location"])).text
    theirs = await client.post(
        f"/orders/{order['id']}/payment-method",
        data={"csrf_token": csrf_token_in(pay.text), "payment_method": "bank_transfer"},
    )
    assert theirs.status_code == 404
