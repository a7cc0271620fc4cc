"""Property: for random histories of orders, payments around the China new year, partial
refunds and cancellations, with pairings that start or end mid-year, every report total equals
an independent sum over the generated events (computed here, never read from the ledger), a
refund never makes a pairing's total differ from that sum, and reconcile finds no difference.

The ledger is written as the payment hooks write it (record_sale / record_refund)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlalchemy.orm import selectinload

from app.account.models import Role
from app.admin.reconcile import reconcile
from app.cooperative.models import Cooperative
from app.core.clock import CHINA_TZ
from app.core.db import Database, unit_of_work
from app.order.models import BuyerKind
from app.organization.models import OrganizationKind
from app.regions.models import County, Pairing, PairingKind
from tests.account.factories import create_user, token_headers
from tests.catalog.factories import Seller, create_seller
from tests.impact.factories import (
    BEIJING,
    GUANGDONG,
    GUIZHOU,
    HETIAN,
    KASHI,
    SANDU,
    SHANGHAI,
    SHUFU,
    XINJIANG,
    Line,
    create_order,
    create_pairing,
    record_payment,
    refund,
)
from tests.impact.ledger_purge import purge_ledger
from tests.organization.factories import create_organization

pytestmark = pytest.mark.slow

WUCHUAN = "150125"  # 武川县, 内蒙古 (east_west 北京 → 内蒙古, the whole province)
COUNTIES = (SANDU, SHUFU, KASHI, HETIAN, WUCHUAN)
CONSUMER_PROVINCES = (GUANGDONG, BEIJING, SHANGHAI, GUIZHOU)
YEARS = (2026, 2027)
NEW_YEAR = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)  # 2027-01-01 00:00 in China


# ---------------------------------------------------------------------------------------------
# The world every example shares: sellers, buyers, organisations, and pairings that start or
# end mid-year (on top of the reference pairings)


@dataclass
class World:
    sellers: list[Seller]
    households: dict[int, int]
    buyer_user: int
    organizations: list[tuple[int, str]]  # (id, province)
    operator_headers: dict[str, str]
    pairings: list[PairingFacts] = field(default_factory=list)
    counties: dict[str, tuple[str, str]] = field(
        default_factory=dict
    )  # code → prefecture, province
    key_assistance: set[str] = field(default_factory=set)  # every key-assistance county


@dataclass(frozen=True)
class PairingFacts:
    id: int
    kind: str
    helper_province: str | None
    helper_organization: int | None
    helped_province: str
    areas: frozenset[tuple[str, str]]
    since: date | None
    until: date | None


async def _world(app: FastAPI, database: Database) -> World:
    """Made once per test (its examples share it; the shared clean-up removes it after)."""
    made: World | None = getattr(app.state, "impact_test_world", None)
    if made is not None:
        return made
    sellers = [
        await create_seller(database, county_code=code, households_supported=10 + i)
        for i, code in enumerate(COUNTIES)
    ]
    org_shanghai = await create_organization(database, region_code="310104")
    org_guangdong = await create_organization(
        database, region_code="440106", kind=OrganizationKind.STATE_OWNED_ENTERPRISE
    )
    await create_pairing(  # ends on the last day of 2026
        database,
        kind=PairingKind.EAST_WEST,
        helper_province=SHANGHAI,
        helped_province=GUIZHOU,
        since=date(2026, 7, 1),
        until=date(2026, 12, 31),
    )
    await create_pairing(  # starts on the first day of 2027
        database,
        kind=PairingKind.DESIGNATED,
        helper_organization_id=org_shanghai,
        helped_province=GUIZHOU,
        counties=[SANDU],
        since=date(2027, 1, 1),
    )
    await create_pairing(
        database,
        kind=PairingKind.DESIGNATED,
        helper_organization_id=org_guangdong,
        helped_province=XINJIANG,
        counties=[HETIAN, SHUFU],
        since=date(2026, 3, 1),
        until=date(2026, 12, 31),
    )
    await create_pairing(  # two days across the new year, by prefecture (喀什地区)
        database,
        kind=PairingKind.COUNTERPART_SUPPORT,
        helper_province=SHANGHAI,
        helped_province=XINJIANG,
        prefectures=["653100"],
        since=date(2026, 12, 31),
        until=date(2027, 1, 1),
    )
    operator = await create_user(database, roles=[(Role.OPERATOR, None, None)])
    world = World(
        sellers=sellers,
        households={s.cooperative_id: 10 + i for i, s in enumerate(sellers)},
        buyer_user=await create_user(database),
        organizations=[(org_shanghai, SHANGHAI), (org_guangdong, GUANGDONG)],
        operator_headers=token_headers(operator),
    )
    async with unit_of_work(database.reader) as session:
        for pairing in await session.scalars(select(Pairing).options(selectinload(Pairing.areas))):
            world.pairings.append(
                PairingFacts(
                    id=pairing.id,
                    kind=str(pairing.kind),
                    helper_province=pairing.helper_province_code,
                    helper_organization=pairing.helper_organization_id,
                    helped_province=pairing.helped_province_code,
                    areas=frozenset((str(a.area_kind), a.code) for a in pairing.areas),
                    since=pairing.since,
                    until=pairing.until,
                )
            )
        for code, prefecture, province in await session.execute(
            select(County.code, County.prefecture_code, County.province_code).where(
                County.code.in_(COUNTIES)
            )
        ):
            world.counties[code] = (prefecture, province)
        households = await session.execute(
            select(Cooperative.id, Cooperative.households_supported).where(
                Cooperative.id.in_(world.households)
            )
        )
        world.households = dict(households.all())
        world.key_assistance = set(
            await session.scalars(select(County.code).where(County.key_assistance.is_(True)))
        )
    app.state.impact_test_world = world
    return world


def _counts_for(
    pairing: PairingFacts,
    county: str,
    world: World,
    buyer_province: str,
    organization: int | None,
    day: date,
) -> bool:
    """The attribution rule, written again from DESIGN.md (not the application's code)."""
    if pairing.since is not None and day < pairing.since:
        return False
    if pairing.until is not None and day > pairing.until:
        return False
    prefecture, province = world.counties[county]
    if pairing.helped_province != province:
        return False
    if (
        pairing.areas
        and ("county", county) not in pairing.areas
        and (
            "prefecture",
            prefecture,
        )
        not in pairing.areas
    ):
        return False
    if pairing.kind == "designated":
        return organization is not None and pairing.helper_organization == organization
    return pairing.helper_province == buyer_province


# ---------------------------------------------------------------------------------------------
# Random histories

# Seconds after 2026-12-31 14:00 UTC (four hours around the China new year), or anywhere in
# the two years.
_near_new_year = st.integers(0, 4 * 3600).map(lambda s: NEW_YEAR - timedelta(hours=2, seconds=-s))
_anywhere = st.integers(0, 730 * 86400 - 1).map(
    lambda s: datetime(2025, 12, 31, 16, 0, tzinfo=UTC) + timedelta(seconds=s)
)
_moments = st.one_of(_near_new_year, _near_new_year, _anywhere)


@dataclass(frozen=True)
class OrderPlan:
    buyer: int  # < 4: a consumer of CONSUMER_PROVINCES[buyer]; else an organisation
    lines: list[tuple[int, int, int]]  # (seller index, quantity, unit price)
    paid_at: datetime | None
    refunds: list[tuple[int, int, int]]  # (line index, quantity, seconds after payment)
    cancel_after: int | None  # seconds after payment: refund what is left (a cancellation)


_order_plans = st.builds(
    OrderPlan,
    buyer=st.integers(0, 5),
    lines=st.lists(
        st.tuples(st.integers(0, len(COUNTIES) - 1), st.integers(1, 5), st.integers(1, 50_000)),
        min_size=1,
        max_size=3,
    ),
    paid_at=st.one_of(st.none(), _moments, _moments, _moments),
    refunds=st.lists(
        st.tuples(st.integers(0, 2), st.integers(1, 5), st.integers(0, 40 * 86400)),
        max_size=3,
    ),
    cancel_after=st.one_of(st.none(), st.none(), st.integers(0, 10 * 86400)),
)


@dataclass(frozen=True)
class Event:
    """One sale or refund, as the test derives it from the plan."""

    order: int
    county: str
    cooperative: int
    buyer_province: str
    organization: int | None
    at: datetime
    paid_on: date
    amount: int
    sale: bool

    @property
    def year(self) -> int:
        return self.at.astimezone(CHINA_TZ).year

    @property
    def month(self) -> int:
        return self.at.astimezone(CHINA_TZ).month


def _of(paid: Event, line: Line, amount: int, at: datetime) -> Event:
    """The event of `line` in the order `paid` describes: a sale (amount > 0) or a refund."""
    return replace(
        paid,
        county=line.seller.county_code,
        cooperative=line.seller.cooperative_id,
        at=at,
        amount=amount,
        sale=amount > 0,
    )


async def _play(database: Database, world: World, plans: list[OrderPlan]) -> list[Event]:
    """Place, pay and refund as planned, writing the ledger through its hooks; the events
    that should count, derived from the plan alone."""
    events: list[Event] = []
    for plan in plans:
        if plan.buyer < len(CONSUMER_PROVINCES):
            province, organization = CONSUMER_PROVINCES[plan.buyer], None
        else:
            organization, province = world.organizations[plan.buyer - len(CONSUMER_PROVINCES)]
        lines = [Line(world.sellers[s], q, p) for s, q, p in plan.lines]
        order = await create_order(
            database,
            buyer_user_id=world.buyer_user,
            lines=lines,
            buyer_province_code=province,
            organization_id=organization,
            buyer_kind=BuyerKind.GOVERNMENT if organization else BuyerKind.CONSUMER,
            paid_at=plan.paid_at,
        )
        if plan.paid_at is None:
            continue  # never paid (or cancelled before payment): no benefit
        await record_payment(database, order.id)
        paid_on = plan.paid_at.astimezone(CHINA_TZ).date()

        paid = Event(
            order=order.id,
            county="",
            cooperative=0,
            buyer_province=province,
            organization=organization,
            at=plan.paid_at,
            paid_on=paid_on,
            amount=0,
            sale=True,
        )

        events.extend(
            _of(paid, line, line.quantity * line.unit_price_fen, plan.paid_at) for line in lines
        )
        left = [line.quantity for line in lines]
        for index, quantity, delay in plan.refunds:
            if index >= len(lines) or quantity > left[index]:
                continue
            at = plan.paid_at + timedelta(seconds=delay)
            await refund(database, order.id, [(order.line_ids[index], quantity)], at=at)
            left[index] -= quantity
            events.append(_of(paid, lines[index], -quantity * lines[index].unit_price_fen, at))
        if plan.cancel_after is not None and any(left):
            at = plan.paid_at + timedelta(seconds=plan.cancel_after + 40 * 86400)
            rest = [(order.line_ids[i], q) for i, q in enumerate(left) if q]
            await refund(database, order.id, rest, at=at)
            events.extend(
                _of(paid, lines[i], -q * lines[i].unit_price_fen, at)
                for i, q in enumerate(left)
                if q
            )
    return events


async def _forget(database: Database) -> None:
    """Between examples: the ledger (guard lifted) and the orders the example made."""
    async with unit_of_work(database.writer) as session:
        await purge_ledger(session)
        for table in ("refunds", "payments", "order_lines", "fulfillments", "orders"):
            await session.execute(text(f"DELETE FROM {table}"))  # noqa: S608


# ---------------------------------------------------------------------------------------------
# The independent sums, and the reports they must equal


def _expected_summary(events: list[Event], world: World, year: int) -> dict[str, Any]:
    of_year = [e for e in events if e.year == year]
    by_county: dict[str, int] = defaultdict(int)
    by_cooperative: dict[int, int] = defaultdict(int)
    for e in of_year:
        by_county[e.county] += e.amount
        by_cooperative[e.cooperative] += e.amount
    benefited = [c for c, amount in by_cooperative.items() if amount > 0]
    key = [e for e in of_year if e.county in world.key_assistance]
    return {
        "year": year,
        "amount_fen": sum(e.amount for e in of_year),
        "order_count": len({e.order for e in of_year if e.sale}),
        "county_count": sum(1 for amount in by_county.values() if amount > 0),
        "cooperative_count": len(benefited),
        "households_supported": sum(world.households[c] for c in benefited),
        "key_assistance": {
            "amount_fen": sum(e.amount for e in key),
            "order_count": len({e.order for e in key if e.sale}),
            "county_count": sum(
                1
                for county, amount in by_county.items()
                if amount > 0 and county in world.key_assistance
            ),
        },
    }


def _expected_key_assistance(events: list[Event], world: World, year: int) -> dict[str, Any]:
    """Per key-assistance county (amount, orders), the counties without an order, and the
    key-assistance amount of each month."""
    of_year = [e for e in events if e.year == year]
    amounts: dict[str, int] = defaultdict(int)
    orders: dict[str, set[int]] = defaultdict(set)
    months: dict[int, int] = defaultdict(int)
    for e in of_year:
        if e.county in world.key_assistance:
            amounts[e.county] += e.amount
            months[e.month] += e.amount
            if e.sale:
                orders[e.county].add(e.order)
    return {
        "items": {c: (amounts[c], len(orders[c])) for c in world.key_assistance},
        "without": {c for c in world.key_assistance if not orders[c]},
        "by_month": [months.get(m, 0) for m in range(1, 13)],
    }


def _expected_pairings(
    events: list[Event], world: World, year: int
) -> dict[int, tuple[int, int, int]]:
    amounts: dict[int, int] = defaultdict(int)
    orders: dict[int, set[int]] = defaultdict(set)
    counties: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for e in events:
        if e.year != year:
            continue
        for p in world.pairings:
            # A refund counts where its sale counted: the rule applies at the payment date.
            if _counts_for(p, e.county, world, e.buyer_province, e.organization, e.paid_on):
                amounts[p.id] += e.amount
                counties[p.id][e.county] += e.amount
                if e.sale:
                    orders[p.id].add(e.order)
    return {
        pid: (
            amounts[pid],
            len(orders[pid]),
            sum(1 for amount in counties[pid].values() if amount > 0),
        )
        for pid in amounts
    }


def _expected_county(events: list[Event], county: str, year: int) -> dict[str, Any]:
    months: dict[int, int] = defaultdict(int)
    provinces: dict[str, int] = defaultdict(int)
    for e in events:
        if e.year == year and e.county == county:
            months[e.month] += e.amount
            provinces[e.buyer_province] += e.amount
    return {
        "amount_fen": sum(months.values()),
        "by_month": [months.get(m, 0) for m in range(1, 13)],
        "by_buyer_province": dict(provinces),
    }


def _as_totals(items: list[Mapping[str, Any]]) -> dict[int, tuple[int, int, int]]:
    return {
        i["pairing"]["id"]: (i["amount_fen"], i["order_count"], i["county_count"]) for i in items
    }


@settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plans=st.lists(_order_plans, min_size=1, max_size=6))
async def test_reports_equal_an_independent_sum_over_random_histories(
    app: FastAPI, client: httpx.AsyncClient, database: Database, plans: list[OrderPlan]
) -> None:
    world = await _world(app, database)
    await _forget(database)
    events = await _play(database, world, plans)

    reported: dict[int, dict[int, tuple[int, int, int]]] = {}
    for year in YEARS:
        summary = (await client.get("/api/v1/impact/summary", params={"year": year})).json()
        assert summary == _expected_summary(events, world, year)

        key = (await client.get("/api/v1/impact/key-assistance", params={"year": year})).json()
        want_key = _expected_key_assistance(events, world, year)
        assert {i["code"]: (i["amount_fen"], i["order_count"]) for i in key["items"]} == want_key[
            "items"
        ]
        assert {c["code"] for c in key["without_purchases"]} == want_key["without"]
        assert [m["amount_fen"] for m in key["by_month"]] == want_key["by_month"]
        assert key["amount_fen"] == summary["key_assistance"]["amount_fen"]

        items = (await client.get("/api/v1/impact/pairings", params={"year": year})).json()["items"]
        reported[year] = _as_totals(items)
        assert reported[year] == _expected_pairings(events, world, year)

        for county in {e.county for e in events}:
            report = (
                await client.get(f"/api/v1/impact/counties/{county}", params={"year": year})
            ).json()
            want = _expected_county(events, county, year)
            assert report["amount_fen"] == want["amount_fen"]
            assert [m["amount_fen"] for m in report["by_month"]] == want["by_month"]
            assert {p["code"]: p["amount_fen"] for p in report["by_buyer_province"]} == want[
                "by_buyer_province"
            ]

        for organization, _province in world.organizations:
            report = (
                await client.get(
                    f"/api/v1/impact/organizations/{organization}",
                    params={"year": year},
                    headers=world.operator_headers,
                )
            ).json()
            assert report["purchased_fen"] == sum(
                e.amount for e in events if e.year == year and e.organization == organization
            )

    # Refunds never make a pairing differ from its sales: over the years, each pairing's
    # reported total is what the sales it counted for brought, less exactly their refunds,
    # wherever (in whichever year) the refunds fell.
    for pairing in world.pairings:
        counted = [
            e
            for e in events
            if e.year in YEARS
            and _counts_for(pairing, e.county, world, e.buyer_province, e.organization, e.paid_on)
        ]
        sales = sum(e.amount for e in counted if e.sale)
        refunds = sum(e.amount for e in counted if not e.sale)
        total = sum(reported[year].get(pairing.id, (0, 0, 0))[0] for year in YEARS)
        assert total == sales + refunds
        assert refunds <= 0

    async with unit_of_work(database.reader) as session:
        report = await reconcile(session, year=None)
    assert report.ok, report.render()
