"""我的帮扶: `GET /api/v1/me/impact` and `/account/impact`, the net goods of the caller's own paid
orders from the ledger (refunds netted, several counties, a province with no pairing, a year
filter), reconciled to the fen with the ledger entries; and what one order helps."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest

from app.core.db import Database, unit_of_work
from app.impact.purchases import order_impact
from tests.account.factories import create_user, sign_in_page, token_headers
from tests.catalog.factories import create_seller
from tests.http_assertions import assert_error
from tests.impact.factories import (
    GUANGDONG,
    GUIZHOU,
    HETIAN,
    SANDU,
    SHUFU,
    XINJIANG,
    Line,
    create_order,
    entries,
    paid_order,
    reference_pairing_id,
    refund,
)


@dataclass(frozen=True)
class Purchases:
    buyer: int
    email: str
    first_order: int
    paid_orders: frozenset[int]
    pending_order: int
    east_west: int  # 广东 → 贵州
    counterpart: int  # 广东 → 新疆 (疏附县 among its counties; 和田县 not)


async def _purchases(database: Database) -> Purchases:
    """A 广东 buyer: order A paid 2026-03-10 (三都 3 × 10.00, 疏附 2 × 50.00, 和田 1 × 40.00);
    one 三都 unit refunded 2026-04-01, one 疏附 unit refunded 2027-01-15; order B paid at
    2026-12-31 17:00 UTC (2027 in China) for 三都 1 × 20.00; an unpaid order. Another buyer's
    paid order must never show."""
    sandu = await create_seller(database, county_code=SANDU, households_supported=12)
    shufu = await create_seller(database, county_code=SHUFU, households_supported=30)
    hetian = await create_seller(database, county_code=HETIAN, households_supported=7)
    email = f"mine-{uuid.uuid4().hex[:8]}@example.com"
    buyer = await create_user(database, email=email)
    other = await create_user(database)
    first = await paid_order(
        database,
        buyer_user_id=buyer,
        lines=[Line(sandu, 3, 1000), Line(shufu, 2, 5000), Line(hetian, 1, 4000)],
        buyer_province_code=GUANGDONG,
        paid_at=datetime(2026, 3, 10, 2, 0, tzinfo=UTC),
    )
    await refund(database, first.id, [(first.line_ids[0], 1)], at=datetime(2026, 4, 1, tzinfo=UTC))
    await refund(database, first.id, [(first.line_ids[1], 1)], at=datetime(2027, 1, 15, tzinfo=UTC))
    second = await paid_order(
        database,
        buyer_user_id=buyer,
        lines=[Line(sandu, 1, 2000)],
        buyer_province_code=GUANGDONG,
        paid_at=datetime(2026, 12, 31, 17, 0, tzinfo=UTC),
    )
    pending = await create_order(
        database, buyer_user_id=buyer, lines=[Line(shufu, 1, 5000)], buyer_province_code=GUANGDONG
    )
    await paid_order(
        database,
        buyer_user_id=other,
        lines=[Line(sandu, 1, 9900)],
        buyer_province_code=GUANGDONG,
        paid_at=datetime(2026, 5, 1, tzinfo=UTC),
    )
    return Purchases(
        buyer=buyer,
        email=email,
        first_order=first.id,
        paid_orders=frozenset({first.id, second.id}),
        pending_order=pending.id,
        east_west=await reference_pairing_id(database, f"east_west:{GUANGDONG}:{GUIZHOU}"),
        counterpart=await reference_pairing_id(
            database, f"counterpart_support:{GUANGDONG}:{XINJIANG}"
        ),
    )


async def _ledger_net(database: Database, order_ids: frozenset[int], year: int | None) -> int:
    """The same sum taken straight from the ledger entries."""
    return sum(
        e.amount_fen
        for e in await entries(database)
        if e.order_id in order_ids and (year is None or e.period_year == year)
    )


def _counties(body: dict[str, object]) -> list[tuple[str, int, int]]:
    rows = body["by_county"]
    assert isinstance(rows, list)
    return [(c["code"], c["amount_fen"], c["households_supported"]) for c in rows]


def _pairings(body: dict[str, object]) -> list[tuple[int, int]]:
    rows = body["by_pairing"]
    assert isinstance(rows, list)
    return [(p["pairing"]["id"], p["amount_fen"]) for p in rows]


async def test_every_year_nets_refunds_per_county_and_pairing(
    client: httpx.AsyncClient, database: Database
) -> None:
    mine = await _purchases(database)

    response = await client.get("/api/v1/me/impact", headers=token_headers(mine.buyer))

    assert response.status_code == 200
    body = response.json()
    assert body["year"] is None
    assert body["years"] == [2027, 2026]
    # 30 + 100 + 40 − 10 − 50 + 20 yuan: the unpaid order and the other buyer's never count.
    assert body["amount_fen"] == 13000
    assert body["order_count"] == 2
    assert body["households_supported"] == 12 + 30 + 7
    assert _counties(body) == [(SHUFU, 5000, 30), (SANDU, 4000, 12), (HETIAN, 4000, 7)]
    county = body["by_county"][0]
    assert (county["name"], county["province_name"]) == ("疏附县", "新疆维吾尔自治区")
    # 和田县 is helped by 北京, not by the buyer's 广东: its 40.00 counts for no pairing.
    assert _pairings(body) == [(mine.counterpart, 5000), (mine.east_west, 4000)]
    assert body["by_pairing"][1]["pairing"]["kind"] == "east_west"
    assert body["by_pairing"][1]["pairing"]["helper"]["name"] == "广东省"


@pytest.mark.parametrize(
    ("year", "amount", "orders", "households", "counties", "pairings"),
    [
        (
            2026,
            16000,
            1,
            49,
            [(SHUFU, 10000, 30), (HETIAN, 4000, 7), (SANDU, 2000, 12)],
            [("counterpart", 10000), ("east_west", 2000)],
        ),
        # The 疏附 refund of January 2027 leaves that county negative in 2027: shown, so that
        # the counties add up to the year's amount; its supplier's households no longer count.
        (
            2027,
            -3000,
            1,
            12,
            [(SANDU, 2000, 12), (SHUFU, -5000, 0)],
            [("east_west", 2000), ("counterpart", -5000)],
        ),
        (2025, 0, 0, 0, [], []),
    ],
)
async def test_a_year_takes_the_china_time_year_of_each_entry(
    client: httpx.AsyncClient,
    database: Database,
    year: int,
    amount: int,
    orders: int,
    households: int,
    counties: list[tuple[str, int, int]],
    pairings: list[tuple[str, int]],
) -> None:
    mine = await _purchases(database)
    ids = {"counterpart": mine.counterpart, "east_west": mine.east_west}

    response = await client.get(
        "/api/v1/me/impact", params={"year": year}, headers=token_headers(mine.buyer)
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["year"], body["amount_fen"], body["order_count"]) == (year, amount, orders)
    assert body["households_supported"] == households
    assert _counties(body) == counties
    assert _pairings(body) == [(ids[name], a) for name, a in pairings]


async def test_the_amounts_reconcile_with_the_ledger_to_the_fen(
    client: httpx.AsyncClient, database: Database
) -> None:
    mine = await _purchases(database)
    headers = token_headers(mine.buyer)

    for year in (None, 2026, 2027):
        params = {} if year is None else {"year": year}
        body = (await client.get("/api/v1/me/impact", params=params, headers=headers)).json()
        ledger = await _ledger_net(database, mine.paid_orders, year)
        assert ledger != 0
        assert body["amount_fen"] == ledger
        assert sum(c["amount_fen"] for c in body["by_county"]) == ledger


async def test_a_buyer_without_purchases_sees_zeros(
    client: httpx.AsyncClient, database: Database
) -> None:
    await _purchases(database)
    newcomer = await create_user(database)

    body = (await client.get("/api/v1/me/impact", headers=token_headers(newcomer))).json()

    assert body == {
        "year": None,
        "years": [],
        "amount_fen": 0,
        "order_count": 0,
        "households_supported": 0,
        "by_county": [],
        "by_pairing": [],
    }


async def test_signed_out_callers_get_401(client: httpx.AsyncClient) -> None:
    anonymous = await client.get("/api/v1/me/impact")
    bad_token = await client.get(
        "/api/v1/me/impact", headers={"Authorization": "Bearer not-a-token"}
    )

    assert_error(anonymous, 401, "unauthorized")
    assert_error(bad_token, 401, "unauthorized")


@pytest.mark.parametrize("year", ["1999", "2101", "abc", "", "2026.5", "２０２６"])
async def test_a_bad_year_answers_422(
    client: httpx.AsyncClient, database: Database, year: str
) -> None:
    user = await create_user(database)

    response = await client.get(
        "/api/v1/me/impact", params={"year": year}, headers=token_headers(user)
    )

    assert response.status_code == 422
    assert "year" in str(response.json()["error"]["fields"])


# ---------------------------------------------------------------------------------------------
# The page


async def test_the_page_lists_the_counties_and_pairings_of_every_year(
    client: httpx.AsyncClient, database: Database
) -> None:
    mine = await _purchases(database)
    assert (await sign_in_page(client, mine.email)).status_code == 303

    every = await client.get("/account/impact")
    chosen = await client.get("/account/impact", params={"year": "2026"})
    emptied = await client.get("/account/impact", params={"year": ""})

    assert every.status_code == 200
    html = every.text
    assert "我的帮扶" in html and "¥130.00" in html  # the total of every year
    assert "疏附县" in html and "和田县" in html and "三都水族自治县" in html
    assert "广东省 → 贵州省" in html
    assert 'id="impact-attribution"' in html
    assert '<option value="" selected>' in html and '<option value="2027">' in html
    assert chosen.status_code == 200
    assert '<option value="2026" selected>' in chosen.text and "¥160.00" in chosen.text
    assert emptied.status_code == 200 and "¥130.00" in emptied.text


@pytest.mark.parametrize("year", ["1999", "abc", "20266"])
async def test_the_page_refuses_a_bad_year(
    client: httpx.AsyncClient, database: Database, year: str
) -> None:
    email = f"bad-year-{uuid.uuid4().hex[:8]}@example.com"
    await create_user(database, email=email)
    await sign_in_page(client, email)

    response = await client.get("/account/impact", params={"year": year})

    assert response.status_code == 422


async def test_the_page_sends_a_signed_out_visitor_to_sign_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/account/impact")

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


async def test_the_header_and_the_account_page_link_to_it(
    client: httpx.AsyncClient, database: Database
) -> None:
    email = f"links-{uuid.uuid4().hex[:8]}@example.com"
    await create_user(database, email=email)
    await sign_in_page(client, email)

    for path in ("/account", "/orders", "/impact"):
        response = await client.get(path)
        assert response.status_code == 200
        assert 'href="/account/impact"' in response.text, path


# ---------------------------------------------------------------------------------------------
# One order


async def test_a_paid_orders_counties_and_pairings_come_from_the_ledger(
    database: Database,
) -> None:
    mine = await _purchases(database)

    async with unit_of_work(database.reader) as session:
        paid = await order_impact(session, order_id=mine.first_order)
        pending = await order_impact(session, order_id=mine.pending_order)

    assert paid is not None and paid.recorded
    assert [(c.code, c.amount_fen) for c in paid.counties] == [
        (SHUFU, 5000),
        (HETIAN, 4000),
        (SANDU, 2000),
    ]
    assert [(p.pairing.id, p.amount_fen) for p in paid.pairings] == [
        (mine.counterpart, 5000),
        (mine.east_west, 2000),
    ]
    # Not paid yet: what it would count for if paid today, by the same rule.
    assert pending is not None and not pending.recorded
    assert [(c.code, c.amount_fen, c.households_supported) for c in pending.counties] == [
        (SHUFU, 5000, 30)
    ]
    assert [(p.pairing.id, p.amount_fen) for p in pending.pairings] == [(mine.counterpart, 5000)]


async def test_the_order_page_says_which_counties_and_pairings_it_helps(
    client: httpx.AsyncClient, database: Database
) -> None:
    mine = await _purchases(database)
    await sign_in_page(client, mine.email)

    response = await client.get(f"/orders/{mine.first_order}")

    assert response.status_code == 200, response.text
    html = response.text
    assert 'id="order-impact"' in html and "这笔订单帮扶了" in html
    assert "疏附县" in html and "和田县" in html
    assert "广东省 → 新疆维吾尔自治区" in html and "广东省 → 贵州省" in html


async def test_the_page_speaks_english(client: httpx.AsyncClient, database: Database) -> None:
    mine = await _purchases(database)
    await sign_in_page(client, mine.email)

    response = await client.get("/account/impact", params={"lang": "en"})

    assert response.status_code == 200
    assert "My impact" in response.text and "All years" in response.text
    assert "我的帮扶" not in response.text
