"""The cart API: anonymous (cookie) and signed-in carts, line checks, totals, bad input."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from app.cart import service
from app.catalog.models import ProductPhoto, Sku
from app.cooperative.models import SupplierStatus
from app.core.db import Database, unit_of_work
from app.shipping.models import ShippingRule
from tests.account.factories import bearer, create_user, issue_token
from tests.cart.factories import cart_cookie_set, cart_rows, stored_tokens
from tests.catalog.factories import create_sku
from tests.cooperative.factories import create_cooperative, set_cooperative_status
from tests.http_assertions import assert_error

ITEM_KEYS = {
    "sku_id",
    "sku_code",
    "product_id",
    "product_slug",
    "title",
    "sku_name",
    "image_url",
    "quantity",
    "min_qty",
    "stock_available",
    "unit_price_fen",
    "line_total_fen",
    "problem",
    "cooperative_id",
}


async def buyer_headers(
    client: httpx.AsyncClient, database: Database, email: str = "buyer@example.com"
) -> dict[str, str]:
    await create_user(database, email=email)
    return bearer(await issue_token(client, email))


async def test_an_anonymous_shopper_gets_a_cart_cookie_on_first_add(
    client: httpx.AsyncClient, database: Database
) -> None:
    farm = await create_cooperative(database, name="隆安香蕉合作社")
    sku = await create_sku(
        database, cooperative_id=farm, price_fen=3000, stock=20, tiers=[(5, 2600)]
    )
    async with unit_of_work(database.writer) as session:
        session.add(
            ProductPhoto(
                product_id=sku.product_id,
                position=0,
                image_key="products/1/a.webp",
                thumb_key="products/1/a-thumb.webp",
                width=800,
                height=800,
            )
        )

    empty = await client.get("/api/v1/cart")
    assert empty.status_code == 200
    assert empty.json()["items"] == []
    assert cart_cookie_set(empty) is None
    assert await cart_rows(database) == []  # looking creates nothing

    response = await client.post("/api/v1/cart/items", json={"sku_id": sku.id, "quantity": 2})

    assert response.status_code == 200, response.text
    token = cart_cookie_set(response)
    assert token is not None and len(token) >= 40
    header = next(h for h in response.headers.get_list("set-cookie") if h.startswith("cart="))
    lowered = header.lower()
    assert "httponly" in lowered and "samesite=lax" in lowered and "path=/" in lowered
    # Only the token's hash is stored: the database alone opens no cart.
    assert await stored_tokens(database) == [hashlib.sha256(token.encode()).hexdigest()]
    body = response.json()
    (item,) = body["items"]
    assert set(item) == ITEM_KEYS
    assert item["sku_id"] == sku.id
    assert item["sku_code"] == sku.code
    assert item["product_id"] == sku.product_id
    assert item["image_url"] == "/media/products/1/a-thumb.webp"
    assert (item["quantity"], item["unit_price_fen"], item["line_total_fen"]) == (2, 3000, 6000)
    assert (item["min_qty"], item["stock_available"], item["problem"]) == (1, 20, None)
    assert body["groups"] == [
        {
            "cooperative": {"id": farm, "name": "隆安香蕉合作社"},
            "goods_fen": 6000,
            "shipping_fen": None,
            "sku_ids": [sku.id],
            "weight_grams": 1000,
            "cold_chain": False,
            "problem": None,
        }
    ]
    assert (body["goods_fen"], body["shipping_fen"], body["total_fen"]) == (6000, None, 6000)
    assert body["checkout_ready"] is True

    # The cookie brings the same cart back; adding again adds to the line and reaches a tier.
    again = await client.post("/api/v1/cart/items", json={"sku_id": sku.id, "quantity": 3})
    assert again.status_code == 200, again.text
    assert cart_cookie_set(again) is None
    (item,) = again.json()["items"]
    assert (item["quantity"], item["unit_price_fen"], item["line_total_fen"]) == (5, 2600, 13_000)
    assert await cart_rows(database) == [(None, True, sku.id, 5)]


async def test_shipping_per_supplier_for_a_delivery_county(
    client: httpx.AsyncClient, database: Database
) -> None:
    farm = await create_cooperative(database, name="甲")
    fishery = await create_cooperative(database, name="乙")
    fruit = await create_sku(database, cooperative_id=farm, price_fen=2000, weight_grams=2000)
    fish = await create_sku(
        database, cooperative_id=fishery, price_fen=5000, weight_grams=500, category="aquatic"
    )
    async with unit_of_work(database.writer) as session:
        session.add(
            ShippingRule(
                cooperative_id=fishery,
                base_fee_fen=800,
                free_above_fen=10_000,
                cold_chain_surcharge_fen=1000,
                excluded_province_codes=["540000"],
            )
        )
    await client.post("/api/v1/cart/items", json={"sku_id": fruit.id, "quantity": 1})
    await client.post("/api/v1/cart/items", json={"sku_id": fish.id, "quantity": 2})

    body = (await client.get("/api/v1/cart", params={"county_code": "450123"})).json()

    assert [(g["cooperative"]["id"], g["shipping_fen"]) for g in body["groups"]] == [
        (farm, 1000),  # platform default
        (fishery, 1000),  # free above ¥100, the cold-chain surcharge stays
    ]
    assert (body["goods_fen"], body["shipping_fen"], body["total_fen"]) == (12_000, 2000, 14_000)
    assert body["county_code"] == "450123"
    assert body["checkout_ready"] is True

    tibet = (await client.get("/api/v1/cart", params={"county_code": "540102"})).json()
    assert [g["problem"] for g in tibet["groups"]] == [None, "region_not_served"]
    assert tibet["groups"][1]["shipping_fen"] is None
    assert tibet["shipping_fen"] == 1000
    assert tibet["checkout_ready"] is False

    error = assert_error(
        await client.get("/api/v1/cart", params={"county_code": "999999"}), 422, "unknown_county"
    )
    assert "county_code" in error["fields"]
    assert_error(
        await client.get("/api/v1/cart", params={"county_code": "45"}), 422, "validation_failed"
    )


async def test_a_parcel_that_ships_free_adds_nothing_to_the_shipping_or_the_total(
    client: httpx.AsyncClient, database: Database
) -> None:
    farm = await create_cooperative(database, name="甲")
    orchard = await create_cooperative(database, name="乙")
    fruit = await create_sku(database, cooperative_id=farm, price_fen=2000, weight_grams=2000)
    apples = await create_sku(database, cooperative_id=orchard, price_fen=3000, weight_grams=500)
    async with unit_of_work(database.writer) as session:
        session.add(ShippingRule(cooperative_id=orchard, base_fee_fen=800, free_above_fen=5000))
    await client.post("/api/v1/cart/items", json={"sku_id": fruit.id, "quantity": 1})
    await client.post("/api/v1/cart/items", json={"sku_id": apples.id, "quantity": 2})

    body = (await client.get("/api/v1/cart", params={"county_code": "450123"})).json()

    assert [(g["cooperative"]["id"], g["shipping_fen"]) for g in body["groups"]] == [
        (farm, 1000),  # platform default
        (orchard, 0),  # ¥60 of goods, free above ¥50 (no cold chain)
    ]
    assert (body["goods_fen"], body["shipping_fen"], body["total_fen"]) == (8000, 1000, 9000)


async def test_patch_and_delete_lines(client: httpx.AsyncClient, database: Database) -> None:
    farm = await create_cooperative(database)
    a = await create_sku(database, cooperative_id=farm, stock=9)
    b = await create_sku(database, cooperative_id=farm, stock=9)
    headers = await buyer_headers(client, database)
    await client.post("/api/v1/cart/items", json={"sku_id": a.id, "quantity": 1}, headers=headers)
    await client.post("/api/v1/cart/items", json={"sku_id": b.id, "quantity": 1}, headers=headers)

    patched = await client.patch(
        f"/api/v1/cart/items/{a.id}", json={"quantity": 7}, headers=headers
    )
    assert patched.status_code == 200, patched.text
    assert [(i["sku_id"], i["quantity"]) for i in patched.json()["items"]] == [(a.id, 7), (b.id, 1)]

    deleted = await client.delete(f"/api/v1/cart/items/{b.id}", headers=headers)
    assert deleted.status_code == 200, deleted.text
    assert [i["sku_id"] for i in deleted.json()["items"]] == [a.id]

    assert_error(
        await client.delete(f"/api/v1/cart/items/{b.id}", headers=headers),
        404,
        "cart_item_not_found",
    )
    assert_error(
        await client.patch(f"/api/v1/cart/items/{b.id}", json={"quantity": 1}, headers=headers),
        404,
        "cart_item_not_found",
    )
    user_id = (await cart_rows(database))[0][0]
    assert await cart_rows(database) == [(user_id, False, a.id, 7)]


async def test_a_whole_number_written_as_a_float_is_that_number(
    client: httpx.AsyncClient, database: Database
) -> None:
    """JSON Schema, hence the OpenAPI document, counts 2.0 as the integer 2: the API agrees."""
    farm = await create_cooperative(database)
    a = await create_sku(database, cooperative_id=farm, stock=9)
    headers = await buyer_headers(client, database)

    added = await client.post(
        "/api/v1/cart/items", json={"sku_id": float(a.id), "quantity": 2.0}, headers=headers
    )
    assert added.status_code == 200, added.text
    patched = await client.patch(
        f"/api/v1/cart/items/{a.id}", json={"quantity": 3.0}, headers=headers
    )
    assert patched.status_code == 200, patched.text
    assert_error(
        await client.patch(f"/api/v1/cart/items/{a.id}", json={"quantity": 3.5}, headers=headers),
        422,
        "validation_failed",
    )
    user_id = (await cart_rows(database))[0][0]
    assert await cart_rows(database) == [(user_id, False, a.id, 3)]


async def test_each_user_sees_and_changes_only_their_own_cart(
    client: httpx.AsyncClient, database: Database
) -> None:
    farm = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=farm)
    alice = await buyer_headers(client, database, "alice@example.com")
    bob = await buyer_headers(client, database, "bob@example.com")
    await client.post("/api/v1/cart/items", json={"sku_id": sku.id, "quantity": 2}, headers=alice)
    before = await cart_rows(database)

    assert (await client.get("/api/v1/cart", headers=bob)).json()["items"] == []
    assert_error(
        await client.patch(f"/api/v1/cart/items/{sku.id}", json={"quantity": 1}, headers=bob),
        404,
        "cart_item_not_found",
    )
    assert_error(
        await client.delete(f"/api/v1/cart/items/{sku.id}", headers=bob),
        404,
        "cart_item_not_found",
    )
    assert await cart_rows(database) == before
    # Anonymous callers see no one's cart either.
    assert (await client.get("/api/v1/cart")).json()["items"] == []


async def test_an_invalid_bearer_token_is_401_not_anonymous(
    client: httpx.AsyncClient, database: Database
) -> None:
    farm = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=farm)

    response = await client.post(
        "/api/v1/cart/items",
        json={"sku_id": sku.id, "quantity": 1},
        headers=bearer("not-a-token"),
    )

    assert_error(response, 401, "unauthorized")
    assert await cart_rows(database) == []


async def test_lines_that_went_bad_are_flagged_and_left_out_of_totals(
    client: httpx.AsyncClient, database: Database
) -> None:
    farm = await create_cooperative(database, name="甲")
    other = await create_cooperative(database, name="乙")
    fine = await create_sku(database, cooperative_id=farm, price_fen=1000, stock=9)
    shrinking = await create_sku(database, cooperative_id=farm, price_fen=1000, stock=9)
    raised_min = await create_sku(database, cooperative_id=farm, price_fen=1000, stock=9)
    suspended = await create_sku(database, cooperative_id=other, price_fen=1000, stock=9)
    for sku in (fine, shrinking, raised_min, suspended):
        added = await client.post("/api/v1/cart/items", json={"sku_id": sku.id, "quantity": 3})
        assert added.status_code == 200, added.text
    async with unit_of_work(database.writer) as session:
        await session.execute(update(Sku).where(Sku.id == shrinking.id).values(stock=2))
        await session.execute(update(Sku).where(Sku.id == raised_min.id).values(min_qty=4))
    await set_cooperative_status(database, other, SupplierStatus.SUSPENDED)

    body = (await client.get("/api/v1/cart")).json()

    assert [(i["sku_id"], i["problem"]) for i in body["items"]] == [
        (fine.id, None),
        (shrinking.id, "insufficient_stock"),
        (raised_min.id, "below_min_qty"),
        (suspended.id, "unavailable"),
    ]
    assert [g["sku_ids"] for g in body["groups"]] == [[fine.id]]
    assert (body["goods_fen"], body["total_fen"]) == (3000, 3000)
    assert body["checkout_ready"] is False
    # A flagged line can still be fixed or removed.
    fixed = await client.patch(f"/api/v1/cart/items/{shrinking.id}", json={"quantity": 2})
    assert fixed.status_code == 200, fixed.text
    removed = await client.delete(f"/api/v1/cart/items/{suspended.id}")
    assert removed.status_code == 200, removed.text


BAD_ADDS: list[tuple[dict[str, Any], int, str, str]] = [
    ({"quantity": 0}, 422, "validation_failed", "quantity"),
    ({"quantity": -1}, 422, "validation_failed", "quantity"),
    ({"quantity": 1.5}, 422, "validation_failed", "quantity"),
    ({"quantity": "3"}, 422, "validation_failed", "quantity"),
    ({"quantity": True}, 422, "validation_failed", "quantity"),
    ({"quantity": None}, 422, "validation_failed", "quantity"),
    ({"quantity": 10**12}, 422, "validation_failed", "quantity"),
    ({"quantity": 100_001}, 422, "validation_failed", "quantity"),
    ({"sku_id": "1"}, 422, "validation_failed", "sku_id"),
    ({"sku_id": 0}, 422, "validation_failed", "sku_id"),
    ({"sku_id": 2**63}, 422, "validation_failed", "sku_id"),
    ({"extra": 1}, 422, "validation_failed", "extra"),
]


async def _bad_input_fixture(database: Database) -> dict[str, int]:
    farm = await create_cooperative(database)
    suspended = await create_cooperative(database, status=SupplierStatus.SUSPENDED)
    return {
        "good": (await create_sku(database, cooperative_id=farm, stock=5)).id,
        "inactive": (await create_sku(database, cooperative_id=farm, is_active=False)).id,
        "suspended": (await create_sku(database, cooperative_id=suspended)).id,
        "min5": (await create_sku(database, cooperative_id=farm, min_qty=5, stock=50)).id,
    }


async def test_bad_adds_change_nothing_for_an_anonymous_shopper(
    client: httpx.AsyncClient, database: Database
) -> None:
    skus = await _bad_input_fixture(database)
    cases: list[tuple[dict[str, Any], int, str, str]] = [
        *BAD_ADDS,
        ({"sku_id": skus["good"] + 10_000}, 422, "sku_unavailable", "sku_id"),
        ({"sku_id": skus["inactive"]}, 422, "sku_unavailable", "sku_id"),
        ({"sku_id": skus["suspended"]}, 422, "sku_unavailable", "sku_id"),
        ({"sku_id": skus["min5"], "quantity": 4}, 422, "below_min_qty", "quantity"),
        ({"quantity": 6}, 409, "insufficient_stock", "quantity"),
    ]
    for change, status, code, field in cases:
        body = {"sku_id": skus["good"], "quantity": 1, **change}

        response = await client.post("/api/v1/cart/items", json=body)

        error = assert_error(response, status, code)
        assert field in error["fields"], (change, error)
        assert cart_cookie_set(response) is None, change
        assert await cart_rows(database) == [], change  # not even an empty cart

    missing = await client.post("/api/v1/cart/items", json={"sku_id": skus["good"]})
    assert "quantity" in assert_error(missing, 422, "validation_failed")["fields"]
    malformed = await client.post(
        "/api/v1/cart/items", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert_error(malformed, 400, "malformed_json")
    assert await cart_rows(database) == []


async def test_bad_changes_leave_a_signed_in_cart_as_it_was(
    client: httpx.AsyncClient, database: Database
) -> None:
    skus = await _bad_input_fixture(database)
    headers = await buyer_headers(client, database)
    for sku_id, quantity in ((skus["good"], 3), (skus["min5"], 5)):
        added = await client.post(
            "/api/v1/cart/items", json={"sku_id": sku_id, "quantity": quantity}, headers=headers
        )
        assert added.status_code == 200, added.text
    before = await cart_rows(database)

    # Adding: the line would exceed the stock (3 + 3 > 5), or any bad body.
    over = await client.post(
        "/api/v1/cart/items", json={"sku_id": skus["good"], "quantity": 3}, headers=headers
    )
    assert assert_error(over, 409, "insufficient_stock")["fields"] == {"quantity": "only 5 left"}
    for change, status, code, _field in BAD_ADDS:
        body = {"sku_id": skus["good"], "quantity": 1, **change}
        response = await client.post("/api/v1/cart/items", json=body, headers=headers)
        assert_error(response, status, code)
        assert await cart_rows(database) == before, change

    # Changing a quantity.
    url = f"/api/v1/cart/items/{skus['good']}"
    bad_quantities: list[tuple[Any, int, str]] = [
        (0, 422, "validation_failed"),
        (-2, 422, "validation_failed"),
        (2.5, 422, "validation_failed"),
        ("3", 422, "validation_failed"),
        (10**12, 422, "validation_failed"),
        (6, 409, "insufficient_stock"),
    ]
    for quantity, expected_status, expected_code in bad_quantities:
        response = await client.patch(url, json={"quantity": quantity}, headers=headers)
        assert_error(response, expected_status, expected_code)
        assert await cart_rows(database) == before, quantity
    below = await client.patch(
        f"/api/v1/cart/items/{skus['min5']}", json={"quantity": 4}, headers=headers
    )
    assert_error(below, 422, "below_min_qty")
    for path_id in ("abc", "0", "-1", "1.5", str(2**63)):
        response = await client.patch(
            f"/api/v1/cart/items/{path_id}", json={"quantity": 1}, headers=headers
        )
        assert "sku_id" in assert_error(response, 422, "validation_failed")["fields"], path_id
        response = await client.delete(f"/api/v1/cart/items/{path_id}", headers=headers)
        assert_error(response, 422, "validation_failed")
    assert await cart_rows(database) == before


async def test_an_anonymous_cart_is_merged_into_the_users_on_first_access(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    farm = await create_cooperative(database)
    only_anonymous = await create_sku(database, cooperative_id=farm, stock=10)
    both = await create_sku(database, cooperative_id=farm, stock=4)
    headers = await buyer_headers(client, database)
    await client.post(
        "/api/v1/cart/items", json={"sku_id": both.id, "quantity": 2}, headers=headers
    )
    # Signed out, in the same browser: an anonymous cart in the cookie.
    anonymous = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    )
    async with anonymous:
        await anonymous.post(
            "/api/v1/cart/items", json={"sku_id": only_anonymous.id, "quantity": 2}
        )
        await anonymous.post("/api/v1/cart/items", json={"sku_id": both.id, "quantity": 3})
        cookie = anonymous.cookies.get("cart")
    assert cookie is not None
    user_id = (await cart_rows(database))[0][0]

    response = await client.get("/api/v1/cart", headers={**headers, "Cookie": f"cart={cookie}"})

    assert response.status_code == 200, response.text
    # Quantities added; 2 + 3 capped at the 4 in stock.
    assert [(i["sku_id"], i["quantity"]) for i in response.json()["items"]] == [
        (both.id, 4),
        (only_anonymous.id, 2),
    ]
    cleared = next(h for h in response.headers.get_list("set-cookie") if h.startswith("cart="))
    assert "max-age=0" in cleared.lower()
    assert await cart_rows(database) == [
        (user_id, False, both.id, 4),
        (user_id, False, only_anonymous.id, 2),
    ]
    assert await stored_tokens(database) == []

    # The same cookie again (a stale copy) merges nothing twice.
    again = await client.get("/api/v1/cart", headers={**headers, "Cookie": f"cart={cookie}"})
    assert [(i["sku_id"], i["quantity"]) for i in again.json()["items"]] == [
        (both.id, 4),
        (only_anonymous.id, 2),
    ]


async def test_a_merge_never_lowers_the_users_own_line(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    farm = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=farm, stock=5)
    sold_out = await create_sku(database, cooperative_id=farm, stock=3)
    headers = await buyer_headers(client, database)
    await client.post("/api/v1/cart/items", json={"sku_id": sku.id, "quantity": 5}, headers=headers)
    anonymous = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    )
    async with anonymous:
        await anonymous.post("/api/v1/cart/items", json={"sku_id": sku.id, "quantity": 2})
        await anonymous.post("/api/v1/cart/items", json={"sku_id": sold_out.id, "quantity": 3})
        cookie = anonymous.cookies.get("cart")
    async with unit_of_work(database.writer) as session:
        await session.execute(update(Sku).where(Sku.id == sku.id).values(stock=4))
        await session.execute(update(Sku).where(Sku.id == sold_out.id).values(stock=0))

    response = await client.get("/api/v1/cart", headers={**headers, "Cookie": f"cart={cookie}"})

    # The user's 5 stays (flagged as short); a line with nothing left in stock is not carried.
    assert [(i["sku_id"], i["quantity"], i["problem"]) for i in response.json()["items"]] == [
        (sku.id, 5, "insufficient_stock")
    ]


async def test_a_cookie_naming_no_cart_is_cleared_and_never_adopted(
    client: httpx.AsyncClient, database: Database
) -> None:
    farm = await create_cooperative(database)
    sku = await create_sku(database, cooperative_id=farm)
    forged = "A" * 43

    shown = await client.get("/api/v1/cart", headers={"Cookie": f"cart={forged}"})
    assert shown.json()["items"] == []
    assert "max-age=0" in shown.headers["set-cookie"].lower()

    added = await client.post(
        "/api/v1/cart/items",
        json={"sku_id": sku.id, "quantity": 1},
        headers={"Cookie": f"cart={forged}"},
    )
    token = cart_cookie_set(added)
    assert token is not None and token != forged
    assert await stored_tokens(database) == [hashlib.sha256(token.encode()).hexdigest()]

    for junk in ("x" * 500, "a b", "%C3%BC", "a;b"):
        response = await client.get("/api/v1/cart", headers={"Cookie": f"cart={junk}"})
        assert response.status_code == 200, junk


async def test_checkout_reads_and_clears_the_users_cart(
    client: httpx.AsyncClient, database: Database
) -> None:
    farm = await create_cooperative(database)
    a = await create_sku(database, cooperative_id=farm)
    b = await create_sku(database, cooperative_id=farm)
    headers = await buyer_headers(client, database)
    await client.post("/api/v1/cart/items", json={"sku_id": b.id, "quantity": 2}, headers=headers)
    await client.post("/api/v1/cart/items", json={"sku_id": a.id, "quantity": 1}, headers=headers)
    user_id = (await cart_rows(database))[0][0]
    assert user_id is not None

    async with unit_of_work(database.writer) as session:
        assert await service.cart_items_for_checkout(session, user_id=user_id) == [
            (b.id, 2),
            (a.id, 1),
        ]
        assert await service.cart_items_for_checkout(session, user_id=user_id + 99) == []
        await service.clear_cart(session, user_id=user_id)
        await service.clear_cart(session, user_id=user_id + 99)  # no cart: nothing to do
        assert await service.cart_items_for_checkout(session, user_id=user_id) == []

    assert await cart_rows(database) == [(user_id, False, 0, 0)]
