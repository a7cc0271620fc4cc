"""Factories of supplier-performance tests: parcels paid and shipped at chosen times, and
after-sales requests on them."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import httpx
from sqlalchemy import update

from app.aftersales.models import AfterSalesRequest, RequestKind, RequestStatus
from app.core.clock import utcnow
from app.core.db import Database, unit_of_work
from app.order.models import Fulfillment, FulfillmentStatus, Order
from tests.account.factories import ApiUser
from tests.catalog.factories import Seller
from tests.order.factories import mark_paid, placed_order

_keys = itertools.count(1)


async def parcel(
    client: httpx.AsyncClient,
    database: Database,
    buyer: ApiUser,
    seller: Seller,
    *,
    paid_hours_ago: float,
    shipped_after_hours: float | None = None,
    cancelled: bool = False,
    now: datetime | None = None,
) -> tuple[int, int]:
    """An order of one unit of the seller's SKU, paid `paid_hours_ago` hours ago and shipped
    `shipped_after_hours` after its payment (or not shipped); returns (order id, parcel id)."""
    order = await placed_order(client, buyer, [(seller.sku_id, 1)])
    await mark_paid(database, order["id"])
    paid_at = (now or utcnow()) - timedelta(hours=paid_hours_ago)
    values: dict[str, object] = {}
    if shipped_after_hours is not None:
        values = {
            "status": FulfillmentStatus.SHIPPED,
            "shipped_at": paid_at + timedelta(hours=shipped_after_hours),
        }
    if cancelled:
        values = {"status": FulfillmentStatus.CANCELLED, "cancelled_at": paid_at}
    fulfillment_id = int(order["fulfillments"][0]["id"])
    async with unit_of_work(database.writer) as session:
        await session.execute(update(Order).where(Order.id == order["id"]).values(paid_at=paid_at))
        if values:
            await session.execute(
                update(Fulfillment).where(Fulfillment.id == fulfillment_id).values(**values)
            )
    return int(order["id"]), fulfillment_id


async def after_sales_request(
    database: Database,
    *,
    order_id: int,
    fulfillment_id: int,
    seller: Seller,
    buyer: ApiUser,
    escalated: bool = False,
) -> int:
    """A request on the parcel straight in the table (these tests count requests; the
    after-sales tests drive their steps)."""
    now = utcnow()
    async with unit_of_work(database.writer) as session:
        request = AfterSalesRequest(
            order_id=order_id,
            fulfillment_id=fulfillment_id,
            cooperative_id=seller.id,
            buyer_user_id=buyer.id,
            kind=RequestKind.REFUND_ONLY,
            status=RequestStatus.ESCALATED if escalated else RequestStatus.REQUESTED,
            reason=f"包装破损 {next(_keys)}",
            deadline_at=now + timedelta(hours=48),
            escalated_at=now if escalated else None,
        )
        session.add(request)
        await session.flush()
        return request.id
