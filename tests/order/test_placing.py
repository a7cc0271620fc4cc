"""Placing an order on checkout's path (`draft_order`, then `write_order` and
`reserve_order_stock`), called as a service: its answer to a key already used, the shipping
of an order whose every parcel ships free, and the shortest name and PO number."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.account.models import Role, User
from app.checkout.service import place_order
from app.core.db import Database, unit_of_work
from app.order.errors import IdempotencyKeyReused
from app.order.models import Fulfillment, Order, PaymentMethod
from app.order.schemas import PlaceOrderRequest
from app.order.service import PaymentTimeouts
from app.shipping.models import ShippingRule
from tests.account.factories import create_api_user, grant
from tests.catalog.factories import create_seller
from tests.conftest import make_settings
from tests.inventory.factories import movements, stock_of
from tests.order.factories import counts, order_body
from tests.organization.factories import create_organization


async def _place(
    database: Database, buyer_id: int, request: PlaceOrderRequest, key: str = "KEY-1"
) -> tuple[int, bool]:
    async with unit_of_work(database.writer) as session:
        buyer = await session.get(User, buyer_id)
        assert buyer is not None
        order, created = await place_order(
            session, buyer=buyer, idempotency_key=key, request=request, timeouts=PaymentTimeouts()
        )
        return order.id, created


async def test_the_same_key_again_answers_the_order_placed_with_it(database: Database) -> None:
    """Every unit is bought the first time: the second call must not price the basket again
    (it would find no stock left), nor write or reserve again, nor say the order is new."""
    seller = await create_seller(database, price_fen=1000, stock=3)
    buyer = await create_api_user(database)
    request = PlaceOrderRequest.model_validate(order_body([(seller.sku_ids[0], 3)]))

    first, created = await _place(database, buyer.id, request)
    assert created is True
    assert await stock_of(database, seller.sku_ids[0]) == 0
    reserved = [m for m in await movements(database) if m[2] == "reserved"]
    assert reserved == [(seller.sku_ids[0], -3, "reserved", first)]

    again, created_again = await _place(database, buyer.id, request)

    assert (again, created_again) == (first, False)
    assert (await counts(database)).orders == 1
    assert await stock_of(database, seller.sku_ids[0]) == 0
    assert [m for m in await movements(database) if m[2] == "reserved"] == reserved
    other = PlaceOrderRequest.model_validate(order_body([(seller.sku_ids[0], 2)]))
    with pytest.raises(IdempotencyKeyReused):
        await _place(database, buyer.id, other)


async def test_an_order_whose_every_parcel_ships_free_has_no_shipping(database: Database) -> None:
    seller = await create_seller(database, price_fen=3000, stock=5)
    async with unit_of_work(database.writer) as session:
        session.add(
            ShippingRule(
                cooperative_id=seller.cooperative_id, base_fee_fen=800, free_above_fen=5000
            )
        )
    buyer = await create_api_user(database)
    request = PlaceOrderRequest.model_validate(order_body([(seller.sku_ids[0], 2)]))

    order_id, _ = await _place(database, buyer.id, request, key="FREE-1")

    async with unit_of_work(database.reader) as session:
        order = await session.get(Order, order_id)
        assert order is not None
        fees = await session.scalars(
            select(Fulfillment.shipping_fen).where(Fulfillment.order_id == order_id)
        )
        assert list(fees) == [0]
        assert (order.goods_fen, order.shipping_fen, order.total_fen) == (6000, 0, 6000)


async def test_a_one_character_name_and_po_number_are_enough(database: Database) -> None:
    """The rules are 1–50 characters for a name and 1–60 for a PO number."""
    seller = await create_seller(database, price_fen=1000, stock=5)
    buyer = await create_api_user(database)
    organization_id = await create_organization(database)
    await grant(database, buyer.id, Role.ORG_BUYER, organization_id)
    body = order_body([(seller.sku_ids[0], 1)], organization_id=organization_id, po_number="7")
    body["shipping_address"]["name"] = "李"

    order_id, created = await _place(
        database, buyer.id, PlaceOrderRequest.model_validate(body), key="ONE-1"
    )

    async with unit_of_work(database.reader) as session:
        order = await session.get(Order, order_id)
        assert order is not None
        assert (created, order.ship_to_name, order.po_number) == (True, "李", "7")


def test_payment_timeouts_come_from_the_settings(tmp_path: Path) -> None:
    settings = make_settings(
        "sqlite+aiosqlite://",
        tmp_path,
        order_payment_timeout_minutes=10,
        bank_transfer_timeout_hours=48,
    )

    timeouts = PaymentTimeouts.from_settings(settings)

    assert timeouts.for_method(PaymentMethod.STRIPE) == timedelta(minutes=10)
    assert timeouts.for_method(PaymentMethod.BANK_TRANSFER) == timedelta(hours=48)
