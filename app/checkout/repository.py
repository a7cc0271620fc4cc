"""Queries of checkout: the payments shown beside the buyer's orders."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.payment.models import Payment


async def payments_by_order(
    session: AsyncSession, order_ids: Collection[int]
) -> dict[int, Payment]:
    if not order_ids:
        return {}
    result = await session.scalars(select(Payment).where(Payment.order_id.in_(set(order_ids))))
    return {payment.order_id: payment for payment in result}
