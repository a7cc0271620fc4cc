"""Two approvers approve the same bulk order at the same moment, on committed data: exactly one
order is placed, the other approver is told it was decided already; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
from fastapi import FastAPI

from app.core.db import Database
from app.procurement.models import BulkOrderStatus
from tests.catalog.factories import create_seller
from tests.inventory.factories import stock_of
from tests.order.factories import counts
from tests.procurement.factories import (
    bulk_order_row,
    create_team,
    gift_path,
    path,
    sku_codes,
    submitted,
    submitted_gift,
)


async def test_two_approvers_at_once_place_exactly_one_order(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=100, skus=2)
    codes = await sku_codes(database, supplier.sku_ids)
    team = await create_team(app, database)
    bulk = await submitted(client, team, [(codes[0], 7), (codes[1], 3)])

    responses = await asyncio.gather(
        *(
            client.post(path(team, f"/{bulk['id']}/approve"), headers=who.headers)
            for who in (team.approver, team.second_approver, team.admin)
        )
    )

    statuses = Counter(response.status_code for response in responses)
    assert statuses == {201: 1, 409: 2}, [r.text for r in responses]
    assert {
        response.json()["error"]["code"] for response in responses if response.status_code == 409
    } == {"bulk_order_already_decided"}
    (winner,) = [response.json() for response in responses if response.status_code == 201]
    written = await counts(database)
    assert written.orders == written.payments == 1
    assert await stock_of(database, supplier.sku_ids[0]) == 93
    assert await stock_of(database, supplier.sku_ids[1]) == 97
    row = await bulk_order_row(database, bulk["id"])
    assert (row.status, row.order_id) == (BulkOrderStatus.APPROVED, winner["id"])


async def test_an_approval_and_a_rejection_at_once_take_one_decision(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=100)
    (code,) = await sku_codes(database, supplier.sku_ids)
    team = await create_team(app, database)
    bulk = await submitted(client, team, [(code, 5)])

    approved, rejected = await asyncio.gather(
        client.post(path(team, f"/{bulk['id']}/approve"), headers=team.approver.headers),
        client.post(
            path(team, f"/{bulk['id']}/reject"),
            json={"comment": "预算不足"},
            headers=team.second_approver.headers,
        ),
    )

    assert sorted([approved.status_code, rejected.status_code]) in ([200, 409], [201, 409])
    row = await bulk_order_row(database, bulk["id"])
    orders = (await counts(database)).orders
    if approved.status_code == 201:
        assert (row.status, orders) == (BulkOrderStatus.APPROVED, 1)
    else:
        assert (row.status, orders, row.order_id) == (BulkOrderStatus.REJECTED, 0, None)
        assert await stock_of(database, supplier.sku_ids[0]) == 100


async def test_two_approvers_of_a_gift_at_once_place_exactly_one_order(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    first = await create_seller(database, stock=30)
    second = await create_seller(database, stock=30)
    team = await create_team(app, database)
    gift = await submitted_gift(client, team, [(first.sku_ids[0], 2), (second.sku_ids[0], 1)])

    responses = await asyncio.gather(
        *(
            client.post(gift_path(team, f"/{gift['id']}/approve"), headers=who.headers)
            for who in (team.approver, team.second_approver, team.admin)
        )
    )

    statuses = Counter(response.status_code for response in responses)
    assert statuses == {201: 1, 409: 2}, [r.text for r in responses]
    written = await counts(database)
    assert (written.orders, written.payments, written.fulfillments) == (1, 1, 6)
    assert await stock_of(database, first.sku_ids[0]) == 30 - 3 * 2
    assert await stock_of(database, second.sku_ids[0]) == 30 - 3
