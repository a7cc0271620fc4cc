"""Supplier performance over the API: shipping within 48 h, after-sales rate, rating and price
flags, counted from the data already kept (both databases)."""

from __future__ import annotations

import httpx

from app.cooperative.models import SupplierStatus
from app.core.db import Database
from tests.account.factories import ApiUser, create_api_user
from tests.catalog.factories import create_seller
from tests.cooperative.factories import create_cooperative
from tests.http_assertions import assert_error
from tests.performance.conftest import Scene

PUBLIC = {
    "window_days": 90,
    "rating": {"average": 3.5, "count": 2},
    # Due: on time (20 h), late (60 h), unshipped past 48 h, on time (0.5 h), exactly 48 h.
    "shipping": {
        "counted": 5,
        "on_time": 3,
        "on_time_share_bp": 6000,
        "average_hours": 32.1,  # (20 + 60 + 0.5 + 48) / 4 = 32.125
    },
}


async def test_the_public_page_carries_rating_and_shipping_speed(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    response = await client.get(f"/api/v1/suppliers/{scene.seller.id}")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["performance"] == PUBLIC
    assert "after_sales" not in body["performance"]  # the public sees rating and speed only
    assert "price_flags" not in body["performance"]
    assert body["id"] == scene.seller.id and body["products"]  # the profile is all there


async def test_the_operator_sees_after_sales_and_the_flagged_prices(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    response = await client.get(
        f"/api/v1/admin/cooperatives/{scene.seller.id}", headers=scene.operator.headers
    )

    assert response.status_code == 200, response.text
    body = response.json()
    performance = body["performance"]
    assert {k: performance[k] for k in PUBLIC} == PUBLIC
    # 7 parcels paid in the 90 days (the cancelled one too); 2 drew 3 requests, 1 escalated.
    assert performance["after_sales"] == {
        "parcels": 7,
        "parcels_with_request": 2,
        "rate_bp": 2857,
        "requests": 3,
        "escalated": 1,
    }
    [flag] = performance["price_flags"]
    assert flag["id"] == scene.seller.product_id  # the other supplier's flag is not here
    assert flag["cooperative"]["id"] == scene.seller.id
    assert (flag["max_price_fen"], flag["reference_price_fen"]) == (1000, 500)
    assert (flag["ratio_bp"], flag["flag_ratio_bp"]) == (20_000, 15_000)
    assert body["cooperative"]["id"] == scene.seller.id
    assert body["cooperative"]["contact_phone"]  # operators see the contacts


async def test_the_other_suppliers_figures_are_its_own(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    response = await client.get(
        f"/api/v1/admin/cooperatives/{scene.other.id}", headers=scene.operator.headers
    )

    performance = response.json()["performance"]
    assert performance["shipping"] == {
        "counted": 1,
        "on_time": 0,
        "on_time_share_bp": 0,
        "average_hours": 90.0,
    }
    assert performance["after_sales"]["parcels"] == 1
    assert performance["after_sales"]["rate_bp"] == 10_000
    assert performance["rating"] == {"average": None, "count": 0}
    assert [flag["id"] for flag in performance["price_flags"]] == [scene.other.product_id]


async def test_a_new_supplier_has_no_figures_rather_than_zeros(
    client: httpx.AsyncClient, database: Database, operator: ApiUser
) -> None:
    seller = await create_seller(database)

    public = (await client.get(f"/api/v1/suppliers/{seller.id}")).json()["performance"]
    full = (
        await client.get(f"/api/v1/admin/cooperatives/{seller.id}", headers=operator.headers)
    ).json()["performance"]

    assert public == {
        "window_days": 90,
        "rating": {"average": None, "count": 0},
        "shipping": {
            "counted": 0,
            "on_time": 0,
            "on_time_share_bp": None,
            "average_hours": None,
        },
    }
    assert full["after_sales"] == {
        "parcels": 0,
        "parcels_with_request": 0,
        "rate_bp": None,
        "requests": 0,
        "escalated": 0,
    }
    assert full["price_flags"] == []


async def test_operators_see_any_supplier_and_the_public_only_verified_ones(
    client: httpx.AsyncClient, database: Database, operator: ApiUser
) -> None:
    pending = await create_cooperative(database, status=SupplierStatus.PENDING)

    seen = await client.get(f"/api/v1/admin/cooperatives/{pending}", headers=operator.headers)
    hidden = await client.get(f"/api/v1/suppliers/{pending}")

    assert seen.status_code == 200 and seen.json()["cooperative"]["status"] == "pending"
    assert_error(hidden, 404, "cooperative_not_found")


async def test_unknown_and_malformed_ids_and_other_users(
    client: httpx.AsyncClient, database: Database, operator: ApiUser
) -> None:
    buyer = await create_api_user(database)
    seller = await create_seller(database)

    assert_error(
        await client.get("/api/v1/admin/cooperatives/999999", headers=operator.headers),
        404,
        "cooperative_not_found",
    )
    assert_error(
        await client.get("/api/v1/admin/cooperatives/0", headers=operator.headers),
        422,
        "validation_failed",
    )
    assert_error(
        await client.get(f"/api/v1/admin/cooperatives/{seller.id}", headers=buyer.headers),
        403,
        "forbidden",
    )
    assert_error(await client.get(f"/api/v1/admin/cooperatives/{seller.id}"), 401, "unauthorized")
