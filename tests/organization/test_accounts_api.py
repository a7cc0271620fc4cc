"""Organisation accounts over the JSON API: registration with every bad input, who may read
one, and the operator's review (verify, reject, suspend, reinstate) with its audit entries."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.account.models import Role
from app.audit.models import AuditEntry
from app.core.db import Database, unit_of_work
from app.organization.models import OrganizationStatus
from tests.cooperative.factories import assert_error
from tests.organization.factories import (
    ORG_COUNTY,
    application,
    create_organization,
    org_credit_code,
    org_roles,
    organization_status,
    snapshot,
    user_with_token,
)

ORGANIZATIONS = "/api/v1/organizations"


async def test_registering_makes_a_pending_organisation_with_the_caller_as_admin(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    user, headers = await user_with_token(app, database, "li@example.com")
    body = application(credit_code=" " + org_credit_code(1).lower() + " ")

    response = await client.post(ORGANIZATIONS, json=body, headers=headers)

    assert response.status_code == 201, response.text
    created = response.json()
    assert created["status"] == "pending"
    assert created["credit_code"] == org_credit_code(1)
    assert (created["name"], created["kind"]) == ("天河区机关食堂1", "government")
    assert (created["region_code"], created["province_code"]) == (ORG_COUNTY, "440000")
    assert created["region"] == {
        "code": ORG_COUNTY,
        "name": "天河区",
        "province_code": "440000",
        "province_name": "广东省",
    }
    assert created["verified_at"] is None
    assert await org_roles(database, created["id"]) == {user: {Role.ORG_ADMIN}}
    me = (await client.get("/api/v1/me", headers=headers)).json()
    assert me["organization_ids"] == [created["id"]]
    assert "org_admin" in me["roles"]
    shown = await client.get(f"{ORGANIZATIONS}/{created['id']}", headers=headers)
    assert shown.json() == created
    async with unit_of_work(database.reader) as session:
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "organization.register")
        )
    assert entry is not None
    assert (entry.actor_user_id, entry.entity_id) == (user, str(created["id"]))


@pytest.mark.parametrize(
    ("kind", "prefix"),
    [
        ("government", "11"),
        ("public_institution", "12"),
        ("state_owned_enterprise", "91"),
        ("trade_union", "81"),
        ("enterprise", "91"),
    ],
)
async def test_each_kind_has_its_credit_code_prefix(
    app: FastAPI, client: httpx.AsyncClient, database: Database, kind: str, prefix: str
) -> None:
    _user, headers = await user_with_token(app, database, "li@example.com")
    body = application(kind=kind, credit_code=org_credit_code(prefix=prefix))

    response = await client.post(ORGANIZATIONS, json=body, headers=headers)

    assert response.status_code == 201, response.text
    assert response.json()["kind"] == kind


@pytest.mark.parametrize(
    ("overrides", "code", "fields"),
    [
        ({"credit_code": "11440106GA00000X"}, "invalid_credit_code", {"credit_code"}),
        ({"credit_code": org_credit_code(1)[:-1] + "0"}, "invalid_credit_code", {"credit_code"}),
        (
            {"credit_code": org_credit_code(prefix="93")},
            "credit_code_kind_mismatch",
            {"credit_code", "kind"},
        ),
        ({"region_code": "999999"}, "unknown_county", {"region_code"}),
        ({"region_code": "44010"}, "unknown_county", {"region_code"}),
        ({"region_code": "４４０１０６"}, "unknown_county", {"region_code"}),
        ({"region_code": "440000"}, "unknown_county", {"region_code"}),
        ({"name": "食"}, "invalid_name", {"name"}),
        ({"name": "x" * 101}, "invalid_name", {"name"}),
        ({"name": "食堂\x00一"}, "invalid_name", {"name"}),
        ({"name": "食", "region_code": "1"}, "validation_failed", {"name", "region_code"}),
    ],
)
async def test_bad_registrations_are_refused_and_nothing_is_written(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    overrides: dict[str, str],
    code: str,
    fields: set[str],
) -> None:
    _user, headers = await user_with_token(app, database, "li@example.com")
    before = await snapshot(database)

    body = {**application(), **overrides}
    response = await client.post(ORGANIZATIONS, json=body, headers=headers)

    error = assert_error(response, 422, code)
    assert set(error["fields"]) == fields
    assert await snapshot(database) == before


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": "天河区机关食堂", "credit_code": org_credit_code(), "region_code": ORG_COUNTY},
        application(kind="army"),
        application(name=12),
    ],
)
async def test_malformed_bodies_are_422(
    app: FastAPI, client: httpx.AsyncClient, database: Database, body: dict[str, object]
) -> None:
    _user, headers = await user_with_token(app, database, "li@example.com")
    before = await snapshot(database)

    response = await client.post(ORGANIZATIONS, json=body, headers=headers)

    assert response.status_code == 422
    assert set(response.json()) == {"error"}
    assert await snapshot(database) == before


async def test_a_credit_code_is_registered_once(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    _user, headers = await user_with_token(app, database, "li@example.com")
    first = await client.post(ORGANIZATIONS, json=application(1), headers=headers)
    assert first.status_code == 201
    before = await snapshot(database)

    again = await client.post(
        ORGANIZATIONS, json=application(2, credit_code=org_credit_code(1)), headers=headers
    )

    error = assert_error(again, 409, "credit_code_taken")
    assert set(error["fields"]) == {"credit_code"}
    assert await snapshot(database) == before


async def test_registering_needs_a_token(client: httpx.AsyncClient) -> None:
    assert_error(await client.post(ORGANIZATIONS, json=application()), 401, "unauthorized")


async def test_an_organisation_is_shown_to_its_members_and_operators_only(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    buyer, buyer_headers = await user_with_token(app, database, "buyer@example.com")
    _outsider, outsider_headers = await user_with_token(app, database, "out@example.com")
    _operator, operator_headers = await user_with_token(
        app, database, "ops@example.com", roles=(Role.OPERATOR,)
    )
    org = await create_organization(database, members={buyer: Role.ORG_BUYER})
    other = await create_organization(database, n=2)

    assert (await client.get(f"{ORGANIZATIONS}/{org}", headers=buyer_headers)).status_code == 200
    assert (await client.get(f"{ORGANIZATIONS}/{org}", headers=operator_headers)).status_code == 200
    for headers, organization_id in [
        (outsider_headers, org),
        (buyer_headers, other),
        (buyer_headers, 987654),
        (operator_headers, 987654),
        (buyer_headers, 2**63),
        (buyer_headers, 0),
    ]:
        response = await client.get(f"{ORGANIZATIONS}/{organization_id}", headers=headers)
        assert_error(response, 404, "organization_not_found")
    assert (await client.get(f"{ORGANIZATIONS}/abc", headers=buyer_headers)).status_code == 422


# ---------------------------------------------------------------------------------------------
# The operator's review


async def test_an_operator_verifies_a_pending_organisation(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    operator, headers = await user_with_token(
        app, database, "ops@example.com", roles=(Role.OPERATOR,)
    )
    org = await create_organization(database, status=OrganizationStatus.PENDING)

    queue = await client.get(
        "/api/v1/admin/organizations", params={"status": "pending"}, headers=headers
    )
    assert [item["id"] for item in queue.json()["items"]] == [org]
    response = await client.post(f"/api/v1/admin/organizations/{org}/verify", headers=headers)

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "verified"
    assert response.json()["verified_at"] is not None
    again = await client.post(f"/api/v1/admin/organizations/{org}/verify", headers=headers)
    assert_error(again, 409, "invalid_status_transition")
    async with unit_of_work(database.reader) as session:
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "organization.verify")
        )
    assert entry is not None
    assert (entry.actor_user_id, entry.entity_kind, entry.entity_id) == (
        operator,
        "organization",
        str(org),
    )
    assert entry.before is not None and entry.before["status"] == "pending"
    assert entry.after is not None and entry.after["status"] == "verified"


async def test_a_rejection_needs_a_reason(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    _operator, headers = await user_with_token(
        app, database, "ops@example.com", roles=(Role.OPERATOR,)
    )
    org = await create_organization(database, status=OrganizationStatus.PENDING)
    path = f"/api/v1/admin/organizations/{org}/reject"
    before = await snapshot(database)

    for body in ({"reason": ""}, {"reason": "  "}):
        assert_error(await client.post(path, json=body, headers=headers), 422, "reason_required")
    too_long = await client.post(path, json={"reason": "长" * 501}, headers=headers)
    assert_error(too_long, 422, "reason_too_long")
    assert (await client.post(path, headers=headers)).status_code == 422
    assert await snapshot(database) == before

    rejected = await client.post(path, json={"reason": "代码与名称不符"}, headers=headers)

    assert rejected.status_code == 200
    assert (rejected.json()["status"], rejected.json()["status_reason"]) == (
        "rejected",
        "代码与名称不符",
    )
    verify = await client.post(f"/api/v1/admin/organizations/{org}/verify", headers=headers)
    assert_error(verify, 409, "invalid_status_transition")


async def test_suspending_and_reinstating(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    _operator, headers = await user_with_token(
        app, database, "ops@example.com", roles=(Role.OPERATOR,)
    )
    org = await create_organization(database)
    base = f"/api/v1/admin/organizations/{org}"

    suspended = await client.post(f"{base}/suspend", json={"reason": "违规采购"}, headers=headers)
    assert suspended.json()["status"] == "suspended"
    assert await organization_status(database, org) == OrganizationStatus.SUSPENDED
    reinstated = await client.post(f"{base}/reinstate", headers=headers)
    assert reinstated.json()["status"] == "verified"
    assert reinstated.json()["status_reason"] is None


async def test_review_is_for_operators_only(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    admin, headers = await user_with_token(app, database, "admin@example.com")
    org = await create_organization(
        database, status=OrganizationStatus.PENDING, members={admin: Role.ORG_ADMIN}
    )
    before = await snapshot(database)

    verify = await client.post(f"/api/v1/admin/organizations/{org}/verify", headers=headers)
    listed = await client.get("/api/v1/admin/organizations", headers=headers)

    assert_error(verify, 403, "forbidden")
    assert_error(listed, 403, "forbidden")
    assert await snapshot(database) == before
    assert await organization_status(database, org) == OrganizationStatus.PENDING


async def test_reviewing_an_unknown_organisation_is_404(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    _operator, headers = await user_with_token(
        app, database, "ops@example.com", roles=(Role.OPERATOR,)
    )
    for organization_id in (987654, 2**63):
        response = await client.post(
            f"/api/v1/admin/organizations/{organization_id}/verify", headers=headers
        )
        assert_error(response, 404, "organization_not_found")
