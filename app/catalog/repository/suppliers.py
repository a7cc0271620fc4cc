"""Queries of the public supplier page: a verified supplier with its county."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from app.cooperative.models import Cooperative, SupplierStatus
from app.regions.models import County


async def get_public_cooperative(session: AsyncSession, cooperative_id: int) -> Cooperative | None:
    """A verified supplier (the only ones that sell) with its county, prefecture and province,
    else None."""
    result = await session.scalars(
        select(Cooperative)
        .where(Cooperative.id == cooperative_id, Cooperative.status == SupplierStatus.VERIFIED)
        .options(
            joinedload(Cooperative.county).joinedload(County.province),
            joinedload(Cooperative.county).joinedload(County.prefecture),
        )
    )
    return result.first()
