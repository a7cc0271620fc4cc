"""Key-assistance monitoring (乡村振兴重点帮扶县): the summary's share, the list of every
key-assistance county with the ones nothing was bought from, its exports, the /impact panel and
a province's panel for its officials; bad inputs answer the contract's errors."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, datetime

import httpx
from openpyxl import load_workbook  # type: ignore[import-untyped]

from app.account.models import Role
from app.config import PROJECT_ROOT
from app.core.db import Database
from tests.account.factories import create_user, sign_in_page
from tests.catalog.factories import create_seller
from tests.http_assertions import assert_error
from tests.impact.factories import GUANGDONG, GUIZHOU, SANDU, Line, build_history, paid_order

REFERENCE = PROJECT_ROOT / "data" / "reference" / "key_assistance_counties_160.csv"


def _reference_codes(province_prefix: str = "") -> set[str]:
    with REFERENCE.open(encoding="utf-8") as handle:
        return {
            row["code"] for row in csv.DictReader(handle) if row["code"].startswith(province_prefix)
        }


async def test_every_key_assistance_county_is_listed_and_those_without_purchases_named(
    client: httpx.AsyncClient, database: Database
) -> None:
    await build_history(database)

    response = await client.get("/api/v1/impact/key-assistance", params={"year": 2026})

    assert response.status_code == 200
    body = response.json()
    codes = {item["code"] for item in body["items"]}
    assert codes == _reference_codes()
    sandu = next(item for item in body["items"] if item["code"] == SANDU)
    assert sandu == {
        "code": SANDU,
        "name": "三都水族自治县",
        "province_name": "贵州省",
        "amount_fen": 3000 + 5000 - 2000,
        "order_count": 2,
    }
    without = {county["code"] for county in body["without_purchases"]}
    assert without == codes - {SANDU}
    assert set(body["without_purchases"][0]) == {"code", "name", "province_name"}
    assert (body["amount_fen"], body["order_count"]) == (6000, 2)
    # March: 3 000 of 13 000 (疏附 is not a key-assistance county); July: all of it; August:
    # a refund of 2 000 of key-assistance goods, of a total of -2 000.
    months = {m["month"]: m for m in body["by_month"]}
    assert (months[3]["amount_fen"], months[3]["total_fen"], months[3]["share_bp"]) == (
        3000,
        13000,
        2307,
    )
    assert months[7]["share_bp"] == 10000
    assert months[8]["amount_fen"] == -2000
    assert months[1]["share_bp"] is None  # nothing at all bought in January


async def test_the_next_year_has_its_own_list(
    client: httpx.AsyncClient, database: Database
) -> None:
    await build_history(database)

    body = (await client.get("/api/v1/impact/key-assistance", params={"year": 2027})).json()

    sandu = next(item for item in body["items"] if item["code"] == SANDU)
    assert (sandu["amount_fen"], sandu["order_count"]) == (2000, 1)
    assert SANDU not in {c["code"] for c in body["without_purchases"]}
    empty = (await client.get("/api/v1/impact/key-assistance", params={"year": 2030})).json()
    assert len(empty["without_purchases"]) == len(empty["items"]) == len(_reference_codes())


async def test_a_province_lists_its_own_key_assistance_counties(
    client: httpx.AsyncClient, database: Database
) -> None:
    await build_history(database)

    body = (
        await client.get(
            "/api/v1/impact/key-assistance", params={"year": 2026, "province": GUIZHOU}
        )
    ).json()

    assert {item["code"] for item in body["items"]} == _reference_codes("52")
    assert body["province"] == GUIZHOU
    assert body["amount_fen"] == 6000


async def test_bad_inputs_are_refused(client: httpx.AsyncClient) -> None:
    assert_error(
        await client.get("/api/v1/impact/key-assistance", params={"province": "990000"}),
        422,
        "unknown_province",
    )
    for params in (
        {"year": "next"},
        {"year": 1900},
        {"province": "52"},
        {"province": "５２００００"},
    ):
        assert_error(
            await client.get("/api/v1/impact/key-assistance", params=params),
            422,
            "validation_failed",
        )
    assert_error(
        await client.get("/api/v1/impact/key-assistance.csv", params={"province": "990000"}),
        422,
        "unknown_province",
    )


async def test_the_list_exports_as_csv_and_xlsx(
    client: httpx.AsyncClient, database: Database
) -> None:
    await build_history(database)

    response = await client.get("/api/v1/impact/key-assistance.csv", params={"year": 2026})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "fengshou-key-assistance-2026.csv" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["县代码", "县", "省份"]
    by_code = {row[0]: row for row in rows[1:-1]}
    assert set(by_code) == _reference_codes()
    assert by_code[SANDU][3:] == ["60.00", "6000", "2", "有"]
    assert rows[-1][0] == "合计" and rows[-1][4] == "6000"

    xlsx = await client.get(
        "/api/v1/impact/key-assistance.xlsx", params={"year": 2026, "province": GUIZHOU}
    )
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "县代码"
    assert {row[0] for row in values[1:-1]} == _reference_codes("52")
    sandu = next(row for row in values if row[0] == SANDU)
    assert sandu[4:6] == (6000, 2)


async def test_the_dashboard_shows_the_share_and_the_sortable_list(
    client: httpx.AsyncClient, database: Database
) -> None:
    await build_history(database)

    html = (await client.get("/impact", params={"year": 2026})).text

    assert 'id="key-assistance"' in html
    table = re.search(r'<table[^>]*id="key-assistance-table".*?</table>', html, re.S)
    assert table is not None and "data-sortable" in table.group(0)
    assert "三都水族自治县" in table.group(0) and "¥60.00" in table.group(0)
    without = re.search(r'<ul[^>]*id="key-assistance-without".*?</ul>', html, re.S)
    assert without is not None
    assert "三都水族自治县" not in without.group(0) and "巴林左旗" in without.group(0)
    assert 'data-chart="share"' in html
    assert "/api/v1/impact/key-assistance.xlsx?year=2026" in html


async def test_an_official_sees_their_provinces_key_assistance_counties(
    client: httpx.AsyncClient, database: Database
) -> None:
    await build_history(database)
    email = f"official-{uuid.uuid4().hex[:8]}@example.com"
    await create_user(
        database, email=email, roles=(Role.CONSUMER, (Role.REGIONAL_OFFICIAL, None, GUIZHOU))
    )
    assert (await sign_in_page(client, email)).status_code == 303

    html = (await client.get("/impact/region", params={"year": 2026})).text

    table = re.search(r'<table[^>]*id="key-assistance-table".*?</table>', html, re.S)
    assert table is not None
    rows = re.findall(r'href="/counties/(\d{6})"', table.group(0))
    assert set(rows) == _reference_codes("52")
    assert f"/api/v1/impact/key-assistance.csv?year=2026&amp;province={GUIZHOU}" in html


async def test_a_payment_moves_a_county_off_the_without_list(
    client: httpx.AsyncClient, database: Database
) -> None:
    county = "150422"  # 巴林左旗, 内蒙古: a key-assistance county
    seller = await create_seller(database, county_code=county)
    before = (await client.get("/api/v1/impact/key-assistance", params={"year": 2026})).json()
    assert county in {c["code"] for c in before["without_purchases"]}
    await paid_order(
        database,
        buyer_user_id=await create_user(database),
        lines=[Line(seller, 2, 1500)],
        buyer_province_code=GUANGDONG,
        paid_at=datetime(2026, 5, 1, tzinfo=UTC),
    )

    after = (await client.get("/api/v1/impact/key-assistance", params={"year": 2026})).json()

    assert county not in {c["code"] for c in after["without_purchases"]}
    summary = (await client.get("/api/v1/impact/summary", params={"year": 2026})).json()
    assert summary["key_assistance"] == {"amount_fen": 3000, "order_count": 1, "county_count": 1}
