"""End to end through the real payment path: an operator confirms a bank transfer and refunds a
unit; the payment domain's hooks write the ledger in the same transactions."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from app.account.models import Role
from app.admin.reconcile import reconcile
from app.core.db import Database, unit_of_work
from app.impact.models import EntryKind
from app.impact.reports import current_year
from tests.account.factories import create_api_user
from tests.catalog.factories import create_seller
from tests.impact.factories import entries, rollup_snapshot
from tests.payment.factories import paid_by_transfer


async def test_a_confirmed_transfer_and_a_refund_write_the_ledger(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=10, price_fen=1200)
    buyer = await create_api_user(database)
    operator = await create_api_user(database, roles=(Role.CONSUMER, Role.OPERATOR))

    order = await paid_by_transfer(client, buyer, operator, [(supplier.sku_ids[0], 3)])

    (sale,) = await entries(database, order["id"])
    assert (sale.kind, sale.quantity, sale.amount_fen) == (EntryKind.SALE, 3, 3600)
    assert sale.amount_fen == order["goods_fen"] < order["total_fen"]  # no shipping
    line_id = order["fulfillments"][0]["lines"][0]["id"]
    before = await rollup_snapshot(database)

    again = await client.post(
        f"/api/v1/admin/orders/{order['id']}/confirm-payment",
        json={
            "bank_reference": order["payment"]["bank_reference"],
            "amount_fen": order["total_fen"],
        },
        headers=operator.headers,
    )
    assert again.status_code == 409
    assert await rollup_snapshot(database) == before

    refunded = await client.post(
        f"/api/v1/admin/orders/{order['id']}/refunds",
        json={"lines": [{"order_line_id": line_id, "quantity": 1}], "reason": "破损"},
        headers=operator.headers,
    )
    assert refunded.status_code in (200, 201), refunded.text

    rows = await entries(database, order["id"])
    assert [(r.kind, r.quantity, r.amount_fen) for r in rows] == [
        (EntryKind.SALE, 3, 3600),
        (EntryKind.REFUND, -1, -1200),
    ]
    summary = (await client.get("/api/v1/impact/summary", params={"year": current_year()})).json()
    assert (summary["amount_fen"], summary["order_count"]) == (2400, 1)
    async with unit_of_work(database.reader) as session:
        report = await reconcile(session, year=None)
    assert report.ok, report.render()
