"""Products' rating aggregates: kept by the review domain, read by listings and suppliers."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.models import Product


async def add_rating(
    session: AsyncSession, product_id: int, *, rating_sum: int, rating_count: int
) -> None:
    """Add to a product's aggregates in place (UPDATE … SET x = x + n): two reviews committed
    at once both count, whatever order they take the row's lock in."""
    await session.execute(
        update(Product)
        .where(Product.id == product_id)
        .values(
            rating_sum=Product.rating_sum + rating_sum,
            rating_count=Product.rating_count + rating_count,
        )
        .execution_options(synchronize_session=False)
    )


async def cooperative_rating(session: AsyncSession, cooperative_id: int) -> tuple[int, int]:
    """(sum, count) of the visible ratings of all of a supplier's products."""
    row = (
        await session.execute(
            select(
                func.coalesce(func.sum(Product.rating_sum), 0),
                func.coalesce(func.sum(Product.rating_count), 0),
            ).where(Product.cooperative_id == cooperative_id)
        )
    ).one()
    return int(row[0]), int(row[1])
