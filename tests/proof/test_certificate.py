"""The purchase certificate of an organisation's paid order, as HTML: what it shows (amounts as
the ledger has them), who may see it (members and operators; others 404) and which orders have
none (unpaid, cancelled, another's)."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from app.account.models import Role
from app.core.db import Database
from app.web.static import static_url
from tests.http_assertions import assert_error
from tests.impact.factories import entries
from tests.proof.factories import (
    ORG_NAME,
    SANDU_NAME,
    SHUFU_NAME,
    Canteen,
    build_canteen,
    member_headers,
    user_headers,
)


def certificate_url(canteen: Canteen, order_id: int, organization: int | None = None) -> str:
    organization_id = organization or canteen.organization
    return f"/api/v1/organizations/{organization_id}/orders/{order_id}/certificate"


def county_net(html: str, code: str) -> int:
    match = re.search(rf'<tr data-county="{code}">.*?data-net-fen="(-?\d+)"', html, re.S)
    assert match is not None, f"no row for county {code}"
    return int(match.group(1))


async def test_a_certificate_shows_the_organisation_order_counties_and_ledger_amounts(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    canteen = await build_canteen(database)

    response = await client.get(
        certificate_url(canteen, canteen.march), headers=member_headers(app, canteen)
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert ORG_NAME in html
    assert "消费帮扶采购凭证" in html
    assert SANDU_NAME in html and SHUFU_NAME in html
    assert "贵州省" in html and "新疆维吾尔自治区" in html
    assert "¥130.00" in html  # goods: 3 × 10 + 2 × 50 yuan
    assert "¥8.00" in html  # shipping, shown apart from the benefit
    assert 'data-benefit-fen="13000"' in html
    assert county_net(html, "522732") == 3000
    assert county_net(html, "653121") == 10000
    assert "42 户" in html  # 12 + 30 households of the two suppliers
    assert static_url("css/proof.css") in html
    # The amounts are the ledger's: its entries for the order add up to the benefit shown.
    assert sum(e.amount_fen for e in await entries(database, canteen.march)) == 13000


async def test_a_refund_shows_and_lowers_the_benefit(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    canteen = await build_canteen(database)

    response = await client.get(
        certificate_url(canteen, canteen.july), headers=member_headers(app, canteen)
    )

    assert response.status_code == 200, response.text
    html = response.text
    assert 'data-benefit-fen="3000"' in html  # 5 000 sold, 2 000 refunded
    assert county_net(html, "522732") == 3000
    assert "¥20.00" in html  # the refund
    assert "（退 2）" in html  # refunded units of the line
    assert sum(e.amount_fen for e in await entries(database, canteen.july)) == 3000


@pytest.mark.parametrize("role", [Role.ORG_BUYER, Role.ORG_APPROVER, Role.ORG_ADMIN])
async def test_every_member_role_and_operators_see_it(
    app: FastAPI, client: httpx.AsyncClient, database: Database, role: Role
) -> None:
    canteen = await build_canteen(database)
    member = await user_headers(app, database, [(role, canteen.organization, None)])
    operator = await user_headers(app, database, [(Role.OPERATOR, None, None)])

    for headers in (member, operator):
        response = await client.get(certificate_url(canteen, canteen.march), headers=headers)
        assert response.status_code == 200, response.text
        assert ORG_NAME in response.text


async def test_outsiders_get_404_and_learn_nothing(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    canteen = await build_canteen(database)
    stranger = await user_headers(app, database, [])
    other_member = await user_headers(
        app, database, [(Role.ORG_ADMIN, canteen.other_organization, None)]
    )
    # Officials see an organisation's impact report, but not its documents.
    official = await user_headers(app, database, [(Role.REGIONAL_OFFICIAL, None, "310000")])

    for headers in (stranger, other_member, official):
        for fmt in ("html", "pdf"):
            response = await client.get(
                certificate_url(canteen, canteen.march),
                headers=headers,
                params={"format": fmt},
            )
            assert_error(response, 404, "organization_not_found")
    missing = await client.get(
        certificate_url(canteen, canteen.march, organization=999_999_999),
        headers=member_headers(app, canteen),
    )
    assert_error(missing, 404, "organization_not_found")


async def test_signed_out_callers_get_401(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    canteen = await build_canteen(database)

    response = await client.get(certificate_url(canteen, canteen.march))

    assert_error(response, 401, "unauthorized")


async def test_an_order_of_someone_else_is_not_found(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    canteen = await build_canteen(database)
    headers = member_headers(app, canteen)

    for order_id in (canteen.other_order, canteen.consumer_order, 999_999_999, 2**63):
        response = await client.get(certificate_url(canteen, order_id), headers=headers)
        assert_error(response, 404, "order_not_found")
    # The other organisation's own member does not reach its order through this one either.
    other = await user_headers(app, database, [(Role.ORG_BUYER, canteen.other_organization, None)])
    response = await client.get(
        certificate_url(canteen, canteen.march, organization=canteen.other_organization),
        headers=other,
    )
    assert_error(response, 404, "order_not_found")


async def test_an_unpaid_or_cancelled_order_has_no_certificate(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    canteen = await build_canteen(database)
    headers = member_headers(app, canteen)

    for fmt in ("html", "pdf"):
        unpaid = await client.get(
            certificate_url(canteen, canteen.unpaid), headers=headers, params={"format": fmt}
        )
        assert_error(unpaid, 409, "order_not_paid")
        cancelled = await client.get(
            certificate_url(canteen, canteen.cancelled), headers=headers, params={"format": fmt}
        )
        assert_error(cancelled, 409, "order_cancelled")


async def test_bad_input_answers_the_error_form(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    canteen = await build_canteen(database)
    headers = member_headers(app, canteen)

    bad_format = await client.get(
        certificate_url(canteen, canteen.march), headers=headers, params={"format": "docx"}
    )
    assert_error(bad_format, 422, "validation_failed")
    bad_id = await client.get(
        f"/api/v1/organizations/{canteen.organization}/orders/abc/certificate", headers=headers
    )
    assert_error(bad_id, 422, "validation_failed")
