"""The checkout form: the cart's delivery county carried over, province → city → county
selects that work without JavaScript (the refresh keeps what was typed), shipping and total
before ordering, saved addresses chosen or kept, and the payment methods the site offers."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select

from app.core.db import Database, unit_of_work
from app.order.models import SavedAddress
from app.shipping.models import ShippingRule
from tests.account.factories import create_user, csrf_token_in, sign_in_page
from tests.catalog.factories import Seller, create_seller
from tests.order.factories import cart_items, counts, fill_cart, load_order

TIANHE = "440106"  # 广东省广州市天河区
CHAOYANG = "110105"  # 北京市朝阳区
_KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


def _selected(html: str, name: str) -> str | None:
    """The value of the selected option of the select `name`, if any."""
    select_html = re.search(rf'<select name="{name}".*?</select>', html, re.S)
    assert select_html is not None, f"no select {name}"
    chosen = re.search(r'<option value="([^"]*)" selected>', select_html.group(0))
    return chosen.group(1) if chosen else None


def _options(html: str, name: str) -> list[str]:
    select_html = re.search(rf'<select name="{name}".*?</select>', html, re.S)
    assert select_html is not None
    return [v for v in re.findall(r'<option value="([^"]*)"', select_html.group(0)) if v]


async def _saved(database: Database, user_id: int) -> list[SavedAddress]:
    async with unit_of_work(database.reader) as session:
        rows = await session.scalars(
            select(SavedAddress).where(SavedAddress.user_id == user_id).order_by(SavedAddress.id)
        )
        return list(rows)


@pytest.fixture
async def supplier(database: Database) -> Seller:
    """A supplier charging ¥8 a parcel to Guangdong and not delivering to Beijing."""
    seller = await create_seller(database, name="三都蓝莓专业合作社", price_fen=2500, stock=9)
    async with unit_of_work(database.writer) as session:
        session.add(
            ShippingRule(
                cooperative_id=seller.id, base_fee_fen=800, excluded_province_codes=["110000"]
            )
        )
    return seller


@pytest.fixture
async def buyer(client: httpx.AsyncClient, database: Database, supplier: Seller) -> int:
    user_id = await create_user(database, email="lina@example.com", display_name="李娜")
    assert (await sign_in_page(client, "lina@example.com")).status_code == 303
    await fill_cart(database, user_id, [(supplier.sku_ids[0], 2)])
    return user_id


def _new_address(html: str, **changes: str) -> dict[str, str]:
    key = _KEY.search(html)
    assert key is not None
    values = {
        "csrf_token": csrf_token_in(html),
        "idempotency_key": key.group(1),
        "address_id": "new",
        "name": "李娜",
        "phone": "13912345678",
        "province": "440000",
        "prefecture": "440100",
        "county_code": TIANHE,
        "detail": "天河路 385 号 1201 室",
        "save_address": "1",
        "payment_method": "bank_transfer",
    }
    values.update(changes)
    return values


async def test_the_carts_delivery_county_is_carried_over_with_its_shipping_and_total(
    client: httpx.AsyncClient, buyer: int
) -> None:
    page = await client.get(f"/checkout?county_code={TIANHE}")

    assert page.status_code == 200
    assert _selected(page.text, "province") == "440000"
    assert _selected(page.text, "prefecture") == "440100"
    assert _selected(page.text, "county_code") == TIANHE
    assert TIANHE in _options(page.text, "county_code")
    # Priced for Guangdong before the order is placed: ¥50 of goods, ¥8 shipping, ¥58.
    assert "选择收货地区后计算" not in page.text
    assert re.search(r'id="checkout-shipping">¥8\.00<', page.text)
    assert re.search(r'id="checkout-total">¥58\.00<', page.text)


async def test_without_a_county_the_total_waits_for_the_address(
    client: httpx.AsyncClient, buyer: int
) -> None:
    page = await client.get("/checkout")

    assert "选择收货地区后计算" in page.text
    assert _selected(page.text, "province") is None
    assert _options(page.text, "prefecture") == []


async def test_choosing_a_province_without_javascript_keeps_what_was_typed(
    client: httpx.AsyncClient, database: Database, buyer: int
) -> None:
    page = await client.get("/checkout")
    before = await counts(database)

    # The selects' button: the province chosen, no city yet; the name and street typed.
    refreshed = await client.post(
        "/checkout",
        data=_new_address(page.text, prefecture="", county_code="", refresh="1"),
    )

    assert refreshed.status_code == 200
    assert await counts(database) == before  # nothing ordered
    assert 'value="李娜"' in refreshed.text and "天河路 385 号 1201 室" in refreshed.text
    assert _selected(refreshed.text, "province") == "440000"
    assert "440100" in _options(refreshed.text, "prefecture")  # 广州市 among the cities
    assert _options(refreshed.text, "county_code") == []

    # The city chosen: its counties are listed.
    again = await client.post(
        "/checkout",
        data=_new_address(refreshed.text, county_code="", refresh="1"),
    )
    assert TIANHE in _options(again.text, "county_code")
    assert _selected(again.text, "prefecture") == "440100"


async def test_another_province_drops_the_county_chosen_before(
    client: httpx.AsyncClient, buyer: int
) -> None:
    page = await client.get(f"/checkout?county_code={TIANHE}")

    # Beijing chosen while Tianhe is still in the county select: Beijing's one city (市辖区)
    # is chosen at once and its districts listed; Tianhe is not kept.
    refreshed = await client.post(
        "/checkout", data=_new_address(page.text, province="110000", refresh="1")
    )

    assert _selected(refreshed.text, "province") == "110000"
    assert _selected(refreshed.text, "prefecture") == "110100"
    assert _selected(refreshed.text, "county_code") is None
    assert CHAOYANG in _options(refreshed.text, "county_code")


async def test_a_new_address_is_ordered_with_its_full_name_and_kept_in_the_book(
    client: httpx.AsyncClient, database: Database, buyer: int
) -> None:
    page = await client.get("/checkout")

    placed = await client.post("/checkout", data=_new_address(page.text))

    assert placed.status_code == 303, placed.text
    order_id = int(placed.headers["location"].split("/")[2])
    order = await load_order(database, order_id)
    assert (order.ship_to_county_code, order.shipping_fen, order.total_fen) == (TIANHE, 800, 5800)
    [kept] = await _saved(database, buyer)
    assert (kept.county_code, kept.detail, kept.is_default) == (
        TIANHE,
        "天河路 385 号 1201 室",
        True,
    )
    shown = await client.get(f"/orders/{order_id}")
    assert "广东省广州市天河区 天河路 385 号 1201 室" in shown.text


async def test_an_address_not_to_keep_is_not_saved(
    client: httpx.AsyncClient, database: Database, buyer: int
) -> None:
    page = await client.get("/checkout")

    placed = await client.post("/checkout", data=_new_address(page.text, save_address=""))

    assert placed.status_code == 303
    assert await _saved(database, buyer) == []


async def test_the_default_saved_address_is_chosen_and_ordered(
    client: httpx.AsyncClient, database: Database, buyer: int, supplier: Seller
) -> None:
    first = await client.get("/checkout")
    await client.post("/checkout", data=_new_address(first.text))
    await fill_cart(database, buyer, [(supplier.sku_ids[0], 1)])
    [kept] = await _saved(database, buyer)

    page = await client.get("/checkout")

    assert re.search(rf'name="address_id" value="{kept.id}"[^>]*checked', page.text)
    assert "广东省广州市天河区 天河路 385 号 1201 室" in page.text
    assert re.search(r'id="checkout-total">¥33\.00<', page.text)  # ¥25 + ¥8 to Guangdong
    # Ordered with the saved address alone: the new address's fields may be left empty.
    form = _new_address(page.text, address_id=str(kept.id), name="", phone="", county_code="")
    placed = await client.post("/checkout", data=form)
    assert placed.status_code == 303, placed.text
    order = await load_order(database, int(placed.headers["location"].split("/")[2]))
    assert (order.ship_to_name, order.ship_to_county_code) == ("李娜", TIANHE)
    assert len(await _saved(database, buyer)) == 1


async def test_someone_elses_saved_address_cannot_be_ordered_to(
    client: httpx.AsyncClient, database: Database, buyer: int
) -> None:
    other = await create_user(database, email="other@example.com")
    async with unit_of_work(database.writer) as session:
        theirs = SavedAddress(
            user_id=other,
            name="王五",
            phone="13800001111",
            county_code=CHAOYANG,
            detail="建国路 1 号",
            is_default=True,
        )
        session.add(theirs)
        await session.flush()
        their_id = theirs.id
    page = await client.get("/checkout")
    before = await counts(database)

    response = await client.post(
        "/checkout", data=_new_address(page.text, address_id=str(their_id))
    )

    assert response.status_code == 422
    assert "该地址已不在地址簿中" in response.text
    assert "建国路 1 号" not in response.text
    assert await counts(database) == before
    assert await cart_items(database, buyer) != []


async def test_the_summary_prices_another_address_in_place(
    client: httpx.AsyncClient, buyer: int
) -> None:
    guangdong = await client.get(f"/checkout/summary?address_id=new&county_code={TIANHE}")
    beijing = await client.get(f"/checkout/summary?address_id=new&county_code={CHAOYANG}")
    nowhere = await client.get("/checkout/summary?address_id=new&county_code=999999")

    assert guangdong.status_code == 200
    assert "<html" not in guangdong.text  # a fragment, for the page's script
    assert re.search(r'id="checkout-total">¥58\.00<', guangdong.text)
    assert "部分供应商暂不配送到所选地区" in beijing.text
    assert "选择收货地区后计算" in nowhere.text


async def test_only_the_methods_the_site_takes_are_offered(
    client: httpx.AsyncClient, database: Database, buyer: int
) -> None:
    # The test settings set up no Stripe: cards are neither offered nor taken.
    page = await client.get("/checkout")

    assert 'name="payment_method" value="stripe"' not in page.text
    assert re.search(r'name="payment_method" value="bank_transfer" checked', page.text)
    before = await counts(database)
    refused = await client.post("/checkout", data=_new_address(page.text, payment_method="stripe"))
    assert refused.status_code == 422
    assert "请选择支付方式。" in refused.text
    assert await counts(database) == before


async def test_a_bad_phone_is_named_and_nothing_is_ordered_or_saved(
    client: httpx.AsyncClient, database: Database, buyer: int
) -> None:
    page = await client.get("/checkout")

    response = await client.post("/checkout", data=_new_address(page.text, phone="1391234"))

    assert response.status_code == 422
    assert "请填写有效的手机号码（11 位）或固定电话（区号-号码）。" in response.text
    assert 'aria-describedby="phone-hint phone-error"' in response.text
    assert (await counts(database)).orders == 0
    assert await _saved(database, buyer) == []
