"""Every bad input to POST /api/v1/orders answers a 4xx with its code and changes nothing."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from app.account.models import Role
from app.catalog.models import Product, ProductStatus, Sku
from app.cooperative.models import Cooperative, SupplierStatus
from app.core.db import Database, unit_of_work
from app.organization.models import OrganizationStatus
from tests.account.factories import ApiUser, create_api_user, grant
from tests.catalog.factories import Seller, create_seller
from tests.http_assertions import assert_error
from tests.inventory.factories import stock_of
from tests.order.factories import address, cart_items, counts, fill_cart, order_body, place
from tests.organization.factories import create_organization

STOCK = 10


@pytest.fixture
async def supplier(database: Database) -> Seller:
    return await create_seller(database, stock=STOCK, skus=2)


@pytest.fixture
async def buyer(app: FastAPI, database: Database) -> ApiUser:
    return await create_api_user(database)


async def _refused(
    client: httpx.AsyncClient,
    database: Database,
    supplier: Seller,
    buyer: ApiUser,
    body: Any,
    *,
    status: int,
    code: str,
    key: str | None = "auto",
    field: str | None = None,
) -> dict[str, Any]:
    """Send the request and check the error, and that no row and no stock changed; returns
    the error."""
    before = await counts(database)
    headers = dict(buyer.headers)
    if key == "auto":
        key = uuid.uuid4().hex
    if key is not None:
        headers["Idempotency-Key"] = key
    # JSON with ASCII escapes (httpx's own encoder writes UTF-8, which a lone surrogate has not).
    headers["Content-Type"] = "application/json"
    response = await client.post("/api/v1/orders", content=json.dumps(body), headers=headers)
    error = assert_error(response, status, code)
    if field is not None:
        assert field in error["fields"], error
    assert await counts(database) == before
    for sku_id in supplier.sku_ids:
        assert await stock_of(database, sku_id) == STOCK
    return error


def _line(sku_id: Any, quantity: Any) -> dict[str, Any]:
    return {
        "shipping_address": address(),
        "payment_method": "bank_transfer",
        "lines": [{"sku_id": sku_id, "quantity": quantity}],
    }


@pytest.mark.parametrize("quantity", [0, -1, 1.5, "2", True, 10**12, None])
async def test_quantities_that_are_not_whole_numbers_in_range(
    client: httpx.AsyncClient,
    database: Database,
    supplier: Seller,
    buyer: ApiUser,
    quantity: Any,
) -> None:
    await _refused(
        client,
        database,
        supplier,
        buyer,
        _line(supplier.sku_ids[0], quantity),
        status=422,
        code="validation_failed",
        field="lines.0.quantity",
    )


@pytest.mark.parametrize("sku_id", [0, -5, 1.5, "1", 2**70])
async def test_malformed_sku_ids(
    client: httpx.AsyncClient, database: Database, supplier: Seller, buyer: ApiUser, sku_id: Any
) -> None:
    await _refused(
        client,
        database,
        supplier,
        buyer,
        _line(sku_id, 1),
        status=422,
        code="validation_failed",
        field="lines.0.sku_id",
    )


async def test_unknown_sku(
    client: httpx.AsyncClient, database: Database, supplier: Seller, buyer: ApiUser
) -> None:
    await _refused(
        client,
        database,
        supplier,
        buyer,
        _line(987_654_321, 1),
        status=422,
        code="sku_unavailable",
        field="lines.0.sku_id",
    )


async def test_inactive_sku(
    client: httpx.AsyncClient, database: Database, supplier: Seller, buyer: ApiUser
) -> None:
    async with unit_of_work(database.writer) as session:
        await session.execute(
            update(Sku).where(Sku.id == supplier.sku_ids[0]).values(is_active=False)
        )
    await _refused(
        client,
        database,
        supplier,
        buyer,
        _line(supplier.sku_ids[0], 1),
        status=422,
        code="sku_unavailable",
        field="lines.0.sku_id",
    )


async def test_product_not_active(
    client: httpx.AsyncClient, database: Database, supplier: Seller, buyer: ApiUser
) -> None:
    async with unit_of_work(database.writer) as session:
        await session.execute(
            update(Product)
            .where(Product.id == supplier.product_id)
            .values(status=ProductStatus.ARCHIVED)
        )
    await _refused(
        client,
        database,
        supplier,
        buyer,
        _line(supplier.sku_ids[0], 1),
        status=422,
        code="sku_unavailable",
    )


async def test_supplier_suspended(
    client: httpx.AsyncClient, database: Database, supplier: Seller, buyer: ApiUser
) -> None:
    async with unit_of_work(database.writer) as session:
        await session.execute(
            update(Cooperative)
            .where(Cooperative.id == supplier.id)
            .values(status=SupplierStatus.SUSPENDED)
        )
    await _refused(
        client,
        database,
        supplier,
        buyer,
        _line(supplier.sku_ids[0], 1),
        status=422,
        code="sku_unavailable",
    )


async def test_more_than_the_stock(
    client: httpx.AsyncClient, database: Database, supplier: Seller, buyer: ApiUser
) -> None:
    body = order_body([(supplier.sku_ids[0], 1), (supplier.sku_ids[1], STOCK + 1)])
    await _refused(client, database, supplier, buyer, body, status=409, code="insufficient_stock")


async def test_the_same_sku_twice(
    client: httpx.AsyncClient, database: Database, supplier: Seller, buyer: ApiUser
) -> None:
    body = order_body([(supplier.sku_ids[0], 1), (supplier.sku_ids[0], 2)])
    await _refused(
        client,
        database,
        supplier,
        buyer,
        body,
        status=422,
        code="duplicate_sku",
        field="lines.1.sku_id",
    )


async def test_an_empty_list_of_lines(
    client: httpx.AsyncClient, database: Database, supplier: Seller, buyer: ApiUser
) -> None:
    body = order_body([])
    await _refused(
        client, database, supplier, buyer, body, status=422, code="validation_failed", field="lines"
    )


async def test_an_empty_cart(
    client: httpx.AsyncClient, database: Database, supplier: Seller, buyer: ApiUser
) -> None:
    await _refused(
        client, database, supplier, buyer, order_body(None), status=422, code="empty_cart"
    )


async def test_a_cart_with_too_much_is_left_as_it_was(
    client: httpx.AsyncClient, database: Database, supplier: Seller, buyer: ApiUser
) -> None:
    await fill_cart(database, buyer.id, [(supplier.sku_ids[0], 2), (supplier.sku_ids[1], 50)])
    await _refused(
        client, database, supplier, buyer, order_body(None), status=409, code="insufficient_stock"
    )
    assert await cart_items(database, buyer.id) == [
        (supplier.sku_ids[0], 2),
        (supplier.sku_ids[1], 50),
    ]


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"county_code": "999999"}, "unknown_county", "shipping_address.county_code"),
        ({"county_code": "abc"}, "unknown_county", "shipping_address.county_code"),
        ({"county_code": "11010５"}, "unknown_county", "shipping_address.county_code"),
        # Never sent to the database (PostgreSQL refuses a NUL in a query with its own error).
        ({"county_code": "11\x00105"}, "unknown_county", "shipping_address.county_code"),
        ({"county_code": "1101050"}, "unknown_county", "shipping_address.county_code"),
        ({"phone": "12345"}, "invalid_phone", "shipping_address.phone"),
        ({"phone": "1381234567x"}, "invalid_phone", "shipping_address.phone"),
        ({"name": "   "}, "invalid_name", "shipping_address.name"),
        ({"name": "张" * 51}, "invalid_name", "shipping_address.name"),
        ({"name": "张\x00三"}, "invalid_name", "shipping_address.name"),
        ({"name": "张\ud800三"}, "invalid_name", "shipping_address.name"),  # a lone surrogate
        ({"detail": "朝阳路\x00 1 号院"}, "invalid_address_detail", "shipping_address.detail"),
        ({"detail": "朝阳路\udfff 1 号院"}, "invalid_address_detail", "shipping_address.detail"),
        ({"detail": "一号"}, "invalid_address_detail", "shipping_address.detail"),
        ({"detail": "路" * 201}, "invalid_address_detail", "shipping_address.detail"),
    ],
)
async def test_bad_addresses(
    client: httpx.AsyncClient,
    database: Database,
    supplier: Seller,
    buyer: ApiUser,
    changes: dict[str, str],
    code: str,
    field: str,
) -> None:
    body = order_body([(supplier.sku_ids[0], 1)])
    body["shipping_address"] = address(**changes)
    error = await _refused(
        client, database, supplier, buyer, body, status=422, code=code, field=field
    )
    if code == "unknown_county":
        assert error["fields"][field] == "no county has this code"
    if code == "invalid_phone":  # the reason, as the phone check words it
        assert error["fields"][field].startswith("not a phone number: expected a mainland")


async def test_a_lone_surrogate_with_a_used_key_is_another_body(
    client: httpx.AsyncClient, database: Database, supplier: Seller, buyer: ApiUser
) -> None:
    # The refused retry is looked up by its key, and its fingerprint must encode a lone
    # surrogate (the "surrogatepass" of request_fingerprint) instead of failing with a 500.
    first = await place(client, buyer, order_body([(supplier.sku_ids[0], 1)]), key="key-1")
    assert first.status_code == 201, first.text
    body = order_body([(supplier.sku_ids[0], 1)])
    body["shipping_address"] = address(name="张\ud800三")
    before = await counts(database)
    headers = {**buyer.headers, "Idempotency-Key": "key-1", "Content-Type": "application/json"}
    response = await client.post("/api/v1/orders", content=json.dumps(body), headers=headers)
    assert_error(response, 409, "idempotency_key_reused")
    assert await counts(database) == before


async def test_every_bad_address_field_is_named_at_once(
    client: httpx.AsyncClient, database: Database, supplier: Seller, buyer: ApiUser
) -> None:
    body = order_body([(supplier.sku_ids[0], 1)])
    body["shipping_address"] = {"name": "", "phone": "1", "county_code": "0", "detail": ""}
    before = await counts(database)
    response = await place(client, buyer, body)
    error = assert_error(response, 422, "validation_failed")
    assert set(error["fields"]) == {
        "shipping_address.name",
        "shipping_address.phone",
        "shipping_address.county_code",
        "shipping_address.detail",
    }
    assert await counts(database) == before


@pytest.mark.parametrize(
    "body",
    [
        {"payment_method": "bank_transfer", "lines": []},
        {"shipping_address": "北京", "payment_method": "bank_transfer"},
        {"shipping_address": {"name": 5, "phone": "13812345678"}, "payment_method": "stripe"},
        {"payment_method": "cash"},
        [],
        "order",
    ],
)
async def test_bodies_of_the_wrong_shape(
    client: httpx.AsyncClient, database: Database, supplier: Seller, buyer: ApiUser, body: Any
) -> None:
    if isinstance(body, dict) and "lines" not in body:
        body = {"shipping_address": address(), **body, "lines": [{"sku_id": 1, "quantity": 1}]}
    await _refused(client, database, supplier, buyer, body, status=422, code="validation_failed")


async def test_malformed_json(
    client: httpx.AsyncClient, database: Database, supplier: Seller, buyer: ApiUser
) -> None:
    before = await counts(database)
    response = await client.post(
        "/api/v1/orders",
        content=b'{"lines": [',
        headers={**buyer.headers, "Idempotency-Key": "k", "Content-Type": "application/json"},
    )
    assert_error(response, 400, "malformed_json")
    assert await counts(database) == before


@pytest.mark.parametrize(
    ("key", "code"),
    [
        (None, "idempotency_key_required"),
        ("", "idempotency_key_required"),
        ("   ", "idempotency_key_required"),
        ("k" * 101, "invalid_idempotency_key"),
        ("two words", "invalid_idempotency_key"),
    ],
)
async def test_idempotency_key_is_required_and_bounded(
    client: httpx.AsyncClient,
    database: Database,
    supplier: Seller,
    buyer: ApiUser,
    key: str | None,
    code: str,
) -> None:
    error = await _refused(
        client,
        database,
        supplier,
        buyer,
        order_body([(supplier.sku_ids[0], 1)]),
        status=400,
        code=code,
        key=key,
    )
    if code == "invalid_idempotency_key":
        assert error["fields"] == {"Idempotency-Key": "1 to 100 visible ASCII characters"}


async def test_a_key_of_100_characters_is_fine(
    client: httpx.AsyncClient, supplier: Seller, buyer: ApiUser
) -> None:
    response = await place(client, buyer, order_body([(supplier.sku_ids[0], 1)]), key="k" * 100)
    assert response.status_code == 201, response.text


async def test_signed_out(client: httpx.AsyncClient, database: Database, supplier: Seller) -> None:
    before = await counts(database)
    response = await client.post(
        "/api/v1/orders",
        json=order_body([(supplier.sku_ids[0], 1)]),
        headers={"Idempotency-Key": "k"},
    )
    assert_error(response, 401, "unauthorized")
    assert await counts(database) == before


async def test_someone_elses_organisation(
    client: httpx.AsyncClient, database: Database, supplier: Seller, buyer: ApiUser
) -> None:
    organization_id = await create_organization(database)
    body = order_body([(supplier.sku_ids[0], 1)], organization_id=organization_id)
    await _refused(
        client,
        database,
        supplier,
        buyer,
        body,
        status=404,
        code="organization_not_found",
        field="organization_id",
    )


async def test_an_organisation_that_does_not_exist(
    client: httpx.AsyncClient, database: Database, supplier: Seller, buyer: ApiUser
) -> None:
    body = order_body([(supplier.sku_ids[0], 1)], organization_id=987_654_321)
    await _refused(
        client, database, supplier, buyer, body, status=404, code="organization_not_found"
    )


async def test_a_supplier_role_is_no_organisation_role(
    client: httpx.AsyncClient, database: Database, supplier: Seller, buyer: ApiUser
) -> None:
    organization_id = await create_organization(database)
    # The same number as a scope of another kind of role gives no right to buy for it.
    await grant(database, buyer.id, Role.SUPPLIER_ADMIN, organization_id)
    body = order_body([(supplier.sku_ids[0], 1)], organization_id=organization_id)
    error = await _refused(
        client, database, supplier, buyer, body, status=404, code="organization_not_found"
    )
    assert str(organization_id) in error["message"]


async def test_an_unverified_organisation(
    client: httpx.AsyncClient, database: Database, supplier: Seller, buyer: ApiUser
) -> None:
    organization_id = await create_organization(database, status=OrganizationStatus.PENDING)
    await grant(database, buyer.id, Role.ORG_BUYER, organization_id)
    body = order_body([(supplier.sku_ids[0], 1)], organization_id=organization_id)
    error = await _refused(
        client, database, supplier, buyer, body, status=409, code="organization_not_verified"
    )
    assert error["message"] == (
        f"The organisation {organization_id} is not verified yet; it cannot place orders."
    )


async def test_a_po_number_needs_an_organisation(
    client: httpx.AsyncClient, database: Database, supplier: Seller, buyer: ApiUser
) -> None:
    body = order_body([(supplier.sku_ids[0], 1)], po_number="PO-1")
    error = await _refused(
        client,
        database,
        supplier,
        buyer,
        body,
        status=422,
        code="po_number_without_organization",
        field="po_number",
    )
    assert error["fields"] == {"po_number": "only for organisations"}


@pytest.mark.parametrize("po_number", ["PO\x00-1", "PO\udc80-1", "P" * 61])
async def test_a_po_number_with_control_characters_or_too_long_is_refused(
    client: httpx.AsyncClient,
    database: Database,
    supplier: Seller,
    buyer: ApiUser,
    po_number: str,
) -> None:
    organization_id = await create_organization(database)
    await grant(database, buyer.id, Role.ORG_BUYER, organization_id)
    body = order_body(
        [(supplier.sku_ids[0], 1)], organization_id=organization_id, po_number=po_number
    )
    await _refused(
        client, database, supplier, buyer, body, status=422, code="invalid_po_number",
        field="po_number",
    )  # fmt: skip


async def test_another_buyers_order_is_not_found(
    app: FastAPI, client: httpx.AsyncClient, database: Database, supplier: Seller, buyer: ApiUser
) -> None:
    order = (await place(client, buyer, order_body([(supplier.sku_ids[0], 1)]))).json()
    other = await create_api_user(database)

    for response in (
        await client.get(f"/api/v1/orders/{order['id']}", headers=other.headers),
        await client.post(f"/api/v1/orders/{order['id']}/cancel", headers=other.headers),
    ):
        assert_error(response, 404, "order_not_found")
    for missing in ("987654321", "0", "-1", str(2**70)):
        assert_error(
            await client.get(f"/api/v1/orders/{missing}", headers=buyer.headers),
            404,
            "order_not_found",
        )
    assert_error(
        await client.get("/api/v1/orders/abc", headers=buyer.headers), 422, "validation_failed"
    )
    # The other buyer's attempt changed nothing.
    assert (await client.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers)).json()[
        "status"
    ] == "pending_payment"


@pytest.mark.parametrize("query", ["page=0", "per_page=0", "per_page=101", "page=-1"])
async def test_bad_pages_of_the_order_list(
    client: httpx.AsyncClient, buyer: ApiUser, query: str
) -> None:
    response = await client.get(f"/api/v1/orders?{query}", headers=buyer.headers)
    assert response.status_code == 422
