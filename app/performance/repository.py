"""Queries of supplier performance: parcels and their shipping times, after-sales requests.

Read-only aggregates over the order and after-sales tables, one supplier at a time (both
tables are indexed by supplier first)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Float, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.aftersales.models import AfterSalesRequest
from app.order.models import Fulfillment, FulfillmentStatus, Order


def _seconds_to_ship(session: AsyncSession) -> ColumnElement[float]:
    """Seconds from the order's payment to the parcel's shipping, in the database's dialect."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("epoch", Fulfillment.shipped_at - Order.paid_at), Float)
    # SQLite keeps timestamps as text; julianday() reads them as days, a float whose last digits
    # are noise: rounded to the millisecond, exactly 48 h compares as 48 h.
    days = func.julianday(Fulfillment.shipped_at) - func.julianday(Order.paid_at)
    return func.round(days * 86400.0, 3)


@dataclass(frozen=True)
class ShippingCounts:
    counted: int
    on_time: int
    average_seconds: float | None


async def shipping_counts(
    session: AsyncSession,
    cooperative_id: int,
    *,
    since: datetime,
    now: datetime,
    deadline: timedelta,
) -> ShippingCounts:
    """Parcels paid since `since` that are due by `now` (shipped, or unshipped past the
    deadline), how many of them shipped within the deadline, and the average time to ship."""
    seconds = _seconds_to_ship(session)
    shipped = Fulfillment.shipped_at.is_not(None)
    row = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(
                    func.sum(case((shipped & (seconds <= deadline.total_seconds()), 1), else_=0)),
                    0,
                ),
                func.avg(case((shipped, seconds), else_=None)),
            )
            .select_from(Fulfillment)
            .join(Order, Order.id == Fulfillment.order_id)
            .where(
                Fulfillment.cooperative_id == cooperative_id,
                Fulfillment.status != FulfillmentStatus.CANCELLED,
                Order.paid_at.is_not(None),
                Order.paid_at >= since,
                shipped | (Order.paid_at < now - deadline),
            )
        )
    ).one()
    average = None if row[2] is None else float(row[2])
    return ShippingCounts(counted=int(row[0]), on_time=int(row[1]), average_seconds=average)


@dataclass(frozen=True)
class AfterSalesCounts:
    parcels: int
    parcels_with_request: int
    requests: int
    escalated: int


async def after_sales_counts(
    session: AsyncSession, cooperative_id: int, *, since: datetime
) -> AfterSalesCounts:
    """Parcels paid since `since` (cancelled ones too: a refund before shipping cancels its
    parcel), and the after-sales requests made on them."""
    paid_since = (Order.paid_at.is_not(None), Order.paid_at >= since)
    parcels = await session.scalar(
        select(func.count())
        .select_from(Fulfillment)
        .join(Order, Order.id == Fulfillment.order_id)
        .where(Fulfillment.cooperative_id == cooperative_id, *paid_since)
    )
    row = (
        await session.execute(
            select(
                func.count(func.distinct(AfterSalesRequest.fulfillment_id)),
                func.count(),
                func.coalesce(
                    func.sum(case((AfterSalesRequest.escalated_at.is_not(None), 1), else_=0)), 0
                ),
            )
            .select_from(AfterSalesRequest)
            .join(Order, Order.id == AfterSalesRequest.order_id)
            .where(AfterSalesRequest.cooperative_id == cooperative_id, *paid_since)
        )
    ).one()
    return AfterSalesCounts(
        parcels=int(parcels or 0),
        parcels_with_request=int(row[0]),
        requests=int(row[1]),
        escalated=int(row[2]),
    )
