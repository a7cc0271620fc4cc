"""The supplier JSON API: onboarding with every bad input, and who sees a supplier."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.account.models import Role
from app.audit.models import AuditEntry
from app.cooperative.models import Cooperative, SupplierStatus
from app.core.db import Database, unit_of_work
from tests.account.factories import bearer, create_operator, create_user, issue_token
from tests.cooperative.conftest import TokenFor
from tests.cooperative.factories import (
    OTHER_COUNTY,
    POVERTY_COUNTY,
    application,
    create_cooperative,
    credit_code,
    snapshot,
    supplier_roles,
)
from tests.http_assertions import assert_error

COOPERATIVES = "/api/v1/cooperatives"


# ---------------------------------------------------------------------------------------------
# Onboarding


async def test_apply_creates_a_pending_supplier_and_makes_the_caller_its_admin(
    client: httpx.AsyncClient, database: Database, token_for: TokenFor
) -> None:
    token = await token_for("wu@example.com")
    body = application(credit_code=" " + credit_code(1).lower() + " ")

    response = await client.post(COOPERATIVES, json=body, headers=bearer(token))

    assert response.status_code == 201, response.text
    created = response.json()
    assert created["status"] == "pending"
    assert created["status_reason"] is None
    assert created["kind"] == "cooperative"
    assert created["credit_code"] == credit_code(1)  # upper-cased, trimmed
    assert created["name"] == body["name"]
    assert created["county"] == {
        "code": POVERTY_COUNTY,
        "name": "从江县",
        "province_code": "520000",
        "province_name": "贵州省",
    }
    assert created["households_supported"] == 120
    assert created["recommendation_ref"] == "从农推〔2026〕12号"
    assert created["contact_name"] == "吴建国"
    assert created["contact_phone"] == "13808551234"  # normalised
    assert created["verified_at"] is None
    assert created["created_at"].endswith(("Z", "+00:00"))

    me = (await client.get("/api/v1/me", headers=bearer(token))).json()
    assert me["cooperative_ids"] == [created["id"]]
    assert "supplier_admin" in me["roles"]
    roles = await supplier_roles(database, created["id"])
    assert roles == {me["id"]: {Role.SUPPLIER_ADMIN}}

    async with unit_of_work(database.reader) as session:
        entries = list(await session.scalars(select(AuditEntry)))
    assert [(e.action, e.entity_kind, e.entity_id, e.actor_user_id) for e in entries] == [
        ("cooperative.apply", "cooperative", str(created["id"]), me["id"])
    ]
    assert entries[0].after is not None
    assert entries[0].after["status"] == "pending"
    assert entries[0].after["credit_code"] == credit_code(1)


@pytest.mark.parametrize(
    ("kind", "prefix"),
    [("enterprise", "91"), ("family_farm", "92"), ("family_farm", "91"), ("cooperative", "93")],
)
async def test_each_kind_accepts_its_credit_code_prefixes(
    client: httpx.AsyncClient, database: Database, token_for: TokenFor, kind: str, prefix: str
) -> None:
    token = await token_for("wu@example.com")
    body = application(kind=kind, credit_code=credit_code(7, prefix=prefix))

    response = await client.post(COOPERATIVES, json=body, headers=bearer(token))

    assert response.status_code == 201, response.text
    assert response.json()["kind"] == kind


async def test_landline_contact_numbers_are_normalised(
    client: httpx.AsyncClient, database: Database, token_for: TokenFor
) -> None:
    token = await token_for("wu@example.com")
    body = application(contact_phone="(0855) 6412345 转 8")

    response = await client.post(COOPERATIVES, json=body, headers=bearer(token))

    assert response.status_code == 201, response.text
    assert response.json()["contact_phone"] == "0855-6412345-8"


def _corrupt(code: str, index: int) -> str:
    """The code with one character replaced by another digit."""
    replacement = "1" if code[index] != "1" else "2"
    return code[:index] + replacement + code[index + 1 :]


BAD_INPUTS: list[tuple[str, dict[str, Any], str, set[str]]] = [
    # (id, overrides, error code, fields)
    (
        "check-character",
        {"credit_code": _corrupt(credit_code(1), 17)},
        "invalid_credit_code",
        {"credit_code"},
    ),
    (
        "org-code-check",
        {"credit_code": _corrupt(credit_code(1), 16)},
        "invalid_credit_code",
        {"credit_code"},
    ),
    ("short-code", {"credit_code": credit_code(1)[:17]}, "invalid_credit_code", {"credit_code"}),
    (
        "letter-O",
        {"credit_code": credit_code(1)[:10] + "O" + credit_code(1)[11:]},
        "invalid_credit_code",
        {"credit_code"},
    ),
    ("empty-code", {"credit_code": ""}, "invalid_credit_code", {"credit_code"}),
    (
        "nul-in-code",
        {"credit_code": credit_code(1)[:17] + "\x00"},
        "invalid_credit_code",
        {"credit_code"},
    ),
    (
        "coop-with-91",
        {"credit_code": credit_code(1, prefix="91")},
        "credit_code_kind_mismatch",
        {"credit_code", "kind"},
    ),
    (
        "coop-with-92",
        {"credit_code": credit_code(1, prefix="92")},
        "credit_code_kind_mismatch",
        {"credit_code", "kind"},
    ),
    (
        "enterprise-with-93",
        {"kind": "enterprise"},
        "credit_code_kind_mismatch",
        {"credit_code", "kind"},
    ),
    ("farm-with-93", {"kind": "family_farm"}, "credit_code_kind_mismatch", {"credit_code", "kind"}),
    (
        "not-poverty-lifted",
        {"county_code": OTHER_COUNTY},
        "county_not_poverty_lifted",
        {"county_code"},
    ),
    ("unknown-county", {"county_code": "522699"}, "unknown_county", {"county_code"}),
    ("county-letters", {"county_code": "abc"}, "unknown_county", {"county_code"}),
    ("county-fullwidth", {"county_code": "５２２６３３"}, "unknown_county", {"county_code"}),
    ("county-nul", {"county_code": "52263\x00"}, "unknown_county", {"county_code"}),
    ("county-province", {"county_code": "520000"}, "unknown_county", {"county_code"}),
    ("phone-short", {"contact_phone": "12345"}, "invalid_phone", {"contact_phone"}),
    ("phone-12x", {"contact_phone": "12808551234"}, "invalid_phone", {"contact_phone"}),
    ("phone-letters", {"contact_phone": "call me"}, "invalid_phone", {"contact_phone"}),
    (
        "households-negative",
        {"households_supported": -1},
        "invalid_households_supported",
        {"households_supported"},
    ),
    (
        "households-huge",
        {"households_supported": 1_000_001},
        "invalid_households_supported",
        {"households_supported"},
    ),
    (
        "households-enormous",
        {"households_supported": 10**30},
        "invalid_households_supported",
        {"households_supported"},
    ),
    (
        "households-fraction",
        {"households_supported": 1.5},
        "validation_failed",
        {"households_supported"},
    ),
    (
        "households-string",
        {"households_supported": "12"},
        "validation_failed",
        {"households_supported"},
    ),
    (
        "households-bool",
        {"households_supported": True},
        "validation_failed",
        {"households_supported"},
    ),
    (
        "households-null",
        {"households_supported": None},
        "validation_failed",
        {"households_supported"},
    ),
    ("name-empty", {"name": "  "}, "invalid_name", {"name"}),
    ("name-one-char", {"name": "社"}, "invalid_name", {"name"}),
    ("name-too-long", {"name": "社" * 101}, "invalid_name", {"name"}),
    ("name-control", {"name": "合作\x00社"}, "invalid_name", {"name"}),
    ("name-surrogate", {"name": "合作\ud800社"}, "invalid_name", {"name"}),
    ("name-number", {"name": 12345}, "validation_failed", {"name"}),
    ("contact-empty", {"contact_name": ""}, "invalid_contact_name", {"contact_name"}),
    ("contact-too-long", {"contact_name": "吴" * 51}, "invalid_contact_name", {"contact_name"}),
    (
        "reference-too-long",
        {"recommendation_ref": "号" * 101},
        "invalid_recommendation_ref",
        {"recommendation_ref"},
    ),
    ("description-too-long", {"description": "好" * 2001}, "invalid_description", {"description"}),
    ("kind-unknown", {"kind": "ngo"}, "validation_failed", {"kind"}),
]


@pytest.mark.parametrize(
    ("overrides", "code", "fields"),
    [case[1:] for case in BAD_INPUTS],
    ids=[case[0] for case in BAD_INPUTS],
)
async def test_bad_input_is_refused_and_nothing_is_written(
    client: httpx.AsyncClient,
    database: Database,
    token_for: TokenFor,
    overrides: dict[str, Any],
    code: str,
    fields: set[str],
) -> None:
    token = await token_for("wu@example.com")
    before = await snapshot(database)

    # Sent as ASCII JSON, so that a lone surrogate travels as the escape \ud800.
    response = await client.post(
        COOPERATIVES,
        content=json.dumps(application(**overrides)).encode(),
        headers={**bearer(token), "content-type": "application/json"},
    )

    error = assert_error(response, 422, code)
    assert set(error["fields"]) == fields
    assert all(error["fields"].values())
    assert await snapshot(database) == before


@pytest.mark.parametrize("missing", ["name", "credit_code", "county_code", "households_supported"])
async def test_missing_fields_are_named(
    client: httpx.AsyncClient, database: Database, token_for: TokenFor, missing: str
) -> None:
    token = await token_for("wu@example.com")
    body = application()
    del body[missing]
    before = await snapshot(database)

    response = await client.post(COOPERATIVES, json=body, headers=bearer(token))

    error = assert_error(response, 422, "validation_failed")
    assert missing in error["fields"]
    assert await snapshot(database) == before


async def test_several_bad_fields_are_reported_together(
    client: httpx.AsyncClient, database: Database, token_for: TokenFor
) -> None:
    token = await token_for("wu@example.com")
    body = application(
        credit_code="9352263300000000XX",
        county_code=OTHER_COUNTY,
        contact_phone="0",
        households_supported=-5,
        name="x",
    )
    before = await snapshot(database)

    response = await client.post(COOPERATIVES, json=body, headers=bearer(token))

    error = assert_error(response, 422, "validation_failed")
    assert set(error["fields"]) == {
        "credit_code",
        "county_code",
        "contact_phone",
        "households_supported",
        "name",
    }
    assert await snapshot(database) == before


async def test_a_credit_code_is_registered_once(
    client: httpx.AsyncClient, database: Database, token_for: TokenFor
) -> None:
    first = await token_for("wu@example.com")
    second = await token_for("li@example.com")
    created = await client.post(COOPERATIVES, json=application(1), headers=bearer(first))
    assert created.status_code == 201
    before = await snapshot(database)

    # The same code typed in lower case with spaces is the same code.
    spaced = credit_code(1).lower()[:9] + " " + credit_code(1).lower()[9:]
    response = await client.post(
        COOPERATIVES,
        json=application(2, credit_code=spaced),
        headers=bearer(second),
    )

    error = assert_error(response, 409, "credit_code_taken")
    assert set(error["fields"]) == {"credit_code"}
    assert await snapshot(database) == before
    me = (await client.get("/api/v1/me", headers=bearer(second))).json()
    assert me["cooperative_ids"] == []


async def test_apply_needs_a_token(client: httpx.AsyncClient, database: Database) -> None:
    before = await snapshot(database)

    response = await client.post(COOPERATIVES, json=application())

    assert_error(response, 401, "unauthorized")
    assert await snapshot(database) == before


async def test_malformed_json_is_400(
    client: httpx.AsyncClient, database: Database, token_for: TokenFor
) -> None:
    token = await token_for("wu@example.com")
    response = await client.post(
        COOPERATIVES,
        content=b'{"name": ',
        headers={**bearer(token), "content-type": "application/json"},
    )
    assert_error(response, 400, "malformed_json")


async def test_the_admission_rule_can_be_turned_off(
    app: FastAPI, client: httpx.AsyncClient, database: Database, token_for: TokenFor
) -> None:
    token = await token_for("wu@example.com")
    app.state.settings = app.state.settings.model_copy(
        update={"supplier_requires_poverty_county": False}
    )

    response = await client.post(
        COOPERATIVES, json=application(county_code=OTHER_COUNTY), headers=bearer(token)
    )

    assert response.status_code == 201, response.text
    assert response.json()["county"]["code"] == OTHER_COUNTY
    # An unknown county is still refused.
    unknown = await client.post(
        COOPERATIVES, json=application(2, county_code="522699"), headers=bearer(token)
    )
    assert_error(unknown, 422, "unknown_county")


# ---------------------------------------------------------------------------------------------
# Who sees a supplier


async def test_a_verified_supplier_is_public_without_contact_details(
    client: httpx.AsyncClient, database: Database
) -> None:
    admin = await create_user(database, email="wu@example.com")
    cooperative_id = await create_cooperative(
        database, admin_id=admin, n=1, status=SupplierStatus.VERIFIED
    )

    response = await client.get(f"{COOPERATIVES}/{cooperative_id}")

    assert response.status_code == 200, response.text
    shown = response.json()
    assert shown["status"] == "verified"
    assert shown["name"] == application(1)["name"]
    assert shown["contact_name"] is None
    assert shown["contact_phone"] is None
    assert shown["verified_at"] is not None


@pytest.mark.parametrize(
    "status", [SupplierStatus.PENDING, SupplierStatus.SUSPENDED, SupplierStatus.REJECTED]
)
async def test_an_unverified_supplier_is_shown_to_members_and_operators_only(
    client: httpx.AsyncClient, database: Database, token_for: TokenFor, status: SupplierStatus
) -> None:
    admin = await create_user(database, email="wu@example.com")
    cooperative_id = await create_cooperative(database, admin_id=admin, status=status)
    await create_operator(database)
    path = f"{COOPERATIVES}/{cooperative_id}"

    assert_error(await client.get(path), 404, "cooperative_not_found")
    stranger = await token_for("li@example.com")
    assert_error(await client.get(path, headers=bearer(stranger)), 404, "cooperative_not_found")

    as_member = await client.get(path, headers=bearer(await issue_token(client, "wu@example.com")))
    assert as_member.status_code == 200
    assert as_member.json()["status"] == status.value
    assert as_member.json()["contact_phone"] == "13808551234"
    as_operator = await client.get(
        path, headers=bearer(await issue_token(client, "ops@example.com"))
    )
    assert as_operator.status_code == 200
    assert as_operator.json()["contact_name"] == "吴建国"


@pytest.mark.parametrize("cooperative_id", ["999999", "0", "-1", str(2**63), str(10**30)])
async def test_unknown_suppliers_are_404(
    client: httpx.AsyncClient, database: Database, cooperative_id: str
) -> None:
    assert_error(await client.get(f"{COOPERATIVES}/{cooperative_id}"), 404, "cooperative_not_found")


async def test_a_non_numeric_id_is_422(client: httpx.AsyncClient) -> None:
    error = assert_error(await client.get(f"{COOPERATIVES}/abc"), 422, "validation_failed")
    assert "cooperative_id" in error["fields"]


async def test_a_bad_token_is_401_not_anonymous(
    client: httpx.AsyncClient, database: Database
) -> None:
    admin = await create_user(database, email="wu@example.com")
    cooperative_id = await create_cooperative(
        database, admin_id=admin, status=SupplierStatus.VERIFIED
    )
    response = await client.get(f"{COOPERATIVES}/{cooperative_id}", headers=bearer("forged"))
    assert_error(response, 401, "unauthorized")


async def test_a_user_may_apply_for_several_suppliers(
    client: httpx.AsyncClient, database: Database, token_for: TokenFor
) -> None:
    token = await token_for("wu@example.com")
    ids = []
    for n in (1, 2):
        response = await client.post(COOPERATIVES, json=application(n), headers=bearer(token))
        assert response.status_code == 201
        ids.append(response.json()["id"])

    me = (await client.get("/api/v1/me", headers=bearer(token))).json()

    assert me["cooperative_ids"] == sorted(ids)
    async with unit_of_work(database.reader) as session:
        statuses = list(await session.scalars(select(Cooperative.status)))
    assert statuses == [SupplierStatus.PENDING, SupplierStatus.PENDING]
