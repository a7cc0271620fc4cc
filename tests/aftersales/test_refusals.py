"""After-sales refusals: each bad input or illegal step is the contract's error, changes
nothing, and others' requests answer 404."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.aftersales.models import AfterSalesPhoto, AfterSalesRequest
from app.core.db import Database, unit_of_work
from tests.account.factories import create_api_user
from tests.aftersales.factories import (
    Bought,
    ask,
    asked,
    bought_by_transfer,
    delivered,
    request_body,
    request_row,
    shipped,
    step,
)
from tests.catalog.factories import png_bytes
from tests.http_assertions import assert_error
from tests.payment.factories import place_order, refunds_of


async def _requests(database: Database) -> int:
    async with unit_of_work(database.reader) as session:
        return int(await session.scalar(select(func.count()).select_from(AfterSalesRequest)) or 0)


@pytest.fixture
async def bought(client: httpx.AsyncClient, database: Database, app: FastAPI) -> Bought:
    return await bought_by_transfer(client, database, quantity=3)


async def test_more_units_than_bought_or_left_are_refused(
    client: httpx.AsyncClient, database: Database, bought: Bought
) -> None:
    assert_error(await ask(client, bought, 4), 409, "after_sales_quantity_exceeded")
    first = await asked(client, bought, 2)
    await step(client, bought.supplier, first["id"], "accept")
    await step(
        client, bought.operator, first["id"], "payout", {"bank_reference": "HX-0001"}, admin=True
    )
    error = assert_error(await ask(client, bought, 2), 409, "after_sales_quantity_exceeded")
    assert error["fields"] == {"lines.0.quantity": "at most 1 left to refund"}
    assert (await asked(client, bought, 1))["status"] == "requested"


async def test_a_second_open_request_for_a_line_is_refused(
    client: httpx.AsyncClient, database: Database, bought: Bought
) -> None:
    await asked(client, bought, 1)
    assert_error(await ask(client, bought, 1), 409, "after_sales_line_busy")
    assert await _requests(database) == 1


async def test_another_buyers_order_is_not_found(
    client: httpx.AsyncClient, database: Database, bought: Bought
) -> None:
    stranger = await create_api_user(database)
    response = await client.post(
        f"/api/v1/orders/{bought.order['id']}/after-sales",
        json=request_body(bought),
        headers=stranger.headers,
    )
    assert_error(response, 404, "order_not_found")
    listing = await client.get(
        f"/api/v1/orders/{bought.order['id']}/after-sales", headers=stranger.headers
    )
    assert listing.status_code == 404
    assert await _requests(database) == 0


@pytest.mark.parametrize(
    ("state", "kind"),
    [
        ("shipped", "refund_only"),  # in transit: neither before shipping nor delivered
        ("unshipped", "return_and_refund"),  # nothing to send back yet
        ("delivered_16_days_ago", "refund_only"),
        ("delivered_16_days_ago", "return_and_refund"),
    ],
)
async def test_requests_outside_their_window_are_refused(
    client: httpx.AsyncClient, database: Database, bought: Bought, state: str, kind: str
) -> None:
    if state == "shipped":
        await shipped(database, bought.fulfillment_id)
    elif state.startswith("delivered"):
        await delivered(database, bought.fulfillment_id, days_ago=16)
    assert_error(await ask(client, bought, 1, kind=kind), 409, "after_sales_not_allowed")
    assert await _requests(database) == 0


async def test_an_unpaid_order_cannot_be_refunded(
    client: httpx.AsyncClient, database: Database, bought: Bought
) -> None:
    unpaid = await place_order(
        client, bought.buyer, [(bought.seller.sku_id, 1)], method="bank_transfer"
    )
    body = {
        "kind": "refund_only",
        "lines": [{"order_line_id": unpaid["fulfillments"][0]["lines"][0]["id"], "quantity": 1}],
        "reason": "不想要了",
    }
    response = await client.post(
        f"/api/v1/orders/{unpaid['id']}/after-sales", json=body, headers=bought.buyer.headers
    )
    assert_error(response, 409, "after_sales_not_allowed")


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"reason": "  "}, 422, "invalid_after_sales"),
        ({"reason": "x" * 501}, 422, "invalid_after_sales"),
        ({"reason": "坏了\u0000"}, 422, "invalid_after_sales"),
        ({"kind": "exchange"}, 422, "validation_failed"),
        ({"lines": []}, 422, "validation_failed"),
        ({"lines": [{"order_line_id": 1, "quantity": 0}]}, 422, "validation_failed"),
        ({"lines": [{"order_line_id": 1, "quantity": 1.5}]}, 422, "validation_failed"),
        ({"lines": [{"order_line_id": 1, "quantity": "2"}]}, 422, "validation_failed"),
        ({"lines": [{"order_line_id": 999999, "quantity": 1}]}, 422, "invalid_after_sales"),
        ({"photo_ids": [999999]}, 422, "invalid_after_sales"),
    ],
)
async def test_malformed_requests_are_refused(
    client: httpx.AsyncClient,
    database: Database,
    bought: Bought,
    change: dict[str, Any],
    status: int,
    code: str,
) -> None:
    body = {**request_body(bought), **change}
    response = await client.post(
        f"/api/v1/orders/{bought.order['id']}/after-sales", json=body, headers=bought.buyer.headers
    )
    assert_error(response, status, code)
    assert await _requests(database) == 0


async def test_photos_are_images_of_the_uploader_and_attached_once(
    client: httpx.AsyncClient, database: Database, bought: Bought
) -> None:
    not_image = await client.post(
        "/api/v1/after-sales/photos",
        files={"file": ("photo.png", b"<svg onload=alert(1)>", "image/png")},
        headers=bought.buyer.headers,
    )
    assert_error(not_image, 422, "unsupported_type")
    uploaded = await client.post(
        "/api/v1/after-sales/photos",
        files={"file": ("photo.png", png_bytes(640, 480), "image/png")},
        headers=bought.buyer.headers,
    )
    assert uploaded.status_code == 201, uploaded.text
    photo = uploaded.json()
    assert photo["url"].startswith("/media/after-sales/")
    stranger = await create_api_user(database)
    theirs = await client.post(
        "/api/v1/after-sales/photos",
        files={"file": ("photo.png", png_bytes(640, 480), "image/png")},
        headers=stranger.headers,
    )
    refused = await ask(client, bought, 1, photo_ids=[theirs.json()["id"]])
    assert_error(refused, 422, "invalid_after_sales")

    created = await asked(client, bought, 1, photo_ids=[photo["id"]])

    assert [p["id"] for p in created["photos"]] == [photo["id"]]
    async with unit_of_work(database.reader) as session:
        row = await session.get(AfterSalesPhoto, photo["id"])
        assert row is not None and row.request_id == created["id"]


async def test_others_cannot_move_a_request(
    client: httpx.AsyncClient, database: Database, bought: Bought
) -> None:
    created = await asked(client, bought, 1)
    rid = created["id"]
    other_supplier = await bought_by_transfer(client, database, quantity=1)
    # The buyer cannot answer for the supplier, nor another supplier, nor an operator.
    for user in (bought.buyer, other_supplier.supplier, bought.operator):
        assert_error(await step(client, user, rid, "accept"), 404, "after_sales_not_found")
        assert_error(
            await step(client, user, rid, "reject", {"reason": "不行"}),
            404,
            "after_sales_not_found",
        )
    # Only the buyer escalates or sends back.
    assert_error(await step(client, bought.supplier, rid, "escalate"), 404, "after_sales_not_found")
    assert_error(
        await step(client, other_supplier.buyer, rid, "escalate"), 404, "after_sales_not_found"
    )
    # Only operators decide.
    decided = await step(
        client, bought.supplier, rid, "decide", {"outcome": "refund", "reason": "好"}, admin=True
    )
    assert decided.status_code == 403
    listing = await client.get(
        f"/api/v1/cooperatives/{bought.seller.id}/after-sales",
        headers=other_supplier.supplier.headers,
    )
    assert listing.status_code == 404
    assert_error(await step(client, bought.buyer, 10**15, "escalate"), 404, "after_sales_not_found")
    assert (await request_row(database, rid)).status.value == "requested"


async def test_illegal_transitions_are_conflicts(
    client: httpx.AsyncClient, database: Database, bought: Bought
) -> None:
    created = await asked(client, bought, 1)
    rid = created["id"]
    assert_error(
        await step(client, bought.buyer, rid, "escalate"), 409, "invalid_status_transition"
    )
    assert_error(
        await step(
            client, bought.buyer, rid, "return", {"carrier": "顺丰", "tracking_number": "SF12345"}
        ),
        409,
        "invalid_status_transition",
    )
    assert_error(
        await step(client, bought.supplier, rid, "received"), 409, "invalid_status_transition"
    )
    assert_error(
        await step(
            client,
            bought.operator,
            rid,
            "decide",
            {"outcome": "refund", "reason": "好"},
            admin=True,
        ),
        409,
        "invalid_status_transition",
    )
    assert_error(
        await step(client, bought.operator, rid, "payout", {"bank_reference": "H1"}, admin=True),
        422,
        "invalid_after_sales",
    )
    assert_error(
        await step(
            client, bought.operator, rid, "payout", {"bank_reference": "HX-0001"}, admin=True
        ),
        409,
        "invalid_status_transition",
    )
    assert_error(
        await step(client, bought.supplier, rid, "reject", {"reason": ""}),
        422,
        "invalid_after_sales",
    )
    await step(client, bought.supplier, rid, "reject", {"reason": "不同意"})
    assert_error(
        await step(client, bought.supplier, rid, "accept"), 409, "invalid_status_transition"
    )
    assert_error(
        await step(client, bought.supplier, rid, "reject", {"reason": "再拒"}),
        409,
        "invalid_status_transition",
    )
    assert (await request_row(database, rid)).status.value == "rejected"
    assert await refunds_of(database, bought.order["id"]) == []


async def test_a_return_needs_a_known_carrier_and_a_tracking_number(
    client: httpx.AsyncClient, database: Database, bought: Bought
) -> None:
    await delivered(database, bought.fulfillment_id)
    created = await asked(client, bought, 1, kind="return_and_refund")
    await step(client, bought.supplier, created["id"], "accept")
    for body in (
        {"carrier": "飞鸽传书", "tracking_number": "SF12345678"},
        {"carrier": "顺丰", "tracking_number": "SF 1'; --"},
    ):
        assert_error(
            await step(client, bought.buyer, created["id"], "return", body),
            422,
            "invalid_after_sales",
        )
    row = await request_row(database, created["id"])
    assert (row.status.value, row.return_tracking_number) == ("awaiting_return", None)


async def test_queues_list_by_status_and_refuse_unknown_ones(
    client: httpx.AsyncClient, database: Database, bought: Bought
) -> None:
    created = await asked(client, bought, 1)
    supplier_queue = await client.get(
        f"/api/v1/cooperatives/{bought.seller.id}/after-sales",
        params={"status": "requested"},
        headers=bought.supplier.headers,
    )
    assert [item["id"] for item in supplier_queue.json()["items"]] == [created["id"]]
    none = await client.get(
        "/api/v1/admin/after-sales", params={"status": "escalated"}, headers=bought.operator.headers
    )
    assert none.json()["items"] == []
    bad = await client.get(
        "/api/v1/admin/after-sales", params={"status": "lost"}, headers=bought.operator.headers
    )
    assert_error(bad, 422, "invalid_after_sales")
    mine = await client.get(
        f"/api/v1/orders/{bought.order['id']}/after-sales", headers=bought.buyer.headers
    )
    assert [item["status"] for item in mine.json()["items"]] == ["requested"]
