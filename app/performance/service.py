"""Supplier performance from the data already kept: parcels' shipping times, after-sales
requests, reviews and price flags; and the two pages' views that carry it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.catalog import listing
from app.catalog import service as catalog_service
from app.cooperative import service as cooperative_service
from app.core.clock import utcnow
from app.core.money import share_bp
from app.core.storage import MediaStorage
from app.performance import repository
from app.performance.schemas import (
    SHIPPING_DEADLINE_HOURS,
    WINDOW_DAYS,
    AfterSalesRate,
    OperatorSupplier,
    PublicPerformance,
    PublicSupplier,
    ShippingSpeed,
    SupplierPerformance,
)

WINDOW = timedelta(days=WINDOW_DAYS)
SHIPPING_DEADLINE = timedelta(hours=SHIPPING_DEADLINE_HOURS)


async def shipping_speed(
    session: AsyncSession, cooperative_id: int, *, now: datetime
) -> ShippingSpeed:
    counts = await repository.shipping_counts(
        session, cooperative_id, since=now - WINDOW, now=now, deadline=SHIPPING_DEADLINE
    )
    average = counts.average_seconds
    return ShippingSpeed(
        counted=counts.counted,
        on_time=counts.on_time,
        on_time_share_bp=share_bp(counts.on_time, counts.counted),
        average_hours=None if average is None else round(average / 3600, 1),
    )


async def after_sales_rate(
    session: AsyncSession, cooperative_id: int, *, now: datetime
) -> AfterSalesRate:
    counts = await repository.after_sales_counts(session, cooperative_id, since=now - WINDOW)
    return AfterSalesRate(
        parcels=counts.parcels,
        parcels_with_request=counts.parcels_with_request,
        rate_bp=share_bp(counts.parcels_with_request, counts.parcels),
        requests=counts.requests,
        escalated=counts.escalated,
    )


async def public_performance(
    session: AsyncSession, cooperative_id: int, *, now: datetime | None = None
) -> PublicPerformance:
    """The rating (all visible reviews) and the last 90 days' shipping speed."""
    return PublicPerformance(
        window_days=WINDOW_DAYS,
        rating=await catalog_service.cooperative_rating(session, cooperative_id),
        shipping=await shipping_speed(session, cooperative_id, now=now or utcnow()),
    )


async def supplier_performance(
    session: AsyncSession, cooperative_id: int, *, now: datetime | None = None
) -> SupplierPerformance:
    """Everything an operator weighs: the public figures, after-sales and flagged prices."""
    now = now or utcnow()
    public = await public_performance(session, cooperative_id, now=now)
    return SupplierPerformance(
        **public.model_dump(),
        after_sales=await after_sales_rate(session, cooperative_id, now=now),
        price_flags=await catalog_service.list_flagged_products(
            session, cooperative_id=cooperative_id
        ),
    )


async def public_supplier(
    session: AsyncSession,
    cooperative_id: int,
    *,
    page: int = 1,
    per_page: int = listing.SUPPLIER_PAGE_PRODUCTS,
    media: MediaStorage | None = None,
) -> PublicSupplier:
    """A verified supplier's public page (404 for any other) with its rating and shipping."""
    profile = await listing.supplier_profile(
        session, cooperative_id, page=page, per_page=per_page, media=media
    )
    return PublicSupplier(
        **dict(profile), performance=await public_performance(session, cooperative_id)
    )


async def operator_supplier(
    session: AsyncSession, cooperative_id: int, *, operator: User
) -> OperatorSupplier:
    """Any supplier, whatever its status, with its contacts and full performance (404
    `cooperative_not_found` when there is none)."""
    cooperative = await cooperative_service.view_cooperative(
        session, cooperative_id=cooperative_id, viewer=operator
    )
    return OperatorSupplier(
        cooperative=cooperative,
        performance=await supplier_performance(session, cooperative_id),
    )
