"""Plain typed factories for orders: order bodies, placing them, carts, jobs and clocks that move
on, and reading back what an order wrote."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select, update

from app.cart.models import Cart, CartItem
from app.core.clock import utcnow
from app.core.db import Database, unit_of_work
from app.inventory.models import StockMovement
from app.jobs.models import Job, JobStatus
from app.order.models import Fulfillment, Order, OrderLine
from app.payment.models import Payment
from tests.account.factories import ApiUser

BUYER_COUNTY = "110105"  # 北京市朝阳区
BUYER_PROVINCE = "110000"


def install_routes(app: FastAPI) -> None:
    """Until app/main.py includes the order and checkout routers (the integrator adds them),
    add them to the test app; once main.py has them this does nothing."""
    from app.checkout import api as checkout_api
    from app.checkout import jobs as checkout_jobs
    from app.checkout import pages as checkout_pages
    from app.order import api as order_api
    from app.order import jobs as order_jobs
    from app.order import pages as order_pages

    del checkout_jobs, order_jobs  # imported for their @job registrations
    included = {id(getattr(route, "original_router", None)) for route in app.router.routes}
    for router in (
        checkout_api.router,
        order_api.router,
        checkout_pages.router,
        order_pages.router,
    ):
        if id(router) not in included:
            app.include_router(router)


def address(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "张三",
        "phone": "13812345678",
        "county_code": BUYER_COUNTY,
        "detail": "朝阳路 1 号院 2 号楼 301",
    }
    values.update(overrides)
    return values


def order_body(
    lines: Sequence[tuple[int, int]] | None,
    *,
    method: str = "bank_transfer",
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {"shipping_address": address(), "payment_method": method}
    if lines is not None:
        body["lines"] = [{"sku_id": sku_id, "quantity": quantity} for sku_id, quantity in lines]
    body.update(extra)
    return body


async def place(
    client: httpx.AsyncClient,
    buyer: ApiUser,
    body: dict[str, Any],
    *,
    key: str | None = "auto",
) -> httpx.Response:
    """POST /api/v1/orders with a fresh Idempotency-Key (or the one given, or none)."""
    headers = dict(buyer.headers)
    if key == "auto":
        key = uuid.uuid4().hex
    if key is not None:
        headers["Idempotency-Key"] = key
    return await client.post("/api/v1/orders", json=body, headers=headers)


async def placed_order(
    client: httpx.AsyncClient, buyer: ApiUser, lines: Sequence[tuple[int, int]], **extra: Any
) -> dict[str, Any]:
    response = await place(client, buyer, order_body(lines, **extra))
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()
    return order


async def fill_cart(database: Database, user_id: int, items: Iterable[tuple[int, int]]) -> None:
    async with unit_of_work(database.writer) as session:
        cart = await session.scalar(select(Cart).where(Cart.user_id == user_id))
        if cart is None:
            cart = Cart(user_id=user_id)
            session.add(cart)
            await session.flush()
        session.add_all(
            CartItem(cart_id=cart.id, sku_id=sku_id, quantity=quantity)
            for sku_id, quantity in items
        )


async def cart_items(database: Database, user_id: int) -> list[tuple[int, int]]:
    async with unit_of_work(database.reader) as session:
        rows = await session.execute(
            select(CartItem.sku_id, CartItem.quantity)
            .join(Cart, Cart.id == CartItem.cart_id)
            .where(Cart.user_id == user_id)
            .order_by(CartItem.id)
        )
        return [(sku_id, quantity) for sku_id, quantity in rows]


@dataclass(frozen=True)
class Counts:
    orders: int
    fulfillments: int
    lines: int
    payments: int
    movements: int
    jobs: int


async def counts(database: Database) -> Counts:
    """How many rows an order writes, everywhere it writes them."""
    async with unit_of_work(database.reader) as session:

        async def count(model: type[Any]) -> int:
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)

        return Counts(
            orders=await count(Order),
            fulfillments=await count(Fulfillment),
            lines=await count(OrderLine),
            payments=await count(Payment),
            movements=await count(StockMovement),
            jobs=await count(Job),
        )


async def load_order(database: Database, order_id: int) -> Order:
    async with unit_of_work(database.reader) as session:
        order = await session.get(Order, order_id)
        assert order is not None
        return order


async def jobs_named(database: Database, name: str) -> list[Job]:
    async with unit_of_work(database.reader) as session:
        result = await session.scalars(select(Job).where(Job.name == name).order_by(Job.id))
        return list(result)


async def make_due(database: Database, name: str) -> None:
    """Bring every pending job of this name forward to now (a clock that moved on)."""
    async with unit_of_work(database.writer) as session:
        await session.execute(
            update(Job)
            .where(Job.name == name, Job.status == JobStatus.PENDING)
            .values(run_after=utcnow() - timedelta(seconds=1))
        )


async def pass_deadline(database: Database, order_id: int) -> None:
    """The order's payment deadline has passed, and its expiry job is due."""
    async with unit_of_work(database.writer) as session:
        await session.execute(
            update(Order)
            .where(Order.id == order_id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    await make_due(database, "checkout.expire_order")


async def mark_paid(database: Database, order_id: int) -> None:
    """The payment succeeded (as the payment domain reports it)."""
    from app.order import service

    async with unit_of_work(database.writer) as session:
        order = await service.get_order(session, order_id)
        await service.mark_paid(session, order, at=utcnow())
