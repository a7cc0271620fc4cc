"""Price monitoring: operators' reference prices flag listings priced far above them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.account import service as account_service
from app.account.models import Role
from app.audit.models import AuditEntry
from app.catalog.models import Product, ReferencePrice
from app.core.db import Database, unit_of_work
from tests.account.factories import bearer, token_for
from tests.catalog.factories import create_product, sku
from tests.cooperative.factories import Supplier, add_member, create_cooperative, create_supplier
from tests.http_assertions import assert_error


@pytest.fixture
async def supplier(database: Database) -> Supplier:
    return await create_supplier(database)


@pytest.fixture
async def operator(database: Database) -> dict[str, str]:
    cooperative_id = await create_cooperative(database)  # any scope; the role is what counts
    user_id = await add_member(database, cooperative_id, email="ops@example.com")
    async with unit_of_work(database.writer) as session:
        user = await account_service.get_user(session, user_id)
        assert user is not None
        await account_service.grant_role(session, user, Role.OPERATOR)
    return bearer(token_for(user_id))


async def _set(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> httpx.Response:
    values: dict[str, Any] = {"category": "fruit", "unit": "5kg/箱", "price_fen": 5000}
    values.update(body)
    return await client.put("/api/v1/admin/reference-prices", json=values, headers=headers)


async def _flagged(database: Database, product_id: int) -> bool:
    async with unit_of_work(database.reader) as session:
        product = await session.get(Product, product_id)
        assert product is not None
        return product.price_flagged


async def test_reference_price_flags_existing_products(
    client: httpx.AsyncClient, database: Database, supplier: Supplier, operator: dict[str, str]
) -> None:
    fair = await create_product(
        client, supplier, category="fruit", unit="5kg/箱", skus=[sku(price_fen=7500)]
    )
    dear = await create_product(
        client,
        supplier,
        category="fruit",
        unit="5kg/箱",
        skus=[sku(price_fen=6000), sku(price_fen=7501)],
    )
    other_unit = await create_product(
        client, supplier, category="fruit", unit="10kg/箱", skus=[sku(price_fen=99_000)]
    )

    response = await _set(client, operator, price_fen=5000, flag_ratio_bp=15_000)

    assert response.status_code == 200, response.text
    assert response.json() == {
        "category": "fruit",
        "unit": "5kg/箱",
        "price_fen": 5000,
        "flag_ratio_bp": 15_000,
        "flagged_products": 1,
    }
    assert not await _flagged(database, fair["id"])  # 7 500 = exactly 150 %: not above
    assert await _flagged(database, dear["id"])
    assert not await _flagged(database, other_unit["id"])
    flagged = (await client.get("/api/v1/admin/flagged-products", headers=operator)).json()
    assert flagged == [
        {
            "id": dear["id"],
            "slug": dear["slug"],
            "status": dear["status"],
            "title": "融水香糯",
            "unit": "5kg/箱",
            "category": "fruit",
            "max_price_fen": 7501,
            "reference_price_fen": 5000,
            "flag_ratio_bp": 15_000,
            "ratio_bp": 15_002,  # 7 501 / 5 000, rounded down
            "cooperative": {"id": supplier.id, "name": "融水苗家合作社"},
        }
    ]
    async with unit_of_work(database.reader) as session:
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert "catalog.set_reference_price" in actions

    # Raising the reference price clears the flag; the same row is updated, not duplicated.
    response = await _set(client, operator, price_fen=6000)
    assert response.json()["flagged_products"] == 0
    assert not await _flagged(database, dear["id"])
    async with unit_of_work(database.reader) as session:
        assert await session.scalar(select(func.count()).select_from(ReferencePrice)) == 1


async def test_price_changes_recompute_the_flag(
    client: httpx.AsyncClient, database: Database, supplier: Supplier, operator: dict[str, str]
) -> None:
    await _set(client, operator, price_fen=5000, flag_ratio_bp=12_000)
    product = await create_product(
        client, supplier, category="fruit", unit="5kg/箱", skus=[sku(price_fen=6500)]
    )
    assert product["price_flagged"] is True  # flagged as it is created

    sku_id = product["skus"][0]["id"]
    await client.patch(f"/api/v1/skus/{sku_id}", json={"price_fen": 5900}, headers=supplier.headers)
    assert not await _flagged(database, product["id"])

    await client.post(
        f"/api/v1/products/{product['id']}/skus",
        json=sku(price_fen=9000),
        headers=supplier.headers,
    )
    assert await _flagged(database, product["id"])

    response = await client.patch(
        f"/api/v1/products/{product['id']}", json={"unit": "散装"}, headers=supplier.headers
    )
    assert response.json()["price_flagged"] is False  # no reference for this unit


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"price_fen": 0}, "validation_failed", "price_fen"),
        ({"price_fen": 49.5}, "validation_failed", "price_fen"),
        ({"price_fen": "5000"}, "validation_failed", "price_fen"),
        ({"flag_ratio_bp": 9_999}, "validation_failed", "flag_ratio_bp"),
        ({"unit": "  "}, "validation_failed", "unit"),
        ({"category": "spaceships"}, "unknown_category", "category"),
    ],
)
async def test_bad_reference_prices_are_refused(
    client: httpx.AsyncClient,
    database: Database,
    operator: dict[str, str],
    body: dict[str, Any],
    code: str,
    field: str,
) -> None:
    response = await _set(client, operator, **body)

    error = assert_error(response, 422, code)
    assert field in error["fields"]
    async with unit_of_work(database.reader) as session:
        assert await session.scalar(select(func.count()).select_from(ReferencePrice)) == 0


async def test_only_operators_manage_reference_prices(
    client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    assert_error(await _set(client, supplier.headers), 403, "forbidden")
    assert_error(await _set(client, {}), 401, "unauthorized")
    response = await client.get("/api/v1/admin/flagged-products", headers=supplier.headers)
    assert_error(response, 403, "forbidden")
    async with unit_of_work(database.reader) as session:
        assert await session.scalar(select(func.count()).select_from(ReferencePrice)) == 0
