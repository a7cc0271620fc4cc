"""Ratings as the catalog keeps them: the review domain writes the aggregates, any page above
the catalog (a supplier's public page, the operator's supplier performance) reads them here."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog import repository
from app.catalog.schemas import RatingSummary, rating_summary


async def cooperative_rating(session: AsyncSession, cooperative_id: int) -> RatingSummary:
    """The average and count of the visible reviews of all of a supplier's products."""
    rating_sum, rating_count = await repository.cooperative_rating(session, cooperative_id)
    return rating_summary(rating_sum, rating_count)
