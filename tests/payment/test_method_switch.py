"""An unpaid order switching between card and bank transfer, against localstripe: the intent of
a card payment outlives a switch, so the money is never lost and never taken twice."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.account.models import Role
from app.core.db import Database
from app.jobs.runner import JobRunner
from app.order.models import PaymentMethod
from tests.account.factories import ApiUser, create_api_user
from tests.catalog.factories import Seller, create_seller
from tests.payment.factories import (
    audit_actions,
    confirm_intent,
    deliver,
    events_of,
    get_order,
    order_row,
    payment_of,
    place_order,
    run_outbox,
)
from tests.stripe_fixtures import LocalStripe


@pytest.fixture
async def supplier(database: Database) -> Seller:
    return await create_seller(database, price_fen=2680, stock=10)


@pytest.fixture
async def buyer(app: FastAPI, database: Database) -> ApiUser:
    return await create_api_user(database)


async def _switch(
    client: httpx.AsyncClient, buyer: ApiUser, order_id: int, method: str
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/orders/{order_id}/payment-method",
        json={"payment_method": method},
        headers=buyer.headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_transfer_switched_to_a_card_is_paid_by_card(
    client: httpx.AsyncClient,
    runner: JobRunner,
    localstripe: LocalStripe,
    buyer: ApiUser,
    supplier: Seller,
) -> None:
    placed = await place_order(client, buyer, [(supplier.sku_ids[0], 1)], method="bank_transfer")
    await _switch(client, buyer, placed["id"], "stripe")

    await run_outbox(runner)

    order = await get_order(client, buyer, placed["id"])
    intent_id = order["payment"]["stripe_payment_intent_id"]
    assert intent_id and order["payment"]["stripe_client_secret"]
    assert await confirm_intent(localstripe, intent_id) == "succeeded"
    [event] = events_of(localstripe, intent_id, "payment_intent.succeeded")
    assert (await deliver(client, event)).status_code == 200
    paid = await get_order(client, buyer, placed["id"])
    assert (paid["status"], paid["payment_method"]) == ("paid", "stripe")
    assert paid["payment"]["received_fen"] == placed["total_fen"]


async def test_back_to_a_card_the_first_intent_serves_again(
    client: httpx.AsyncClient,
    runner: JobRunner,
    localstripe: LocalStripe,
    buyer: ApiUser,
    supplier: Seller,
) -> None:
    placed = await place_order(client, buyer, [(supplier.sku_ids[0], 1)])
    await run_outbox(runner)
    intent_id = (await get_order(client, buyer, placed["id"]))["payment"][
        "stripe_payment_intent_id"
    ]

    as_transfer = await _switch(client, buyer, placed["id"], "bank_transfer")
    # No card form for a transfer: the client secret is not handed out.
    assert as_transfer["payment"]["stripe_client_secret"] is None
    back = await _switch(client, buyer, placed["id"], "stripe")
    await run_outbox(runner)

    assert back["payment"]["stripe_payment_intent_id"] == intent_id
    assert back["payment"]["stripe_client_secret"]
    assert [i["id"] for i in localstripe.get("/v1/payment_intents")["data"]] == [intent_id]


async def test_a_card_form_left_open_after_switching_still_pays_by_card(
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
    buyer: ApiUser,
    supplier: Seller,
) -> None:
    placed = await place_order(client, buyer, [(supplier.sku_ids[0], 1)])
    await run_outbox(runner)
    intent_id = (await get_order(client, buyer, placed["id"]))["payment"][
        "stripe_payment_intent_id"
    ]
    await _switch(client, buyer, placed["id"], "bank_transfer")

    # The buyer pays in the tab still showing the card form.
    assert await confirm_intent(localstripe, intent_id) == "succeeded"
    [event] = events_of(localstripe, intent_id, "payment_intent.succeeded")
    assert (await deliver(client, event)).status_code == 200

    order = await get_order(client, buyer, placed["id"])
    assert order["status"] == "paid"
    # Paid by card, so refunds go back through Stripe; no transfer is awaited any more.
    assert order["payment_method"] == "stripe"
    assert (order["payment"]["method"], order["payment"]["bank_reference"]) == ("stripe", None)
    assert (await order_row(database, placed["id"])).payment_method == PaymentMethod.STRIPE


async def test_a_confirmed_transfer_closes_the_card_way(
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
    buyer: ApiUser,
    supplier: Seller,
) -> None:
    placed = await place_order(client, buyer, [(supplier.sku_ids[0], 1)])
    await run_outbox(runner)
    switched = await _switch(client, buyer, placed["id"], "bank_transfer")
    intent_id = switched["payment"]["stripe_payment_intent_id"]
    operator = await create_api_user(database, roles=(Role.CONSUMER, Role.OPERATOR))

    confirmed = await client.post(
        f"/api/v1/admin/orders/{placed['id']}/confirm-payment",
        json={
            "bank_reference": switched["payment"]["bank_reference"],
            "amount_fen": placed["total_fen"],
        },
        headers=operator.headers,
    )
    await run_outbox(runner)

    assert confirmed.status_code == 200, confirmed.text
    assert localstripe.get(f"/v1/payment_intents/{intent_id}")["status"] == "canceled"
    payment = await payment_of(database, placed["id"])
    assert (payment.method, payment.received_fen) == (
        PaymentMethod.BANK_TRANSFER,
        placed["total_fen"],
    )
    assert (await get_order(client, buyer, placed["id"]))["status"] == "paid"
    assert "payment.charged_twice" not in await audit_actions(database, placed["id"])


async def test_a_card_charged_after_the_transfer_was_confirmed_is_flagged_for_a_refund(
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
    buyer: ApiUser,
    supplier: Seller,
) -> None:
    placed = await place_order(client, buyer, [(supplier.sku_ids[0], 1)])
    await run_outbox(runner)
    switched = await _switch(client, buyer, placed["id"], "bank_transfer")
    intent_id = switched["payment"]["stripe_payment_intent_id"]
    operator = await create_api_user(database, roles=(Role.CONSUMER, Role.OPERATOR))
    await client.post(
        f"/api/v1/admin/orders/{placed['id']}/confirm-payment",
        json={
            "bank_reference": switched["payment"]["bank_reference"],
            "amount_fen": placed["total_fen"],
        },
        headers=operator.headers,
    )

    # Before the outbox could cancel the intent, the old card form was used too.
    assert await confirm_intent(localstripe, intent_id) == "succeeded"
    [event] = events_of(localstripe, intent_id, "payment_intent.succeeded")
    assert (await deliver(client, event)).status_code == 200

    payment = await payment_of(database, placed["id"])
    assert (payment.method, payment.received_fen) == (
        PaymentMethod.BANK_TRANSFER,
        placed["total_fen"],
    )
    assert "payment.charged_twice" in await audit_actions(database, placed["id"])
