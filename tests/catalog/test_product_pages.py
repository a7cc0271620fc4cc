"""Product and supplier pages: label facts (shelf life, storage, food production licence), the
photo and licence rules of publishing, shipping on the product page, the supplier page and its
JSON twin, the supplier's story, and the description editor's round trip."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from app.certification.models import CertificateKind, CertificateStatus
from app.cooperative.models import Cooperative, SupplierStatus
from app.core.clock import china_date, utcnow
from app.core.db import Database, unit_of_work
from tests.account.factories import PASSWORD, create_user, sign_in_page, token_headers
from tests.catalog.factories import (
    catalog_counts,
    create_product,
    post_product,
    product_body,
    publish,
    sku,
    stored_product,
    upload_photo,
)
from tests.certification.factories import create_certificate
from tests.cooperative.factories import Supplier, create_supplier
from tests.http_assertions import assert_error

LICENCE = "SC10145012300016"

# ---------------------------------------------------------------------------------------------
# Label facts and the rules of publishing


async def test_label_facts_are_stored_and_shown(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    product = await create_product(
        client,
        supplier,
        shelf_life_days=540,
        storage_conditions=" 密封、避光保存 ",
        food_licence_number="sc 1014 5012 3000 16",  # typed with spaces, lower case
    )

    assert (product["shelf_life_days"], product["storage_conditions"]) == (540, "密封、避光保存")
    assert product["food_licence_number"] == LICENCE  # canonical
    detail = (await client.get(f"/api/v1/products/{product['id']}")).json()
    assert detail["food_licence_number"] == LICENCE
    assert detail["category"]["requires_food_licence"] is True


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"food_licence_number": "SC1014501230001"}, "food_licence_invalid", "food_licence_number"),
        (
            {"food_licence_number": "SC30145012300016"},
            "food_licence_invalid",
            "food_licence_number",
        ),
        (
            {"food_licence_number": "SC10199012300016"},
            "food_licence_invalid",
            "food_licence_number",
        ),
        ({"food_licence_number": "QS1014501230001"}, "food_licence_invalid", "food_licence_number"),
        ({"shelf_life_days": 0}, "validation_failed", "shelf_life_days"),
        ({"shelf_life_days": 3651}, "validation_failed", "shelf_life_days"),
        ({"shelf_life_days": "12"}, "validation_failed", "shelf_life_days"),
        ({"shelf_life_days": 12.5}, "validation_failed", "shelf_life_days"),
        ({"storage_conditions": "冷" * 101}, "validation_failed", "storage_conditions"),
    ],
)
async def test_bad_label_facts_are_422_and_write_nothing(
    client: httpx.AsyncClient,
    database: Database,
    supplier: Supplier,
    overrides: dict[str, Any],
    code: str,
    field: str,
) -> None:
    before = await catalog_counts(database)

    response = await post_product(client, supplier, product_body(status="draft", **overrides))

    assert field in assert_error(response, 422, code)["fields"]
    assert await catalog_counts(database) == before


async def test_nothing_is_published_without_a_photo(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    before = await catalog_counts(database)
    created = await post_product(client, supplier, product_body())  # asks to be active at once
    assert "photos" in assert_error(created, 422, "photo_required")["fields"]
    assert await catalog_counts(database) == before

    draft = await create_product(client, supplier, status="draft")
    refused = await client.patch(
        f"/api/v1/products/{draft['id']}", json={"status": "active"}, headers=supplier.headers
    )
    assert "photos" in assert_error(refused, 422, "photo_required")["fields"]
    assert (await stored_product(database, draft["id"])).status == "draft"

    await upload_photo(client, supplier, draft["id"])
    assert (await publish(client, supplier, draft["id"]))["status"] == "active"


async def test_a_listed_products_only_photo_cannot_be_deleted(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    product = await create_product(client, supplier)
    [photo] = product["photos"]

    response = await client.delete(
        f"/api/v1/products/{product['id']}/photos/{photo['id']}", headers=supplier.headers
    )

    assert_error(response, 409, "photo_required")
    assert (await catalog_counts(database)).photos == 1


async def test_the_licence_is_required_only_where_the_category_needs_one(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    processed = await create_product(
        client, supplier, status="draft", food_licence_number=None, skus=[sku("RICE-1")]
    )
    await upload_photo(client, supplier, processed["id"])
    refused = await client.patch(
        f"/api/v1/products/{processed['id']}", json={"status": "active"}, headers=supplier.headers
    )
    assert "food_licence_number" in assert_error(refused, 422, "food_licence_required")["fields"]

    fresh = await create_product(
        client, supplier, category="fruit", food_licence_number=None, skus=[sku("ORANGE-1")]
    )
    assert (fresh["status"], fresh["food_licence_number"]) == ("active", None)
    # A listed fruit cannot move to a processed category without its licence, nor can a
    # listed processed food lose its licence.
    moved = await client.patch(
        f"/api/v1/products/{fresh['id']}", json={"category": "tea"}, headers=supplier.headers
    )
    assert_error(moved, 422, "food_licence_required")
    listed = await create_product(client, supplier, skus=[sku("RICE-2")])
    cleared = await client.patch(
        f"/api/v1/products/{listed['id']}",
        json={"food_licence_number": None},
        headers=supplier.headers,
    )
    assert_error(cleared, 422, "food_licence_required")
    assert (await stored_product(database, listed["id"])).food_licence_number == LICENCE
    # A draft may clear it (shelf life too).
    draft_change = await client.patch(
        f"/api/v1/products/{processed['id']}",
        json={"food_licence_number": "", "shelf_life_days": None},
        headers=supplier.headers,
    )
    assert draft_change.status_code == 200, draft_change.text
    assert draft_change.json()["shelf_life_days"] is None


# ---------------------------------------------------------------------------------------------
# The supplier page and its JSON twin


async def _set_story(database: Database, cooperative_id: int, story: str | None) -> None:
    async with unit_of_work(database.writer) as session:
        cooperative = await session.get(Cooperative, cooperative_id)
        assert cooperative is not None
        cooperative.description = story


async def test_supplier_profile(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    today = china_date(utcnow())
    await create_certificate(
        database,
        supplier.id,
        status=CertificateStatus.VERIFIED,
        scan_key=f"certificates/{supplier.id}/gi.jpg",
    )
    await create_certificate(
        database,
        supplier.id,
        kind=CertificateKind.ORGANIC,
        status=CertificateStatus.VERIFIED,
        scan_key=f"certificates/{supplier.id}/organic.pdf",
    )
    await create_certificate(  # expired: not shown
        database,
        supplier.id,
        kind=CertificateKind.GREEN_FOOD,
        status=CertificateStatus.VERIFIED,
        valid_from=today - timedelta(days=400),
        valid_until=today - timedelta(days=1),
    )
    await create_certificate(database, supplier.id, kind=CertificateKind.GREEN_FOOD)  # pending
    await _set_story(database, supplier.id, "2015 年成立。\n带动全村种糯稻。")
    first = await create_product(client, supplier, title="融水香糯", skus=[sku("P-1")])
    second = await create_product(client, supplier, title="融水紫米", skus=[sku("P-2")])
    await create_product(client, supplier, status="draft", skus=[sku("P-3")])

    response = await client.get(f"/api/v1/suppliers/{supplier.id}", params={"per_page": 1})

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["id"], body["name"], body["kind"]) == (
        supplier.id,
        "融水苗家合作社",
        "cooperative",
    )
    assert body["county"]["code"] == "450225"
    assert body["prefecture_name"] == "柳州市"
    assert body["story"] == "2015 年成立。\n带动全村种糯稻。"
    assert body["households_supported"] == 120
    assert [(c["kind"], c["scan_is_pdf"]) for c in body["certificates"]] == [
        ("gi", False),
        ("organic", True),
    ]
    assert body["certificates"][0]["scan_url"] == f"/media/certificates/{supplier.id}/gi.jpg"
    assert (body["product_count"], body["page"], body["per_page"]) == (2, 1, 1)
    assert [p["id"] for p in body["products"]] == [second["id"]]  # newest first
    page_two = (
        await client.get(f"/api/v1/suppliers/{supplier.id}", params={"per_page": 1, "page": 2})
    ).json()
    assert [p["id"] for p in page_two["products"]] == [first["id"]]

    html = (await client.get(f"/suppliers/{supplier.id}")).text
    assert "2015 年成立。" in html and "带动全村种糯稻。" in html
    assert f'<img src="/media/certificates/{supplier.id}/gi.jpg"' in html
    assert f'href="/media/certificates/{supplier.id}/organic.pdf"' in html
    assert "融水香糯" in html and "融水紫米" in html
    assert 'href="/counties/450225"' in html


@pytest.mark.parametrize("status", [SupplierStatus.PENDING, SupplierStatus.SUSPENDED])
async def test_only_verified_suppliers_have_a_page(
    client: httpx.AsyncClient, database: Database, status: SupplierStatus
) -> None:
    hidden = await create_supplier(database, name="未核验合作社", status=status)

    assert_error(await client.get(f"/api/v1/suppliers/{hidden.id}"), 404, "cooperative_not_found")
    page = await client.get(f"/suppliers/{hidden.id}")
    assert page.status_code == 404
    assert "未核验合作社" not in page.text


async def test_supplier_page_bad_paths(client: httpx.AsyncClient, supplier: Supplier) -> None:
    assert_error(await client.get("/api/v1/suppliers/987654"), 404, "cooperative_not_found")
    assert (await client.get("/api/v1/suppliers/0")).status_code == 422
    assert (await client.get("/api/v1/suppliers/99999999999999999999")).status_code == 422
    beyond = await client.get(f"/api/v1/suppliers/{supplier.id}", params={"page": 3})
    assert_error(beyond, 404, "page_out_of_range")
    assert (await client.get(f"/api/v1/suppliers/{supplier.id}?per_page=0")).status_code == 422
    for path in ("/suppliers/nope", "/suppliers/987654", f"/suppliers/{supplier.id}?page=9"):
        assert (await client.get(path)).status_code == 404, path
    # A page that is not a number is the first one.
    assert (await client.get(f"/suppliers/{supplier.id}?page=x")).status_code == 200


async def test_the_story_is_set_by_the_suppliers_admins(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    response = await client.put(
        f"/api/v1/cooperatives/{supplier.id}/story",
        json={"story": "  高山云雾出好茶。\n\n合作社带动 120 户。 "},
        headers=supplier.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["description"] == "高山云雾出好茶。\n\n合作社带动 120 户。"
    profile = (await client.get(f"/api/v1/suppliers/{supplier.id}")).json()
    assert profile["story"] == "高山云雾出好茶。\n\n合作社带动 120 户。"

    too_long = await client.put(
        f"/api/v1/cooperatives/{supplier.id}/story",
        json={"story": "茶" * 2001},
        headers=supplier.headers,
    )
    assert "story" in assert_error(too_long, 422, "invalid_story")["fields"]
    outsider = await create_user(database, password=None)
    other = await client.put(
        f"/api/v1/cooperatives/{supplier.id}/story",
        json={"story": "不是我的合作社"},
        headers=token_headers(outsider),
    )
    assert_error(other, 404, "cooperative_not_found")
    profile = (await client.get(f"/api/v1/suppliers/{supplier.id}")).json()
    assert profile["story"] == "高山云雾出好茶。\n\n合作社带动 120 户。"


# ---------------------------------------------------------------------------------------------
# The product page


async def _product_page(client: httpx.AsyncClient, product: dict[str, Any]) -> str:
    response = await client.get(f"/products/{product['slug']}")
    assert response.status_code == 200, response.text
    return response.text


async def test_product_page_shows_origin_label_facts_and_supplier(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    await client.put(
        f"/api/v1/cooperatives/{supplier.id}/shipping-rule",
        json={"base_fee_fen": 800, "per_kg_fen": 200, "free_above_fen": 9900},
        headers=supplier.headers,
    )
    product = await create_product(client, supplier, skus=[sku("PAGE-1", weight_grams=2500)])

    html = await _product_page(client, product)

    assert 'class="sf-ships-from">广西壮族自治区 融水苗族自治县</a>' in html
    assert f'href="/suppliers/{supplier.id}" class="sf-supplier-link">融水苗家合作社</a>' in html
    assert "365 天" in html and "阴凉干燥处保存" in html and LICENCE in html
    # No region known: the cheapest purchase's fee under the rule (800 + 2 started kg × 200).
    assert "¥12.00 起" in html and "满 ¥99.00 包邮" in html


async def test_product_page_quotes_shipping_to_the_buyers_region(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    await client.put(
        f"/api/v1/cooperatives/{supplier.id}/shipping-rule",
        json={"base_fee_fen": 800, "per_kg_fen": 0, "excluded_province_codes": ["540000"]},
        headers=supplier.headers,
    )
    product = await create_product(client, supplier, skus=[sku("SHIP-1", weight_grams=500)])
    email = "product-page-buyer@example.com"
    buyer = await create_user(database, email=email)
    await sign_in_page(client, email, PASSWORD)
    saved = await client.post(
        "/api/v1/me/addresses",
        json={
            "name": "张三",
            "phone": "13800138000",
            "county_code": "440106",
            "detail": "天河路 1 号",
            "is_default": True,
        },
        headers=token_headers(buyer),
    )
    assert saved.status_code == 201, saved.text

    html = await _product_page(client, product)
    assert "至 广东省广州市天河区：<strong>¥8.00</strong>" in html

    # The cart priced for a county the supplier does not serve: the page says so.
    cart = await client.get("/cart", params={"county_code": "540102"})
    assert cart.status_code == 200
    html = await _product_page(client, product)
    assert "暂不配送至 西藏自治区拉萨市城关区" in html
    # An unknown county in the cart is not remembered.
    await client.get("/cart", params={"county_code": "999999"})
    assert "暂不配送至 西藏自治区拉萨市城关区" in await _product_page(client, product)


# ---------------------------------------------------------------------------------------------
# The description editor


async def test_typed_description_comes_back_as_typed(
    client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_supplier(database, password=PASSWORD)
    await sign_in_page(client, supplier.email, PASSWORD)
    product = await create_product(
        client, supplier, status="draft", description="果园直发 & 现摘\n\n甜度 > 13°"
    )
    stored = await stored_product(database, product["id"])
    assert stored.description_html == "<p>果园直发 &amp; 现摘</p><p>甜度 &gt; 13°</p>"

    page = await client.get(f"/coop/{supplier.id}/products/{product['id']}/edit")

    assert page.status_code == 200
    assert "果园直发 &amp; 现摘\n\n甜度 &gt; 13°</textarea>" in page.text
    assert "&lt;p&gt;" not in page.text
