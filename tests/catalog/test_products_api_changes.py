"""Changing products and SKUs through the JSON API: fields, prices, tiers and stock."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.catalog.models import Sku
from app.certification.models import CertificateKind, CertificateStatus
from app.core.db import Database, unit_of_work
from app.inventory.models import MovementReason, StockMovement
from tests.catalog.factories import (
    catalog_counts,
    create_product,
    sku,
    stored_product,
    upload_photo,
)
from tests.certification.factories import create_certificate
from tests.cooperative.factories import Supplier
from tests.http_assertions import assert_error

# ---------------------------------------------------------------------------------------------
# Changes


async def test_patch_product_fields(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    product = await create_product(client, supplier, status="draft")
    await upload_photo(client, supplier, product["id"])
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
    stored = await stored_product(database, product["id"])
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
    stored = await stored_product(database, product["id"])
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

    stored = await stored_product(database, product["id"])
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
