"""Creating and changing products and SKUs through the JSON API: rules, errors and ownership."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.catalog import repository as catalog_repository
from app.catalog.models import Product, Sku
from app.certification.models import CertificateKind, CertificateStatus
from app.cooperative.models import SupplierStatus
from app.core.db import Database, unit_of_work
from app.inventory.models import MovementReason, StockMovement
from tests.catalog.factories import (
    CatalogCounts,
    catalog_counts,
    create_product,
    product_body,
    sku,
    sync_search_index,
)
from tests.certification.factories import create_certificate
from tests.cooperative.factories import Supplier, create_supplier, set_cooperative_status
from tests.http_assertions import assert_error


@pytest.fixture
async def supplier(client: httpx.AsyncClient, database: Database) -> Supplier:
    return await create_supplier(database)


async def _post(client: httpx.AsyncClient, supplier: Supplier, body: Any) -> httpx.Response:
    return await client.post(
        f"/api/v1/cooperatives/{supplier.id}/products", json=body, headers=supplier.headers
    )


async def _stored(database: Database, product_id: int) -> Product:
    async with unit_of_work(database.reader) as session:
        product = await session.get(Product, product_id)
        assert product is not None
        return product


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

    response = await _post(client, supplier, body)

    assert response.status_code == 201, response.text
    product = response.json()
    assert product["slug"] == f"{product['id']}-rongshui-xiangnuo"
    assert product["status"] == "active"
    assert product["published_at"] is not None
    assert product["min_price_fen"] == 3980
    assert product["in_stock"] is True
    assert product["labels"] == ["gi"]
    assert product["certificate_ids"] == [certificate_id]
    assert product["category"] == {"code": "grain_oil", "name": "粮油"}
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
        products=1, skus=2, tiers=2, photos=0, links=1
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

    stored = (await _stored(database, product["id"])).description_html
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
# Bad input: 422 (or 409) with the field, and nothing written

BAD_SKU_FIELDS: list[tuple[str, dict[str, Any], str]] = [
    ("negative price", {"price_fen": -100}, "skus.0.price_fen"),
    ("zero price", {"price_fen": 0}, "skus.0.price_fen"),
    ("fractional price", {"price_fen": 12.5}, "skus.0.price_fen"),
    ("float price", {"price_fen": 12.0}, "skus.0.price_fen"),
    ("string price", {"price_fen": "12"}, "skus.0.price_fen"),
    ("boolean price", {"price_fen": True}, "skus.0.price_fen"),
    ("huge price", {"price_fen": 10**9 + 1}, "skus.0.price_fen"),
    ("absurd price", {"price_fen": 10**30}, "skus.0.price_fen"),
    ("negative stock", {"stock": -1}, "skus.0.stock"),
    ("huge stock", {"stock": 10**7 + 1}, "skus.0.stock"),
    ("zero min qty", {"min_qty": 0}, "skus.0.min_qty"),
    ("huge min qty", {"min_qty": 10**5 + 1}, "skus.0.min_qty"),
    ("negative weight", {"weight_grams": -5}, "skus.0.weight_grams"),
    ("huge weight", {"weight_grams": 10**6 + 1}, "skus.0.weight_grams"),
    ("bad code", {"code": "坏 code!"}, "skus.0.code"),
    ("blank name", {"name": "   "}, "skus.0.name"),
    (
        "tier of one",
        {"price_tiers": [{"min_qty": 1, "price_fen": 3000}]},
        "skus.0.price_tiers.0.min_qty",
    ),
    (
        "tier not above min qty",
        {"min_qty": 10, "price_tiers": [{"min_qty": 10, "price_fen": 3000}]},
        "skus.0.price_tiers.0.min_qty",
    ),
    (
        "tiers not increasing",
        {
            "price_tiers": [
                {"min_qty": 20, "price_fen": 3600},
                {"min_qty": 10, "price_fen": 3000},
            ]
        },
        "skus.0.price_tiers.1.min_qty",
    ),
    (
        "tier not cheaper than base",
        {"price_tiers": [{"min_qty": 10, "price_fen": 3980}]},
        "skus.0.price_tiers.0.price_fen",
    ),
    (
        "tiers not getting cheaper",
        {
            "price_tiers": [
                {"min_qty": 10, "price_fen": 3600},
                {"min_qty": 20, "price_fen": 3700},
            ]
        },
        "skus.0.price_tiers.1.price_fen",
    ),
    (
        "fractional tier price",
        {"price_tiers": [{"min_qty": 10, "price_fen": 3600.5}]},
        "skus.0.price_tiers.0.price_fen",
    ),
]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [(o, f) for _, o, f in BAD_SKU_FIELDS],
    ids=[name for name, _, _ in BAD_SKU_FIELDS],
)
async def test_bad_sku_fields_are_refused(
    client: httpx.AsyncClient,
    database: Database,
    supplier: Supplier,
    overrides: dict[str, Any],
    field: str,
) -> None:
    before = await catalog_counts(database)

    response = await _post(client, supplier, product_body(skus=[sku(**overrides)]))

    error = assert_error(response, 422, "validation_failed")
    assert field in error["fields"], error["fields"]
    assert await catalog_counts(database) == before


BAD_PRODUCT_FIELDS: list[tuple[str, dict[str, Any], str]] = [
    ("short title", {"title": "米"}, "title"),
    ("blank title", {"title": "   "}, "title"),
    ("long title", {"title": "米" * 121}, "title"),
    ("blank unit", {"unit": " "}, "unit"),
    ("long unit", {"unit": "袋" * 31}, "unit"),
    ("long description", {"description": "好" * 20_001}, "description"),
    ("unknown status", {"status": "published"}, "status"),
    ("month 13", {"season_months": [13]}, "season_months.0"),
    ("string certificate id", {"certificate_ids": ["1"]}, "certificate_ids.0"),
    ("absurd certificate id", {"certificate_ids": [10**30]}, "certificate_ids.0"),
    ("unexpected field", {"price": 100}, "price"),
    ("NUL in title", {"title": "融水\x00香糯"}, "title"),
    ("line break in title", {"title": "融水\n香糯"}, "title"),
    ("NUL in description", {"description": "好\x00米"}, "description"),
    ("NUL in unit", {"unit": "袋\x00"}, "unit"),
    (
        "NUL in SKU name",
        {"skus": [{"code": "A1", "name": "礼\x00盒", "price_fen": 100}]},
        "skus.0.name",
    ),
]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [(o, f) for _, o, f in BAD_PRODUCT_FIELDS],
    ids=[name for name, _, _ in BAD_PRODUCT_FIELDS],
)
async def test_bad_product_fields_are_refused(
    client: httpx.AsyncClient,
    database: Database,
    supplier: Supplier,
    overrides: dict[str, Any],
    field: str,
) -> None:
    before = await catalog_counts(database)

    response = await _post(client, supplier, product_body(**overrides))

    error = assert_error(response, 422, "validation_failed")
    assert field in error["fields"], error["fields"]
    assert await catalog_counts(database) == before


async def test_unknown_category_is_422(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    response = await _post(client, supplier, product_body(category="spaceships"))

    error = assert_error(response, 422, "unknown_category")
    assert "category" in error["fields"]
    assert await catalog_counts(database) == CatalogCounts(0, 0, 0, 0, 0)


async def test_another_suppliers_certificate_is_refused(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    other = await create_supplier(database, name="别家合作社")
    theirs = await create_certificate(database, other.id, status=CertificateStatus.VERIFIED)
    mine = await create_certificate(database, supplier.id, status=CertificateStatus.VERIFIED)

    response = await _post(client, supplier, product_body(certificate_ids=[mine, theirs]))

    error = assert_error(response, 422, "unknown_certificates")
    assert "certificate_ids" in error["fields"]
    assert await catalog_counts(database) == CatalogCounts(0, 0, 0, 0, 0)


async def test_malformed_json_is_400_and_writes_nothing(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    response = await client.post(
        f"/api/v1/cooperatives/{supplier.id}/products",
        content=b'{"title": "x",',
        headers={**supplier.headers, "content-type": "application/json"},
    )
    assert_error(response, 400, "malformed_json")
    assert await catalog_counts(database) == CatalogCounts(0, 0, 0, 0, 0)


async def test_sku_code_used_by_another_supplier_is_409(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    other = await create_supplier(database, name="别家合作社")
    await create_product(client, other, skus=[sku("GNQC-5KG")])
    before = await catalog_counts(database)

    response = await _post(client, supplier, product_body(skus=[sku("NEW-1"), sku("gnqc-5kg")]))

    error = assert_error(response, 409, "sku_code_taken")
    assert "skus.1.code" in error["fields"]
    assert await catalog_counts(database) == before


async def test_sku_code_twice_in_one_request_is_409(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    response = await _post(client, supplier, product_body(skus=[sku("TWIN"), sku("twin")]))

    error = assert_error(response, 409, "sku_code_taken")
    assert "skus.1.code" in error["fields"]
    assert await catalog_counts(database) == CatalogCounts(0, 0, 0, 0, 0)


async def test_active_without_skus_is_refused(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    response = await _post(client, supplier, product_body(status="active", skus=[]))

    error = assert_error(response, 422, "sku_required")
    assert "skus" in error["fields"]
    assert await catalog_counts(database) == CatalogCounts(0, 0, 0, 0, 0)


@pytest.mark.parametrize(
    "status", [SupplierStatus.PENDING, SupplierStatus.SUSPENDED, SupplierStatus.REJECTED]
)
async def test_unverified_supplier_cannot_publish(
    client: httpx.AsyncClient, database: Database, status: SupplierStatus
) -> None:
    supplier = await create_supplier(database, status=status)

    response = await _post(client, supplier, product_body(status="active"))

    assert_error(response, 409, "supplier_not_verified")
    assert await catalog_counts(database) == CatalogCounts(0, 0, 0, 0, 0)
    draft = await _post(client, supplier, product_body(status="draft"))
    assert draft.status_code == 201, draft.text  # preparing drafts is fine


async def test_suspended_suppliers_draft_cannot_be_activated(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    product = await create_product(client, supplier, status="draft")
    await set_cooperative_status(database, supplier.id, SupplierStatus.SUSPENDED)
    await sync_search_index(database)

    response = await client.patch(
        f"/api/v1/products/{product['id']}", json={"status": "active"}, headers=supplier.headers
    )

    assert_error(response, 409, "supplier_not_verified")
    assert (await _stored(database, product["id"])).status == "draft"


async def test_creating_for_someone_elses_supplier_is_404(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    other = await create_supplier(database, name="别家合作社")

    response = await client.post(
        f"/api/v1/cooperatives/{other.id}/products", json=product_body(), headers=supplier.headers
    )

    assert_error(response, 404, "cooperative_not_found")
    assert await catalog_counts(database) == CatalogCounts(0, 0, 0, 0, 0)


async def test_creating_needs_a_token(client: httpx.AsyncClient, supplier: Supplier) -> None:
    response = await client.post(
        f"/api/v1/cooperatives/{supplier.id}/products", json=product_body()
    )
    assert_error(response, 401, "unauthorized")


# ---------------------------------------------------------------------------------------------
# Changes


async def test_patch_product_fields(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    product = await create_product(client, supplier, status="draft")
    certificate_id = await create_certificate(
        database, supplier.id, kind=CertificateKind.ORGANIC, status=CertificateStatus.VERIFIED
    )

    response = await client.patch(
        f"/api/v1/products/{product['id']}",
        json={
            "title": "新标题 New Title",
            "description": "<p>新<script>x()</script>描述</p>",
            "category": "fruit",
            "unit": "10kg/箱",
            "status": "active",
            "certificate_ids": [certificate_id],
            "season_months": [12, 1, 12],
        },
        headers=supplier.headers,
    )

    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["title"] == "新标题 New Title"
    assert changed["slug"] == product["slug"]  # links stay valid
    assert changed["description_html"] == "<p>新描述</p>"
    assert changed["category"]["code"] == "fruit"
    assert changed["unit"] == "10kg/箱"
    assert changed["status"] == "active"
    assert changed["published_at"] is not None
    assert changed["labels"] == ["organic"]
    assert changed["season_months"] == [1, 12]


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"title": "x"}, 422, "validation_failed", "title"),
        ({"category": "nope"}, 422, "unknown_category", "category"),
        ({"status": "gone"}, 422, "validation_failed", "status"),
        ({"certificate_ids": [987654]}, 422, "unknown_certificates", "certificate_ids"),
        ({"season_months": [0]}, 422, "validation_failed", "season_months.0"),
    ],
)
async def test_patch_product_bad_input_changes_nothing(
    client: httpx.AsyncClient,
    database: Database,
    supplier: Supplier,
    body: dict[str, Any],
    status: int,
    code: str,
    field: str,
) -> None:
    product = await create_product(client, supplier)

    response = await client.patch(
        f"/api/v1/products/{product['id']}", json=body, headers=supplier.headers
    )

    error = assert_error(response, status, code)
    assert field in error["fields"]
    stored = await _stored(database, product["id"])
    assert (stored.title, stored.category_code, stored.season_months) == (
        "融水香糯",
        "grain_oil",
        "10,11",
    )


async def test_patch_draft_to_active_without_sku_is_refused(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    product = await create_product(client, supplier, status="draft", skus=[])

    response = await client.patch(
        f"/api/v1/products/{product['id']}",
        json={"status": "active", "title": "改了标题"},
        headers=supplier.headers,
    )

    assert_error(response, 422, "sku_required")
    stored = await _stored(database, product["id"])
    assert (stored.status, stored.title) == ("draft", "融水香糯")


async def test_add_sku_updates_price_and_stock_summary(
    client: httpx.AsyncClient, supplier: Supplier
) -> None:
    product = await create_product(client, supplier, skus=[sku(price_fen=5000, stock=0)])
    assert (product["min_price_fen"], product["in_stock"]) == (5000, False)

    response = await client.post(
        f"/api/v1/products/{product['id']}/skus",
        json=sku("SMALL-1", price_fen=1990, stock=3),
        headers=supplier.headers,
    )

    assert response.status_code == 201, response.text
    changed = response.json()
    assert (changed["min_price_fen"], changed["in_stock"]) == (1990, True)
    assert [s["code"] for s in changed["skus"]] == [product["skus"][0]["code"], "SMALL-1"]


async def test_add_sku_with_a_taken_code_is_409(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    product = await create_product(client, supplier, skus=[sku("TAKEN-1")])
    before = await catalog_counts(database)

    response = await client.post(
        f"/api/v1/products/{product['id']}/skus", json=sku("taken-1"), headers=supplier.headers
    )

    error = assert_error(response, 409, "sku_code_taken")
    assert "code" in error["fields"]
    assert await catalog_counts(database) == before


async def test_patch_sku_price_and_stock_keeps_the_summary_current(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    product = await create_product(
        client, supplier, skus=[sku(price_fen=5000, stock=4), sku(price_fen=7000, stock=0)]
    )
    cheap, dear = product["skus"]

    response = await client.patch(
        f"/api/v1/skus/{dear['id']}", json={"price_fen": 4500}, headers=supplier.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["price_fen"] == 4500
    response = await client.patch(
        f"/api/v1/skus/{cheap['id']}", json={"stock": 0}, headers=supplier.headers
    )
    assert response.json()["stock_available"] == 0

    stored = await _stored(database, product["id"])
    assert (stored.min_price_fen, stored.in_stock) == (4500, False)


async def _movements(database: Database, sku_id: int) -> list[tuple[int, MovementReason]]:
    async with unit_of_work(database.reader) as session:
        rows = await session.execute(
            select(StockMovement.delta, StockMovement.reason)
            .where(StockMovement.sku_id == sku_id)
            .order_by(StockMovement.id)
        )
        return [(delta, reason) for delta, reason in rows]


async def test_a_stock_edit_is_logged_as_a_restocked_movement(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    """The supplier's count goes through the inventory: each change is a movement of the
    difference; a price-only edit, the same count again or a refused edit log nothing."""
    product = await create_product(
        client,
        supplier,
        skus=[sku(price_fen=5000, stock=4, price_tiers=[{"min_qty": 10, "price_fen": 4500}])],
    )
    sku_id = product["skus"][0]["id"]
    path = f"/api/v1/skus/{sku_id}"

    more = await client.patch(path, json={"stock": 9}, headers=supplier.headers)
    same = await client.patch(path, json={"stock": 9, "price_fen": 5200}, headers=supplier.headers)
    price_only = await client.patch(path, json={"price_fen": 5100}, headers=supplier.headers)
    refused = await client.patch(
        path, json={"stock": 1, "price_fen": 4000}, headers=supplier.headers
    )
    fewer = await client.patch(path, json={"stock": 2}, headers=supplier.headers)

    assert [r.status_code for r in (more, same, price_only, fewer)] == [200] * 4
    assert_error(refused, 422, "validation_failed")
    assert fewer.json()["stock_available"] == 2
    assert await _movements(database, sku_id) == [
        (5, MovementReason.RESTOCKED),
        (-7, MovementReason.RESTOCKED),
    ]


async def test_patch_sku_replaces_tiers(client: httpx.AsyncClient, supplier: Supplier) -> None:
    product = await create_product(
        client,
        supplier,
        skus=[sku(price_fen=5000, price_tiers=[{"min_qty": 10, "price_fen": 4500}])],
    )
    sku_id = product["skus"][0]["id"]

    response = await client.patch(
        f"/api/v1/skus/{sku_id}",
        json={
            "price_tiers": [{"min_qty": 10, "price_fen": 4000}, {"min_qty": 20, "price_fen": 3500}]
        },
        headers=supplier.headers,
    )

    assert response.status_code == 200, response.text
    assert response.json()["price_tiers"] == [
        {"min_qty": 10, "price_fen": 4000},
        {"min_qty": 20, "price_fen": 3500},
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"price_fen": -1}, "price_fen"),
        ({"price_fen": 19.99}, "price_fen"),
        ({"price_fen": "4500"}, "price_fen"),
        ({"stock": -3}, "stock"),
        ({"stock": 1.5}, "stock"),
        ({"price_fen": 4500}, "price_fen"),  # not above the 4500 tier
        ({"price_tiers": [{"min_qty": 10, "price_fen": 6000}]}, "price_tiers.0.price_fen"),
    ],
)
async def test_patch_sku_bad_input_changes_nothing(
    client: httpx.AsyncClient,
    database: Database,
    supplier: Supplier,
    body: dict[str, Any],
    field: str,
) -> None:
    product = await create_product(
        client,
        supplier,
        skus=[sku(price_fen=5000, stock=7, price_tiers=[{"min_qty": 10, "price_fen": 4500}])],
    )
    sku_id = product["skus"][0]["id"]

    response = await client.patch(f"/api/v1/skus/{sku_id}", json=body, headers=supplier.headers)

    error = assert_error(response, 422, "validation_failed")
    assert field in error["fields"], error["fields"]
    async with unit_of_work(database.reader) as session:
        stored = await session.get(Sku, sku_id)
        assert stored is not None
        assert (stored.price_fen, stored.stock) == (5000, 7)


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
    created = await _post(client, supplier, product_body(skus=[sku("RACE-1")]))
    product_id = (await create_product(client, supplier, skus=[sku("RACE-2")]))["id"]
    added = await client.post(
        f"/api/v1/products/{product_id}/skus", json=sku("race-1"), headers=supplier.headers
    )

    assert "skus" in assert_error(created, 409, "sku_code_taken")["fields"]
    assert "code" in assert_error(added, 409, "sku_code_taken")["fields"]
    after = await catalog_counts(database)
    assert (after.products, after.skus) == (before.products + 1, before.skus + 1)
