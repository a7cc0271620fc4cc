"""Queries of the shipping domain."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.regions.models import Province
from app.shipping.models import ShippingRule


async def rules_for(session: AsyncSession, cooperative_ids: Collection[int]) -> list[ShippingRule]:
    if not cooperative_ids:
        return []
    result = await session.scalars(
        select(ShippingRule).where(ShippingRule.cooperative_id.in_(sorted(cooperative_ids)))
    )
    return list(result)


async def rule_of(session: AsyncSession, cooperative_id: int) -> ShippingRule | None:
    return await session.scalar(
        select(ShippingRule).where(ShippingRule.cooperative_id == cooperative_id)
    )


async def provinces(session: AsyncSession) -> Sequence[Province]:
    return (await session.scalars(select(Province).order_by(Province.code))).all()
