"""A supplier with a known history: parcels shipped on time, late, not yet due, outside the
window and cancelled; after-sales requests; two reviews; a price above its reference."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from app.account.models import Role
from app.core.db import Database
from tests.account.factories import ApiUser, create_api_user
from tests.catalog.factories import Seller, create_seller
from tests.performance.factories import after_sales_request, parcel
from tests.review.factories import create_review


@dataclass(frozen=True)
class Scene:
    seller: Seller
    other: Seller
    buyer: ApiUser
    operator: ApiUser


@pytest.fixture
async def operator(database: Database) -> ApiUser:
    return await create_api_user(database, roles=(Role.CONSUMER, Role.OPERATOR))


@pytest.fixture
async def scene(client: httpx.AsyncClient, database: Database, operator: ApiUser) -> Scene:
    seller = await create_seller(database, price_fen=1000, stock=50)
    other = await create_seller(database, price_fen=1000, stock=50)
    buyer = await create_api_user(database)

    async def bought(
        paid_hours_ago: float, *, shipped_after_hours: float | None = None, cancelled: bool = False
    ) -> tuple[int, int]:
        return await parcel(
            client,
            database,
            buyer,
            seller,
            paid_hours_ago=paid_hours_ago,
            shipped_after_hours=shipped_after_hours,
            cancelled=cancelled,
        )

    on_time = await bought(240, shipped_after_hours=20)
    late = await bought(240, shipped_after_hours=60)
    await bought(240)  # unshipped past its 48 h: late
    await bought(1)  # unshipped, still inside its 48 h: not counted yet
    await bought(2, shipped_after_hours=0.5)
    await bought(240, shipped_after_hours=48)  # exactly 48 h: on time
    outside = await bought(24 * 100, shipped_after_hours=100)  # before the 90 days
    await bought(240, cancelled=True)  # not shipped, never will be: not counted

    for (order_id, fulfillment_id), escalated in [
        (on_time, True),
        (late, False),
        (late, False),
        (outside, False),
    ]:
        await after_sales_request(
            database,
            order_id=order_id,
            fulfillment_id=fulfillment_id,
            seller=seller,
            buyer=buyer,
            escalated=escalated,
        )
    # Another supplier's parcel, late and complained about, changes nothing of the first's.
    elsewhere = await parcel(
        client, database, buyer, other, paid_hours_ago=240, shipped_after_hours=90
    )
    await after_sales_request(
        database,
        order_id=elsewhere[0],
        fulfillment_id=elsewhere[1],
        seller=other,
        buyer=buyer,
        escalated=True,
    )

    lines = {}
    for order_id, _ in (on_time, late):
        order = (await client.get(f"/api/v1/orders/{order_id}", headers=buyer.headers)).json()
        lines[order_id] = order["fulfillments"][0]["lines"][0]["id"]
    await create_review(database, lines[on_time[0]], rating=5)
    await create_review(database, lines[late[0]], rating=2)

    # Both suppliers sell at ¥10.00 per 500g/盒, twice the reference: flagged above 1.5×.
    response = await client.put(
        "/api/v1/admin/reference-prices",
        json={"category": "fruit", "unit": "500g/盒", "price_fen": 500, "flag_ratio_bp": 15_000},
        headers=operator.headers,
    )
    assert response.status_code == 200, response.text
    return Scene(seller=seller, other=other, buyer=buyer, operator=operator)
