"""The shipping-rule API: members read and replace their supplier's rule; everyone else 404."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from app.account.models import Role
from app.audit.models import AuditEntry
from app.core.db import Database, unit_of_work
from app.shipping import service
from app.shipping.models import ShippingRule
from tests.account.factories import PASSWORD, bearer, create_user, issue_token
from tests.cooperative.factories import add_member, create_cooperative
from tests.http_assertions import assert_error

VALID_RULE: dict[str, Any] = {
    "base_fee_fen": 800,
    "per_kg_fen": 300,
    "free_above_fen": 9900,
    "cold_chain_surcharge_fen": 1500,
    "excluded_province_codes": ["650000", "540000"],
}


async def stored_rule(database: Database, cooperative_id: int) -> dict[str, Any] | None:
    async with unit_of_work(database.writer) as session:
        rule = await session.scalar(
            select(ShippingRule).where(ShippingRule.cooperative_id == cooperative_id)
        )
        if rule is None:
            return None
        return {
            "base_fee_fen": rule.base_fee_fen,
            "per_kg_fen": rule.per_kg_fen,
            "free_above_fen": rule.free_above_fen,
            "cold_chain_surcharge_fen": rule.cold_chain_surcharge_fen,
            "excluded_province_codes": rule.excluded_province_codes,
        }


async def member_token(
    client: httpx.AsyncClient, database: Database, cooperative_id: int, email: str
) -> dict[str, str]:
    await add_member(
        database, cooperative_id, email=email, role=Role.SUPPLIER_MEMBER, password=PASSWORD
    )
    return bearer(await issue_token(client, email))


async def test_a_supplier_without_a_rule_shows_the_platform_default(
    client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_cooperative(database)
    headers = await member_token(client, database, supplier, "member@example.com")

    response = await client.get(f"/api/v1/cooperatives/{supplier}/shipping-rule", headers=headers)

    assert response.status_code == 200, response.text
    assert response.json() == {
        "cooperative_id": supplier,
        "base_fee_fen": 1000,
        "per_kg_fen": 0,
        "free_above_fen": None,
        "cold_chain_surcharge_fen": 0,
        "excluded_province_codes": [],
        "is_default": True,
        "updated_at": None,
    }


async def test_a_member_replaces_the_rule(client: httpx.AsyncClient, database: Database) -> None:
    supplier = await create_cooperative(database)
    headers = await member_token(client, database, supplier, "member@example.com")
    url = f"/api/v1/cooperatives/{supplier}/shipping-rule"

    response = await client.put(url, json=VALID_RULE, headers=headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["is_default"] is False
    assert body["updated_at"]
    assert body["excluded_province_codes"] == ["540000", "650000"]  # sorted
    expected = {**VALID_RULE, "excluded_province_codes": ["540000", "650000"]}
    assert await stored_rule(database, supplier) == expected
    again = await client.get(url, headers=headers)
    assert {k: again.json()[k] for k in expected} == expected

    async with unit_of_work(database.writer) as session:
        entries = list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == "shipping_rule.updated")
            )
        )
    assert len(entries) == 1
    assert entries[0].entity_id == str(supplier)
    assert entries[0].before is not None and entries[0].before["base_fee_fen"] == 1000
    assert entries[0].after is not None and entries[0].after["base_fee_fen"] == 800


async def test_omitted_optional_fields_take_their_defaults(
    client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_cooperative(database)
    headers = await member_token(client, database, supplier, "member@example.com")
    url = f"/api/v1/cooperatives/{supplier}/shipping-rule"
    await client.put(url, json=VALID_RULE, headers=headers)

    response = await client.put(
        url,
        json={"base_fee_fen": 0, "excluded_province_codes": ["540000", "540000"]},
        headers=headers,
    )

    assert response.status_code == 200, response.text
    assert await stored_rule(database, supplier) == {
        "base_fee_fen": 0,
        "per_kg_fen": 0,
        "free_above_fen": None,
        "cold_chain_surcharge_fen": 0,
        "excluded_province_codes": ["540000"],
    }


async def test_an_admin_of_the_supplier_may_also_edit(
    client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_cooperative(database)
    await add_member(
        database, supplier, email="admin@example.com", role=Role.SUPPLIER_ADMIN, password=PASSWORD
    )
    headers = bearer(await issue_token(client, "admin@example.com"))

    response = await client.put(
        f"/api/v1/cooperatives/{supplier}/shipping-rule", json=VALID_RULE, headers=headers
    )

    assert response.status_code == 200, response.text


async def test_someone_elses_supplier_answers_404_and_changes_nothing(
    client: httpx.AsyncClient, database: Database
) -> None:
    mine = await create_cooperative(database, name="我的合作社")
    theirs = await create_cooperative(database, name="别人的合作社")
    headers = await member_token(client, database, mine, "member@example.com")
    url = f"/api/v1/cooperatives/{theirs}/shipping-rule"

    assert_error(await client.get(url, headers=headers), 404, "cooperative_not_found")
    assert_error(
        await client.put(url, json=VALID_RULE, headers=headers), 404, "cooperative_not_found"
    )
    assert await stored_rule(database, theirs) is None


async def test_a_consumer_and_an_unknown_supplier_answer_404(
    client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_cooperative(database)
    await create_user(database, email="buyer@example.com")
    headers = bearer(await issue_token(client, "buyer@example.com"))

    for cooperative_id in (supplier, supplier + 1000):
        url = f"/api/v1/cooperatives/{cooperative_id}/shipping-rule"
        assert_error(await client.get(url, headers=headers), 404, "cooperative_not_found")
        assert_error(
            await client.put(url, json=VALID_RULE, headers=headers), 404, "cooperative_not_found"
        )
    assert await stored_rule(database, supplier) is None


async def test_signed_out_is_401(client: httpx.AsyncClient, database: Database) -> None:
    supplier = await create_cooperative(database)
    url = f"/api/v1/cooperatives/{supplier}/shipping-rule"

    assert_error(await client.get(url), 401, "unauthorized")
    assert_error(await client.put(url, json=VALID_RULE), 401, "unauthorized")
    assert await stored_rule(database, supplier) is None


async def test_malformed_supplier_ids_are_422(
    client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_cooperative(database)
    headers = await member_token(client, database, supplier, "member@example.com")

    for path_id in ["0", "-1", "abc", "1.5", str(2**63), "9" * 30]:
        response = await client.put(
            f"/api/v1/cooperatives/{path_id}/shipping-rule", json=VALID_RULE, headers=headers
        )

        error = assert_error(response, 422, "validation_failed")
        assert "cooperative_id" in error["fields"], path_id
    assert await stored_rule(database, supplier) is None


BAD_RULES: list[tuple[dict[str, Any], str, str]] = [
    ({"base_fee_fen": 8.5}, "validation_failed", "base_fee_fen"),
    ({"base_fee_fen": "800"}, "validation_failed", "base_fee_fen"),
    ({"base_fee_fen": True}, "validation_failed", "base_fee_fen"),
    ({"base_fee_fen": None}, "validation_failed", "base_fee_fen"),
    ({"base_fee_fen": -1}, "validation_failed", "base_fee_fen"),
    ({"base_fee_fen": 10_000_001}, "validation_failed", "base_fee_fen"),
    ({"base_fee_fen": 10**30}, "validation_failed", "base_fee_fen"),
    ({"per_kg_fen": -300}, "validation_failed", "per_kg_fen"),
    ({"per_kg_fen": 1.5}, "validation_failed", "per_kg_fen"),
    ({"free_above_fen": -1}, "validation_failed", "free_above_fen"),
    ({"free_above_fen": "9900"}, "validation_failed", "free_above_fen"),
    ({"cold_chain_surcharge_fen": 99.99}, "validation_failed", "cold_chain_surcharge_fen"),
    ({"excluded_province_codes": "540000"}, "validation_failed", "excluded_province_codes"),
    ({"excluded_province_codes": [540000]}, "validation_failed", "excluded_province_codes.0"),
    ({"excluded_province_codes": ["54"]}, "invalid_shipping_rule", "excluded_province_codes.0"),
    (
        {"excluded_province_codes": ["540000", "999999"]},
        "invalid_shipping_rule",
        "excluded_province_codes.1",
    ),
    (
        {"excluded_province_codes": ["450123"]},  # a county, not a province
        "invalid_shipping_rule",
        "excluded_province_codes.0",
    ),
    (
        {"excluded_province_codes": ["540000"] * 41},
        "validation_failed",
        "excluded_province_codes",
    ),
    ({"surprise": 1}, "validation_failed", "surprise"),
]


async def test_bad_rules_are_refused_and_change_nothing(
    client: httpx.AsyncClient, database: Database
) -> None:
    # One member for every case: hashing a password per case would dominate the run time.
    supplier = await create_cooperative(database)
    headers = await member_token(client, database, supplier, "member@example.com")
    url = f"/api/v1/cooperatives/{supplier}/shipping-rule"
    assert (await client.put(url, json=VALID_RULE, headers=headers)).status_code == 200
    before = await stored_rule(database, supplier)

    for change, code, field in BAD_RULES:
        response = await client.put(url, json={**VALID_RULE, **change}, headers=headers)

        error = assert_error(response, 422, code)
        assert field in error["fields"], (change, error)
        assert await stored_rule(database, supplier) == before, change


async def test_missing_base_fee_and_malformed_json(
    client: httpx.AsyncClient, database: Database
) -> None:
    supplier = await create_cooperative(database)
    headers = await member_token(client, database, supplier, "member@example.com")
    url = f"/api/v1/cooperatives/{supplier}/shipping-rule"

    error = assert_error(
        await client.put(url, json={"per_kg_fen": 100}, headers=headers), 422, "validation_failed"
    )
    assert "base_fee_fen" in error["fields"]
    assert_error(
        await client.put(
            url, content=b"{not json", headers={**headers, "Content-Type": "application/json"}
        ),
        400,
        "malformed_json",
    )
    assert await stored_rule(database, supplier) is None


async def test_rules_for_returns_the_rules_of_the_named_suppliers(database: Database) -> None:
    with_rule = await create_cooperative(database, name="甲")
    other_rule = await create_cooperative(database, name="乙")
    without = await create_cooperative(database, name="丙")
    async with unit_of_work(database.writer) as session:
        session.add(ShippingRule(cooperative_id=with_rule, base_fee_fen=500))
        session.add(ShippingRule(cooperative_id=other_rule, base_fee_fen=600))

    async with unit_of_work(database.writer) as session:
        rules = await service.rules_for(session, [with_rule, without])
        empty = await service.rules_for(session, [])

    assert set(rules) == {with_rule}
    assert rules[with_rule].base_fee_fen == 500
    assert empty == {}
