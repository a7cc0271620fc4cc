"""An organisation is seen and changed only by its members (operators read it): every
organisation endpoint answers 404 to anyone else, a member of another organisation included,
and changes nothing. Orders for an organisation need a verified one the buyer belongs to."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from app.account.models import Role
from app.core.db import Database
from app.organization.models import OrganizationStatus
from tests.cooperative.factories import assert_error
from tests.order.factories import Buyer as OrderBuyer
from tests.order.factories import Supplier, create_supplier, order_body, place
from tests.organization.factories import create_organization, snapshot, user_with_token

# (method, path under /api/v1/organizations/{id}, JSON body)
ENDPOINTS: list[tuple[str, str, dict[str, object] | None]] = [
    ("GET", "", None),
    ("GET", "/members", None),
    ("POST", "/members", {"email": "new@example.com", "role": "buyer"}),
    ("PATCH", "/members/{member}", {"role": "approver"}),
    ("DELETE", "/members/{member}", None),
    ("GET", "/invitations", None),
    ("DELETE", "/invitations/1", None),
    ("PUT", "/targets/2026", {"canteen_budget_fen": 100, "reserved_share_bp": 1500}),
    ("GET", "/targets", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
async def test_a_member_of_another_organisation_gets_404_everywhere(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    method: str,
    path: str,
    body: dict[str, object] | None,
) -> None:
    admin_a, headers_a = await user_with_token(app, database, "a@example.com")
    admin_b, _ = await user_with_token(app, database, "b@example.com")
    member_b, _ = await user_with_token(app, database, "b2@example.com")
    await create_organization(database, n=1, members={admin_a: Role.ORG_ADMIN})
    org_b = await create_organization(
        database, n=2, members={admin_b: Role.ORG_ADMIN, member_b: Role.ORG_BUYER}
    )
    _outsider, outsider_headers = await user_with_token(app, database, "x@example.com")
    before = await snapshot(database)
    url = f"/api/v1/organizations/{org_b}" + path.format(member=member_b)

    for headers in (headers_a, outsider_headers):
        response = await client.request(method, url, json=body, headers=headers)
        assert_error(response, 404, "organization_not_found")
    report = await client.get(f"/api/v1/impact/organizations/{org_b}", headers=headers_a)
    assert_error(report, 404, "organization_not_found")
    assert await snapshot(database) == before


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
async def test_every_organisation_endpoint_needs_a_token(
    client: httpx.AsyncClient, method: str, path: str, body: dict[str, object] | None
) -> None:
    url = "/api/v1/organizations/1" + path.format(member=1)
    response = await client.request(method, url, json=body)
    assert_error(response, 401, "unauthorized")


# ---------------------------------------------------------------------------------------------
# Orders for an organisation


@pytest.fixture
async def supplier(database: Database) -> Supplier:
    return await create_supplier(database, stock=10)


@pytest.mark.parametrize(
    ("status", "answer", "code"),
    [
        (OrganizationStatus.VERIFIED, 201, None),
        (OrganizationStatus.PENDING, 409, "organization_not_verified"),
        (OrganizationStatus.SUSPENDED, 409, "organization_not_verified"),
        (OrganizationStatus.REJECTED, 409, "organization_not_verified"),
    ],
)
async def test_only_a_verified_organisation_places_orders(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    supplier: Supplier,
    status: OrganizationStatus,
    answer: int,
    code: str | None,
) -> None:
    buyer, headers = await user_with_token(app, database, "buyer@example.com")
    org = await create_organization(database, status=status, members={buyer: Role.ORG_BUYER})
    body = order_body([(supplier.sku_ids[0], 1)], organization_id=org, po_number="PO-1")

    response = await place(client, OrderBuyer(buyer, headers), body)

    if code is None:
        assert response.status_code == answer, response.text
        assert response.json()["organization_id"] == org
    else:
        assert_error(response, answer, code)


async def test_a_member_of_another_organisation_cannot_order_for_it(
    app: FastAPI, client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    buyer, headers = await user_with_token(app, database, "buyer@example.com")
    await create_organization(database, n=1, members={buyer: Role.ORG_BUYER})
    other = await create_organization(database, n=2)
    body = order_body([(supplier.sku_ids[0], 1)], organization_id=other)

    response = await place(client, OrderBuyer(buyer, headers), body)

    assert_error(response, 404, "organization_not_found")


async def test_an_operator_verifying_lets_the_organisation_order(
    app: FastAPI, client: httpx.AsyncClient, database: Database, supplier: Supplier
) -> None:
    buyer, headers = await user_with_token(app, database, "buyer@example.com")
    _operator, operator_headers = await user_with_token(
        app, database, "ops@example.com", roles=(Role.OPERATOR,)
    )
    org = await create_organization(
        database, status=OrganizationStatus.PENDING, members={buyer: Role.ORG_BUYER}
    )
    body = order_body([(supplier.sku_ids[0], 1)], organization_id=org)
    refused = await place(client, OrderBuyer(buyer, headers), body)
    assert_error(refused, 409, "organization_not_verified")

    await client.post(f"/api/v1/admin/organizations/{org}/verify", headers=operator_headers)
    placed = await place(client, OrderBuyer(buyer, headers), body)

    assert placed.status_code == 201, placed.text
