"""Refunds that empty an unshipped fulfilment cancel it; operators cancel unpaid or paid-unshipped
orders (refunded through Stripe, or recorded for a transfer), with stock released and an audit
entry."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from app.account.models import Role
from app.audit.models import AuditEntry
from app.core.db import Database, unit_of_work
from app.jobs.runner import JobRunner
from app.order.models import Fulfillment, FulfillmentStatus, OrderStatus
from app.payment.models import PaymentStatus, RefundStatus
from tests.account.factories import create_api_user, create_user, csrf_token_in, sign_in_page
from tests.catalog.factories import create_seller
from tests.http_assertions import assert_error
from tests.inventory.factories import stock_of
from tests.payment.factories import (
    audit_actions,
    card_order,
    get_order,
    order_row,
    paid_by_transfer,
    payment_of,
    place_order,
    refunds_of,
    run_outbox,
)
from tests.stripe_fixtures import LocalStripe


def _cancel_path(order_id: int) -> str:
    return f"/api/v1/admin/orders/{order_id}/cancel"


def _refund_path(order_id: int) -> str:
    return f"/api/v1/admin/orders/{order_id}/refunds"


async def _fulfillment_statuses(database: Database, order_id: int) -> dict[int, FulfillmentStatus]:
    async with unit_of_work(database.reader) as session:
        rows = await session.execute(
            select(Fulfillment.cooperative_id, Fulfillment.status).where(
                Fulfillment.order_id == order_id
            )
        )
        return {cooperative_id: status for cooperative_id, status in rows}


async def _set_fulfillment_status(
    database: Database, order_id: int, cooperative_id: int, status: FulfillmentStatus
) -> None:
    async with unit_of_work(database.writer) as session:
        await session.execute(
            update(Fulfillment)
            .where(Fulfillment.order_id == order_id, Fulfillment.cooperative_id == cooperative_id)
            .values(status=status)
        )


def _lines_of(order: dict[str, Any], cooperative_id: int) -> list[dict[str, Any]]:
    return [
        line
        for f in order["fulfillments"]
        if f["cooperative_id"] == cooperative_id
        for line in f["lines"]
    ]


async def test_refunding_all_of_an_unshipped_fulfilment_cancels_it_and_then_the_order(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    (a, b), buyer, operator, order = await card_order(
        client, database, runner, localstripe, (1500, 3), (990, 2)
    )
    [a_line] = _lines_of(order, a.id)
    [b_line] = _lines_of(order, b.id)

    partial = await client.post(
        _refund_path(order["id"]),
        json={"lines": [{"order_line_id": a_line["id"], "quantity": 2}], "reason": "少发"},
        headers=operator.headers,
    )
    assert partial.status_code == 201, partial.text
    # Part of a fulfilment refunded: it goes on.
    assert (await _fulfillment_statuses(database, order["id"]))[a.id] == FulfillmentStatus.PENDING

    rest_of_a = await client.post(
        _refund_path(order["id"]),
        json={"lines": [{"order_line_id": a_line["id"], "quantity": 1}], "reason": "缺货"},
        headers=operator.headers,
    )

    assert rest_of_a.status_code == 201, rest_of_a.text
    assert await _fulfillment_statuses(database, order["id"]) == {
        a.id: FulfillmentStatus.CANCELLED,
        b.id: FulfillmentStatus.PENDING,
    }
    # Every unit of A is back on sale, once; B still holds its two.
    assert await stock_of(database, a.sku_ids[0]) == 10
    assert await stock_of(database, b.sku_ids[0]) == 8
    assert (await order_row(database, order["id"])).status == OrderStatus.PAID
    seen = await get_order(client, buyer, order["id"])
    assert {f["cooperative_id"]: f["status"] for f in seen["fulfillments"]} == {
        a.id: "cancelled",
        b.id: "pending",
    }

    last = await client.post(
        _refund_path(order["id"]),
        json={"lines": [{"order_line_id": b_line["id"], "quantity": 2}], "reason": "整单退"},
        headers=operator.headers,
    )

    assert last.status_code == 201, last.text
    assert set((await _fulfillment_statuses(database, order["id"])).values()) == {
        FulfillmentStatus.CANCELLED
    }
    row = await order_row(database, order["id"])
    assert row.status == OrderStatus.CANCELLED and row.cancelled_at is not None
    assert await stock_of(database, b.sku_ids[0]) == 10
    await run_outbox(runner)
    payment = await payment_of(database, order["id"])
    assert payment.refunded_fen == payment.received_fen == order["total_fen"]


async def test_refunding_the_unshipped_rest_of_a_delivered_order_completes_it(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    (a, b), _buyer, operator, order = await card_order(
        client, database, runner, localstripe, (1500, 1), (990, 1)
    )
    await _set_fulfillment_status(database, order["id"], a.id, FulfillmentStatus.DELIVERED)
    [b_line] = _lines_of(order, b.id)

    response = await client.post(
        _refund_path(order["id"]),
        json={"lines": [{"order_line_id": b_line["id"], "quantity": 1}], "reason": "缺货"},
        headers=operator.headers,
    )

    assert response.status_code == 201, response.text
    assert await _fulfillment_statuses(database, order["id"]) == {
        a.id: FulfillmentStatus.DELIVERED,
        b.id: FulfillmentStatus.CANCELLED,
    }
    assert (await order_row(database, order["id"])).status == OrderStatus.COMPLETED


async def test_refunding_a_shipped_fulfilment_leaves_it_shipped(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    (a,), _buyer, operator, order = await card_order(
        client, database, runner, localstripe, (1500, 2)
    )
    await _set_fulfillment_status(database, order["id"], a.id, FulfillmentStatus.SHIPPED)
    [line] = _lines_of(order, a.id)

    response = await client.post(
        _refund_path(order["id"]),
        json={"lines": [{"order_line_id": line["id"], "quantity": 2}], "reason": "破损"},
        headers=operator.headers,
    )

    assert response.status_code == 201, response.text
    assert await _fulfillment_statuses(database, order["id"]) == {a.id: FulfillmentStatus.SHIPPED}
    assert (await order_row(database, order["id"])).status == OrderStatus.PAID
    assert await stock_of(database, a.sku_ids[0]) == 8  # shipped units do not come back


async def test_an_operator_cancels_a_paid_unshipped_card_order_refunded_through_stripe(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    (a, b), _buyer, operator, order = await card_order(
        client, database, runner, localstripe, (1500, 2), (990, 1)
    )
    await _set_fulfillment_status(database, order["id"], a.id, FulfillmentStatus.ACCEPTED)

    response = await client.post(
        _cancel_path(order["id"]), json={"reason": "供应商无法发货"}, headers=operator.headers
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "cancelled"
    assert {f["status"] for f in body["fulfillments"]} == {"cancelled"}
    assert await stock_of(database, a.sku_ids[0]) == 10
    assert await stock_of(database, b.sku_ids[0]) == 10
    assert await audit_actions(database, order["id"]) == ["payment.refund", "order.cancel"]
    [refund] = await refunds_of(database, order["id"])
    assert refund.amount_fen == order["total_fen"] and refund.status == RefundStatus.PENDING

    await run_outbox(runner)

    [refund] = await refunds_of(database, order["id"])
    assert refund.status == RefundStatus.SUCCEEDED
    at_stripe = localstripe.get(f"/v1/refunds/{refund.stripe_refund_id}")
    assert at_stripe["amount"] == order["total_fen"]
    assert at_stripe["payment_intent"] == order["payment"]["stripe_payment_intent_id"]


async def test_an_operator_cancels_an_unpaid_order_and_its_intent(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    a = await create_seller(database, price_fen=1500, stock=10)
    buyer = await create_api_user(database)
    operator = await create_api_user(database, roles=(Role.CONSUMER, Role.OPERATOR))
    placed = await place_order(client, buyer, [(a.sku_ids[0], 4)])
    await run_outbox(runner)
    intent_id = (await get_order(client, buyer, placed["id"]))["payment"][
        "stripe_payment_intent_id"
    ]

    response = await client.post(
        _cancel_path(placed["id"]), json={"reason": "重复下单"}, headers=operator.headers
    )

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    assert await stock_of(database, a.sku_ids[0]) == 10
    assert (await payment_of(database, placed["id"])).status == PaymentStatus.CANCELLED
    assert await refunds_of(database, placed["id"]) == []
    assert await audit_actions(database, placed["id"]) == ["order.cancel"]
    row = await order_row(database, placed["id"])
    assert row.cancel_reason == "重复下单"
    await run_outbox(runner)
    assert localstripe.get(f"/v1/payment_intents/{intent_id}")["status"] == "canceled"


async def test_an_operator_cancels_an_order_paid_by_transfer_and_the_refund_is_recorded(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    a = await create_seller(database, price_fen=2000, stock=10)
    buyer = await create_api_user(database)
    operator = await create_api_user(database, roles=(Role.CONSUMER, Role.OPERATOR))
    order = await paid_by_transfer(client, buyer, operator, [(a.sku_ids[0], 3)])

    response = await client.post(
        _cancel_path(order["id"]), json={"reason": "单位取消采购"}, headers=operator.headers
    )

    assert response.status_code == 200, response.text
    assert await stock_of(database, a.sku_ids[0]) == 10
    [refund] = await refunds_of(database, order["id"])
    # No Stripe to wait for: the operator pays the transfer back.
    assert (refund.amount_fen, refund.status) == (order["total_fen"], RefundStatus.SUCCEEDED)
    assert (await payment_of(database, order["id"])).refunded_fen == order["total_fen"]
    assert "order.cancel" in await audit_actions(database, order["id"])


async def test_refused_cancellations_change_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    runner: JobRunner,
    localstripe: LocalStripe,
) -> None:
    (a,), buyer, operator, order = await card_order(
        client, database, runner, localstripe, (1500, 2)
    )
    await _set_fulfillment_status(database, order["id"], a.id, FulfillmentStatus.SHIPPED)
    unpaid = await place_order(client, buyer, [(a.sku_ids[0], 1)])

    shipped = await client.post(
        _cancel_path(order["id"]), json={"reason": "想取消"}, headers=operator.headers
    )
    by_buyer = await client.post(
        _cancel_path(unpaid["id"]), json={"reason": "想取消"}, headers=buyer.headers
    )
    anonymous = await client.post(_cancel_path(unpaid["id"]), json={"reason": "想取消"})
    unknown = await client.post(
        _cancel_path(10**9), json={"reason": "想取消"}, headers=operator.headers
    )
    bad_reasons = [
        await client.post(_cancel_path(unpaid["id"]), json=body, headers=operator.headers)
        for body in ({}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 501}, {"reason": 1})
    ]

    assert_error(shipped, 409, "order_not_cancellable")
    assert by_buyer.status_code == 403
    assert anonymous.status_code == 401
    assert_error(unknown, 404, "order_not_found")
    for response in bad_reasons:
        assert response.status_code == 422, response.text
        assert "error" in response.json()
    assert (await order_row(database, order["id"])).status == OrderStatus.PAID
    assert (await order_row(database, unpaid["id"])).status == OrderStatus.PENDING_PAYMENT
    assert await stock_of(database, a.sku_ids[0]) == 7
    assert await refunds_of(database, order["id"]) == []
    assert "order.cancel" not in await audit_actions(database, order["id"])
    assert await audit_actions(database, unpaid["id"]) == []


async def test_an_operator_cancels_from_the_order_operator_page(
    app: FastAPI, client: httpx.AsyncClient, database: Database, runner: JobRunner
) -> None:
    a = await create_seller(database, price_fen=1500, stock=10)
    buyer = await create_api_user(database)
    placed = await place_order(client, buyer, [(a.sku_ids[0], 3)])
    email = f"operator-{uuid.uuid4().hex[:8]}@example.com"
    await create_user(database, email=email, roles=(Role.OPERATOR,))

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as operator_client:
        assert (await sign_in_page(operator_client, email)).status_code == 303
        listing = await operator_client.get("/admin/payments")
        page = await operator_client.get(f"/admin/orders/{placed['id']}/refund")
        csrf = csrf_token_in(page.text)
        path = f"/admin/orders/{placed['id']}/cancel"
        no_reason = await operator_client.post(path, data={"reason": "  ", "csrf_token": csrf})
        no_csrf = await operator_client.post(path, data={"reason": "重复下单"})
        unchanged = await order_row(database, placed["id"])
        done = await operator_client.post(path, data={"reason": "重复下单", "csrf_token": csrf})
        after = await operator_client.get(done.headers.get("location", "/"))
        again = await operator_client.post(path, data={"reason": "重复下单", "csrf_token": csrf})

    assert f'href="/admin/orders/{placed["id"]}/refund">取消订单' in listing.text
    assert page.status_code == 200
    assert f'action="/admin/orders/{placed["id"]}/cancel"' in page.text
    assert no_reason.status_code == 422
    assert "请填写取消原因" in no_reason.text
    assert no_csrf.status_code == 403
    assert unchanged.status == OrderStatus.PENDING_PAYMENT
    assert done.status_code == 303
    assert done.headers["location"] == f"/admin/orders/{placed['id']}/refund?cancelled=1"
    assert 'id="order-cancelled"' in after.text
    assert 'id="order-not-cancellable"' in after.text
    assert (await order_row(database, placed["id"])).status == OrderStatus.CANCELLED
    assert await stock_of(database, a.sku_ids[0]) == 10
    assert await audit_actions(database, placed["id"]) == ["order.cancel"]
    assert again.status_code == 409
    assert "不能取消" in again.text


async def test_cancelling_after_a_partial_refund_refunds_only_what_is_left_and_logs_it(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    a = await create_seller(database, price_fen=2000, stock=10, skus=2)
    buyer = await create_api_user(database)
    operator = await create_api_user(database, roles=(Role.CONSUMER, Role.OPERATOR))
    order = await paid_by_transfer(client, buyer, operator, [(a.sku_ids[0], 3), (a.sku_ids[1], 2)])
    by_sku = {line["sku_id"]: line["id"] for line in _lines_of(order, a.id)}
    first, second = by_sku[a.sku_ids[0]], by_sku[a.sku_ids[1]]
    partial = await client.post(
        _refund_path(order["id"]),
        json={
            "lines": [
                {"order_line_id": first, "quantity": 1},
                {"order_line_id": second, "quantity": 2},
            ],
            "reason": "破损",
        },
        headers=operator.headers,
    )
    assert partial.status_code in (200, 201), partial.text

    response = await client.post(
        _cancel_path(order["id"]), json={"reason": "单位取消采购"}, headers=operator.headers
    )

    assert response.status_code == 200, response.text
    _, rest = await refunds_of(database, order["id"])
    # Two units of the first line and the shipping are left; the second line was refunded.
    assert rest.amount_fen == order["total_fen"] - 3 * 2000
    assert [(line["order_line_id"], line["quantity"]) for line in rest.lines] == [(first, 2)]
    assert (await payment_of(database, order["id"])).refunded_fen == order["total_fen"]
    async with unit_of_work(database.reader) as session:
        logged = await session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "payment.refund",
                AuditEntry.entity_id == str(order["id"]),
                AuditEntry.reason == "单位取消采购",
            )
        )
    assert logged is not None
    assert logged.actor_user_id == operator.id
    assert logged.after == {
        "refund_id": rest.id,
        "amount_fen": rest.amount_fen,
        "lines": rest.lines,
    }
