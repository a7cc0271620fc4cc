"""Refunds by line or of the whole order: through Stripe for cards, recorded for transfers."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from app.account.models import Role
from app.audit.models import AuditEntry
from app.core.db import Database, unit_of_work
from app.inventory.models import MovementReason, StockMovement
from app.jobs.runner import JobRunner
from app.order.models import Fulfillment, FulfillmentStatus
from app.organization.models import OrganizationKind
from app.payment.models import Payment, PaymentStatus, Refund, RefundStatus
from app.payment.schemas import MAX_QUANTITY
from tests.account.factories import create_api_user
from tests.catalog.factories import create_seller
from tests.http_assertions import assert_error
from tests.inventory.factories import stock_of
from tests.payment.factories import (
    audit_actions,
    card_order,
    deliver,
    jobs,
    lines_of,
    paid_by_card,
    paid_by_transfer,
    payment_of,
    place_order,
    refunds_of,
    run_outbox,
)
from tests.procurement.factories import create_team, gift_path, submitted_gift
from tests.stripe_fixtures import LocalStripe


def _refund_path(order_id: int) -> str:
    return f"/api/v1/admin/orders/{order_id}/refunds"


def _line(order: dict[str, Any], fulfillment: int = 0, line: int = 0) -> dict[str, Any]:
    found: dict[str, Any] = order["fulfillments"][fulfillment]["lines"][line]
    return found


async def _returned(database: Database, order_id: int) -> list[tuple[int, int]]:
    async with unit_of_work(database.reader) as session:
        rows = await session.execute(
            select(StockMovement.sku_id, StockMovement.delta).where(
                StockMovement.order_id == order_id,
                StockMovement.reason == MovementReason.RETURNED,
            )
        )
        return [(sku_id, delta) for sku_id, delta in rows]


async def test_part_of_a_line_is_refunded_through_stripe_and_goes_back_to_stock(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    (a, _b), _buyer, operator, order = await card_order(
        client, database, runner, localstripe, (1500, 3), (990, 1)
    )
    line = next(
        each for f in order["fulfillments"] for each in f["lines"] if each["sku_id"] == a.sku_ids[0]
    )
    assert await stock_of(database, a.sku_ids[0]) == 7

    response = await client.post(
        _refund_path(order["id"]),
        json={"lines": [{"order_line_id": line["id"], "quantity": 2}], "reason": "包装破损"},
        headers=operator.headers,
    )

    assert response.status_code == 201, response.text
    refund = response.json()
    assert refund["amount_fen"] == 2 * 1500  # goods only: the order is not wholly refunded
    assert refund["status"] == "pending"
    assert refund["lines"] == [{"order_line_id": line["id"], "quantity": 2, "amount_fen": 3000}]
    assert refund["reason"] == "包装破损"
    # Not shipped yet: the two units can be sold again.
    assert await stock_of(database, a.sku_ids[0]) == 9
    assert await _returned(database, order["id"]) == [(a.sku_ids[0], 2)]
    [refunded_line] = [
        each for each in await lines_of(database, order["id"]) if each.id == line["id"]
    ]
    assert refunded_line.refunded_quantity == 2
    assert (await payment_of(database, order["id"])).refunded_fen == 3000
    assert await audit_actions(database, order["id"]) == ["payment.refund"]
    [recorded] = await refunds_of(database, order["id"])
    assert recorded.created_by_user_id == operator.id
    async with unit_of_work(database.reader) as session:
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "payment.refund")
        )
    assert entry is not None
    assert (entry.actor_user_id, entry.entity_id, entry.reason) == (
        operator.id,
        str(order["id"]),
        "包装破损",
    )
    assert entry.after == {"refund_id": recorded.id, "amount_fen": 3000, "lines": refund["lines"]}

    await run_outbox(runner)

    [stored] = await refunds_of(database, order["id"])
    assert stored.status == RefundStatus.SUCCEEDED
    at_stripe = localstripe.get(f"/v1/refunds/{stored.stripe_refund_id}")
    intent_id = order["payment"]["stripe_payment_intent_id"]
    assert (at_stripe["amount"], at_stripe["payment_intent"]) == (3000, intent_id)
    listed = await client.get(_refund_path(order["id"]), headers=operator.headers)
    assert [r["status"] for r in listed.json()] == ["succeeded"]


async def test_refunding_the_last_units_returns_the_shipping_and_the_whole_payment(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    _suppliers, _buyer, operator, order = await card_order(
        client, database, runner, localstripe, (1200, 2), (800, 1)
    )
    first, second = _line(order, 0), _line(order, 1)

    partial = await client.post(
        _refund_path(order["id"]),
        json={"lines": [{"order_line_id": first["id"], "quantity": 1}], "reason": "少发一件"},
        headers=operator.headers,
    )
    rest = await client.post(
        _refund_path(order["id"]),
        json={
            "lines": [
                {"order_line_id": first["id"], "quantity": first["quantity"] - 1},
                {"order_line_id": second["id"], "quantity": second["quantity"]},
            ],
            "reason": "整单退款",
        },
        headers=operator.headers,
    )

    assert partial.status_code == rest.status_code == 201
    assert partial.json()["amount_fen"] == first["unit_price_fen"]
    expected_rest = order["total_fen"] - first["unit_price_fen"]
    assert rest.json()["amount_fen"] == expected_rest  # includes all the shipping
    await run_outbox(runner)
    intent_id = order["payment"]["stripe_payment_intent_id"]
    refunds = localstripe.get("/v1/refunds", payment_intent=intent_id)["data"]
    assert sum(r["amount"] for r in refunds) == order["total_fen"]
    payment = await payment_of(database, order["id"])
    assert payment.refunded_fen == payment.received_fen == order["total_fen"]
    assert [r.status for r in await refunds_of(database, order["id"])] == [
        RefundStatus.SUCCEEDED,
        RefundStatus.SUCCEEDED,
    ]


async def _nothing_refunded(
    database: Database, order: dict[str, Any], stock: dict[int, int]
) -> None:
    assert await refunds_of(database, order["id"]) == []
    assert all(each.refunded_quantity == 0 for each in await lines_of(database, order["id"]))
    assert (await payment_of(database, order["id"])).refunded_fen == 0
    assert await jobs(database, "payment.send_refund") == []
    assert "payment.refund" not in await audit_actions(database, order["id"])
    for sku_id, expected in stock.items():
        assert await stock_of(database, sku_id) == expected


async def test_more_units_than_are_left_are_refused(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    (supplier,), _buyer, operator, order = await card_order(
        client, database, runner, localstripe, (1000, 2)
    )
    line = _line(order)

    response = await client.post(
        _refund_path(order["id"]),
        json={"lines": [{"order_line_id": line["id"], "quantity": 3}], "reason": "多退"},
        headers=operator.headers,
    )

    error = assert_error(response, 409, "refund_exceeds_payment")
    assert error["message"] == "More units than are left to refund."
    assert error["fields"] == {"lines.0.quantity": "at most 2 left to refund"}
    # The most units a refund may name at all is still checked against what is left.
    most = await client.post(
        _refund_path(order["id"]),
        json={"lines": [{"order_line_id": line["id"], "quantity": MAX_QUANTITY}], "reason": "多退"},
        headers=operator.headers,
    )
    assert assert_error(most, 409, "refund_exceeds_payment")["fields"] == {
        "lines.0.quantity": "at most 2 left to refund"
    }
    await _nothing_refunded(database, order, {supplier.sku_ids[0]: 8})

    # Once all is refunded, not one more unit.
    whole = await client.post(
        _refund_path(order["id"]),
        json={"lines": [{"order_line_id": line["id"], "quantity": 2}], "reason": "整单"},
        headers=operator.headers,
    )
    assert whole.status_code == 201
    again = await client.post(
        _refund_path(order["id"]),
        json={"lines": [{"order_line_id": line["id"], "quantity": 1}], "reason": "再退"},
        headers=operator.headers,
    )
    # Refused for the units (none left), before the money is even looked at.
    assert assert_error(again, 409, "refund_exceeds_payment")["fields"] == {
        "lines.0.quantity": "at most 0 left to refund"
    }
    assert len(await refunds_of(database, order["id"])) == 1


async def test_malformed_lines_and_quantities_are_a_422_and_change_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    (supplier,), _buyer, operator, order = await card_order(
        client, database, runner, localstripe, (1000, 2)
    )
    line_id = _line(order)["id"]
    malformed: list[tuple[list[dict[str, Any]], str, str]] = [
        ([], "validation_failed", "lines"),
        ([{"quantity": 1}], "validation_failed", "lines.0.order_line_id"),
        ([{"order_line_id": "LINE", "quantity": 1}], "validation_failed", "lines.0.order_line_id"),
        ([{"order_line_id": 0, "quantity": 1}], "validation_failed", "lines.0.order_line_id"),
        ([{"order_line_id": 2**63, "quantity": 1}], "validation_failed", "lines.0.order_line_id"),
        (
            [{"order_line_id": 10**9, "quantity": 1}],
            "invalid_refund_lines",
            "lines.0.order_line_id",
        ),
    ]
    # Not a whole number of units from 1 to 100 000: zero, negative, fractions, text, 10^12.
    for quantity in (0, -1, 1.5, "1", True, 10**12, None):
        malformed.append(
            (
                [{"order_line_id": line_id, "quantity": quantity}],
                "validation_failed",
                "lines.0.quantity",
            )
        )

    for lines, code, field in malformed:
        response = await client.post(
            _refund_path(order["id"]),
            json={"lines": lines, "reason": "x"},
            headers=operator.headers,
        )
        error = assert_error(response, 422, code)
        assert field in error["fields"], (lines, error)

    await _nothing_refunded(database, order, {supplier.sku_ids[0]: 8})


async def test_another_orders_line_a_line_named_twice_and_a_bad_reason_are_refused(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    (supplier,), buyer, operator, order = await card_order(
        client, database, runner, localstripe, (1000, 2)
    )
    other = await paid_by_card(client, runner, localstripe, buyer, [(supplier.sku_ids[0], 1)])
    line_id = _line(order)["id"]

    foreign = await client.post(
        _refund_path(order["id"]),
        json={"lines": [{"order_line_id": _line(other)["id"], "quantity": 1}], "reason": "x"},
        headers=operator.headers,
    )
    twice = await client.post(
        _refund_path(order["id"]),
        json={
            "lines": [
                {"order_line_id": line_id, "quantity": 1},
                {"order_line_id": line_id, "quantity": 1},
            ],
            "reason": "x",
        },
        headers=operator.headers,
    )
    reasons = [
        await client.post(
            _refund_path(order["id"]),
            json={"lines": [{"order_line_id": line_id, "quantity": 1}], "reason": reason},
            headers=operator.headers,
        )
        for reason in ("", "   ", "x" * 501, "bad\x00reason")
    ]
    no_reason = await client.post(
        _refund_path(order["id"]),
        json={"lines": [{"order_line_id": line_id, "quantity": 1}]},
        headers=operator.headers,
    )

    assert assert_error(foreign, 422, "invalid_refund_lines")["fields"] == {
        "lines.0.order_line_id": "not a line of this order"
    }
    assert assert_error(twice, 422, "invalid_refund_lines")["fields"] == {
        "lines.1.order_line_id": "named twice"
    }
    for response in reasons:
        assert assert_error(response, 422, "invalid_refund_reason")["fields"] == {
            "reason": "1 to 500 characters"
        }
    assert_error(no_reason, 422, "validation_failed")
    await _nothing_refunded(database, order, {supplier.sku_ids[0]: 7})


async def test_unpaid_unknown_and_others_orders_and_non_operators_are_refused(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    localstripe: LocalStripe,
) -> None:
    supplier = await create_seller(database, stock=10)
    buyer = await create_api_user(database)
    operator = await create_api_user(database, roles=(Role.CONSUMER, Role.OPERATOR))
    unpaid = await place_order(client, buyer, [(supplier.sku_ids[0], 1)])
    body = {"lines": [{"order_line_id": _line(unpaid)["id"], "quantity": 1}], "reason": "x"}

    assert_error(
        await client.post(_refund_path(unpaid["id"]), json=body, headers=operator.headers),
        409,
        "payment_not_refundable",
    )
    assert_error(
        await client.post(_refund_path(10**9), json=body, headers=operator.headers),
        404,
        "order_not_found",
    )
    assert_error(
        await client.post(_refund_path(unpaid["id"]), json=body, headers=buyer.headers),
        403,
        "forbidden",
    )
    assert_error(await client.post(_refund_path(unpaid["id"]), json=body), 401, "unauthorized")
    assert await refunds_of(database, unpaid["id"]) == []


async def test_a_bank_transfer_refund_is_recorded_as_done_without_stripe(
    app: FastAPI, client: httpx.AsyncClient, database: Database, runner: JobRunner
) -> None:
    supplier = await create_seller(database, price_fen=2000, stock=10)
    buyer = await create_api_user(database)
    operator = await create_api_user(database, roles=(Role.CONSUMER, Role.OPERATOR))
    order = await paid_by_transfer(client, buyer, operator, [(supplier.sku_ids[0], 2)])

    response = await client.post(
        _refund_path(order["id"]),
        json={
            "lines": [{"order_line_id": _line(order)["id"], "quantity": 2}],
            "reason": "质量问题",
        },
        headers=operator.headers,
    )

    assert response.status_code == 201, response.text
    assert response.json()["status"] == "succeeded"
    assert response.json()["amount_fen"] == order["total_fen"]
    assert await jobs(database, "payment.send_refund") == []
    assert await stock_of(database, supplier.sku_ids[0]) == 10


async def test_units_of_a_shipped_fulfilment_do_not_go_back_to_stock(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    (supplier,), _buyer, operator, order = await card_order(
        client, database, runner, localstripe, (1000, 3)
    )
    async with unit_of_work(database.writer) as session:
        await session.execute(
            update(Fulfillment)
            .where(Fulfillment.order_id == order["id"])
            .values(status=FulfillmentStatus.SHIPPED)
        )

    response = await client.post(
        _refund_path(order["id"]),
        json={"lines": [{"order_line_id": _line(order)["id"], "quantity": 1}], "reason": "坏果"},
        headers=operator.headers,
    )

    assert response.status_code == 201
    assert await stock_of(database, supplier.sku_ids[0]) == 7
    assert await _returned(database, order["id"]) == []


async def _pending_refund(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> tuple[dict[str, Any], Refund]:
    """A paid order with a refund recorded and not yet sent to Stripe."""
    _suppliers, _buyer, operator, order = await card_order(
        client, database, runner, localstripe, (1000, 2)
    )
    response = await client.post(
        _refund_path(order["id"]),
        json={"lines": [{"order_line_id": _line(order)["id"], "quantity": 1}], "reason": "x"},
        headers=operator.headers,
    )
    assert response.status_code == 201
    [refund] = await refunds_of(database, order["id"])
    return order, refund


def _refund_object(order: dict[str, Any], refund: Refund, status: str) -> dict[str, Any]:
    return {
        "id": "re_from_stripe_1",
        "object": "refund",
        "amount": refund.amount_fen,
        "status": status,
        "payment_intent": order["payment"]["stripe_payment_intent_id"],
        "metadata": {"order_id": str(order["id"]), "refund_id": str(refund.id)},
    }


async def test_charge_refunded_confirms_a_refund_and_the_job_then_sends_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    """The job's process died after Stripe made the refund, before it could record it; Stripe's
    charge.refunded event (it lists the refund, with our id in its metadata) settles it."""
    order, refund = await _pending_refund(app, client, database, runner, localstripe)
    event = {
        "id": "evt_charge_refunded_1",
        "object": "event",
        "type": "charge.refunded",
        "data": {
            "object": {
                "id": "ch_1",
                "object": "charge",
                "payment_intent": order["payment"]["stripe_payment_intent_id"],
                "amount_refunded": refund.amount_fen,
                "refunds": {"object": "list", "data": [_refund_object(order, refund, "succeeded")]},
            }
        },
    }

    assert (await deliver(client, event)).status_code == 200
    await run_outbox(runner)

    [stored] = await refunds_of(database, order["id"])
    assert stored.status == RefundStatus.SUCCEEDED
    assert stored.stripe_refund_id == "re_from_stripe_1"
    assert localstripe.get("/v1/refunds")["data"] == []  # not refunded a second time


async def test_charge_refunded_without_a_refund_list_settles_by_the_refunded_amount(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    order, refund = await _pending_refund(app, client, database, runner, localstripe)
    async with unit_of_work(database.writer) as session:
        await session.execute(
            update(Refund).where(Refund.id == refund.id).values(stripe_refund_id="re_pending_1")
        )
    charge = {
        "id": "ch_1",
        "object": "charge",
        "payment_intent": order["payment"]["stripe_payment_intent_id"],
        "amount_refunded": refund.amount_fen,
    }
    event = {"id": "evt_cr_2", "type": "charge.refunded", "data": {"object": charge}}

    assert (await deliver(client, event)).status_code == 200

    [stored] = await refunds_of(database, order["id"])
    assert stored.status == RefundStatus.SUCCEEDED


async def test_a_failed_refund_gives_the_money_back_to_the_books(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    order, refund = await _pending_refund(app, client, database, runner, localstripe)
    event = {
        "id": "evt_refund_failed_1",
        "type": "refund.failed",
        "data": {"object": _refund_object(order, refund, "failed")},
    }

    assert (await deliver(client, event)).status_code == 200

    [stored] = await refunds_of(database, order["id"])
    assert stored.status == RefundStatus.FAILED
    assert (await payment_of(database, order["id"])).refunded_fen == 0
    assert "payment.refund_failed" in await audit_actions(database, order["id"])
    # A later success report of the same refund changes nothing: failed is final.
    late = dict(event, id="evt_refund_late", type="refund.updated")
    late["data"] = {"object": _refund_object(order, refund, "succeeded")}
    assert (await deliver(client, json.loads(json.dumps(late)))).status_code == 200
    assert (await refunds_of(database, order["id"]))[0].status == RefundStatus.FAILED


async def test_a_refund_stripe_cancels_fails_and_is_logged_with_its_amount(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    order, refund = await _pending_refund(app, client, database, runner, localstripe)
    event = {
        "id": "evt_refund_canceled_1",
        "type": "refund.updated",
        "data": {"object": _refund_object(order, refund, "canceled")},
    }

    assert (await deliver(client, event)).status_code == 200

    [stored] = await refunds_of(database, order["id"])
    assert stored.status == RefundStatus.FAILED
    assert (await payment_of(database, order["id"])).refunded_fen == 0
    async with unit_of_work(database.reader) as session:
        logged = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "payment.refund_failed")
        )
    assert logged is not None
    assert (logged.entity_id, logged.actor_user_id) == (str(order["id"]), None)
    assert logged.after == {"refund_id": refund.id, "amount_fen": refund.amount_fen}


async def test_a_refund_stripe_refuses_is_marked_failed(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
    caplog: pytest.LogCaptureFixture,
) -> None:
    order, refund = await _pending_refund(app, client, database, runner, localstripe)
    async with unit_of_work(database.writer) as session:
        await session.execute(
            update(Payment)
            .where(Payment.order_id == order["id"])
            .values(stripe_payment_intent_id="pi_unknown_to_stripe")
        )

    await run_outbox(runner)

    [stored] = await refunds_of(database, order["id"])
    assert stored.status == RefundStatus.FAILED
    assert stored.stripe_refund_id is None  # Stripe made no refund to name
    payment = await payment_of(database, order["id"])
    assert payment.refunded_fen == 0
    assert payment.status == PaymentStatus.SUCCEEDED
    # The operator's trace of why: the refund and Stripe's own words.
    [logged] = [r.getMessage() for r in caplog.records if r.name == "app.payment.service.refunds"]
    prefix = f"Stripe refused refund {refund.id}: The payment provider refused the request: "
    assert logged.startswith(prefix) and len(logged) > len(prefix)


async def test_cancelling_a_paid_order_refunds_it_in_full_through_stripe(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    supplier = await create_seller(database, price_fen=1100, stock=10)
    buyer = await create_api_user(database)
    order = await paid_by_card(client, runner, localstripe, buyer, [(supplier.sku_ids[0], 4)])

    response = await client.post(f"/api/v1/orders/{order['id']}/cancel", headers=buyer.headers)

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    [refund] = await refunds_of(database, order["id"])
    assert refund.amount_fen == order["total_fen"]
    assert refund.created_by_user_id == buyer.id
    # The cancellation put the stock back; the refund does not put it back a second time.
    assert await stock_of(database, supplier.sku_ids[0]) == 10
    await run_outbox(runner)
    intent_id = order["payment"]["stripe_payment_intent_id"]
    refunds = localstripe.get("/v1/refunds", payment_intent=intent_id)["data"]
    assert [r["amount"] for r in refunds] == [order["total_fen"]]


async def test_a_gift_refunded_before_shipping_puts_back_every_recipients_units(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    """A gift order has a line per recipient for the same SKU: refunding them together puts
    back the units of all of them."""
    supplier = await create_seller(database, price_fen=1000, stock=20)
    team = await create_team(app, database, kind=OrganizationKind.TRADE_UNION)
    gift = await submitted_gift(client, team, [(supplier.sku_ids[0], 2)])  # three recipients
    approved = await client.post(
        gift_path(team, f"/{gift['id']}/approve"), headers=team.approver.headers
    )
    assert approved.status_code == 201, approved.text
    order = approved.json()
    operator = await create_api_user(database, roles=(Role.CONSUMER, Role.OPERATOR))
    confirmed = await client.post(
        f"/api/v1/admin/orders/{order['id']}/confirm-payment",
        json={
            "bank_reference": order["payment"]["bank_reference"],
            "amount_fen": order["total_fen"],
        },
        headers=operator.headers,
    )
    assert confirmed.status_code == 200, confirmed.text
    assert await stock_of(database, supplier.sku_ids[0]) == 14
    lines = [line for f in order["fulfillments"] for line in f["lines"]]
    assert len(lines) == 3

    response = await client.post(
        _refund_path(order["id"]),
        json={
            "lines": [{"order_line_id": line["id"], "quantity": 2} for line in lines],
            "reason": "取消发放",
        },
        headers=operator.headers,
    )

    assert response.status_code == 201, response.text
    assert await stock_of(database, supplier.sku_ids[0]) == 20
    assert await _returned(database, order["id"]) == [(supplier.sku_ids[0], 6)]
