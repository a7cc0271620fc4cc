"""Concurrent posts of the same line's review: one 201, the others 409, one row, the product's
aggregates counted once (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import Database, unit_of_work
from app.review.models import Review
from tests.review.factories import delivered_order, product_rating, review_count

RACERS = 6


async def test_concurrent_reviews_of_a_line_make_one(
    client: httpx.AsyncClient, database: Database
) -> None:
    scene = await delivered_order(client, database)
    url = f"/api/v1/fulfillments/{scene.fulfillment_id}/reviews"
    body = {"items": [{"order_line_id": scene.line_ids[0], "rating": 5, "text": "好"}]}

    responses = await asyncio.gather(
        *(client.post(url, json=body, headers=scene.buyer.headers) for _ in range(RACERS))
    )

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: RACERS - 1}, [r.text for r in responses]
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {
        "review_exists"
    }
    assert await review_count(database) == 1
    assert await product_rating(database, scene.seller.product_id) == (5, 1)


async def test_the_unique_constraint_holds_without_the_service(
    client: httpx.AsyncClient, database: Database
) -> None:
    """A second transaction inserting the same line's review: the database refuses it (the
    last guard, whatever a code path forgets)."""
    scene = await delivered_order(client, database)
    line = scene.line_ids[0]

    def review() -> Review:
        return Review(
            order_line_id=line,
            fulfillment_id=scene.fulfillment_id,
            product_id=scene.seller.product_id,
            cooperative_id=scene.seller.id,
            buyer_user_id=scene.buyer.id,
            rating=3,
        )

    async def insert(session: AsyncSession) -> None:
        session.add(review())
        await session.flush()

    async with unit_of_work(database.writer) as session:
        await insert(session)
    with pytest.raises(IntegrityError):
        async with unit_of_work(database.writer) as session:
            await insert(session)
    assert await review_count(database) == 1
