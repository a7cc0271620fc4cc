"""Creating products and SKUs through the JSON API, and whose they are: rules and ownership."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.catalog import repository as catalog_repository
from app.catalog.models import Product, Sku
from app.certification.models import CertificateKind, CertificateStatus
from app.core.db import Database, unit_of_work
from tests.catalog.factories import (
    CatalogCounts,
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

# ---------------------------------------------------------------------------------------------
# Creation


async def test_create_product_with_skus_and_tiers(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    certificate_id = await create_certificate(
        database, supplier.id, kind=CertificateKind.GI, status=CertificateStatus.VERIFIED
    )
    body = product_body(
        title="Rongshui Xiangnuo 融水香糯",
        certificate_ids=[certificate_id],
        skus=[
            sku(
                "rsxn-5kg",
                price_fen=3980,
                stock=0,
                min_qty=2,
                price_tiers=[
                    {"min_qty": 10, "price_fen": 3600},
                    {"min_qty": 50, "price_fen": 3200},
                ],
            ),
            sku("RSXN-10KG", name="10kg 袋装", price_fen=6980, stock=30),
        ],
    )

    response = await post_product(client, supplier, {**body, "status": "draft"})

    assert response.status_code == 201, response.text
    draft = response.json()
    assert (draft["status"], draft["published_at"]) == ("draft", None)
    await upload_photo(client, supplier, draft["id"])
    product = await publish(client, supplier, draft["id"])
    assert product["slug"] == f"{draft['id']}-rongshui-xiangnuo"
    assert product["status"] == "active"
    assert product["published_at"] is not None
    assert product["min_price_fen"] == 3980
    assert product["in_stock"] is True
    assert product["labels"] == ["gi"]
    assert product["certificate_ids"] == [certificate_id]
    assert product["category"] == {
        "code": "grain_oil",
        "name": "粮油",
        "requires_food_licence": True,
    }
    assert product["season_months"] == [10, 11]
    assert product["households_supported"] == 120
    assert product["cooperative"]["id"] == supplier.id
    assert product["county"]["code"] == "450225"
    assert product["county"]["key_assistance"] is True
    first, second = product["skus"]
    assert first["code"] == "RSXN-5KG"  # codes are kept upper-case
    assert first["stock_available"] == 0
    assert first["min_qty"] == 2
    assert first["price_tiers"] == [
        {"min_qty": 10, "price_fen": 3600},
        {"min_qty": 50, "price_fen": 3200},
    ]
    assert second["price_fen"] == 6980
    assert product["certificates"][0]["kind"] == "gi"
    assert await catalog_counts(database) == CatalogCounts(
        products=1, skus=2, tiers=2, photos=1, links=1
    )


async def test_a_title_without_latin_letters_gets_a_plain_slug(
    client: httpx.AsyncClient, supplier: Supplier
) -> None:
    product = await create_product(client, supplier, title="赣南脐橙")
    assert product["slug"] == f"{product['id']}-p"


async def test_draft_without_skus_is_allowed_and_has_no_price(
    client: httpx.AsyncClient, supplier: Supplier
) -> None:
    product = await create_product(client, supplier, status="draft", skus=[])
    assert product["status"] == "draft"
    assert product["published_at"] is None
    assert product["min_price_fen"] == 0
    assert product["in_stock"] is False


async def test_description_is_sanitised(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    dirty = (
        '<p onclick="steal()">好米<script>alert(1)</script></p>'
        '<img src=x onerror="alert(2)">'
        '<a href="javascript:alert(3)">坏链接</a>'
        '<a href="https://example.com/farm" target="_blank">农场</a>'
        '<h3 style="color:red">产地</h3><iframe src="https://evil"></iframe>'
        "<ul><li>无农药</li></ul>"
    )
    product = await create_product(client, supplier, description=dirty)

    stored = (await stored_product(database, product["id"])).description_html
    for html in (product["description_html"], stored):
        lowered = html.lower()
        assert "<script" not in lowered
        assert "alert(1)" not in lowered
        assert "onerror" not in lowered
        assert "onclick" not in lowered
        assert "javascript:" not in lowered
        assert "style=" not in lowered
        assert "<iframe" not in lowered
        assert "<img" not in lowered
        assert '<a href="https://example.com/farm" rel="noopener nofollow">农场</a>' in html
        assert "<h3>产地</h3>" in html
        assert "<ul><li>无农药</li></ul>" in html


async def test_plain_text_description_keeps_its_paragraphs(
    client: httpx.AsyncClient, supplier: Supplier
) -> None:
    product = await create_product(client, supplier, description="第一段\n第二行\n\n第二段 & 更多")
    assert product["description_html"] == "<p>第一段<br>第二行</p><p>第二段 &amp; 更多</p>"


# ---------------------------------------------------------------------------------------------
# Someone else's product or SKU: 404


async def test_someone_elses_product_and_sku_are_404(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    other = await create_supplier(database, name="别家合作社")
    theirs = await create_product(client, other)
    sku_id = theirs["skus"][0]["id"]

    attempts = [
        await client.patch(
            f"/api/v1/products/{theirs['id']}", json={"title": "被改了"}, headers=supplier.headers
        ),
        await client.post(
            f"/api/v1/products/{theirs['id']}/skus", json=sku(), headers=supplier.headers
        ),
        await client.delete(f"/api/v1/products/{theirs['id']}/photos/1", headers=supplier.headers),
    ]
    for response in attempts:
        assert_error(response, 404, "product_not_found")
    response = await client.patch(
        f"/api/v1/skus/{sku_id}", json={"price_fen": 1}, headers=supplier.headers
    )
    assert_error(response, 404, "sku_not_found")
    response = await client.get(
        f"/api/v1/cooperatives/{other.id}/products", headers=supplier.headers
    )
    assert_error(response, 404, "cooperative_not_found")

    async with unit_of_work(database.reader) as session:
        stored = await session.get(Product, theirs["id"])
        assert stored is not None and stored.title == "融水香糯"
        sku_row = await session.get(Sku, sku_id)
        assert sku_row is not None and sku_row.price_fen == 3980
        skus = (await session.scalars(select(Sku.id).where(Sku.product_id == theirs["id"]))).all()
        assert list(skus) == [sku_id]


async def test_unknown_ids_are_404_and_absurd_ids_422(
    client: httpx.AsyncClient, supplier: Supplier
) -> None:
    response = await client.patch(
        "/api/v1/products/999999", json={"title": "不存在"}, headers=supplier.headers
    )
    assert_error(response, 404, "product_not_found")
    response = await client.patch(
        f"/api/v1/products/{10**30}", json={"title": "不存在"}, headers=supplier.headers
    )
    assert_error(response, 422, "validation_failed")
    response = await client.patch(
        "/api/v1/skus/999999", json={"stock": 1}, headers=supplier.headers
    )
    assert_error(response, 404, "sku_not_found")


async def test_members_list_their_products_with_drafts(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    await create_product(client, supplier, title="草稿产品", status="draft", skus=[])
    await create_product(
        client, supplier, title="上架产品", skus=[sku(price_fen=1000, stock=2), sku(price_fen=3000)]
    )

    response = await client.get(
        f"/api/v1/cooperatives/{supplier.id}/products", headers=supplier.headers
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["cooperative_status"] == "verified"
    listed, draft = body["products"]
    assert (listed["title"], listed["min_price_fen"], listed["max_price_fen"]) == (
        "上架产品",
        1000,
        3000,
    )
    assert listed["total_stock"] == 102
    assert (draft["title"], draft["status"], draft["sku_count"]) == ("草稿产品", "draft", 0)


async def test_the_stored_status_is_a_plain_string(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    product = await create_product(client, supplier)
    async with unit_of_work(database.reader) as session:
        status = await session.scalar(select(Product.status).where(Product.id == product["id"]))
    assert status == "active"


async def test_certificate_status_is_not_needed_to_link(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    pending = await create_certificate(database, supplier.id, status=CertificateStatus.PENDING)

    product = await create_product(client, supplier, certificate_ids=[pending])

    assert product["certificate_ids"] == [pending]
    assert product["labels"] == []  # no badge until an operator verifies it
    assert product["certificates"] == []


HOSTILE_BODIES: list[Any] = [
    [],
    None,
    "text",
    {"title": None, "skus": None},
    {"skus": [None]},
    {"skus": [{"code": None, "price_fen": None}]},
    {"skus": [{"code": "A", "name": "b", "price_fen": 1, "price_tiers": [[]]}]},
    {"title": "ok title", "category": "\x00", "unit": "袋"},
    {"title": "ok title", "category": "fruit", "unit": "袋", "status": "active", "skus": "x"},
    {"title": "ok title", "category": "fruit", "unit": "袋", "season_months": [10**30]},
    {"stock": 10**30, "price_fen": -(10**30)},
    {"price_tiers": [{"min_qty": 10**30, "price_fen": 1}]},
]


@pytest.mark.parametrize("body", HOSTILE_BODIES)
async def test_hostile_bodies_never_answer_500(
    client: httpx.AsyncClient, database: Database, supplier: Supplier, body: Any
) -> None:
    product = await create_product(client, supplier)
    before = await catalog_counts(database)
    targets = [
        ("POST", f"/api/v1/cooperatives/{supplier.id}/products"),
        ("PATCH", f"/api/v1/products/{product['id']}"),
        ("POST", f"/api/v1/products/{product['id']}/skus"),
        ("PATCH", f"/api/v1/skus/{product['skus'][0]['id']}"),
    ]
    for method, path in targets:
        response = await client.request(method, path, json=body, headers=supplier.headers)
        assert response.status_code in {200, 400, 409, 422}, (method, path, response.text)
        assert response.json().get("error", {}).get("code") != "internal_error"
    assert await catalog_counts(database) == before


async def test_a_code_taken_between_check_and_insert_is_409(
    client: httpx.AsyncClient,
    database: Database,
    supplier: Supplier,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A concurrent request may take the code after the check: the insert's unique
    constraint decides, inside a savepoint, and the answer is 409, not 500."""
    await create_product(client, supplier, skus=[sku("RACE-1")])
    before = await catalog_counts(database)

    async def nothing_taken(_session: Any, _codes: Any) -> set[str]:
        return set()

    monkeypatch.setattr(catalog_repository, "taken_sku_codes", nothing_taken)
    created = await post_product(
        client, supplier, product_body(status="draft", skus=[sku("RACE-1")])
    )
    product_id = (await create_product(client, supplier, skus=[sku("RACE-2")]))["id"]
    added = await client.post(
        f"/api/v1/products/{product_id}/skus", json=sku("race-1"), headers=supplier.headers
    )

    assert "skus" in assert_error(created, 409, "sku_code_taken")["fields"]
    assert "code" in assert_error(added, 409, "sku_code_taken")["fields"]
    after = await catalog_counts(database)
    assert (after.products, after.skus) == (before.products + 1, before.skus + 1)
