"""End to end through the real payment path: an operator confirms a bank transfer and refunds a
unit; the payment domain's hooks write the ledger in the same transactions."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from app import cli as cli_module
from app.account.models import Role
from app.admin.reconcile import reconcile
from app.config import Settings
from app.core.db import Database, unit_of_work
from app.impact.models import EntryKind
from app.impact.reports import current_year
from tests.account.factories import create_api_user
from tests.catalog.factories import create_seller
from tests.impact.factories import attributions, entries, rollup_snapshot
from tests.payment.factories import paid_by_transfer

# 上犹县, 江西: Jiangxi helps Xinjiang but no pairing helps Jiangxi, so no pairing is even a
# candidate for a sale from here.
SHANGYOU = "360724"


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


async def test_a_sale_from_a_province_no_pairing_helps_is_recorded_and_reconciles(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    supplier = await create_seller(database, county_code=SHANGYOU, stock=10, price_fen=1500)
    buyer = await create_api_user(database)
    operator = await create_api_user(database, roles=(Role.CONSUMER, Role.OPERATOR))

    order = await paid_by_transfer(client, buyer, operator, [(supplier.sku_ids[0], 2)])

    assert order["status"] == "paid"
    (sale,) = await entries(database, order["id"])
    assert (sale.kind, sale.quantity, sale.amount_fen) == (EntryKind.SALE, 2, 3000)
    assert sale.origin_county_code == SHANGYOU
    assert sale.id not in await attributions(database)  # it counts for no pairing
    summary = (await client.get("/api/v1/impact/summary", params={"year": current_year()})).json()
    assert (summary["amount_fen"], summary["order_count"]) == (3000, 1)
    async with unit_of_work(database.reader) as session:
        report = await reconcile(session, year=None)
    assert report.ok, report.render()
    assert report.expected_entries == report.ledger_entries == 1

    monkeypatch.setattr(cli_module, "get_settings", lambda: settings)
    # The command runs its own event loop, so it gets a thread of its own.
    result = await asyncio.to_thread(CliRunner().invoke, cli_module.cli, ["reconcile"])
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith("no difference")
