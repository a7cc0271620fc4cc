"""The cart page and its forms: add (back to the product page), update, remove, region, merge."""

from __future__ import annotations

from html.parser import HTMLParser

import httpx
from sqlalchemy import select, update

from app.catalog.models import Product, Sku
from app.core.db import Database, unit_of_work
from app.shipping.models import ShippingRule
from tests.account.factories import create_user, csrf_token_in, page_csrf, sign_in_page
from tests.cart.factories import cart_cookie_set, cart_rows
from tests.catalog.factories import create_sku
from tests.cooperative.factories import create_cooperative


async def add(
    client: httpx.AsyncClient,
    csrf: str,
    sku_id: int | str,
    quantity: int | str = 1,
    referer: str | None = None,
) -> httpx.Response:
    headers = {"Referer": referer} if referer is not None else {}
    return await client.post(
        "/cart/add",
        data={"sku_id": str(sku_id), "quantity": str(quantity), "csrf_token": csrf},
        headers=headers,
    )


async def test_an_empty_cart(client: httpx.AsyncClient, database: Database) -> None:
    response = await client.get("/cart")

    assert response.status_code == 200
    assert "购物车是空的" in response.text
    assert await cart_rows(database) == []


async def test_add_goes_back_to_the_product_page_and_the_cart_shows_the_line(
    client: httpx.AsyncClient, database: Database
) -> None:
    farm = await create_cooperative(database, name="隆安香蕉合作社")
    sku = await create_sku(
        database, cooperative_id=farm, price_fen=2580, title="隆安香蕉", sku_name="10 斤装"
    )
    csrf = await page_csrf(client, "/login")

    response = await add(
        client, csrf, sku.id, 2, referer="http://testserver/products/longan-banana?from=home"
    )

    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/products/longan-banana?from=home&cart_added=2"
    assert cart_cookie_set(response) is not None
    page = await client.get("/cart")
    html = page.text
    assert "隆安香蕉" in html and "10 斤装" in html
    assert "¥25.80" in html and "¥51.60" in html
    assert 'name="quantity"' in html and 'value="2"' in html
    assert 'action="/cart/remove"' in html
    assert 'href="/checkout"' in html and "去结算" in html
    assert "隆安香蕉合作社" in html
    assert "选择收货地区后计算" in html
    assert await cart_rows(database) == [(None, True, sku.id, 2)]


async def test_add_without_a_local_referer_goes_to_the_cart(
    client: httpx.AsyncClient, database: Database
) -> None:
    farm = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=farm, stock=50)
    csrf = await page_csrf(client, "/login")

    for referer in (
        None,
        "https://evil.example/products/x",
        "//evil.example/x",
        "javascript:alert(1)",
        "http://testserver//evil.example/",
        "http://testserver/\\evil.example",
    ):
        response = await add(client, csrf, sku.id, 1, referer=referer)
        assert response.status_code == 303, referer
        assert response.headers["location"] == "/cart?cart_added=1", referer


async def test_refused_adds_show_the_reason_and_change_nothing(
    client: httpx.AsyncClient, database: Database
) -> None:
    farm = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=farm, stock=3, min_qty=2)
    hidden = await create_sku(database, cooperative_id=farm, is_active=False)
    csrf = await page_csrf(client, "/login")
    cases: list[tuple[int | str, int | str, int, str]] = [
        (sku.id, "abc", 422, "请输入 1 到 100000 之间的整数"),
        (sku.id, "0", 422, "请输入 1 到 100000 之间的整数"),
        (sku.id, "-1", 422, "请输入 1 到 100000 之间的整数"),
        (sku.id, "1.5", 422, "请输入 1 到 100000 之间的整数"),
        (sku.id, "1000000000000", 422, "请输入 1 到 100000 之间的整数"),
        (sku.id, "1", 422, "起订量"),
        (sku.id, "4", 409, "库存不足，目前仅剩 3 件"),
        (hidden.id, "1", 422, "该商品暂不可购买"),
        (sku.id + 10_000, "2", 422, "该商品暂不可购买"),
        ("abc", "2", 422, "该商品暂不可购买"),
    ]
    for sku_id, quantity, status, message in cases:
        response = await add(client, csrf, sku_id, quantity)

        assert response.status_code == status, (sku_id, quantity, response.text)
        assert message in response.text, (sku_id, quantity)
        assert cart_cookie_set(response) is None
        assert await cart_rows(database) == [], (sku_id, quantity)


async def test_forms_without_csrf_are_refused(
    client: httpx.AsyncClient, database: Database
) -> None:
    farm = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=farm)
    csrf = await page_csrf(client, "/login")
    assert (await add(client, csrf, sku.id, 1)).status_code == 303
    before = await cart_rows(database)

    for path, data in (
        ("/cart/add", {"sku_id": str(sku.id), "quantity": "1"}),
        ("/cart/update", {"sku_id": str(sku.id), "quantity": "3"}),
        ("/cart/remove", {"sku_id": str(sku.id)}),
    ):
        response = await client.post(path, data={**data, "csrf_token": "wrong"})
        assert response.status_code == 403, path
    assert await cart_rows(database) == before


async def test_update_and_remove(client: httpx.AsyncClient, database: Database) -> None:
    farm = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=farm, stock=5, tiers=[(4, 2000)])
    other = await create_sku(database, cooperative_id=farm)
    csrf = await page_csrf(client, "/login")
    await add(client, csrf, sku.id, 1)
    await add(client, csrf, other.id, 1)

    updated = await client.post(
        "/cart/update",
        data={"sku_id": str(sku.id), "quantity": "4", "csrf_token": csrf, "county_code": "450123"},
    )
    assert updated.status_code == 303
    assert updated.headers["location"] == "/cart?county_code=450123"
    assert "¥80.00" in (await client.get("/cart")).text  # 4 × the tier price ¥20.00

    removed = await client.post("/cart/remove", data={"sku_id": str(other.id), "csrf_token": csrf})
    assert removed.status_code == 303
    assert removed.headers["location"] == "/cart"
    assert [(sku_id, q) for _u, _a, sku_id, q in await cart_rows(database)] == [(sku.id, 4)]

    gone = await client.post("/cart/remove", data={"sku_id": str(other.id), "csrf_token": csrf})
    assert gone.status_code == 404


async def test_a_refused_update_keeps_the_entered_value_next_to_its_error(
    client: httpx.AsyncClient, database: Database
) -> None:
    farm = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=farm, stock=5)
    csrf = await page_csrf(client, "/login")
    await add(client, csrf, sku.id, 2)
    before = await cart_rows(database)

    for quantity, status, message in (
        ("9", 409, "库存不足，目前仅剩 5 件"),
        ("0", 422, "请输入 1 到 100000 之间的整数"),
        ("two", 422, "请输入 1 到 100000 之间的整数"),
    ):
        response = await client.post(
            "/cart/update", data={"sku_id": str(sku.id), "quantity": quantity, "csrf_token": csrf}
        )

        assert response.status_code == status, quantity
        html = response.text
        assert message in html
        assert f'value="{quantity}"' in html
        assert f'id="line-{sku.id}-error"' in html
        assert await cart_rows(database) == before


async def test_choosing_a_delivery_region_shows_shipping(
    client: httpx.AsyncClient, database: Database
) -> None:
    farm = await create_cooperative(database, name="甲合作社")
    sku = await create_sku(database, cooperative_id=farm, price_fen=4000, weight_grams=3000)
    async with unit_of_work(database.writer) as session:
        session.add(
            ShippingRule(
                cooperative_id=farm,
                base_fee_fen=600,
                per_kg_fen=200,
                excluded_province_codes=["540000"],
            )
        )
    csrf = await page_csrf(client, "/login")
    await add(client, csrf, sku.id, 1)

    by_province = await client.get("/cart", params={"province": "450000"})
    assert by_province.status_code == 200
    assert 'value="450123"' in by_province.text  # the province's counties to choose from

    priced = await client.get("/cart", params={"county_code": "450123"})
    assert priced.status_code == 200
    html = priced.text
    assert "¥10.00" in html  # 600 + 2 × 200
    assert "¥50.00" in html  # the total
    assert 'href="/checkout?county_code=450123"' in html

    tibet = await client.get("/cart", params={"county_code": "540102"})
    assert "该供应商不配送到所选地区" in tibet.text

    unknown = await client.get("/cart", params={"county_code": "999999"})
    assert unknown.status_code == 422
    assert "没有找到这个区县" in unknown.text


async def test_the_anonymous_cart_is_merged_at_login(
    client: httpx.AsyncClient, database: Database
) -> None:
    farm = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=farm, stock=10)
    user_id = await create_user(database, email="buyer@example.com")
    csrf = await page_csrf(client, "/login")
    await add(client, csrf, sku.id, 3)
    assert client.cookies.get("cart") is not None

    signed_in = await sign_in_page(client, "buyer@example.com")
    assert signed_in.status_code == 303
    page = await client.get("/cart")

    assert page.status_code == 200
    assert 'value="3"' in page.text
    assert client.cookies.get("cart") is None  # cleared by the merge
    assert await cart_rows(database) == [(user_id, False, sku.id, 3)]

    # Signed in, further adds go to the user's cart; no anonymous cookie comes back.
    csrf = csrf_token_in(page.text)
    response = await add(client, csrf, sku.id, 2)
    assert response.status_code == 303
    assert cart_cookie_set(response) is None
    assert await cart_rows(database) == [(user_id, False, sku.id, 5)]


async def test_a_line_that_went_bad_is_flagged_on_the_page(
    client: httpx.AsyncClient, database: Database
) -> None:
    farm = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=farm, stock=5)
    csrf = await page_csrf(client, "/login")
    await add(client, csrf, sku.id, 4)
    async with unit_of_work(database.writer) as session:
        await session.execute(update(Sku).where(Sku.id == sku.id).values(stock=1))

    html = (await client.get("/cart")).text

    assert "库存不足，请减少数量" in html
    assert "请先处理上面标出的问题" in html


class _AddForms(HTMLParser):
    """The product page's add-to-cart forms of its SKU table (not the phone's buy bar, which
    names its SKU in a select): each form's inputs, by name, with their attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, dict[str, str]]] = []
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        fields = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._inside = (
                fields.get("action") == "/cart/add"
                and fields.get("method") == "post"
                and "sf-add-to-cart" in fields.get("class", "")
            )
            if self._inside:
                self.forms.append({})
        elif tag == "input" and self._inside and "name" in fields:
            self.forms[-1][fields["name"]] = fields

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False


async def test_the_product_page_offers_a_form_per_sku_that_puts_it_in_the_cart(
    client: httpx.AsyncClient, database: Database
) -> None:
    farm = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=farm, stock=40, min_qty=3, title="融水香糯")
    second = await create_sku(
        database, cooperative_id=farm, product_id=sku.product_id, stock=2, min_qty=5
    )
    async with unit_of_work(database.writer) as session:
        slug = (
            await session.execute(select(Product.slug).filter_by(id=sku.product_id))
        ).scalar_one()
    path = f"/products/{slug}"

    page = await client.get(path)

    assert page.status_code == 200, page.text
    parser = _AddForms()
    parser.feed(page.text)
    # The second SKU has fewer units than its minimum: no form for it.
    assert len(parser.forms) == 1
    (form,) = parser.forms
    assert form["sku_id"]["value"] == str(sku.id)
    assert form["quantity"]["value"] == "3" and form["quantity"]["min"] == "3"
    assert form["quantity"]["max"] == "40"
    assert form["csrf_token"]["value"] == csrf_token_in(page.text)
    assert f"add-sku-{second.id}" not in page.text

    fields = {name: attributes["value"] for name, attributes in form.items()}
    response = await client.post(
        "/cart/add", data=fields, headers={"Referer": f"http://testserver{path}"}
    )

    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"{path}?cart_added=3"
    assert await cart_rows(database) == [(None, True, sku.id, 3)]
    assert 'name="buy_now" value="1"' in page.text  # 立即购买, beside 加入购物车
    # On a phone the buy bar offers the SKUs that can be bought, and only those.
    bar = page.text.split('class="sf-buy-bar"', 1)[1].split("</form>", 1)[0]
    assert f'<option value="{sku.id}">' in bar and f'<option value="{second.id}">' not in bar


async def test_the_header_counts_the_carts_lines_and_says_what_was_added(
    client: httpx.AsyncClient, database: Database
) -> None:
    farm = await create_cooperative(database)
    first = await create_sku(database, cooperative_id=farm, stock=50, sku_name="一斤装")
    second = await create_sku(database, cooperative_id=farm, stock=50, sku_name="五斤装")
    home = await client.get("/")
    assert 'class="cart-count"' not in home.text and "已加入购物车" not in home.text
    csrf = await page_csrf(client, "/login")

    added = await add(client, csrf, first.id, 3, referer="http://testserver/products?sort=new")
    assert added.headers["location"] == "/products?sort=new&cart_added=3"
    back = await client.get(added.headers["location"])
    assert "已加入购物车" in back.text and 'href="/cart">去购物车结算' in back.text
    assert '<span class="cart-count" aria-label="1 种商品">1</span>' in back.text
    # Adding again from that page does not stack the notice's parameter.
    again = await add(
        client, csrf, second.id, 1, referer=f"http://testserver{added.headers['location']}"
    )
    assert again.headers["location"] == "/products?sort=new&cart_added=1"
    page = await client.get("/impact")
    assert '<span class="cart-count" aria-label="2 种商品">2</span>' in page.text
    assert "已加入购物车" not in page.text

    # Signed in, the header counts the user's own cart (the anonymous one merges into it).
    await create_user(database, email="buyer@example.com", password="correct horse battery")
    assert (
        await sign_in_page(client, "buyer@example.com", "correct horse battery")
    ).status_code == 303
    await client.get("/cart")  # the cart page merges the anonymous cart
    assert '<span class="cart-count" aria-label="2 种商品">2</span>' in (await client.get("/")).text


async def test_buy_now_puts_the_sku_in_the_cart_and_goes_to_checkout(
    client: httpx.AsyncClient, database: Database
) -> None:
    farm = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=farm, stock=50)
    csrf = await page_csrf(client, "/login")

    response = await client.post(
        "/cart/add",
        data={"sku_id": str(sku.id), "quantity": "2", "csrf_token": csrf, "buy_now": "1"},
        headers={"Referer": "http://testserver/products/x"},
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/checkout"
    assert await cart_rows(database) == [(None, True, sku.id, 2)]
