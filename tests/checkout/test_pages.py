"""Pages: checkout, order history, one order (bank details, cancel, confirm receipt), and the
supplier portal's fulfilment queue."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from app.account.models import Role
from app.catalog.models import Sku
from app.core.db import Database, unit_of_work
from app.order.models import OrderStatus
from tests.account.factories import (
    ApiUser,
    create_api_user,
    create_user,
    csrf_token_in,
    grant,
    sign_in_page,
    token_headers,
)
from tests.catalog.factories import Seller, create_seller
from tests.inventory.factories import stock_of
from tests.order.factories import (
    BUYER_COUNTY,
    cart_items,
    counts,
    fill_cart,
    load_order,
    mark_paid,
    placed_order,
)

_KEY_FIELD = re.compile(r'name="idempotency_key" value="([^"]+)"')


def _key_in(html: str) -> str:
    match = _KEY_FIELD.search(html)
    assert match is not None, "the checkout form has no idempotency key"
    return match.group(1)


async def _signed_in(client: httpx.AsyncClient, database: Database, email: str) -> int:
    user_id = await create_user(database, email=email, display_name="李娜")
    response = await sign_in_page(client, email)
    assert response.status_code == 303
    return user_id


def _form(html: str, **changes: str) -> dict[str, str]:
    values = {
        "name": "李娜",
        "phone": "139 1234 5678",
        "county_code": BUYER_COUNTY,
        "detail": "建国路 88 号 SOHO 现代城 5 号楼",
        "payment_method": "bank_transfer",
        "csrf_token": csrf_token_in(html),
        "idempotency_key": _key_in(html),
    }
    values.update(changes)
    return values


@pytest.fixture
async def suppliers(database: Database) -> tuple[Seller, Seller]:
    return (
        await create_seller(database, name="三都蓝莓专业合作社", stock=5),
        await create_seller(database, name="三都茶叶专业合作社", stock=5),
    )


async def test_checkout_needs_signing_in(client: httpx.AsyncClient) -> None:
    for path in ("/checkout", "/orders", "/orders/1"):
        response = await client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")


async def test_checkout_places_the_carts_order_and_shows_the_transfer_details(
    client: httpx.AsyncClient, database: Database, suppliers: tuple[Seller, Seller]
) -> None:
    user_id = await _signed_in(client, database, "lina@example.com")
    a, b = suppliers
    await fill_cart(database, user_id, [(a.sku_ids[0], 2), (b.sku_ids[0], 1)])

    page = await client.get("/checkout")
    assert page.status_code == 200
    assert "三都蓝莓专业合作社" in page.text and "三都茶叶专业合作社" in page.text
    assert 'name="payment_method" value="stripe"' not in page.text  # no Stripe set up
    form = _form(page.text)

    placed = await client.post("/checkout", data=form)
    # The browser submits twice (a double click): the same key, the same order.
    again = await client.post("/checkout", data=form)

    assert placed.status_code == 303, placed.text
    assert again.status_code == 303
    location = placed.headers["location"]
    assert again.headers["location"] == location
    # On to pay: for a transfer, the account, the reference and the "我已汇款" step.
    assert re.fullmatch(r"/orders/\d+/pay", location)
    assert (await counts(database)).orders == 1
    assert await cart_items(database, user_id) == []
    order = await load_order(database, int(location.split("/")[2]))
    assert order.ship_to_phone == "13912345678"

    shown = await client.get(f"/orders/{order.id}")
    assert shown.status_code == 200
    assert order.number is not None and order.number in shown.text
    assert "对公转账信息" in shown.text
    assert "11-0000 0000 0000 0000" in shown.text  # the platform's account (settings)
    assert "FS" + order.number.replace("FS", "").replace("-", "") in shown.text
    assert "取消订单" in shown.text

    history = await client.get("/orders")
    assert order.number in history.text


@pytest.mark.parametrize(
    ("changes", "field_text"),
    [
        ({"phone": "12345"}, "请填写有效的手机号码（11 位）或固定电话（区号-号码）。"),
        ({"county_code": "999999"}, "请选择省份、城市和区县。"),
        ({"detail": "一号"}, "详细地址应为 5 到 200 个字符。"),
        ({"payment_method": "cash"}, "请选择支付方式。"),
    ],
)
async def test_a_bad_form_comes_back_with_its_errors_and_values(
    client: httpx.AsyncClient,
    database: Database,
    suppliers: tuple[Seller, Seller],
    changes: dict[str, str],
    field_text: str,
) -> None:
    user_id = await _signed_in(client, database, "lina@example.com")
    await fill_cart(database, user_id, [(suppliers[0].sku_ids[0], 1)])
    page = await client.get("/checkout")
    before = await counts(database)

    response = await client.post("/checkout", data=_form(page.text, **changes))

    assert response.status_code == 422
    assert field_text in response.text
    assert 'aria-invalid="true"' in response.text
    assert 'value="李娜"' in response.text  # the entered values stay
    assert await counts(database) == before
    assert await cart_items(database, user_id) == [(suppliers[0].sku_ids[0], 1)]


async def test_not_enough_stock_leaves_everything_as_it_was(
    client: httpx.AsyncClient, database: Database, suppliers: tuple[Seller, Seller]
) -> None:
    user_id = await _signed_in(client, database, "lina@example.com")
    a, b = suppliers
    await fill_cart(database, user_id, [(a.sku_ids[0], 1), (b.sku_ids[0], 1)])
    page = await client.get("/checkout")
    # Someone else buys B's last units between the page and the submit.
    async with unit_of_work(database.writer) as session:
        await session.execute(update(Sku).where(Sku.id == b.sku_ids[0]).values(stock=0))
    before = await counts(database)

    response = await client.post("/checkout", data=_form(page.text))

    assert response.status_code == 409
    assert "库存不足" in response.text
    assert await counts(database) == before
    assert await stock_of(database, a.sku_ids[0]) == 5
    assert await cart_items(database, user_id) == [(a.sku_ids[0], 1), (b.sku_ids[0], 1)]


async def test_the_form_needs_its_csrf_token(
    client: httpx.AsyncClient, database: Database, suppliers: tuple[Seller, Seller]
) -> None:
    user_id = await _signed_in(client, database, "lina@example.com")
    await fill_cart(database, user_id, [(suppliers[0].sku_ids[0], 1)])
    page = await client.get("/checkout")

    response = await client.post("/checkout", data=_form(page.text, csrf_token="forged"))

    assert response.status_code == 403
    assert (await counts(database)).orders == 0


async def test_an_empty_cart_says_so(client: httpx.AsyncClient, database: Database) -> None:
    await _signed_in(client, database, "lina@example.com")
    page = await client.get("/checkout")
    assert page.status_code == 200
    assert "购物车是空的" in page.text
    assert 'name="idempotency_key"' not in page.text


async def test_the_province_lists_its_counties(
    client: httpx.AsyncClient, database: Database, suppliers: tuple[Seller, Seller]
) -> None:
    user_id = await _signed_in(client, database, "lina@example.com")
    await fill_cart(database, user_id, [(suppliers[0].sku_ids[0], 1)])

    page = await client.get("/checkout?province=110000")

    assert '<option value="110105">朝阳区</option>' in page.text
    english = await client.get("/checkout?province=110000&lang=en")
    assert english.status_code == 200


async def _order_for(
    app: FastAPI, client: httpx.AsyncClient, database: Database, user_id: int, supplier: Seller
) -> dict[str, Any]:
    buyer = ApiUser(user_id, token_headers(user_id))
    return await placed_order(client, buyer, [(supplier.sku_ids[0], 1)])


async def test_cancel_and_confirm_receipt_from_the_order_page(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    suppliers: tuple[Seller, Seller],
) -> None:
    user_id = await _signed_in(client, database, "lina@example.com")
    first = await _order_for(app, client, database, user_id, suppliers[0])
    page = await client.get(f"/orders/{first['id']}")

    cancelled = await client.post(
        f"/orders/{first['id']}/cancel", data={"csrf_token": csrf_token_in(page.text)}
    )

    assert cancelled.status_code == 303
    assert (await load_order(database, first["id"])).status == OrderStatus.CANCELLED
    assert await stock_of(database, suppliers[0].sku_ids[0]) == 5
    shown = await client.get(f"/orders/{first['id']}")
    assert "买家取消" in shown.text
    refused = await client.post(
        f"/orders/{first['id']}/cancel", data={"csrf_token": csrf_token_in(shown.text)}
    )
    assert refused.status_code == 409

    second = await _order_for(app, client, database, user_id, suppliers[1])
    await mark_paid(database, second["id"])
    member = await create_api_user(database)
    await grant(database, member.id, Role.SUPPLIER_ADMIN, suppliers[1].id)
    fid = second["fulfillments"][0]["id"]
    await client.post(f"/api/v1/fulfillments/{fid}/accept", headers=member.headers)
    await client.post(
        f"/api/v1/fulfillments/{fid}/ship",
        json={"carrier": "中国邮政", "tracking_number": "EMS123456"},
        headers=member.headers,
    )
    page = await client.get(f"/orders/{second['id']}")
    assert "EMS123456" in page.text and "确认收货" in page.text

    received = await client.post(
        f"/orders/{second['id']}/fulfillments/{fid}/confirm-receipt",
        data={"csrf_token": csrf_token_in(page.text)},
    )

    assert received.status_code == 303
    assert (await load_order(database, second["id"])).status == OrderStatus.COMPLETED


async def test_another_buyers_order_page_is_not_found(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    suppliers: tuple[Seller, Seller],
) -> None:
    owner = await create_api_user(database)
    order = await placed_order(client, owner, [(suppliers[0].sku_ids[0], 1)])
    await _signed_in(client, database, "lina@example.com")

    assert (await client.get(f"/orders/{order['id']}")).status_code == 404
    assert (await client.get("/orders/abc")).status_code == 404
    page = await client.get("/orders")
    cancelled = await client.post(
        f"/orders/{order['id']}/cancel", data={"csrf_token": csrf_token_in(page.text)}
    )
    assert cancelled.status_code == 404
    assert (await load_order(database, order["id"])).status == OrderStatus.PENDING_PAYMENT


async def test_the_supplier_portal_accepts_and_ships(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    suppliers: tuple[Seller, Seller],
) -> None:
    a, b = suppliers
    buyer = await create_api_user(database)
    order = await placed_order(client, buyer, [(a.sku_ids[0], 1), (b.sku_ids[0], 2)])
    await mark_paid(database, order["id"])
    member_id = await _signed_in(client, database, "coop@example.com")
    await grant(database, member_id, Role.SUPPLIER_MEMBER, a.id)
    fa = next(f for f in order["fulfillments"] if f["cooperative_id"] == a.id)["id"]

    queue = await client.get(f"/coop/{a.id}/fulfillments")
    assert queue.status_code == 200
    assert order["number"] in queue.text
    assert "接单" in queue.text
    assert (await client.get(f"/coop/{b.id}/fulfillments")).status_code == 404

    accepted = await client.post(
        f"/coop/{a.id}/fulfillments/{fa}/accept", data={"csrf_token": csrf_token_in(queue.text)}
    )
    assert accepted.status_code == 303
    queue = await client.get(f"/coop/{a.id}/fulfillments?status=accepted")
    assert 'name="tracking_number"' in queue.text

    bad = await client.post(
        f"/coop/{a.id}/fulfillments/{fa}/ship",
        data={
            "carrier": "顺丰速运",
            "tracking_number": "顺丰",
            "csrf_token": csrf_token_in(queue.text),
        },
    )
    assert bad.status_code == 422
    assert "快递单号应为 4 到 60 位字母、数字或连字符。" in bad.text
    assert '<option value="顺丰速运" selected>' in bad.text  # the carrier chosen is kept
    for carrier in ("京东物流", "中国邮政 EMS", "中通快递", "德邦快递", "other"):
        assert f'<option value="{carrier}"' in queue.text

    # A carrier not on the list is typed after choosing 其他; it has no tracking link.
    shipped = await client.post(
        f"/coop/{a.id}/fulfillments/{fa}/ship",
        data={
            "carrier": "other",
            "carrier_other": "乡镇自营车队",
            "tracking_number": "XZ1234567",
            "csrf_token": csrf_token_in(queue.text),
        },
    )
    assert shipped.status_code == 303
    shown = await client.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers)
    [mine] = [f for f in shown.json()["fulfillments"] if f["id"] == fa]
    assert (mine["status"], mine["carrier"], mine["tracking_number"], mine["tracking_url"]) == (
        "shipped",
        "乡镇自营车队",
        "XZ1234567",
        None,
    )

    # B's fulfilment cannot be moved through A's portal.
    fb = next(f for f in order["fulfillments"] if f["cooperative_id"] == b.id)["id"]
    cross = await client.post(
        f"/coop/{a.id}/fulfillments/{fb}/accept", data={"csrf_token": csrf_token_in(queue.text)}
    )
    assert cross.status_code == 404
    assert (await client.get(f"/coop/{a.id}/fulfillments?status=lost")).status_code == 422


async def test_an_unpaid_orders_parcels_wait_for_the_payment_not_the_supplier(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    suppliers: tuple[Seller, Seller],
) -> None:
    user_id = await _signed_in(client, database, "lina@example.com")
    order = await _order_for(app, client, database, user_id, suppliers[0])

    unpaid = await client.get(f"/orders/{order['id']}")
    await mark_paid(database, order["id"])
    paid = await client.get(f"/orders/{order['id']}")

    assert '<span class="badge" data-parcel-status>待付款</span>' in unpaid.text
    assert "待供应商接单" not in unpaid.text
    assert '<span class="badge" data-parcel-status>待供应商接单</span>' in paid.text
    account = await client.get("/account")
    assert 'href="/account/addresses"' in account.text
