"""Queries of reviews."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.models import Product
from app.cooperative.models import Cooperative
from app.review.models import Review


async def get_review(
    session: AsyncSession, review_id: int, *, for_update: bool = False
) -> Review | None:
    query = select(Review).where(Review.id == review_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(query)


async def reviewed_lines(session: AsyncSession, line_ids: Collection[int]) -> set[int]:
    if not line_ids:
        return set()
    result = await session.scalars(
        select(Review.order_line_id).where(Review.order_line_id.in_(list(line_ids)))
    )
    return set(result)


async def reviews_of_lines(session: AsyncSession, line_ids: Collection[int]) -> list[Review]:
    if not line_ids:
        return []
    result = await session.scalars(
        select(Review).where(Review.order_line_id.in_(list(line_ids))).order_by(Review.id)
    )
    return list(result)


async def visible_product_reviews(
    session: AsyncSession, product_id: int, *, offset: int, limit: int
) -> list[Review]:
    result = await session.scalars(
        select(Review)
        .where(Review.product_id == product_id, Review.hidden_at.is_(None))
        .order_by(Review.created_at.desc(), Review.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(result)


async def cooperative_reviews(
    session: AsyncSession, cooperative_id: int, *, offset: int, limit: int
) -> tuple[list[tuple[Review, str]], int]:
    total = await session.scalar(
        select(func.count(Review.id)).where(Review.cooperative_id == cooperative_id)
    )
    rows = await session.execute(
        select(Review, Product.title)
        .join(Product, Product.id == Review.product_id)
        .where(Review.cooperative_id == cooperative_id)
        .order_by(Review.created_at.desc(), Review.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [(review, title) for review, title in rows.all()], int(total or 0)


async def recent_reviews(
    session: AsyncSession, *, offset: int, limit: int
) -> tuple[list[tuple[Review, str, str]], int]:
    """The newest reviews of every supplier, with product title and supplier name."""
    total = await session.scalar(select(func.count(Review.id)))
    rows = await session.execute(
        select(Review, Product.title, Cooperative.name)
        .join(Product, Product.id == Review.product_id)
        .join(Cooperative, Cooperative.id == Review.cooperative_id)
        .order_by(Review.created_at.desc(), Review.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [(review, title, name) for review, title, name in rows.all()], int(total or 0)
