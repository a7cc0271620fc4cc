"""The webhook accepts only events signed with the webhook secret, on the exact raw body."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.core.db import Database
from app.payment.errors import InvalidSignature, MalformedEvent
from app.payment.models import PaymentStatus
from app.payment.stripe_gateway import verify_webhook
from tests.account.factories import create_api_user
from tests.catalog.factories import create_seller
from tests.http_assertions import assert_error
from tests.payment.factories import WEBHOOK_PATH, deliver, payment_of, place_order, stored_events
from tests.stripe_fixtures import STRIPE_WEBHOOK_SECRET, sign_payload

SECRET = STRIPE_WEBHOOK_SECRET


def _succeeded_event(order: dict[str, Any], event_id: str = "evt_test_1") -> dict[str, Any]:
    """A payment_intent.succeeded event for the order's amount, naming it in its metadata."""
    return {
        "id": event_id,
        "object": "event",
        "type": "payment_intent.succeeded",
        "created": int(time.time()),
        "data": {
            "object": {
                "id": "pi_test_signed",
                "object": "payment_intent",
                "amount": order["total_fen"],
                "amount_received": order["total_fen"],
                "currency": "cny",
                "status": "succeeded",
                "metadata": {"order_id": str(order["id"]), "order_number": order["number"]},
            }
        },
    }


async def _post(client: httpx.AsyncClient, body: bytes, signature: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return await client.post(WEBHOOK_PATH, content=body, headers=headers)


async def test_a_correctly_signed_event_is_applied(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database)
    buyer = await create_api_user(database)
    order = await place_order(client, buyer, [(supplier.sku_ids[0], 1)])

    response = await deliver(client, _succeeded_event(order))

    assert response.status_code == 200, response.text
    assert (await payment_of(database, order["id"])).status == PaymentStatus.SUCCEEDED


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda body: None, id="no-header"),
        pytest.param(lambda body: "", id="empty-header"),
        pytest.param(lambda body: "nonsense", id="garbage-header"),
        pytest.param(lambda body: "t=abc,v1=00", id="non-numeric-timestamp"),
        pytest.param(lambda body: sign_payload(body, "whsec_someone_else"), id="wrong-secret"),
        pytest.param(
            lambda body: sign_payload(body.replace('"amount"', '"amount" '), SECRET),
            id="body-changed-after-signing",
        ),
        pytest.param(
            lambda body: sign_payload(body, SECRET, int(time.time()) - 3600), id="stale-replay"
        ),
        pytest.param(
            lambda body: sign_payload(body, SECRET).replace("v1=", "v0="), id="wrong-scheme"
        ),
    ],
)
async def test_a_bad_signature_is_refused_and_stores_nothing(
    app: FastAPI, client: httpx.AsyncClient, database: Database, forge: Any
) -> None:
    supplier = await create_seller(database)
    buyer = await create_api_user(database)
    order = await place_order(client, buyer, [(supplier.sku_ids[0], 1)])
    body = json.dumps(_succeeded_event(order))

    response = await _post(client, body.encode(), forge(body))

    assert_error(response, 400, "invalid_signature")
    assert await stored_events(database) == 0
    payment = await payment_of(database, order["id"])
    assert payment.status == PaymentStatus.PENDING
    assert payment.stripe_payment_intent_id is None


async def test_a_body_that_is_not_utf8_is_refused(
    client: httpx.AsyncClient, database: Database
) -> None:
    response = await _post(client, b"\xff\xfe{}", "t=1,v1=00")

    assert_error(response, 400, "invalid_signature")
    assert await stored_events(database) == 0


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("not json", id="not-json"),
        pytest.param("[]", id="not-an-object"),
        pytest.param('{"type": "payment_intent.succeeded", "data": {"object": {}}}', id="no-id"),
        pytest.param('{"id": "evt_1", "data": {"object": {}}}', id="no-type"),
        pytest.param('{"id": "evt_1", "type": "x", "data": {}}', id="no-object"),
        pytest.param(
            json.dumps({"id": "e" * 101, "type": "x", "data": {"object": {}}}), id="id-too-long"
        ),
    ],
)
async def test_a_signed_body_that_is_no_event_is_refused(
    client: httpx.AsyncClient, database: Database, body: str
) -> None:
    response = await _post(client, body.encode(), sign_payload(body, SECRET))

    assert_error(response, 400, "malformed_event")
    assert await stored_events(database) == 0


async def test_without_a_configured_secret_nothing_is_accepted(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database)
    buyer = await create_api_user(database)
    order = await place_order(client, buyer, [(supplier.sku_ids[0], 1)])
    # The secret goes (a site that stops taking cards): Stripe's events are not trusted.
    app.state.settings = app.state.settings.model_copy(update={"stripe_webhook_secret": None})

    response = await deliver(client, _succeeded_event(order))

    assert_error(response, 400, "invalid_signature")
    assert await stored_events(database) == 0
    assert (await payment_of(database, order["id"])).status == PaymentStatus.PENDING


def test_verification_reads_the_event_of_a_good_signature() -> None:
    body = json.dumps({"id": "evt_9", "type": "charge.refunded", "data": {"object": {"id": "ch"}}})

    event = verify_webhook(body.encode(), sign_payload(body, SECRET), SECRET)

    assert (event.id, event.type, event.object) == ("evt_9", "charge.refunded", {"id": "ch"})
    with pytest.raises(InvalidSignature):
        verify_webhook(body.encode(), sign_payload(body, SECRET), "whsec_other")
    with pytest.raises(MalformedEvent):
        verify_webhook(b"{}", sign_payload("{}", SECRET), SECRET)


OUT_OF_RANGE_IDS = [
    pytest.param("99999999999999999999", id="past-64-bits"),
    pytest.param("9223372036854775808", id="bigint-max-plus-one"),
    pytest.param("1" * 5000, id="five-thousand-digits"),
    pytest.param("²", id="superscript-digit"),
    pytest.param("0", id="zero"),
    pytest.param("-5", id="negative"),
]


@pytest.mark.parametrize("raw_id", OUT_OF_RANGE_IDS)
async def test_a_signed_intent_event_naming_an_order_id_out_of_range_is_acknowledged_and_ignored(
    app: FastAPI, client: httpx.AsyncClient, database: Database, raw_id: str
) -> None:
    supplier = await create_seller(database)
    buyer = await create_api_user(database)
    order = await place_order(client, buyer, [(supplier.sku_ids[0], 1)])
    event = _succeeded_event(order, event_id="evt_out_of_range")
    event["data"]["object"]["id"] = "pi_not_stored_anywhere"
    event["data"]["object"]["metadata"]["order_id"] = raw_id

    response = await deliver(client, event)

    assert response.status_code == 200, response.text
    assert response.json() == {"received": True, "duplicate": False}
    assert await stored_events(database) == 1
    assert (await payment_of(database, order["id"])).status == PaymentStatus.PENDING


@pytest.mark.parametrize("raw_id", OUT_OF_RANGE_IDS)
async def test_a_signed_refund_event_naming_a_refund_id_out_of_range_is_acknowledged(
    app: FastAPI, client: httpx.AsyncClient, database: Database, raw_id: str
) -> None:
    event = {
        "id": "evt_refund_out_of_range",
        "object": "event",
        "type": "refund.updated",
        "data": {
            "object": {
                "id": "re_not_ours",
                "object": "refund",
                "status": "succeeded",
                "amount": 2**70,  # no amount a BIGINT can hold either
                "payment_intent": "pi_not_ours",
                "metadata": {"refund_id": raw_id, "order_id": raw_id},
            }
        },
    }

    response = await deliver(client, event)

    assert response.status_code == 200, response.text
    assert await stored_events(database) == 1


async def test_amounts_beyond_bigint_count_as_none() -> None:
    from app.payment.gateway import intent_state

    state = intent_state(
        {"id": "pi_x", "status": "succeeded", "amount": 2**64, "amount_received": 2**64}
    )

    assert (state.amount, state.amount_received) == (0, 0)
