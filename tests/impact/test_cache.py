"""The report cache: a report is served again until the ledger changes, a new sale or a refund
alone is seen by the next request, scoped reports are looked up only after the access check
and never answer for another organisation, province or supplier, and the cache is bounded."""

from __future__ import annotations

import asyncio
import csv
import io
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.account.models import Role, User
from app.cooperative.errors import CooperativeNotFound
from app.core.cache import Cache
from app.core.db import Database, unit_of_work
from app.impact import audience_reports, cache
from app.impact.errors import OrganizationNotFound, ProvinceNotFound
from app.order.models import BuyerKind
from tests.account.factories import create_user, token_headers
from tests.catalog.factories import Seller, create_seller
from tests.impact.factories import (
    GUANGDONG,
    GUIZHOU,
    SANDU,
    SHANGHAI,
    SHUFU,
    Line,
    PlacedOrder,
    paid_order,
    refund,
)
from tests.organization.factories import create_organization

PAID = datetime(2026, 5, 10, 4, 0, tzinfo=UTC)


def _cache(app: FastAPI) -> cache.ReportCache:
    return cache.report_cache(app.state.caches)


async def _stamp(database: Database) -> cache.Stamp:
    async with unit_of_work(database.reader) as session:
        return await cache.ledger_stamp(session)


async def _sale(
    database: Database, buyer: int, seller: Seller, quantity: int, price_fen: int, **extra: Any
) -> PlacedOrder:
    """A paid order of one line, bought from Guangdong on PAID unless `extra` says otherwise."""
    values: dict[str, Any] = {"buyer_province_code": GUANGDONG, "paid_at": PAID, **extra}
    return await paid_order(
        database, buyer_user_id=buyer, lines=[Line(seller, quantity, price_fen)], **values
    )


async def _user(database: Database, user_id: int) -> User:
    async with unit_of_work(database.reader) as session:
        user = await session.get(User, user_id)
        assert user is not None
        return user


async def test_a_report_is_served_from_the_cache_until_a_new_sale_is_committed(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    seller = await create_seller(database, county_code=SANDU)
    buyer = await create_user(database)
    await _sale(database, buyer, seller, 2, 5000)
    reports_cache = _cache(app)

    first = await client.get("/api/v1/impact/summary", params={"year": 2026})
    hits = reports_cache.hits
    again = await client.get("/api/v1/impact/summary", params={"year": 2026})

    assert reports_cache.hits == hits + 1
    assert again.content == first.content
    assert again.headers["content-type"] == "application/json"
    assert again.json()["amount_fen"] == 10000

    await _sale(database, buyer, seller, 1, 700)
    after = (await client.get("/api/v1/impact/summary", params={"year": 2026})).json()

    assert reports_cache.hits == hits + 1
    assert (after["amount_fen"], after["order_count"]) == (10700, 2)


async def test_a_refund_alone_changes_the_stamp_and_the_next_reports(
    client: httpx.AsyncClient, database: Database
) -> None:
    seller = await create_seller(database, county_code=SANDU)
    buyer = await create_user(database)
    order = await _sale(database, buyer, seller, 3, 1000)
    pairings = (await client.get("/api/v1/impact/pairings", params={"year": 2026})).json()
    exported = (await client.get("/api/v1/impact/pairings.csv", params={"year": 2026})).content
    page = (await client.get("/impact", params={"year": 2026})).text
    county = (await client.get(f"/api/v1/impact/counties/{SANDU}", params={"year": 2026})).json()
    before = await _stamp(database)
    assert "¥30.00" in page and county["amount_fen"] == 3000

    await refund(database, order.id, [(order.line_ids[0], 1)], at=PAID)

    assert await _stamp(database) != before
    new_pairings = (await client.get("/api/v1/impact/pairings", params={"year": 2026})).json()
    assert [i["amount_fen"] for i in new_pairings["items"]] == [
        i["amount_fen"] - 1000 for i in pairings["items"]
    ]
    new_export = (await client.get("/api/v1/impact/pairings.csv", params={"year": 2026})).content
    totals = list(csv.reader(io.StringIO(new_export.decode("utf-8-sig"))))[-1]
    assert totals[0] == "合计"
    assert (
        int(totals[6])
        == int(list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))[-1][6]) - 1000
    )
    assert "¥20.00" in (await client.get("/impact", params={"year": 2026})).text
    new_county = await client.get(f"/api/v1/impact/counties/{SANDU}", params={"year": 2026})
    assert new_county.json()["amount_fen"] == 2000


async def test_an_organisation_report_never_answers_for_another_organisation(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    seller = await create_seller(database, county_code=SANDU)
    first = await create_organization(database)
    second = await create_organization(database)
    for organization, amount in ((first, 4000), (second, 900)):
        buyer = await create_user(database, roles=[(Role.ORG_BUYER, organization, None)])
        await _sale(
            database,
            buyer,
            seller,
            1,
            amount,
            buyer_province_code=SHANGHAI,
            organization_id=organization,
            buyer_kind=BuyerKind.GOVERNMENT,
        )
    member_of_first = await create_user(database, roles=[(Role.ORG_BUYER, first, None)])
    member_of_second = await create_user(database, roles=[(Role.ORG_BUYER, second, None)])

    async def get(organization: int, user: int) -> httpx.Response:
        return await client.get(
            f"/api/v1/impact/organizations/{organization}",
            params={"year": 2026},
            headers=token_headers(user),
        )

    own_second = await get(second, member_of_second)
    own_first = await get(first, member_of_first)
    others = await get(second, member_of_first)
    hits = _cache(app).hits
    again = await get(first, member_of_first)

    assert _cache(app).hits == hits + 1
    assert again.content == own_first.content

    assert own_second.json()["purchased_fen"] == 900
    assert own_first.json()["purchased_fen"] == 4000
    assert (own_first.json()["organization_id"], own_second.json()["organization_id"]) == (
        first,
        second,
    )
    assert others.status_code == 404  # cached or not, the access check comes first


async def test_a_province_report_is_shared_by_its_viewers_but_not_their_choices(
    app: FastAPI, database: Database
) -> None:
    seller = await create_seller(database, county_code=SANDU)
    buyer = await create_user(database)
    await _sale(database, buyer, seller, 1, 3000)
    official = await _user(
        database, await create_user(database, roles=[(Role.REGIONAL_OFFICIAL, None, GUIZHOU)])
    )
    operator = await _user(
        database, await create_user(database, roles=[(Role.OPERATOR, None, None)])
    )

    reports_cache = _cache(app)
    async with unit_of_work(database.reader) as session:
        as_operator = await audience_reports.region_report(
            session, reports_cache, user=operator, province=GUIZHOU, year=2026
        )
        hits = reports_cache.hits
        as_official = await audience_reports.region_report(
            session, reports_cache, user=official, year=2026
        )
        assert reports_cache.hits == hits + 1
        with pytest.raises(ProvinceNotFound):
            await audience_reports.region_report(
                session, reports_cache, user=official, province=SHANGHAI, year=2026
            )
        shanghai = await audience_reports.region_report(
            session, reports_cache, user=operator, province=SHANGHAI, year=2026
        )

    assert [p.code for p in as_official.provinces] == [GUIZHOU]
    assert len(as_operator.provinces) > 30
    assert as_official.province.code == as_operator.province.code == GUIZHOU
    assert as_official.province.amount_fen == 3000
    assert shanghai.province.code == SHANGHAI and shanghai.province.amount_fen == 0


async def test_a_supplier_report_is_looked_up_only_for_its_members(
    app: FastAPI, database: Database
) -> None:
    mine = await create_seller(database, county_code=SANDU)
    theirs = await create_seller(database, county_code=SHUFU)
    buyer = await create_user(database)
    for seller, amount in ((mine, 1200), (theirs, 8800)):
        await _sale(database, buyer, seller, 1, amount)
    member = await _user(
        database,
        await create_user(database, roles=[(Role.SUPPLIER_MEMBER, mine.cooperative_id, None)]),
    )
    other = await _user(
        database,
        await create_user(database, roles=[(Role.SUPPLIER_MEMBER, theirs.cooperative_id, None)]),
    )

    reports_cache = _cache(app)
    async with unit_of_work(database.reader) as session:
        their_report = await audience_reports.cooperative_report(
            session, reports_cache, user=other, cooperative_id=theirs.cooperative_id, year=2026
        )
        my_report = await audience_reports.cooperative_report(
            session, reports_cache, user=member, cooperative_id=mine.cooperative_id, year=2026
        )
        with pytest.raises(CooperativeNotFound):
            await audience_reports.cooperative_report(
                session, reports_cache, user=member, cooperative_id=theirs.cooperative_id, year=2026
            )
        with pytest.raises(OrganizationNotFound):
            await audience_reports.organization_report(
                session, user=member, organization_id=1, year=2026
            )

    assert (their_report.cooperative_id, their_report.amount_fen) == (theirs.cooperative_id, 8800)
    assert (my_report.cooperative_id, my_report.amount_fen) == (mine.cooperative_id, 1200)


def _report_cache(
    max_entries: int = cache.MAX_ENTRIES, ttl: float = cache.TTL_SECONDS
) -> cache.ReportCache:
    return cache.ReportCache(
        Cache(replace(cache.REPORTS, max_entries=max_entries, ttl_seconds=ttl))
    )


def test_the_cache_is_bounded_and_forgets_the_least_recently_used() -> None:
    bounded = _report_cache(max_entries=3)
    for key in "abc":
        bounded.put(key, (1, 1), key.upper())
    assert bounded.get("a", (1, 1)) == (True, "A")  # now the most recently used

    bounded.put("d", (1, 1), "D")
    bounded.put("e", (1, 1), "E")

    assert len(bounded) == 3
    assert bounded.get("b", (1, 1)) == (False, None)
    assert bounded.get("c", (1, 1)) == (False, None)
    assert [bounded.get(k, (1, 1))[1] for k in "ade"] == ["A", "D", "E"]


def test_an_entry_answers_only_its_stamp_and_only_while_fresh() -> None:
    fresh = _report_cache(ttl=60)
    fresh.put("summary", (2, 500), "report")
    assert fresh.get("summary", (2, 500)) == (True, "report")
    assert fresh.get("summary", (3, 900)) == (False, None)

    stale = _report_cache(ttl=-1)
    stale.put("summary", (2, 500), "report")
    assert stale.get("summary", (2, 500)) == (False, None)


async def test_the_default_cache_is_bounded(app: FastAPI) -> None:
    assert _cache(app).max_entries == cache.MAX_ENTRIES <= 1024


async def test_the_dashboard_body_is_kept_per_language(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    seller = await create_seller(database, county_code=SANDU)
    buyer = await create_user(database)
    await _sale(database, buyer, seller, 1, 4200)
    reports_cache = _cache(app)

    chinese = await client.get("/impact", params={"year": 2026, "lang": "zh-CN"})
    english = await client.get("/impact", params={"year": 2026, "lang": "en"})
    hits = reports_cache.hits
    chinese_again = await client.get("/impact", params={"year": 2026, "lang": "zh-CN"})

    assert reports_cache.hits == hits + 1
    assert chinese_again.text == chinese.text
    assert "2026 年消费帮扶成效" in chinese.text and "¥42.00" in chinese.text
    assert "Impact of consumption assistance in 2026" in english.text
    assert "2026 年消费帮扶成效" not in english.text


@pytest.fixture
def still_ledger(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ledger's stamp read at once and the same for every request: nothing but the
    cache decides who computes."""

    async def stamp(session: object) -> cache.Stamp:
        return (1, 100)

    monkeypatch.setattr(cache, "ledger_stamp", stamp)


async def test_a_report_asked_for_at_once_is_computed_once(
    app: FastAPI, database: Database, still_ledger: None
) -> None:
    computed: list[str] = []
    gate = asyncio.Event()

    async def compute() -> str:
        computed.append("report")
        await gate.wait()
        return f"report {len(computed)}"

    async def ask() -> str:
        async with unit_of_work(database.reader) as session:
            return await _cache(app).cached(session, ("single flight",), compute)

    asking = [asyncio.ensure_future(ask()) for _ in range(5)]
    await asyncio.sleep(0)  # every request has asked: one computes, the others wait
    gate.set()
    assert await asyncio.gather(*asking) == ["report 1"] * 5
    assert computed == ["report"]


async def test_a_failed_computation_is_made_again_once_for_those_waiting(
    app: FastAPI, database: Database, still_ledger: None
) -> None:
    attempts: list[int] = []
    gate = asyncio.Event()

    async def compute() -> str:
        attempts.append(len(attempts) + 1)
        if len(attempts) == 1:
            await gate.wait()
            raise RuntimeError("the database went away")
        return "report"

    async def ask() -> str:
        async with unit_of_work(database.reader) as session:
            return await _cache(app).cached(session, ("failing",), compute)

    asking = [asyncio.ensure_future(ask()) for _ in range(4)]
    await asyncio.sleep(0)
    gate.set()
    answers = await asyncio.gather(*asking, return_exceptions=True)
    assert sum(isinstance(a, RuntimeError) for a in answers) == 1
    assert sorted(a for a in answers if isinstance(a, str)) == ["report"] * 3
    assert attempts == [1, 2]
