"""Plain typed factories for reviews and batches: delivered orders, reviews straight in the
table, and what a product's aggregates say."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
from sqlalchemy import select, update

from app.account.models import Role
from app.catalog.models import Product
from app.core.clock import utcnow
from app.core.db import Database, unit_of_work
from app.order.models import Fulfillment, FulfillmentStatus, Order, OrderLine
from app.review.models import Review
from app.trace.models import Batch
from tests.account.factories import (
    PASSWORD,
    ApiUser,
    create_api_user,
    create_user,
    csrf_token_in,
    grant,
    token_headers,
)
from tests.catalog.factories import Seller, create_seller
from tests.order.factories import mark_paid, placed_order

_batch_serial = itertools.count(1)


@dataclass(frozen=True)
class Delivered:
    """A buyer's order of one seller's SKU, paid and delivered, and a member of the seller."""

    seller: Seller
    buyer: ApiUser
    supplier: ApiUser
    order: dict[str, Any]

    @property
    def fulfillment_id(self) -> int:
        value: int = self.order["fulfillments"][0]["id"]
        return value

    @property
    def line_ids(self) -> list[int]:
        return [line["id"] for line in self.order["fulfillments"][0]["lines"]]


async def set_fulfillment_status(
    database: Database, fulfillment_id: int, status: FulfillmentStatus
) -> None:
    async with unit_of_work(database.writer) as session:
        await session.execute(
            update(Fulfillment)
            .where(Fulfillment.id == fulfillment_id)
            .values(status=status, delivered_at=utcnow())
        )


async def delivered_order(
    client: httpx.AsyncClient,
    database: Database,
    *,
    seller: Seller | None = None,
    skus: int = 1,
    delivered: bool = True,
) -> Delivered:
    seller = seller or await create_seller(database, skus=skus, stock=50)
    buyer = await create_api_user(database)
    order = await placed_order(client, buyer, [(sku_id, 1) for sku_id in seller.sku_ids])
    await mark_paid(database, order["id"])
    if delivered:
        await set_fulfillment_status(
            database, order["fulfillments"][0]["id"], FulfillmentStatus.DELIVERED
        )
    supplier = await create_api_user(database)
    await grant(database, supplier.id, Role.SUPPLIER_ADMIN, seller.id)
    return Delivered(seller=seller, buyer=buyer, supplier=supplier, order=order)


async def create_review(
    database: Database, order_line_id: int, *, rating: int = 5, text: str = ""
) -> int:
    """A review of the line straight in the table, counted in its product's aggregates."""
    async with unit_of_work(database.writer) as session:
        line = await session.get(OrderLine, order_line_id)
        assert line is not None
        order = await session.get(Order, line.order_id)
        assert order is not None
        review = Review(
            order_line_id=line.id,
            fulfillment_id=line.fulfillment_id,
            product_id=line.product_id,
            cooperative_id=line.cooperative_id,
            buyer_user_id=order.buyer_user_id,
            rating=rating,
            text=text,
        )
        session.add(review)
        await session.execute(
            update(Product)
            .where(Product.id == line.product_id)
            .values(rating_sum=Product.rating_sum + rating, rating_count=Product.rating_count + 1)
        )
        await session.flush()
        return review.id


async def product_rating(database: Database, product_id: int) -> tuple[int, int]:
    async with unit_of_work(database.reader) as session:
        product = await session.get(Product, product_id)
        assert product is not None
        return product.rating_sum, product.rating_count


async def review_count(database: Database) -> int:
    async with unit_of_work(database.reader) as session:
        return len((await session.scalars(select(Review.id))).all())


@dataclass(frozen=True)
class PageScene:
    """A delivered (or accepted) order whose buyer and supplier sign in to pages."""

    seller: Seller
    buyer_id: int
    buyer_email: str
    supplier_id: int
    supplier_email: str
    order: dict[str, Any]

    @property
    def fulfillment_id(self) -> int:
        value: int = self.order["fulfillments"][0]["id"]
        return value

    @property
    def line_id(self) -> int:
        value: int = self.order["fulfillments"][0]["lines"][0]["id"]
        return value


async def page_scene(
    client: httpx.AsyncClient, database: Database, *, status: FulfillmentStatus, n: int = 1
) -> PageScene:
    """Users with passwords (pages sign in with them), and the buyer's paid order."""
    seller = await create_seller(database, stock=50, title=f"高山苹果{n}号")
    buyer_email, supplier_email = f"buyer{n}@pages.example.com", f"coop{n}@pages.example.com"
    buyer_id = await create_user(database, email=buyer_email, password=PASSWORD)
    supplier_id = await create_user(
        database,
        email=supplier_email,
        password=PASSWORD,
        roles=[(Role.SUPPLIER_ADMIN, seller.id, None)],
    )
    buyer = ApiUser(buyer_id, token_headers(buyer_id))
    order = await placed_order(client, buyer, [(seller.sku_id, 1)])
    await mark_paid(database, order["id"])
    await set_fulfillment_status(database, order["fulfillments"][0]["id"], status)
    return PageScene(seller, buyer_id, buyer_email, supplier_id, supplier_email, order)


async def form_csrf(client: httpx.AsyncClient, path: str) -> str:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    return csrf_token_in(response.text)


async def create_batch(database: Database, cooperative_id: int, product_id: int) -> str:
    """A harvest batch straight in the table; returns its code."""
    async with unit_of_work(database.writer) as session:
        batch = Batch(
            code=f"FSTEST{next(_batch_serial):04d}",
            cooperative_id=cooperative_id,
            product_id=product_id,
            harvested_on=date(2026, 10, 1),
            quantity=100,
            unit="kg",
        )
        session.add(batch)
        await session.flush()
        return batch.code
