"""The impact API: summary, pairings, counties and organisations per API.md, the exports, and
every bad input answered with its status and code."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from openpyxl import load_workbook  # type: ignore[import-untyped]

from app.account.models import Role
from app.core.db import Database
from app.impact.reports import current_year
from app.order.models import BuyerKind
from tests.account.factories import create_user, token_headers
from tests.catalog.factories import create_seller
from tests.http_assertions import assert_error
from tests.impact.factories import (
    GUANGDONG,
    GUIZHOU,
    SANDU,
    SHANGHAI,
    SHUFU,
    Line,
    build_history,
    paid_order,
    refund,
)
from tests.organization.factories import create_organization


async def test_the_summary_sums_a_year_in_china_time(
    client: httpx.AsyncClient, database: Database
) -> None:
    await build_history(database)

    year_2026 = (await client.get("/api/v1/impact/summary", params={"year": 2026})).json()
    year_2027 = (await client.get("/api/v1/impact/summary", params={"year": 2027})).json()

    assert year_2026 == {
        "year": 2026,
        "amount_fen": 3000 + 10000 + 5000 - 2000,
        "order_count": 2,
        "county_count": 2,
        "cooperative_count": 2,
        "households_supported": 42,
        # 三都 is a key-assistance county, 疏附 is not
        "key_assistance": {"amount_fen": 3000 + 5000 - 2000, "order_count": 2, "county_count": 1},
    }
    assert year_2027 == {
        "year": 2027,
        "amount_fen": 2000,
        "order_count": 1,
        "county_count": 1,
        "cooperative_count": 1,
        "households_supported": 12,
        "key_assistance": {"amount_fen": 2000, "order_count": 1, "county_count": 1},
    }


async def test_the_summary_defaults_to_the_current_china_year(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/impact/summary")

    assert response.status_code == 200
    assert response.json()["year"] == current_year()


async def test_a_fully_refunded_county_no_longer_counts_as_benefited(
    client: httpx.AsyncClient, database: Database
) -> None:
    seller = await create_seller(database, county_code=SHUFU, households_supported=30)
    buyer = await create_user(database)
    order = await paid_order(
        database,
        buyer_user_id=buyer,
        lines=[Line(seller, 2, 5000)],
        buyer_province_code=GUANGDONG,
        paid_at=datetime(2026, 4, 1, tzinfo=UTC),
    )
    await refund(database, order.id, [(order.line_ids[0], 2)], at=datetime(2026, 4, 2, tzinfo=UTC))

    summary = (await client.get("/api/v1/impact/summary", params={"year": 2026})).json()

    assert summary["amount_fen"] == 0
    assert summary["order_count"] == 1  # an order was placed and paid
    assert (summary["county_count"], summary["cooperative_count"]) == (0, 0)
    assert summary["households_supported"] == 0


async def test_pairings_report_amount_orders_and_counties_per_pairing(
    client: httpx.AsyncClient, database: Database
) -> None:
    history = await build_history(database)

    response = await client.get("/api/v1/impact/pairings", params={"year": 2026})

    assert response.status_code == 200
    items = response.json()["items"]
    assert [
        (i["pairing"]["id"], i["amount_fen"], i["order_count"], i["county_count"]) for i in items
    ] == [
        (history.counterpart, 10000, 1, 1),
        (history.east_west, 3000, 1, 1),
    ]
    east_west = items[1]["pairing"]
    assert east_west["kind"] == "east_west"
    assert east_west["helper"] == {
        "kind": "province",
        "code": GUANGDONG,
        "id": None,
        "name": "广东省",
    }
    assert east_west["helped"] == {"kind": "province", "code": GUIZHOU, "name": "贵州省"}
    assert items[0]["pairing"]["areas"][0]["kind"] == "county"


async def test_pairings_filter_by_kind_and_by_province(
    client: httpx.AsyncClient, database: Database
) -> None:
    history = await build_history(database)

    by_kind = await client.get(
        "/api/v1/impact/pairings", params={"year": 2026, "kind": "counterpart_support"}
    )
    by_province = await client.get(
        "/api/v1/impact/pairings", params={"year": 2026, "province": GUIZHOU}
    )

    assert [i["pairing"]["id"] for i in by_kind.json()["items"]] == [history.counterpart]
    items = by_province.json()["items"]
    assert items[0]["pairing"]["id"] == history.east_west
    # Every pairing of the province is listed, bought from or not.
    assert all(
        GUIZHOU in (i["pairing"]["helper"]["code"], i["pairing"]["helped"]["code"]) for i in items
    )
    assert all(i["amount_fen"] == 0 for i in items[1:])


async def test_a_county_report_has_twelve_months_and_its_buyer_provinces(
    client: httpx.AsyncClient, database: Database
) -> None:
    await build_history(database)

    response = await client.get(f"/api/v1/impact/counties/{SANDU}", params={"year": 2026})

    assert response.status_code == 200
    body = response.json()
    assert (body["code"], body["name"], body["province_name"]) == (
        SANDU,
        "三都水族自治县",
        "贵州省",
    )
    assert body["amount_fen"] == 3000 + 5000 - 2000
    assert [(m["month"], m["amount_fen"]) for m in body["by_month"]] == [
        (1, 0), (2, 0), (3, 3000), (4, 0), (5, 0), (6, 0),
        (7, 5000), (8, -2000), (9, 0), (10, 0), (11, 0), (12, 0),
    ]  # fmt: skip
    assert [(p["code"], p["name"], p["amount_fen"]) for p in body["by_buyer_province"]] == [
        (SHANGHAI, "上海市", 3000),  # a tie: by code
        (GUANGDONG, "广东省", 3000),
    ]


@pytest.mark.parametrize("code", ["999999", "abc", "52273", "5227321", "５２２７３２", "52%2073"])
async def test_an_unknown_county_answers_404(client: httpx.AsyncClient, code: str) -> None:
    response = await client.get(f"/api/v1/impact/counties/{code}", params={"year": 2026})

    assert_error(response, 404, "county_not_found")


async def test_an_organisation_sees_its_progress_against_its_target(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    history = await build_history(database)
    member = await create_user(database, roles=[(Role.ORG_BUYER, history.organization, None)])

    response = await client.get(
        f"/api/v1/impact/organizations/{history.organization}",
        params={"year": 2026},
        headers=token_headers(member),
    )

    assert response.status_code == 200
    assert response.json() == {
        "organization_id": history.organization,
        "name": "徐汇区机关食堂",
        "year": 2026,
        "target_fen": 150_000,  # 1 000 000 × 15 %
        "purchased_fen": 3000,
        "progress": 0.02,
        "progress_bp": 200,
        "order_count": 1,
        "by_county": [
            {
                "code": SANDU,
                "name": "三都水族自治县",
                "province_name": "贵州省",
                "amount_fen": 3000,
                "order_count": 1,
            }
        ],
    }


async def test_an_organisation_without_a_target_has_no_progress(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    history = await build_history(database)
    admin = await create_user(database, roles=[(Role.ORG_ADMIN, history.organization, None)])

    response = await client.get(
        f"/api/v1/impact/organizations/{history.organization}",
        params={"year": 2027},
        headers=token_headers(admin),
    )

    body = response.json()
    assert (body["target_fen"], body["progress"], body["progress_bp"]) == (None, None, None)
    assert body["purchased_fen"] == 0


@pytest.mark.parametrize(
    ("roles", "visible"),
    [
        ([(Role.OPERATOR, None, None)], True),
        ([(Role.REGIONAL_OFFICIAL, None, SHANGHAI)], True),
        ([(Role.REGIONAL_OFFICIAL, None, GUANGDONG)], False),
        ([(Role.CONSUMER, None, None)], False),
        ([(Role.SUPPLIER_ADMIN, 1, None)], False),
        ([(Role.ORG_ADMIN, "OTHER", None)], False),
    ],
)
async def test_an_organisation_report_is_404_for_everyone_else(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    roles: list[tuple[Role, object, str | None]],
    visible: bool,
) -> None:
    history = await build_history(database)
    other = await create_organization(database)
    scoped = [
        (role, other if scope == "OTHER" else scope if isinstance(scope, int) else None, code)
        for role, scope, code in roles
    ]
    user = await create_user(database, roles=scoped)

    response = await client.get(
        f"/api/v1/impact/organizations/{history.organization}",
        params={"year": 2026},
        headers=token_headers(user),
    )

    if visible:
        assert response.status_code == 200
        assert response.json()["purchased_fen"] == 3000
    else:
        error = assert_error(response, 404, "organization_not_found")
        assert "3000" not in response.text and error["fields"] == {}


async def test_an_organisation_report_needs_a_token(
    client: httpx.AsyncClient, database: Database
) -> None:
    history = await build_history(database)

    response = await client.get(f"/api/v1/impact/organizations/{history.organization}")

    assert_error(response, 401, "unauthorized")


@pytest.mark.parametrize("organization_id", ["0", "-1", "999999999", "9223372036854775808"])
async def test_an_unknown_organisation_answers_404(
    app: FastAPI, client: httpx.AsyncClient, database: Database, organization_id: str
) -> None:
    operator = await create_user(database, roles=[(Role.OPERATOR, None, None)])

    response = await client.get(
        f"/api/v1/impact/organizations/{organization_id}", headers=token_headers(operator)
    )

    assert_error(response, 404, "organization_not_found")


REPORT_PATHS = [
    "/api/v1/impact/summary",
    "/api/v1/impact/pairings",
    "/api/v1/impact/pairings.csv",
    "/api/v1/impact/pairings.xlsx",
    f"/api/v1/impact/counties/{SANDU}",
]


@pytest.mark.parametrize("path", REPORT_PATHS)
@pytest.mark.parametrize("year", ["abc", "1999", "2101", "２０２６"])
async def test_a_bad_year_answers_422_on_every_report(
    client: httpx.AsyncClient, path: str, year: str
) -> None:
    response = await client.get(path, params={"year": year})

    error = assert_error(response, 422, "validation_failed")
    assert "year" in error["fields"]


async def test_a_bad_year_answers_422_on_the_organisation_report(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    history = await build_history(database)
    operator = await create_user(database, roles=[(Role.OPERATOR, None, None)])

    response = await client.get(
        f"/api/v1/impact/organizations/{history.organization}",
        params={"year": "1999"},
        headers=token_headers(operator),
    )

    error = assert_error(response, 422, "validation_failed")
    assert "year" in error["fields"]


@pytest.mark.parametrize(
    ("params", "status", "code", "field"),
    [
        ({"kind": "friendship"}, 422, "validation_failed", "kind"),
        ({"province": "44"}, 422, "validation_failed", "province"),
        ({"province": "44000a"}, 422, "validation_failed", "province"),
        ({"province": "990000"}, 422, "unknown_province", "province"),
    ],
)
async def test_bad_pairing_filters_answer_422(
    client: httpx.AsyncClient,
    params: dict[str, str],
    status: int,
    code: str,
    field: str,
) -> None:
    for path in ("/api/v1/impact/pairings", "/api/v1/impact/pairings.csv"):
        response = await client.get(path, params=params)

        error = assert_error(response, status, code)
        assert field in error["fields"]


async def test_the_csv_export_has_chinese_headers_and_a_totals_row(
    client: httpx.AsyncClient, database: Database
) -> None:
    history = await build_history(database)

    response = await client.get("/api/v1/impact/pairings.csv", params={"year": 2026})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "fengshou-impact-pairings-2026.csv" in response.headers["content-disposition"]
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "帮扶关系编号",
        "帮扶类型",
        "帮扶方",
        "受帮扶省份",
        "受帮扶地区",
        "帮扶金额（元）",
        "帮扶金额（分）",
        "订单数",
        "受益县数",
    ]
    assert rows[1][:2] == [str(history.counterpart), "对口支援"]
    assert rows[1][5:] == ["100.00", "10000", "1", "1"]
    assert rows[2] == [
        str(history.east_west),
        "东西部协作",
        "广东省",
        "贵州省",
        "全省",
        "30.00",
        "3000",
        "1",
        "1",
    ]
    assert rows[-1] == ["合计", "", "", "", "", "130.00", "13000", "", ""]
    assert len(rows) == 4


async def test_the_xlsx_export_has_chinese_headers_and_a_totals_row(
    client: httpx.AsyncClient, database: Database
) -> None:
    history = await build_history(database)

    response = await client.get("/api/v1/impact/pairings.xlsx", params={"year": 2026})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "帮扶关系编号" and rows[0][6] == "帮扶金额（分）"
    assert rows[2][:3] == [history.east_west, "东西部协作", "广东省"]
    assert rows[2][6] == 3000 and float(rows[2][5]) == 30.0
    assert rows[-1][0] == "合计" and rows[-1][6] == 13000
    assert sheet.title == "2026年帮扶关系"
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.bold and sheet.cell(len(rows), 1).font.bold
    assert not sheet["A3"].font.bold
    assert sheet["F3"].number_format == "#,##0.00"
    assert sheet.column_dimensions["E"].width > sheet.column_dimensions["H"].width


async def test_an_empty_year_exports_only_headers_and_a_zero_total(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/impact/pairings.csv", params={"year": 2001})

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 2
    assert rows[-1][0] == "合计" and rows[-1][6] == "0"


async def test_a_helper_name_that_looks_like_a_formula_is_exported_as_text(
    client: httpx.AsyncClient, database: Database
) -> None:
    from app.regions.models import PairingKind
    from tests.impact.factories import create_pairing

    organization = await create_organization(database, name='=HYPERLINK("x")')
    await create_pairing(
        database,
        kind=PairingKind.DESIGNATED,
        helper_organization_id=organization,
        helped_province=GUIZHOU,
        counties=[SANDU],
    )
    seller = await create_seller(database, county_code=SANDU)
    buyer = await create_user(database)
    await paid_order(
        database,
        buyer_user_id=buyer,
        lines=[Line(seller, 1, 100)],
        buyer_province_code=SHANGHAI,
        organization_id=organization,
        buyer_kind=BuyerKind.GOVERNMENT,
        paid_at=datetime(2026, 2, 1, tzinfo=UTC),
    )

    response = await client.get("/api/v1/impact/pairings.csv", params={"year": 2026})

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][2] == '\'=HYPERLINK("x")'


async def test_the_openapi_document_describes_the_impact_routes(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]

    for path in (
        "/api/v1/impact/summary",
        "/api/v1/impact/pairings",
        "/api/v1/impact/pairings.csv",
        "/api/v1/impact/pairings.xlsx",
        "/api/v1/impact/counties/{code}",
        "/api/v1/impact/organizations/{organization_id}",
        "/api/v1/admin/organizations/{organization_id}/designated-counties",
    ):
        assert path in paths, path
    summary = paths["/api/v1/impact/summary"]["get"]["responses"]["200"]
    assert summary["content"]["application/json"]["schema"]["$ref"].endswith("ImpactSummary")
