"""Bad product and SKU bodies: 422 (or 409) naming the field, and nothing written."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.certification.models import CertificateStatus
from app.cooperative.models import SupplierStatus
from app.core.db import Database
from tests.catalog.factories import (
    CatalogCounts,
    catalog_counts,
    create_product,
    post_product,
    product_body,
    sku,
    stored_product,
    sync_search_index,
)
from tests.certification.factories import create_certificate
from tests.cooperative.factories import Supplier, create_supplier, set_cooperative_status
from tests.http_assertions import assert_error

# ---------------------------------------------------------------------------------------------
# Bad input: 422 (or 409) with the field, and nothing written

BAD_SKU_FIELDS: list[tuple[str, dict[str, Any], str]] = [
    ("negative price", {"price_fen": -100}, "skus.0.price_fen"),
    ("zero price", {"price_fen": 0}, "skus.0.price_fen"),
    ("fractional price", {"price_fen": 12.5}, "skus.0.price_fen"),
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

    response = await post_product(client, supplier, product_body(skus=[sku(**overrides)]))

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

    response = await post_product(client, supplier, product_body(**overrides))

    error = assert_error(response, 422, "validation_failed")
    assert field in error["fields"], error["fields"]
    assert await catalog_counts(database) == before


async def test_unknown_category_is_422(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    response = await post_product(client, supplier, product_body(category="spaceships"))

    error = assert_error(response, 422, "unknown_category")
    assert "category" in error["fields"]
    assert await catalog_counts(database) == CatalogCounts(0, 0, 0, 0, 0)


async def test_another_suppliers_certificate_is_refused(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    other = await create_supplier(database, name="别家合作社")
    theirs = await create_certificate(database, other.id, status=CertificateStatus.VERIFIED)
    mine = await create_certificate(database, supplier.id, status=CertificateStatus.VERIFIED)

    response = await post_product(client, supplier, product_body(certificate_ids=[mine, theirs]))

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

    response = await post_product(
        client, supplier, product_body(skus=[sku("NEW-1"), sku("gnqc-5kg")])
    )

    error = assert_error(response, 409, "sku_code_taken")
    assert "skus.1.code" in error["fields"]
    assert await catalog_counts(database) == before


async def test_sku_code_twice_in_one_request_is_409(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    response = await post_product(client, supplier, product_body(skus=[sku("TWIN"), sku("twin")]))

    error = assert_error(response, 409, "sku_code_taken")
    assert "skus.1.code" in error["fields"]
    assert await catalog_counts(database) == CatalogCounts(0, 0, 0, 0, 0)


async def test_active_without_skus_is_refused(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    response = await post_product(client, supplier, product_body(status="active", skus=[]))

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

    response = await post_product(client, supplier, product_body(status="active"))

    assert_error(response, 409, "supplier_not_verified")
    assert await catalog_counts(database) == CatalogCounts(0, 0, 0, 0, 0)
    draft = await post_product(client, supplier, product_body(status="draft"))
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
    assert (await stored_product(database, product["id"])).status == "draft"


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
