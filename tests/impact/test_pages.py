"""The impact pages: the public dashboard (numbers readable without JavaScript, charts from the
vendored ECharts), a province's page for its officials, a supplier's buyers, the county box."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import httpx
import pytest

from app.account.models import Role
from app.core.db import Database, unit_of_work
from app.impact.errors import CountyNotFound
from app.impact.schemas import CountyTotals, ProvinceAmount
from app.web.static import static_url
from app.web.templating import templates
from tests.account.factories import create_user, sign_in_page
from tests.catalog.factories import create_seller
from tests.impact.factories import (
    GUANGDONG,
    GUIZHOU,
    SANDU,
    SHANGHAI,
    Line,
    build_history,
    paid_order,
)


async def _sign_in(
    client: httpx.AsyncClient,
    database: Database,
    roles: Sequence[tuple[Role, int | None, str | None]] = (),
) -> int:
    """A user with a real password and these scoped roles, signed in through /login."""
    email = f"page-{uuid.uuid4().hex[:8]}@example.com"
    user_id = await create_user(
        database, email=email, display_name="页面用户", roles=(Role.CONSUMER, *roles)
    )
    response = await sign_in_page(client, email)
    assert response.status_code == 303, response.text
    return user_id


def _table(html: str, table_id: str) -> str:
    match = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
    assert match is not None, f"no table {table_id}"
    return match.group(0)


async def test_the_dashboard_shows_the_years_totals_in_tables(
    client: httpx.AsyncClient, database: Database
) -> None:
    await build_history(database)

    response = await client.get("/impact", params={"year": 2026})

    assert response.status_code == 200
    html = response.text
    assert "2026 年消费帮扶成效" in html
    assert "¥160.00" in html  # 3 000 + 10 000 + 5 000 − 2 000 fen
    pairings = _table(html, "pairings-table")
    assert "东西部协作" in pairings and "对口支援" in pairings
    assert "¥30.00" in pairings and "¥100.00" in pairings
    months = _table(html, "months-table")
    assert months.count("<tr>") == 13  # header and twelve months
    assert "-¥20.00" in months  # August: the refund
    counties = _table(html, "counties-table")
    assert "三都水族自治县" in counties and "疏附县" in counties
    assert f'href="/counties/{SANDU}"' in counties
    provinces = _table(html, "provinces-table")
    assert "贵州省" in provinces and "新疆维吾尔自治区" in provinces
    buyers = _table(html, "buyers-table")
    assert "个人消费者" in buyers and "党政机关" in buyers
    # Charts: the page script, which fetches the vendored library when a chart comes near the
    # screen, and the same numbers as data.
    library, script = static_url("vendor/echarts/echarts.custom.min.js"), static_url("js/impact.js")
    assert f'<script src="{script}" defer data-echarts="{library}"></script>' in html
    assert 'data-chart="hbar"' in html and 'data-chart="line"' in html
    assert "data-values='[10000, 3000]'" in html
    assert 'aria-describedby="pairings-table"' in html
    assert "/api/v1/impact/pairings.csv?year=2026" in html


async def test_the_dashboard_of_an_empty_year_says_so(client: httpx.AsyncClient) -> None:
    response = await client.get("/impact", params={"year": 2005})

    assert response.status_code == 200
    assert "本年度暂无帮扶记录。" in response.text
    assert "¥0.00" in response.text


async def test_the_dashboard_renders_in_english(
    client: httpx.AsyncClient, database: Database
) -> None:
    await build_history(database)

    response = await client.get("/impact", params={"year": 2026, "lang": "en"})

    assert response.status_code == 200
    assert '<html lang="en">' in response.text


@pytest.mark.parametrize("year", ["abc", "1999", "2101"])
async def test_a_bad_year_on_a_page_answers_422(client: httpx.AsyncClient, year: str) -> None:
    response = await client.get("/impact", params={"year": year})

    assert response.status_code == 422
    assert "text/html" in response.headers["content-type"]
    assert "year" in response.text


async def test_the_vendored_chart_library_and_script_are_served(client: httpx.AsyncClient) -> None:
    library = await client.get(static_url("vendor/echarts/echarts.custom.min.js"))
    script = await client.get(static_url("js/impact.js"))

    assert library.status_code == 200 and b"echarts" in library.content[:2000]
    assert script.status_code == 200 and b"data-chart" in script.content


async def test_the_region_page_needs_sign_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/impact/region")

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


async def test_the_region_page_is_403_for_a_consumer(
    client: httpx.AsyncClient, database: Database
) -> None:
    await _sign_in(client, database, [(Role.CONSUMER, None, None)])

    response = await client.get("/impact/region")

    assert response.status_code == 403


async def test_an_official_sees_the_pairings_and_counties_of_their_province(
    client: httpx.AsyncClient, database: Database
) -> None:
    await build_history(database)
    await _sign_in(client, database, [(Role.REGIONAL_OFFICIAL, None, GUIZHOU)])

    response = await client.get("/impact/region", params={"year": 2026})

    assert response.status_code == 200
    html = response.text
    assert "贵州省 2026 年帮扶成效" in html
    pairings = _table(html, "pairings-table")
    assert "广东省" in pairings and "¥30.00" in pairings
    counties = _table(html, "counties-table")
    assert "三都水族自治县" in counties and "¥60.00" in counties
    assert "疏附县" not in counties  # 新疆, not theirs
    buyers = _table(html, "buyers-table")
    assert "广东省" in buyers and "上海市" in buyers
    assert f"/api/v1/impact/pairings.xlsx?year=2026&amp;province={GUIZHOU}" in html


async def test_an_official_sees_what_their_provinces_buyers_bought(
    client: httpx.AsyncClient, database: Database
) -> None:
    await build_history(database)
    await _sign_in(client, database, [(Role.REGIONAL_OFFICIAL, None, GUANGDONG)])

    response = await client.get("/impact/region", params={"year": 2026})

    helped = _table(response.text, "helped-table")
    assert "三都水族自治县" in helped and "疏附县" in helped


async def test_another_province_is_404_for_an_official_but_open_to_operators(
    client: httpx.AsyncClient, database: Database
) -> None:
    await build_history(database)
    await _sign_in(client, database, [(Role.REGIONAL_OFFICIAL, None, GUIZHOU)])

    other = await client.get("/impact/region", params={"province": SHANGHAI})

    assert other.status_code == 404
    client.cookies.clear()
    await _sign_in(client, database, [(Role.OPERATOR, None, None)])
    as_operator = await client.get("/impact/region", params={"province": SHANGHAI, "year": 2026})
    assert as_operator.status_code == 200
    assert "上海市 2026 年帮扶成效" in as_operator.text


async def test_a_supplier_member_sees_where_its_buyers_are(
    client: httpx.AsyncClient, database: Database
) -> None:
    seller = await create_seller(database, county_code=SANDU)
    buyer = await create_user(database)
    for province, amount in ((GUANGDONG, 7000), (SHANGHAI, 2500), (GUANGDONG, 500)):
        await paid_order(
            database,
            buyer_user_id=buyer,
            lines=[Line(seller, 1, amount)],
            buyer_province_code=province,
            paid_at=datetime(2026, 9, 1, tzinfo=UTC),
        )
    await _sign_in(client, database, [(Role.SUPPLIER_MEMBER, seller.cooperative_id, None)])

    response = await client.get(f"/coop/{seller.cooperative_id}/impact", params={"year": 2026})

    assert response.status_code == 200
    buyers = _table(response.text, "buyers-table")
    rows = re.findall(r'<th scope="row">(.*?)</th>\s*<td class="num">(.*?)</td>', buyers)
    assert rows == [("广东省", "¥75.00"), ("上海市", "¥25.00")]
    assert "¥100.00" in response.text


async def test_another_suppliers_buyers_are_404(
    client: httpx.AsyncClient, database: Database
) -> None:
    seller = await create_seller(database, county_code=SANDU)
    other = await create_seller(database, county_code=SANDU)
    await _sign_in(client, database, [(Role.SUPPLIER_ADMIN, other.cooperative_id, None)])

    response = await client.get(f"/coop/{seller.cooperative_id}/impact")

    assert response.status_code == 404


async def test_the_supplier_page_needs_sign_in(
    client: httpx.AsyncClient, database: Database
) -> None:
    seller = await create_seller(database, county_code=SANDU)

    response = await client.get(f"/coop/{seller.cooperative_id}/impact")

    assert response.status_code == 303


async def test_the_county_box_partial_renders_totals_and_buyer_provinces() -> None:
    totals = CountyTotals(
        code=SANDU,
        year=2026,
        amount_fen=123456,
        order_count=7,
        top_buyer_provinces=[ProvinceAmount(code=GUANGDONG, name="广东省", amount_fen=100000)],
    )

    html = templates.env.get_template("impact/_county_totals.html").render(county_totals=totals)

    assert "本县消费帮扶成效" in html and "2026 年帮扶金额" in html
    assert "¥1,234.56" in html and "广东省" in html and "¥1,000.00" in html


async def test_the_county_box_service_reads_the_rollups(database: Database) -> None:
    from app.impact.reports import county_totals

    await build_history(database)
    async with unit_of_work(database.reader) as session:
        totals = await county_totals(session, SANDU, 2026)
        quiet = await county_totals(session, "520402", 2026)  # 西秀区: nothing bought
        for unknown in ("abc", "999999"):
            with pytest.raises(CountyNotFound):
                await county_totals(session, unknown, 2026)

    assert (totals.amount_fen, totals.order_count) == (6000, 2)
    # To date: 2026's 60.00 and the 20.00 paid on 2027-01-01 China time.
    assert (totals.to_date_fen, totals.to_date_order_count) == (8000, 3)
    assert [p.code for p in totals.top_buyer_provinces] == [SHANGHAI, GUANGDONG]
    assert (quiet.amount_fen, quiet.top_buyer_provinces, quiet.to_date_fen) == (0, [], 0)


async def test_the_county_box_fragment_serves_pages_of_other_domains(
    client: httpx.AsyncClient, database: Database
) -> None:
    await build_history(database)

    response = await client.get(f"/impact/counties/{SANDU}/box", params={"year": 2026})
    unknown = await client.get("/impact/counties/999999/box")
    bad_year = await client.get(f"/impact/counties/{SANDU}/box", params={"year": "x"})

    assert response.status_code == 200
    assert "<html" not in response.text  # a fragment, not a page
    assert "2026 年帮扶金额" in response.text and "¥60.00" in response.text
    assert "累计帮扶金额" in response.text and "¥80.00" in response.text
    assert unknown.status_code == 404
    assert bad_year.status_code == 422


async def test_the_county_page_loads_the_county_box(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/counties/{SANDU}")

    assert response.status_code == 200
    assert f'data-impact-box="/impact/counties/{SANDU}/box"' in response.text
    assert re.search(r'src="/static/js/impact\.[0-9a-f]{12}\.js"', response.text)
    # Without JavaScript the placeholder still leads to the figures.
    assert 'href="/impact"' in response.text


async def test_the_dashboard_shows_the_signed_in_user_and_how_purchases_are_attributed(
    client: httpx.AsyncClient, database: Database
) -> None:
    await _sign_in(client, database)

    response = await client.get("/impact")

    assert response.status_code == 200
    html = response.text
    assert "页面用户" in html and "退出" in html
    assert 'href="/login"' not in html
    assert 'id="impact-attribution"' in html and "东西部协作或对口支援" in html
    assert 'href="/account/impact"' in html
