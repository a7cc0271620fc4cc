"""The yearly statement of an organisation, as HTML and XLSX: its target, net purchases by month
and by origin county (equal to the impact report of the organisation), its orders, refunds in
the year they were made, and who may see it."""

from __future__ import annotations

import io
import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from openpyxl import load_workbook  # type: ignore[import-untyped]
from sqlalchemy import update

from app.account.models import Role
from app.core.db import Database, unit_of_work
from app.organization.models import Organization
from tests.http_assertions import assert_error
from tests.proof.factories import (
    ORG_NAME,
    SANDU_NAME,
    SHUFU_NAME,
    Canteen,
    build_canteen,
    member_headers,
    user_headers,
)

SANDU = "522732"
SHUFU = "653121"


def statement_url(canteen: Canteen, year: int, suffix: str = "") -> str:
    return f"/api/v1/organizations/{canteen.organization}/statements/{year}{suffix}"


def figures(html: str, attribute: str) -> dict[str, int]:
    """key → fen of the rows marked data-<attribute>="key"."""
    return {
        key: int(fen)
        for key, fen in re.findall(
            rf'<tr data-{attribute}="([^"]+)">.*?data-net-fen="(-?\d+)"', html, re.S
        )
    }


async def impact_report(
    client: httpx.AsyncClient, headers: dict[str, str], organization: int, year: int
) -> dict[str, Any]:
    response = await client.get(
        f"/api/v1/impact/organizations/{organization}", headers=headers, params={"year": year}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("year", [2026, 2027])
async def test_the_statement_adds_up_to_the_impact_report(
    app: FastAPI, client: httpx.AsyncClient, database: Database, year: int
) -> None:
    canteen = await build_canteen(database)
    headers = member_headers(app, canteen)

    response = await client.get(statement_url(canteen, year), headers=headers)

    assert response.status_code == 200, response.text
    html = response.text
    report = await impact_report(client, headers, canteen.organization, year)
    purchased = int(re.search(r'data-purchased-fen="(-?\d+)"', html).group(1))  # type: ignore[union-attr]
    assert purchased == report["purchased_fen"]
    by_month = figures(html, "month")
    assert len(by_month) == 12
    assert sum(by_month.values()) == report["purchased_fen"]
    by_county = figures(html, "county")
    assert by_county == {c["code"]: c["amount_fen"] for c in report["by_county"]}
    target = re.search(r'data-target-fen="(-?\d*)"', html).group(1)  # type: ignore[union-attr]
    assert (int(target) if target else None) == report["target_fen"]


async def test_the_2026_statement_in_detail(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    canteen = await build_canteen(database)

    response = await client.get(statement_url(canteen, 2026), headers=member_headers(app, canteen))

    html = response.text
    assert ORG_NAME in html and "别的单位食堂" not in html
    assert "2026 年度消费帮扶采购对账单" in html
    assert "¥10,000.00" in html  # the declared budget
    assert "15.00 %" in html  # the reserved share
    assert "¥1,500.00" in html  # the target
    assert 'data-purchased-fen="20000"' in html  # 13 000 + 5 000 − 2 000 + 4 000
    assert "13.33 %" in html  # of the target
    assert "42 户" in html
    months = figures(html, "month")
    assert months["3"] == 13000  # the consumer's and the other organisation's orders left out
    assert months["7"] == 5000
    assert months["8"] == -2000  # the refund lowers the month it was made in
    assert months["12"] == 4000
    assert figures(html, "county") == {SANDU: 6000, SHUFU: 14000}
    assert SANDU_NAME in html and SHUFU_NAME in html
    orders = re.findall(r'<tr data-order="(\d+)">', html)
    assert orders == [str(canteen.march), str(canteen.july), str(canteen.december)]
    link = f"/api/v1/organizations/{canteen.organization}/orders/{canteen.march}/certificate"
    assert f'href="{link}"' in html


async def test_a_refund_in_the_next_year_lowers_that_years_statement(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    canteen = await build_canteen(database)

    response = await client.get(statement_url(canteen, 2027), headers=member_headers(app, canteen))

    html = response.text
    # 2 000 paid at 2026-12-31 17:00 UTC (2027 in China), 4 000 of December's order refunded.
    assert 'data-purchased-fen="-2000"' in html
    assert figures(html, "month")["1"] == -2000
    assert figures(html, "county") == {SHUFU: -2000}
    assert "未申报" in html  # no target declared for 2027
    orders = re.findall(r'<tr data-order="(\d+)">', html)
    assert sorted(orders) == sorted([str(canteen.december), str(canteen.new_year)])


async def test_a_year_without_purchases_is_an_empty_statement(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    canteen = await build_canteen(database)

    response = await client.get(statement_url(canteen, 2025), headers=member_headers(app, canteen))

    assert response.status_code == 200
    assert 'data-purchased-fen="0"' in response.text
    assert "本年度尚无采购记录。" in response.text


async def test_the_xlsx_statement_has_the_same_figures(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    canteen = await build_canteen(database)
    headers = member_headers(app, canteen)

    response = await client.get(statement_url(canteen, 2026, ".xlsx"), headers=headers)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in response.headers["content-disposition"]
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == ["概要", "按月", "按产地县", "按月按产地县", "订单"]
    summary = {row[0]: row[1:] for row in book["概要"].iter_rows(min_row=2, values_only=True)}
    assert summary["采购单位"][0] == ORG_NAME
    assert summary["预留份额目标（元）"] == (1500, 150000)
    assert summary["已采购净额（元）"] == (200, 20000)
    assert summary["带动脱贫户数"][0] == 42
    months = list(book["按月"].iter_rows(min_row=2, values_only=True))
    assert [m[2] for m in months[:12]] == [0, 0, 13000, 0, 0, 0, 5000, -2000, 0, 0, 0, 4000]
    assert months[12][0] == "合计" and months[12][2] == 20000
    report = await impact_report(client, headers, canteen.organization, 2026)
    counties = {r[0]: r[6] for r in book["按产地县"].iter_rows(min_row=2, values_only=True)}
    assert counties.pop("合计") == report["purchased_fen"]
    assert counties == {c["code"]: c["amount_fen"] for c in report["by_county"]}
    cells = list(book["按月按产地县"].iter_rows(min_row=2, values_only=True))
    assert sum(r[5] for r in cells[:-1]) == 20000
    assert (3, SHUFU, SHUFU_NAME, "新疆维吾尔自治区", 100, 10000) in cells
    orders = list(book["订单"].iter_rows(min_row=2, values_only=True))
    assert [o[7] for o in orders[:-1]] == [13000, 3000, 4000]


async def test_a_name_that_looks_like_a_formula_stays_text(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    canteen = await build_canteen(database)
    async with unit_of_work(database.writer) as session:
        await session.execute(
            update(Organization)
            .where(Organization.id == canteen.organization)
            .values(name='=HYPERLINK("http://x","y")')
        )

    response = await client.get(
        statement_url(canteen, 2026, ".xlsx"), headers=member_headers(app, canteen)
    )

    book = load_workbook(io.BytesIO(response.content))
    cell = book["概要"]["B2"]
    assert cell.value == '\'=HYPERLINK("http://x","y")'
    assert cell.data_type == "s"


async def test_only_members_and_operators_see_statements(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    canteen = await build_canteen(database)
    stranger = await user_headers(app, database, [])
    other_member = await user_headers(
        app, database, [(Role.ORG_ADMIN, canteen.other_organization, None)]
    )
    official = await user_headers(app, database, [(Role.REGIONAL_OFFICIAL, None, "310000")])
    operator = await user_headers(app, database, [(Role.OPERATOR, None, None)])

    for headers in (stranger, other_member, official):
        for suffix, params in (("", {}), ("", {"format": "pdf"}), (".xlsx", {})):
            response = await client.get(
                statement_url(canteen, 2026, suffix), headers=headers, params=params
            )
            assert_error(response, 404, "organization_not_found")
    seen = await client.get(statement_url(canteen, 2026), headers=operator)
    assert seen.status_code == 200
    assert 'data-purchased-fen="20000"' in seen.text
    assert_error(await client.get(statement_url(canteen, 2026)), 401, "unauthorized")


@pytest.mark.parametrize("year", ["1999", "2101", "twenty"])
async def test_a_year_out_of_range_is_refused(
    app: FastAPI, client: httpx.AsyncClient, database: Database, year: str
) -> None:
    canteen = await build_canteen(database)
    headers = member_headers(app, canteen)

    for suffix in ("", ".xlsx"):
        response = await client.get(
            f"/api/v1/organizations/{canteen.organization}/statements/{year}{suffix}",
            headers=headers,
        )
        assert_error(response, 422, "validation_failed")
