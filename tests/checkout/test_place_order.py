"""POST /api/v1/orders: splitting by supplier, totals, idempotency, the cart, organisations."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from app.account.models import Role
from app.core.db import Database, unit_of_work
from app.inventory.models import MovementReason, StockMovement
from app.order.models import BuyerKind, Order
from app.shipping.models import ShippingRule
from tests.account.factories import create_api_user, grant
from tests.catalog.factories import create_seller
from tests.http_assertions import assert_error
from tests.inventory.factories import stock_of
from tests.order.factories import (
    BUYER_PROVINCE,
    cart_items,
    counts,
    fill_cart,
    jobs_named,
    load_order,
    order_body,
    place,
)
from tests.organization.factories import create_organization


async def _rule(database: Database, cooperative_id: int, **values: int) -> None:
    async with unit_of_work(database.writer) as session:
        session.add(ShippingRule(cooperative_id=cooperative_id, **values))


async def test_two_suppliers_give_two_fulfilments_with_their_own_lines_and_fees(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    a = await create_seller(database, price_fen=1000, stock=10, skus=2)
    b = await create_seller(database, price_fen=2500, stock=5, weight_grams=500)
    # B: 600 base + 300 per started kilogram beyond the first; 3 × 500 g = 1.5 kg → 900.
    await _rule(database, b.id, base_fee_fen=600, per_kg_fen=300)
    buyer = await create_api_user(database)

    response = await place(
        client, buyer, order_body([(a.sku_ids[0], 2), (b.sku_ids[0], 3), (a.sku_ids[1], 1)])
    )

    assert response.status_code == 201, response.text
    order = response.json()
    assert order["status"] == "pending_payment"
    assert re.fullmatch(r"FS\d{6}-\d{6}", order["number"])
    assert order["number"].endswith(f"-{order['id']:06d}")
    by_supplier = {f["cooperative_id"]: f for f in order["fulfillments"]}
    assert set(by_supplier) == {a.id, b.id}
    fa, fb = by_supplier[a.id], by_supplier[b.id]
    assert {line["sku_id"] for line in fa["lines"]} == set(a.sku_ids)
    assert [(line["sku_id"], line["quantity"]) for line in fb["lines"]] == [(b.sku_ids[0], 3)]
    assert fa["status"] == fb["status"] == "pending"
    assert fa["shipping_fen"] == 1000  # no rule: the platform default
    assert fb["shipping_fen"] == 900
    for fulfillment in (fa, fb):
        for line in fulfillment["lines"]:
            assert line["line_total_fen"] == line["quantity"] * line["unit_price_fen"]
        assert fulfillment["goods_fen"] == sum(
            line["line_total_fen"] for line in fulfillment["lines"]
        )
    assert fa["goods_fen"] == 3000 and fb["goods_fen"] == 7500
    assert order["goods_fen"] == 10_500
    assert order["shipping_fen"] == 1900
    assert order["total_fen"] == 12_400
    assert order["payment"]["method"] == "bank_transfer"
    assert order["payment"]["bank_reference"]

    # Stock is reserved, once per SKU, with a movement naming the order.
    assert await stock_of(database, a.sku_ids[0]) == 8
    assert await stock_of(database, a.sku_ids[1]) == 9
    assert await stock_of(database, b.sku_ids[0]) == 2
    async with unit_of_work(database.reader) as session:
        movements = list(
            await session.scalars(select(StockMovement).order_by(StockMovement.sku_id))
        )
    assert [(m.sku_id, m.delta, m.reason, m.order_id) for m in movements] == [
        (a.sku_ids[0], -2, MovementReason.RESERVED, order["id"]),
        (a.sku_ids[1], -1, MovementReason.RESERVED, order["id"]),
        (b.sku_ids[0], -3, MovementReason.RESERVED, order["id"]),
    ]

    stored = await load_order(database, order["id"])
    assert stored.buyer_kind == BuyerKind.CONSUMER
    assert stored.buyer_province_code == BUYER_PROVINCE  # the delivery address's province
    assert stored.ship_to_phone == "13812345678"
    assert stored.expires_at is not None
    # Bank transfer: five days (the default setting) to pay.
    assert abs(stored.expires_at - stored.created_at - timedelta(hours=120)) < timedelta(seconds=5)
    [expiry] = await jobs_named(database, "checkout.expire_order")
    assert expiry.payload == {"order_id": order["id"]}
    assert expiry.run_after == stored.expires_at

    shown = await client.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers)
    assert shown.status_code == 200
    assert shown.json()["fulfillments"] == order["fulfillments"]


async def test_a_parcel_that_ships_free_adds_nothing_and_the_total_is_its_fulfilments(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    paid = await create_seller(database, price_fen=1000, stock=10)
    free = await create_seller(database, price_fen=3000, stock=10)
    await _rule(database, free.id, base_fee_fen=800, free_above_fen=5000)
    buyer = await create_api_user(database)

    response = await place(client, buyer, order_body([(paid.sku_ids[0], 1), (free.sku_ids[0], 2)]))

    assert response.status_code == 201, response.text
    order = response.json()
    by_supplier = {f["cooperative_id"]: f for f in order["fulfillments"]}
    assert (by_supplier[paid.id]["shipping_fen"], by_supplier[free.id]["shipping_fen"]) == (1000, 0)
    assert (order["goods_fen"], order["shipping_fen"], order["total_fen"]) == (7000, 1000, 8000)
    fulfilments = order["fulfillments"]
    assert order["shipping_fen"] == sum(f["shipping_fen"] for f in fulfilments)
    assert order["total_fen"] == sum(f["goods_fen"] + f["shipping_fen"] for f in fulfilments)
    stored = await load_order(database, order["id"])
    assert (stored.shipping_fen, stored.total_fen) == (1000, 8000)
    assert order["payment"]["amount_fen"] == 8000


async def test_tier_prices_apply_per_line(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    from app.catalog.models import PriceTier

    supplier = await create_seller(database, price_fen=1000, stock=100)
    async with unit_of_work(database.writer) as session:
        session.add(PriceTier(sku_id=supplier.sku_ids[0], min_qty=10, price_fen=800))
    buyer = await create_api_user(database)

    order = (await place(client, buyer, order_body([(supplier.sku_ids[0], 12)]))).json()

    [line] = order["fulfillments"][0]["lines"]
    assert (line["unit_price_fen"], line["line_total_fen"]) == (800, 9600)
    assert order["goods_fen"] == 9600


async def test_the_same_key_returns_the_same_order_once(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=10)
    buyer = await create_api_user(database)
    body = order_body([(supplier.sku_ids[0], 3)])

    first = await place(client, buyer, body, key="key-1")
    again = await place(client, buyer, body, key="key-1")

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["fulfillments"] == first.json()["fulfillments"]
    assert (await counts(database)).orders == 1
    assert await stock_of(database, supplier.sku_ids[0]) == 7

    # Keys belong to their buyer: another buyer's identical key is another order.
    other = await create_api_user(database)
    theirs = await place(client, other, body, key="key-1")
    assert theirs.status_code == 201
    assert theirs.json()["id"] != first.json()["id"]


async def test_the_same_key_with_another_body_is_refused(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=10)
    buyer = await create_api_user(database)
    await place(client, buyer, order_body([(supplier.sku_ids[0], 3)]), key="key-1")
    before = await counts(database)

    response = await place(client, buyer, order_body([(supplier.sku_ids[0], 4)]), key="key-1")

    assert_error(response, 409, "idempotency_key_reused")
    assert await counts(database) == before
    assert await stock_of(database, supplier.sku_ids[0]) == 7


async def test_without_lines_the_cart_is_ordered_and_emptied(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    a = await create_seller(database, stock=10)
    b = await create_seller(database, stock=10)
    buyer = await create_api_user(database)
    await fill_cart(database, buyer.id, [(a.sku_ids[0], 2), (b.sku_ids[0], 1)])

    response = await place(client, buyer, order_body(None), key="cart-key")

    assert response.status_code == 201, response.text
    order = response.json()
    assert {f["cooperative_id"] for f in order["fulfillments"]} == {a.id, b.id}
    assert await cart_items(database, buyer.id) == []
    assert await stock_of(database, a.sku_ids[0]) == 8

    # The same key after the cart was emptied still answers with the order, not "empty".
    again = await place(client, buyer, order_body(None), key="cart-key")
    assert again.status_code == 200
    assert again.json()["id"] == order["id"]


async def test_explicit_lines_leave_the_cart_alone(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=10, skus=2)
    buyer = await create_api_user(database)
    await fill_cart(database, buyer.id, [(supplier.sku_ids[1], 2)])

    response = await place(client, buyer, order_body([(supplier.sku_ids[0], 1)]))

    assert response.status_code == 201
    assert await cart_items(database, buyer.id) == [(supplier.sku_ids[1], 2)]


async def test_an_organisation_buys_with_its_kind_and_registered_province(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database)
    buyer = await create_api_user(database)
    organization_id = await create_organization(database, region_code="310104")
    await grant(database, buyer.id, Role.ORG_BUYER, organization_id)

    response = await place(
        client,
        buyer,
        order_body(
            [(supplier.sku_ids[0], 1)], organization_id=organization_id, po_number="PO-2026-001"
        ),
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["organization_id"] == organization_id
    assert body["po_number"] == "PO-2026-001"
    assert body["buyer_kind"] == "government"
    stored = await load_order(database, body["id"])
    assert stored.buyer_kind == BuyerKind.GOVERNMENT
    # The organisation's registered province, not the delivery address's (Beijing).
    assert stored.buyer_province_code == "310000"


async def test_orders_list_shows_only_the_buyers_own_newest_first(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=10)
    buyer = await create_api_user(database)
    other = await create_api_user(database)
    first = (await place(client, buyer, order_body([(supplier.sku_ids[0], 1)]))).json()
    second = (await place(client, buyer, order_body([(supplier.sku_ids[0], 2)]))).json()
    await place(client, other, order_body([(supplier.sku_ids[0], 1)]))

    response = await client.get("/api/v1/orders", headers=buyer.headers)

    assert response.status_code == 200
    page = response.json()
    assert page["total"] == 2
    assert [o["id"] for o in page["items"]] == [second["id"], first["id"]]

    paged = await client.get("/api/v1/orders?per_page=1&page=2", headers=buyer.headers)
    assert [o["id"] for o in paged.json()["items"]] == [first["id"]]


async def test_order_rows_are_the_ones_the_response_names(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_seller(database, stock=10)
    buyer = await create_api_user(database)

    body = (await place(client, buyer, order_body([(supplier.sku_ids[0], 2)]))).json()

    async with unit_of_work(database.reader) as session:
        stored = await session.scalar(select(Order).where(Order.id == body["id"]))
    assert stored is not None
    assert stored.number == body["number"]
    assert stored.total_fen == body["total_fen"] == stored.goods_fen + stored.shipping_fen
