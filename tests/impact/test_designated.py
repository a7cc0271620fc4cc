"""PUT /admin/organizations/{id}/designated-counties: an operator replaces an organisation's
designated counties (定点帮扶); changes count from the next China day; history is kept."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.account.models import Role
from app.audit.models import AuditEntry
from app.core.clock import china_date, utcnow
from app.core.db import Database, unit_of_work
from app.regions.models import HelperKind, Pairing, PairingKind
from tests.account.factories import create_user, token_headers
from tests.http_assertions import assert_error
from tests.impact.factories import GUIZHOU, HETIAN, SANDU, SHUFU, count, create_pairing
from tests.organization.factories import create_organization


def _path(organization_id: int | str) -> str:
    return f"/api/v1/admin/organizations/{organization_id}/designated-counties"


async def _designated(database: Database, organization_id: int) -> list[tuple[str, Any, Any]]:
    """(county, since, until) of the organisation's designated pairings, by county."""
    async with unit_of_work(database.reader) as session:
        pairings = await session.scalars(
            select(Pairing)
            .options(selectinload(Pairing.areas))
            .where(
                Pairing.kind == PairingKind.DESIGNATED,
                Pairing.helper_organization_id == organization_id,
            )
        )
        return sorted((p.areas[0].code, p.since, p.until) for p in pairings)


@pytest.fixture
async def operator(app: FastAPI, database: Database) -> dict[str, str]:
    return token_headers(await create_user(database, roles=[(Role.OPERATOR, None, None)]))


async def test_an_operator_designates_counties_from_tomorrow(
    client: httpx.AsyncClient, database: Database, operator: dict[str, str]
) -> None:
    organization = await create_organization(database, name="某部委机关食堂")
    tomorrow = china_date(utcnow()) + timedelta(days=1)

    response = await client.put(
        _path(organization), json={"county_codes": [SHUFU, SANDU, SANDU]}, headers=operator
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["organization_id"] == organization
    assert body["county_codes"] == [SANDU, SHUFU]
    assert [
        (p["county_code"], p["county_name"], p["since"], p["until"]) for p in body["pairings"]
    ] == [
        (SANDU, "三都水族自治县", tomorrow.isoformat(), None),
        (SHUFU, "疏附县", tomorrow.isoformat(), None),
    ]
    assert await _designated(database, organization) == [
        (SANDU, tomorrow, None),
        (SHUFU, tomorrow, None),
    ]
    async with unit_of_work(database.reader) as session:
        pairing = await session.scalar(
            select(Pairing).where(Pairing.helper_organization_id == organization)
        )
        assert pairing is not None
        assert pairing.helper_kind == HelperKind.ORGANIZATION
        assert pairing.helper_area == "某部委机关食堂"
        audit = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "impact.designated_counties")
        )
        assert audit is not None and audit.entity_id == str(organization)
        assert audit.after == {"county_codes": [SANDU, SHUFU]}


async def test_replacing_ends_counties_in_force_today_and_drops_those_not_yet_started(
    client: httpx.AsyncClient, database: Database, operator: dict[str, str]
) -> None:
    organization = await create_organization(database)
    in_force = await create_pairing(
        database,
        kind=PairingKind.DESIGNATED,
        helper_organization_id=organization,
        helped_province=GUIZHOU,
        counties=[SANDU],
    )
    first = await client.put(
        _path(organization), json={"county_codes": [SANDU, SHUFU]}, headers=operator
    )
    assert first.status_code == 200
    today = china_date(utcnow())

    second = await client.put(
        _path(organization), json={"county_codes": [HETIAN]}, headers=operator
    )

    assert second.status_code == 200, second.text
    tomorrow = today + timedelta(days=1)
    # 三都 was in force: it stays, ending today (entries of today counted for it).
    # 疏附 had not started: it is gone. 和田县 starts tomorrow.
    assert await _designated(database, organization) == [
        (SANDU, None, today),
        (HETIAN, tomorrow, None),
    ]
    assert [p["county_code"] for p in second.json()["pairings"]] == [SANDU, HETIAN]
    async with unit_of_work(database.reader) as session:
        assert (await session.get(Pairing, in_force)) is not None

    # Designating 三都 again keeps the pairing going instead of starting a new one.
    third = await client.put(
        _path(organization), json={"county_codes": [SANDU, HETIAN]}, headers=operator
    )
    assert third.status_code == 200
    assert await _designated(database, organization) == [
        (SANDU, None, None),
        (HETIAN, tomorrow, None),
    ]


async def test_an_empty_list_ends_every_designation(
    client: httpx.AsyncClient, database: Database, operator: dict[str, str]
) -> None:
    organization = await create_organization(database)
    await create_pairing(
        database,
        kind=PairingKind.DESIGNATED,
        helper_organization_id=organization,
        helped_province=GUIZHOU,
        counties=[SANDU],
    )

    response = await client.put(_path(organization), json={"county_codes": []}, headers=operator)

    assert response.status_code == 200
    assert response.json()["county_codes"] == []
    assert await _designated(database, organization) == [(SANDU, None, china_date(utcnow()))]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"county_codes": ["999999"]}, {"county_codes.0"}),
        ({"county_codes": [SANDU, "abc", "５２２７３２"]}, {"county_codes.1", "county_codes.2"}),
        ({"county_codes": [SANDU, "110000"]}, {"county_codes.1"}),  # a province, not a county
    ],
)
async def test_unknown_county_codes_answer_422_and_change_nothing(
    client: httpx.AsyncClient,
    database: Database,
    operator: dict[str, str],
    body: dict[str, Any],
    fields: set[str],
) -> None:
    organization = await create_organization(database)
    pairings = await count(database, Pairing)

    response = await client.put(_path(organization), json=body, headers=operator)

    error = assert_error(response, 422, "invalid_county_codes")
    assert set(error["fields"]) == fields
    assert await count(database, Pairing) == pairings
    assert await count(database, AuditEntry) == 0


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"county_codes": SANDU},
        {"county_codes": [522732]},
        {"county_codes": [None]},
        {"county_codes": [SANDU] * 501},
        {"counties": [SANDU]},
    ],
)
async def test_malformed_bodies_answer_422_and_change_nothing(
    client: httpx.AsyncClient, database: Database, operator: dict[str, str], body: dict[str, Any]
) -> None:
    organization = await create_organization(database)
    pairings = await count(database, Pairing)

    response = await client.put(_path(organization), json=body, headers=operator)

    error = assert_error(response, 422, "validation_failed")
    assert any(field.startswith("county_codes") for field in error["fields"])
    assert await count(database, Pairing) == pairings


async def test_malformed_json_answers_400(
    client: httpx.AsyncClient, database: Database, operator: dict[str, str]
) -> None:
    organization = await create_organization(database)

    response = await client.put(
        _path(organization),
        content=b'{"county_codes": [',
        headers={**operator, "Content-Type": "application/json"},
    )

    assert_error(response, 400, "malformed_json")


@pytest.mark.parametrize("organization_id", ["999999999", "0", "9223372036854775808"])
async def test_an_unknown_organisation_answers_404(
    client: httpx.AsyncClient, database: Database, operator: dict[str, str], organization_id: str
) -> None:
    pairings = await count(database, Pairing)

    response = await client.put(
        _path(organization_id), json={"county_codes": [SANDU]}, headers=operator
    )

    assert_error(response, 404, "organization_not_found")
    assert await count(database, Pairing) == pairings


@pytest.mark.parametrize(
    "role", [Role.CONSUMER, Role.ORG_ADMIN, Role.REGIONAL_OFFICIAL, Role.SUPPLIER_ADMIN]
)
async def test_only_operators_may_designate(
    app: FastAPI, client: httpx.AsyncClient, database: Database, role: Role
) -> None:
    organization = await create_organization(database)
    user = await create_user(database, roles=[(role, organization, None)])
    pairings = await count(database, Pairing)

    response = await client.put(
        _path(organization), json={"county_codes": [SANDU]}, headers=token_headers(user)
    )

    assert_error(response, 403, "forbidden")
    assert await count(database, Pairing) == pairings


async def test_designating_needs_a_token(client: httpx.AsyncClient, database: Database) -> None:
    organization = await create_organization(database)

    response = await client.put(_path(organization), json={"county_codes": [SANDU]})

    assert_error(response, 401, "unauthorized")
