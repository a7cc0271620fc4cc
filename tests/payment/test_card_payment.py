"""Card payments end to end against localstripe: intent, confirmation, signed webhook, paid."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from app.core.db import Database, unit_of_work
from app.jobs.models import JobStatus
from app.jobs.runner import JobRunner
from app.payment.models import Payment, PaymentStatus, StripeEvent
from tests.account.factories import create_api_user
from tests.catalog.factories import create_seller
from tests.payment.factories import (
    confirm_intent,
    count_rows,
    deliver,
    events_of,
    get_order,
    jobs,
    order_row,
    payment_of,
    place_order,
    run_outbox,
    stored_events,
)
from tests.stripe_fixtures import LocalStripe

NOTIFY_SUPPLIER = "order.notify_supplier"


async def test_a_card_payment_from_order_to_paid(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    a = await create_seller(database, price_fen=1250, stock=10)
    b = await create_seller(database, price_fen=3000, stock=10)
    buyer = await create_api_user(database)

    placed = await place_order(client, buyer, [(a.sku_ids[0], 2), (b.sku_ids[0], 1)])

    # The order committed without talking to Stripe: the intent is the outbox's job.
    assert placed["payment"]["method"] == "stripe"
    assert placed["payment"]["status"] == "pending"
    assert placed["payment"]["stripe_payment_intent_id"] is None
    assert localstripe.get("/v1/payment_intents")["data"] == []
    assert [j.status for j in await jobs(database, "payment.create_payment_intent")] == [
        JobStatus.PENDING
    ]

    await run_outbox(runner)

    order = await get_order(client, buyer, placed["id"])
    intent_id = order["payment"]["stripe_payment_intent_id"]
    secret = order["payment"]["stripe_client_secret"]
    assert intent_id and secret and secret.startswith(f"{intent_id}_secret_")
    intent = localstripe.get(f"/v1/payment_intents/{intent_id}")
    assert intent["amount"] == placed["total_fen"] == 2 * 1250 + 3000 + 2 * 1000
    assert intent["currency"] == "cny"
    assert intent["metadata"] == {"order_id": str(placed["id"]), "order_number": placed["number"]}

    assert await confirm_intent(localstripe, intent_id) == "succeeded"
    # Confirmed at Stripe, but the order waits for Stripe's word through the webhook.
    assert (await get_order(client, buyer, placed["id"]))["status"] == "pending_payment"
    [event] = events_of(localstripe, intent_id, "payment_intent.succeeded")

    response = await deliver(client, event)

    assert response.status_code == 200, response.text
    assert response.json() == {"received": True, "duplicate": False}
    order = await get_order(client, buyer, placed["id"])
    assert order["status"] == "paid"
    assert order["paid_at"] is not None
    assert order["payment"]["status"] == "succeeded"
    assert order["payment"]["received_fen"] == placed["total_fen"]
    assert order["payment"]["stripe_client_secret"] is None  # nothing left to pay
    # Each supplier is told of its own fulfilment, once.
    notices = await jobs(database, NOTIFY_SUPPLIER)
    assert sorted(j.payload["fulfillment_id"] for j in notices) == sorted(
        f["id"] for f in placed["fulfillments"]
    )
    async with unit_of_work(database.reader) as session:
        stored = await session.get(StripeEvent, event["id"])
        assert stored is not None
        assert stored.type == "payment_intent.succeeded"
        assert stored.payment_intent_id == intent_id
        assert stored.processed_at is not None


async def test_the_intent_job_is_safe_to_run_twice(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    from app.payment import service
    from app.payment.stripe_gateway import StripeGateway

    a = await create_seller(database)
    buyer = await create_api_user(database)
    placed = await place_order(client, buyer, [(a.sku_ids[0], 1)])
    settings = app.state.settings

    async def create() -> str | None:
        async with (
            unit_of_work(database.writer) as session,
            StripeGateway.from_settings(settings) as gateway,
        ):
            payment = await service.create_payment_intent(session, gateway, order_id=placed["id"])
            return payment.stripe_payment_intent_id

    first = await create()
    second = await create()
    await run_outbox(runner)  # the queued job, a third time

    assert first is not None and first == second
    assert (await payment_of(database, placed["id"])).stripe_payment_intent_id == first
    assert [i["id"] for i in localstripe.get("/v1/payment_intents")["data"]] == [first]


async def test_a_declined_card_fails_the_attempt_and_the_order_stays_payable(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    a = await create_seller(database)
    buyer = await create_api_user(database)
    placed = await place_order(client, buyer, [(a.sku_ids[0], 1)])
    await run_outbox(runner)
    intent_id = (await payment_of(database, placed["id"])).stripe_payment_intent_id
    assert intent_id is not None

    assert await confirm_intent(localstripe, intent_id, "pm_card_chargeCustomerFail") == "declined"
    [failed] = events_of(localstripe, intent_id, "payment_intent.payment_failed")
    assert (await deliver(client, failed)).status_code == 200

    order = await get_order(client, buyer, placed["id"])
    assert order["status"] == "pending_payment"
    assert order["payment"]["status"] == "failed"
    assert order["payment"]["failure_message"] == "Your card was declined."
    # The buyer may try again, with the same intent.
    assert order["payment"]["stripe_client_secret"]
    assert await jobs(database, NOTIFY_SUPPLIER) == []

    assert await confirm_intent(localstripe, intent_id, "pm_card_visa") == "succeeded"
    [succeeded] = events_of(localstripe, intent_id, "payment_intent.succeeded")
    assert (await deliver(client, succeeded)).status_code == 200

    order = await get_order(client, buyer, placed["id"])
    assert order["status"] == "paid"
    assert order["payment"]["status"] == "succeeded"
    assert order["payment"]["failure_message"] is None


async def test_replaying_every_webhook_five_times_in_reverse_order_pays_each_order_once(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    supplier = await create_seller(database, stock=20)
    buyer = await create_api_user(database)
    orders = [await place_order(client, buyer, [(supplier.sku_ids[0], n)]) for n in (1, 2, 3)]
    await run_outbox(runner)
    intents = [(await payment_of(database, o["id"])).stripe_payment_intent_id for o in orders]
    # The first order is paid at the second attempt: its events include a failure.
    assert intents[0] is not None
    assert await confirm_intent(localstripe, intents[0], "pm_card_chargeCustomerFail") == "declined"
    for intent_id in intents:
        assert intent_id is not None
        assert await confirm_intent(localstripe, intent_id) == "succeeded"
    events = localstripe.events()
    assert len(events) == 4

    for _ in range(5):
        for event in reversed(events):
            response = await deliver(client, event)
            assert response.status_code == 200, response.text

    for placed in orders:
        order = await get_order(client, buyer, placed["id"])
        assert order["status"] == "paid"
        # The failure, delivered after the success, did not undo it.
        assert order["payment"]["status"] == "succeeded"
        assert order["payment"]["received_fen"] == placed["total_fen"]
    async with unit_of_work(database.reader) as session:
        payments = list(await session.scalars(select(Payment)))
    assert sorted(p.order_id for p in payments if p.status == PaymentStatus.SUCCEEDED) == sorted(
        o["id"] for o in orders
    )
    assert await stored_events(database) == 4
    # Paid once each: one notice per fulfilment, never more.
    assert len(await jobs(database, NOTIFY_SUPPLIER)) == 3


async def test_the_same_event_delivered_twice_at_once_is_applied_once(
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
    assert intent_id is not None
    await confirm_intent(localstripe, intent_id)
    [event] = events_of(localstripe, intent_id, "payment_intent.succeeded")

    responses = await asyncio.gather(*(deliver(client, event) for _ in range(4)))

    assert [r.status_code for r in responses] == [200] * 4
    assert sorted(r.json()["duplicate"] for r in responses) == [False, True, True, True]
    assert await stored_events(database) == 1
    assert (await order_row(database, placed["id"])).status.value == "paid"
    assert len(await jobs(database, NOTIFY_SUPPLIER)) == 1


async def test_an_event_that_overtakes_the_intent_job_finds_its_order_by_metadata(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    """The job created the intent at Stripe but its process died before it could store the
    id; the buyer cannot have paid it, but Stripe's events may still name it."""
    from app.payment.stripe_gateway import StripeGateway

    supplier = await create_seller(database)
    buyer = await create_api_user(database)
    placed = await place_order(client, buyer, [(supplier.sku_ids[0], 1)])
    async with StripeGateway.from_settings(app.state.settings) as gateway:
        intent = await gateway.create_payment_intent(
            amount_fen=placed["total_fen"],
            currency="cny",
            order_id=placed["id"],
            order_number=placed["number"],
        )
    await confirm_intent(localstripe, intent.id)
    [event] = events_of(localstripe, intent.id, "payment_intent.succeeded")

    assert (await deliver(client, event)).status_code == 200

    payment = await payment_of(database, placed["id"])
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.stripe_payment_intent_id == intent.id
    # The job, run late, finds the intent stored and asks Stripe for nothing more.
    await run_outbox(runner)
    assert [i["id"] for i in localstripe.get("/v1/payment_intents")["data"]] == [intent.id]
    assert (await order_row(database, placed["id"])).status.value == "paid"


async def test_events_of_intents_that_are_not_ours_are_stored_and_change_nothing(
    app: FastAPI, client: httpx.AsyncClient, database: Database, localstripe: LocalStripe
) -> None:
    supplier = await create_seller(database)
    buyer = await create_api_user(database)
    placed = await place_order(client, buyer, [(supplier.sku_ids[0], 1)])
    foreign = {
        "id": "evt_foreign_1",
        "object": "event",
        "type": "payment_intent.succeeded",
        "data": {
            "object": {
                "id": "pi_someone_else",
                "object": "payment_intent",
                "amount": placed["total_fen"],
                "amount_received": placed["total_fen"],
                "currency": "cny",
                "status": "succeeded",
                # Names our order, but our payment expects no foreign intent of another amount.
                "metadata": {"order_id": str(placed["id"])},
            }
        },
    }
    foreign["data"]["object"]["amount"] = placed["total_fen"] + 1  # type: ignore[index]
    unknown_type = {"id": "evt_other", "type": "customer.created", "data": {"object": {}}}

    assert (await deliver(client, foreign)).status_code == 200
    assert (await deliver(client, unknown_type)).status_code == 200

    assert await stored_events(database) == 2
    payment = await payment_of(database, placed["id"])
    assert payment.status == PaymentStatus.PENDING
    assert payment.stripe_payment_intent_id is None
    assert await count_rows(database, StripeEvent, StripeEvent.processed_at.is_(None)) == 0
