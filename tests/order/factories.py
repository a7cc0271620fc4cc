"""Plain typed factories for orders: suppliers with SKUs, buyers, organisations, order bodies."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select, update

from app.account.models import Role, RoleAssignment, User
from app.cart.models import Cart, CartItem
from app.catalog.models import Product, ProductStatus, Sku
from app.cooperative.models import Cooperative, SupplierKind, SupplierStatus
from app.core.clock import utcnow
from app.core.db import Database, unit_of_work
from app.inventory.models import StockMovement
from app.jobs.models import Job, JobStatus
from app.order.models import Fulfillment, Order, OrderLine
from app.organization.models import Organization, OrganizationKind, OrganizationStatus
from app.payment.models import Payment
from app.web.security import TokenSigner
from tests.account.factories import bearer

SUPPLIER_COUNTY = "522732"  # 三都水族自治县 (贵州), one of the 832
BUYER_COUNTY = "110105"  # 北京市朝阳区
BUYER_PROVINCE = "110000"
_serial = itertools.count(1)


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


@dataclass(frozen=True)
class Supplier:
    id: int
    sku_ids: list[int]
    product_ids: list[int]


def _unique(prefix: str, length: int) -> str:
    return (prefix + uuid.uuid4().hex.upper())[:length]


async def create_supplier(
    database: Database,
    *,
    name: str | None = None,
    stock: int = 10,
    price_fen: int = 1000,
    skus: int = 1,
    weight_grams: int = 500,
    category: str = "fruit",
    status: SupplierStatus = SupplierStatus.VERIFIED,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
) -> Supplier:
    """A committed supplier with one active product and `skus` active SKUs."""
    serial = next(_serial)
    async with unit_of_work(database.writer) as session:
        cooperative = Cooperative(
            name=name or f"三都丰收种植专业合作社{serial}号",
            kind=SupplierKind.COOPERATIVE,
            credit_code=_unique("93", 18),
            county_code=SUPPLIER_COUNTY,
            contact_name="王芳",
            contact_phone="13800000000",
            households_supported=12,
            status=status,
            webhook_url=webhook_url,
            webhook_secret=webhook_secret,
        )
        session.add(cooperative)
        await session.flush()
        product = Product(
            cooperative_id=cooperative.id,
            slug=f"product-{uuid.uuid4().hex[:12]}",
            title=f"三都有机蓝莓{serial}",
            category_code=category,
            unit="500g/盒",
            status=ProductStatus.ACTIVE,
            min_price_fen=price_fen,
            in_stock=stock > 0,
            published_at=utcnow(),
        )
        session.add(product)
        await session.flush()
        created = [
            Sku(
                product_id=product.id,
                code=_unique(f"S{serial}-", 20),
                name=f"规格{index + 1}",
                price_fen=price_fen,
                stock=stock,
                weight_grams=weight_grams,
                min_qty=1,
            )
            for index in range(skus)
        ]
        session.add_all(created)
        await session.flush()
        return Supplier(cooperative.id, [sku.id for sku in created], [product.id])


@dataclass(frozen=True)
class Buyer:
    id: int
    headers: dict[str, str]


async def create_buyer(app: FastAPI, database: Database, *, email: str | None = None) -> Buyer:
    """A consumer with a bearer token; no real password (fast: the race test makes fifty)."""
    async with unit_of_work(database.writer) as session:
        user = User(
            email=email or f"buyer-{uuid.uuid4().hex[:10]}@example.com",
            password_hash="not-a-password-hash",
            display_name="测试买家",
            is_active=True,
        )
        session.add(user)
        await session.flush()
        session.add(RoleAssignment(user_id=user.id, role=Role.CONSUMER))
        user_id = user.id
    signer: TokenSigner = app.state.token_signer
    return Buyer(user_id, bearer(signer.issue(user_id)))


async def grant(database: Database, user_id: int, role: Role, scope_id: int | None = None) -> None:
    async with unit_of_work(database.writer) as session:
        session.add(RoleAssignment(user_id=user_id, role=role, scope_id=scope_id))


async def create_organization(
    database: Database,
    *,
    status: OrganizationStatus = OrganizationStatus.VERIFIED,
    kind: OrganizationKind = OrganizationKind.GOVERNMENT,
    region_code: str = "310104",  # 上海市徐汇区
) -> int:
    async with unit_of_work(database.writer) as session:
        organization = Organization(
            name=f"测试单位食堂{next(_serial)}",
            credit_code=_unique("11", 18),
            kind=kind,
            region_code=region_code,
            province_code=region_code[:2] + "0000",
            status=status,
            verified_at=utcnow() if status == OrganizationStatus.VERIFIED else None,
        )
        session.add(organization)
        await session.flush()
        return organization.id


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
    buyer: Buyer,
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
    client: httpx.AsyncClient, buyer: Buyer, lines: Sequence[tuple[int, int]], **extra: Any
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


async def stock_of(database: Database, sku_id: int) -> int:
    async with unit_of_work(database.reader) as session:
        stock = await session.scalar(select(Sku.stock).where(Sku.id == sku_id))
        assert stock is not None
        return int(stock)


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
