"""The yearly declaration of the reserved share (预留份额) and the progress the impact report
reads from the ledger: a paid order moves it, a refund moves it back."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from app.account.models import Role
from app.core.db import Database
from app.impact.reports import current_year
from app.order.models import BuyerKind
from tests.cooperative.factories import assert_error
from tests.impact.factories import SANDU, Line, create_seller, paid_order, refund
from tests.organization.factories import (
    ORG_PROVINCE,
    create_organization,
    snapshot,
    user_with_token,
)

YEAR = 2026


async def _admin_org(app: FastAPI, database: Database) -> tuple[int, dict[str, str]]:
    admin, headers = await user_with_token(app, database, "admin@org.example")
    return await create_organization(database, members={admin: Role.ORG_ADMIN}), headers


def _path(org: int, year: int | str = YEAR) -> str:
    return f"/api/v1/organizations/{org}/targets/{year}"


async def test_an_admin_declares_the_years_target(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    org, headers = await _admin_org(app, database)

    response = await client.put(
        _path(org),
        json={"canteen_budget_fen": 1_000_000, "reserved_share_bp": 1500},
        headers=headers,
    )

    assert response.status_code == 200, response.text
    assert response.json() == {
        "year": YEAR,
        "canteen_budget_fen": 1_000_000,
        "reserved_share_bp": 1500,
        "target_fen": 150_000,
    }
    # Correcting it replaces the year's declaration.
    corrected = await client.put(
        _path(org), json={"canteen_budget_fen": 333, "reserved_share_bp": 1500}, headers=headers
    )
    assert corrected.json()["target_fen"] == 50  # 49.95 fen, rounded half up
    listed = await client.get(f"/api/v1/organizations/{org}/targets", headers=headers)
    assert [t["year"] for t in listed.json()] == [YEAR]
    assert listed.json()[0]["canteen_budget_fen"] == 333


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        (
            {"canteen_budget_fen": 1_000_000, "reserved_share_bp": 999},
            "reserved_share_too_low",
            "reserved_share_bp",
        ),
        (
            {"canteen_budget_fen": 1_000_000, "reserved_share_bp": 0},
            "reserved_share_too_low",
            "reserved_share_bp",
        ),
        (
            {"canteen_budget_fen": 1_000_000, "reserved_share_bp": 10_001},
            "reserved_share_too_high",
            "reserved_share_bp",
        ),
        (
            {"canteen_budget_fen": -1, "reserved_share_bp": 1500},
            "invalid_budget",
            "canteen_budget_fen",
        ),
        (
            {"canteen_budget_fen": 10**14, "reserved_share_bp": 1500},
            "invalid_budget",
            "canteen_budget_fen",
        ),
    ],
)
async def test_bad_declarations_are_refused_and_nothing_is_written(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    body: dict[str, int],
    code: str,
    field: str,
) -> None:
    org, headers = await _admin_org(app, database)
    before = await snapshot(database)

    response = await client.put(_path(org), json=body, headers=headers)

    error = assert_error(response, 422, code)
    assert set(error["fields"]) == {field}
    assert await snapshot(database) == before


async def test_a_share_under_ten_percent_says_why(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    org, headers = await _admin_org(app, database)
    response = await client.put(
        _path(org), json={"canteen_budget_fen": 100, "reserved_share_bp": 500}, headers=headers
    )
    error = assert_error(response, 422, "reserved_share_too_low")
    assert "1000 basis points (10 %)" in error["message"]


@pytest.mark.parametrize(
    "body",
    [
        {"canteen_budget_fen": 1.5, "reserved_share_bp": 1500},
        {"canteen_budget_fen": "100", "reserved_share_bp": 1500},
        {"canteen_budget_fen": 100, "reserved_share_bp": True},
        {"canteen_budget_fen": 100},
    ],
)
async def test_malformed_declarations_are_422(
    app: FastAPI, client: httpx.AsyncClient, database: Database, body: dict[str, object]
) -> None:
    org, headers = await _admin_org(app, database)
    before = await snapshot(database)
    response = await client.put(_path(org), json=body, headers=headers)
    assert response.status_code == 422
    assert await snapshot(database) == before


@pytest.mark.parametrize("year", [2020, current_year() + 2, 99999])
async def test_years_outside_the_rule_are_refused(
    app: FastAPI, client: httpx.AsyncClient, database: Database, year: int
) -> None:
    org, headers = await _admin_org(app, database)
    response = await client.put(
        _path(org, year),
        json={"canteen_budget_fen": 100, "reserved_share_bp": 1500},
        headers=headers,
    )
    assert_error(response, 422, "invalid_year")


async def test_only_admins_declare(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    buyer, buyer_headers = await user_with_token(app, database, "buyer@example.com")
    _operator, operator_headers = await user_with_token(
        app, database, "ops@example.com", roles=(Role.OPERATOR,)
    )
    org = await create_organization(database, members={buyer: Role.ORG_BUYER})
    body = {"canteen_budget_fen": 100, "reserved_share_bp": 1500}
    before = await snapshot(database)

    assert_error(
        await client.put(_path(org), json=body, headers=buyer_headers),
        403,
        "organization_admin_required",
    )
    assert_error(
        await client.put(_path(org), json=body, headers=operator_headers),
        404,
        "organization_not_found",
    )
    assert await snapshot(database) == before
    # Members and operators read the declarations.
    for headers in (buyer_headers, operator_headers):
        listed = await client.get(f"/api/v1/organizations/{org}/targets", headers=headers)
        assert listed.status_code == 200


async def test_progress_moves_with_a_paid_order_and_back_with_a_refund(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    admin, headers = await user_with_token(app, database, "admin@org.example")
    org = await create_organization(database, members={admin: Role.ORG_ADMIN})
    report_path = f"/api/v1/impact/organizations/{org}"
    params = {"year": YEAR}
    declared = await client.put(
        _path(org),
        json={"canteen_budget_fen": 1_000_000, "reserved_share_bp": 1000},
        headers=headers,
    )
    assert declared.json()["target_fen"] == 100_000

    empty = (await client.get(report_path, params=params, headers=headers)).json()
    assert (empty["target_fen"], empty["purchased_fen"], empty["progress_bp"]) == (100_000, 0, 0)

    seller = await create_seller(database, SANDU)
    order = await paid_order(
        database,
        buyer_user_id=admin,
        lines=[Line(seller, 5, 5000)],
        buyer_province_code=ORG_PROVINCE,
        organization_id=org,
        buyer_kind=BuyerKind.GOVERNMENT,
        paid_at=datetime(YEAR, 3, 10, 4, tzinfo=UTC),
    )
    paid = (await client.get(report_path, params=params, headers=headers)).json()
    assert (paid["purchased_fen"], paid["progress_bp"], paid["order_count"]) == (25_000, 2500, 1)
    assert [c["code"] for c in paid["by_county"]] == [SANDU]

    await refund(database, order.id, [(order.line_ids[0], 2)], at=datetime(YEAR, 3, 20, tzinfo=UTC))
    refunded = (await client.get(report_path, params=params, headers=headers)).json()
    assert (refunded["purchased_fen"], refunded["progress_bp"]) == (15_000, 1500)

    # A new declaration shows at once (the report cache keys on it).
    await client.put(
        _path(org),
        json={"canteen_budget_fen": 1_000_000, "reserved_share_bp": 1500},
        headers=headers,
    )
    redeclared = (await client.get(report_path, params=params, headers=headers)).json()
    assert (redeclared["target_fen"], redeclared["progress_bp"]) == (150_000, 1000)
