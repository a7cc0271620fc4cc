"""Concurrent payments: rollup upserts add up exactly (no lost update, no deadlock), and the
same payment applied twice at once is recorded once, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx

from app.core.db import Database, unit_of_work
from app.impact import ledger
from app.impact.models import LedgerEntry
from tests.account.factories import create_user
from tests.catalog.factories import create_seller
from tests.impact.factories import GUANGDONG, SANDU, Line, count, create_order

PAID_AT = datetime(2026, 4, 1, 3, 0, tzinfo=UTC)


async def _record(database: Database, order_id: int) -> int:
    async with unit_of_work(database.writer) as session:
        return await ledger.record_sale(session, order_id=order_id)


async def test_concurrent_payments_add_up_in_every_rollup(
    client: httpx.AsyncClient, database: Database
) -> None:
    seller = await create_seller(database, county_code=SANDU)
    buyer = await create_user(database)
    orders = [
        await create_order(
            database,
            buyer_user_id=buyer,
            lines=[Line(seller, 1, 100 + i), Line(seller, 2, 1000)],
            buyer_province_code=GUANGDONG,  # all in the same groups: the same rollup rows
            paid_at=PAID_AT,
        )
        for i in range(12)
    ]

    written = await asyncio.gather(*(_record(database, o.id) for o in orders))

    assert written == [2] * 12
    expected = sum(100 + i + 2000 for i in range(12))
    summary = (await client.get("/api/v1/impact/summary", params={"year": 2026})).json()
    assert (summary["amount_fen"], summary["order_count"]) == (expected, 12)
    county = (await client.get(f"/api/v1/impact/counties/{SANDU}", params={"year": 2026})).json()
    assert county["by_month"][3]["amount_fen"] == expected
    assert county["by_buyer_province"] == [
        {"code": GUANGDONG, "name": "广东省", "amount_fen": expected, "order_count": 12}
    ]
    pairings = (await client.get("/api/v1/impact/pairings", params={"year": 2026})).json()
    assert [(i["amount_fen"], i["order_count"]) for i in pairings["items"]] == [(expected, 12)]


async def test_the_same_payment_applied_twice_at_once_is_recorded_once(
    client: httpx.AsyncClient, database: Database
) -> None:
    seller = await create_seller(database, county_code=SANDU)
    buyer = await create_user(database)
    order = await create_order(
        database,
        buyer_user_id=buyer,
        lines=[Line(seller, 3, 700)],
        buyer_province_code=GUANGDONG,
        paid_at=PAID_AT,
    )

    written = await asyncio.gather(*(_record(database, order.id) for _ in range(4)))

    assert sorted(written) == [0, 0, 0, 1]
    assert await count(database, LedgerEntry) == 1
    summary = (await client.get("/api/v1/impact/summary", params={"year": 2026})).json()
    assert (summary["amount_fen"], summary["order_count"]) == (2100, 1)
