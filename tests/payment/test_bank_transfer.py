"""Bank transfers (对公转账): an operator confirms a remittance whose reference and amount match."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.account.models import Role
from app.core.db import Database
from app.jobs.runner import JobRunner
from app.order.models import OrderStatus
from app.payment.models import PaymentStatus, RefundStatus
from tests.account.factories import create_api_user
from tests.catalog.factories import create_seller
from tests.http_assertions import assert_error
from tests.order.factories import pass_deadline
from tests.payment.factories import (
    audit_actions,
    get_order,
    jobs,
    order_row,
    payment_of,
    place_order,
    refunds_of,
    run_outbox,
)
from tests.stripe_fixtures import LocalStripe


def _confirm_path(order_id: int) -> str:
    return f"/api/v1/admin/orders/{order_id}/confirm-payment"


async def _transfer_order(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> tuple[dict[str, Any], Any, Any]:
    """A bank-transfer order, its buyer and an operator."""
    supplier = await create_seller(database, price_fen=4850)
    buyer = await create_api_user(database)
    operator = await create_api_user(database, roles=(Role.CONSUMER, Role.OPERATOR))
    order = await place_order(client, buyer, [(supplier.sku_ids[0], 2)], method="bank_transfer")
    return order, buyer, operator


async def _unchanged(database: Database, order_id: int) -> None:
    payment = await payment_of(database, order_id)
    assert payment.status == PaymentStatus.PENDING
    assert payment.received_fen == 0
    assert payment.confirmed_by_user_id is None
    assert (await order_row(database, order_id)).status == OrderStatus.PENDING_PAYMENT
    assert await jobs(database, "order.notify_supplier") == []
    assert await audit_actions(database, order_id) == []


async def test_a_matching_remittance_pays_the_order(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    order, buyer, operator = await _transfer_order(app, client, database)
    reference = order["payment"]["bank_reference"]
    assert reference == "FS" + "".join(ch for ch in order["number"] if ch.isdigit())

    response = await client.post(
        _confirm_path(order["id"]),
        json={"bank_reference": reference, "amount_fen": order["total_fen"]},
        headers=operator.headers,
    )

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "succeeded"
    assert response.json()["received_fen"] == order["total_fen"]
    seen = await get_order(client, buyer, order["id"])
    assert seen["status"] == "paid"
    payment = await payment_of(database, order["id"])
    assert payment.confirmed_by_user_id == operator.id
    assert payment.succeeded_at is not None
    assert await audit_actions(database, order["id"]) == ["payment.confirm_transfer"]
    assert len(await jobs(database, "order.notify_supplier")) == 1


async def test_a_reference_copied_with_spaces_and_lower_case_still_matches(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    order, _, operator = await _transfer_order(app, client, database)
    reference = order["payment"]["bank_reference"]
    typed = " " + reference[:6].lower() + " " + reference[6:] + " "

    response = await client.post(
        _confirm_path(order["id"]),
        json={"bank_reference": typed, "amount_fen": order["total_fen"]},
        headers=operator.headers,
    )

    assert response.status_code == 200, response.text


async def test_a_wrong_reference_is_refused(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    order, _, operator = await _transfer_order(app, client, database)

    response = await client.post(
        _confirm_path(order["id"]),
        json={"bank_reference": "FS000000000001", "amount_fen": order["total_fen"]},
        headers=operator.headers,
    )

    error = assert_error(response, 422, "bank_reference_mismatch")
    assert set(error["fields"]) == {"bank_reference"}
    await _unchanged(database, order["id"])


@pytest.mark.parametrize("delta", [-1, 1, -100, 10_000])
async def test_an_amount_other_than_the_total_is_refused(
    app: FastAPI, client: httpx.AsyncClient, database: Database, delta: int
) -> None:
    order, _, operator = await _transfer_order(app, client, database)

    response = await client.post(
        _confirm_path(order["id"]),
        json={
            "bank_reference": order["payment"]["bank_reference"],
            "amount_fen": order["total_fen"] + delta,
        },
        headers=operator.headers,
    )

    error = assert_error(response, 409, "amount_mismatch")
    assert set(error["fields"]) == {"amount_fen"}
    await _unchanged(database, order["id"])


@pytest.mark.parametrize(
    ("amount", "field"),
    [
        (0, "amount_fen"),
        (-500, "amount_fen"),
        (97.5, "amount_fen"),
        ("9700", "amount_fen"),
        (True, "amount_fen"),
        (10**13, "amount_fen"),
        (None, "amount_fen"),
    ],
)
async def test_an_amount_that_is_not_whole_positive_fen_is_a_422(
    app: FastAPI, client: httpx.AsyncClient, database: Database, amount: Any, field: str
) -> None:
    order, _, operator = await _transfer_order(app, client, database)

    response = await client.post(
        _confirm_path(order["id"]),
        json={"bank_reference": order["payment"]["bank_reference"], "amount_fen": amount},
        headers=operator.headers,
    )

    error = assert_error(response, 422, "validation_failed")
    assert field in error["fields"]
    await _unchanged(database, order["id"])


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"amount_fen": 100},
        {"bank_reference": "", "amount_fen": 100},
        {"bank_reference": "x" * 61, "amount_fen": 100},
    ],
)
async def test_a_missing_or_oversized_reference_is_a_422(
    app: FastAPI, client: httpx.AsyncClient, database: Database, body: dict[str, Any]
) -> None:
    order, _, operator = await _transfer_order(app, client, database)

    response = await client.post(_confirm_path(order["id"]), json=body, headers=operator.headers)

    assert_error(response, 422, "validation_failed")
    await _unchanged(database, order["id"])


async def test_only_an_operator_may_confirm(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    order, buyer, _ = await _transfer_order(app, client, database)
    body = {"bank_reference": order["payment"]["bank_reference"], "amount_fen": order["total_fen"]}

    as_buyer = await client.post(_confirm_path(order["id"]), json=body, headers=buyer.headers)
    signed_out = await client.post(_confirm_path(order["id"]), json=body)

    assert_error(as_buyer, 403, "forbidden")
    assert_error(signed_out, 401, "unauthorized")
    await _unchanged(database, order["id"])


async def test_unknown_orders_card_orders_and_paid_orders_are_refused(
    app: FastAPI, client: httpx.AsyncClient, database: Database, localstripe: LocalStripe
) -> None:
    order, buyer, operator = await _transfer_order(app, client, database)
    supplier = await create_seller(database)
    card_order = await place_order(client, buyer, [(supplier.sku_ids[0], 1)])
    body = {"bank_reference": order["payment"]["bank_reference"], "amount_fen": order["total_fen"]}

    unknown = await client.post(_confirm_path(10**9), json=body, headers=operator.headers)
    huge = await client.post(_confirm_path(2**70), json=body, headers=operator.headers)
    card = await client.post(
        _confirm_path(card_order["id"]),
        json={"bank_reference": "FS1", "amount_fen": card_order["total_fen"]},
        headers=operator.headers,
    )
    first = await client.post(_confirm_path(order["id"]), json=body, headers=operator.headers)
    again = await client.post(_confirm_path(order["id"]), json=body, headers=operator.headers)

    assert_error(unknown, 404, "order_not_found")
    assert_error(huge, 404, "order_not_found")
    assert_error(card, 409, "wrong_payment_method")
    assert first.status_code == 200
    assert_error(again, 409, "already_paid")
    assert await audit_actions(database, order["id"]) == ["payment.confirm_transfer"]
    assert (await payment_of(database, card_order["id"])).status == PaymentStatus.PENDING


async def test_a_transfer_confirmed_after_the_order_expired_is_booked_and_refunded(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
) -> None:
    order, _, operator = await _transfer_order(app, client, database)
    await pass_deadline(database, order["id"])
    await run_outbox(runner)
    assert (await order_row(database, order["id"])).status == OrderStatus.CANCELLED

    response = await client.post(
        _confirm_path(order["id"]),
        json={
            "bank_reference": order["payment"]["bank_reference"],
            "amount_fen": order["total_fen"],
        },
        headers=operator.headers,
    )

    assert response.status_code == 200, response.text
    assert (await order_row(database, order["id"])).status == OrderStatus.CANCELLED
    [refund] = await refunds_of(database, order["id"])
    # The operator pays it back by transfer: recorded as done, nothing goes to Stripe.
    assert (refund.amount_fen, refund.status, refund.reason) == (
        order["total_fen"],
        RefundStatus.SUCCEEDED,
        "late_payment",
    )
    assert await jobs(database, "payment.send_refund") == []
    assert await audit_actions(database, order["id"]) == [
        "payment.refund_late_payment",
        "payment.confirm_transfer",
    ]
