"""Reports: sums over the ledger, read from the rollups (a report reads a bounded number of
rollup rows, whatever the length of the history)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import china_year, utcnow
from app.core.money import share_bp
from app.impact import repository
from app.impact.errors import CountyNotFound
from app.impact.schemas import (
    BuyerKindAmount,
    CountyAmount,
    CountyRef,
    CountyReport,
    CountyTotals,
    Dashboard,
    ImpactSummary,
    KeyAssistanceMonth,
    KeyAssistanceReport,
    KeyAssistanceShare,
    MonthAmount,
    PairingImpact,
    PairingRef,
    PairingReport,
    ProvinceAmount,
)
from app.regions.errors import ProvinceUnknown
from app.regions.models import HelperKind, PairingKind
from app.regions.schemas import (
    AreaKindName,
    PairingAreaOut,
    PairingHelped,
    PairingHelper,
    PairingKindName,
)

TOP_COUNTIES = 10
COUNTY_BOX_PROVINCES = 5


def current_year() -> int:
    """The reporting year now, in China Standard Time."""
    return china_year(utcnow())


def is_region_code(code: str) -> bool:
    return len(code) == 6 and code.isascii() and code.isdigit()


def twelve_months(by_month: Mapping[int, tuple[int, int]]) -> list[MonthAmount]:
    return [
        MonthAmount(
            month=m, amount_fen=by_month.get(m, (0, 0))[0], order_count=by_month.get(m, (0, 0))[1]
        )
        for m in range(1, 13)
    ]


def province_amounts(rows: Iterable[Sequence[object]]) -> list[ProvinceAmount]:
    return [
        ProvinceAmount(code=str(c), name=str(n), amount_fen=int(str(a)), order_count=int(str(o)))
        for c, n, a, o in rows
    ]


def county_amounts(rows: Iterable[repository.CountyTotal]) -> list[CountyAmount]:
    return [
        CountyAmount(code=c, name=n, province_name=p, amount_fen=int(a), order_count=int(o))
        for c, n, p, a, o in rows
    ]


# ---------------------------------------------------------------------------------------------
# Pairings


def _helper(row: repository.PairingRow) -> PairingHelper:
    if row.helper_kind == HelperKind.ORGANIZATION:
        name = row.helper_organization_name or row.helper_area or ""
        return PairingHelper(kind="organization", id=row.helper_organization_id, name=name)
    name = row.helper_province_name or row.helper_province_code or ""
    if row.helper_area:
        name = f"{name}（{row.helper_area}）"
    return PairingHelper(kind="province", code=row.helper_province_code, name=name)


def pairing_ref(row: repository.PairingRow) -> PairingRef:
    """The report view of a pairing: helper, helped province and the areas it names."""
    return PairingRef(
        id=row.id,
        kind=cast(PairingKindName, row.kind),  # a PairingKind value: the column checks it
        helper=_helper(row),
        helped=PairingHelped(code=row.helped_province_code, name=row.helped_province_name),
        areas=[
            PairingAreaOut(kind=cast(AreaKindName, kind), code=code, name=name)
            for kind, code, name in row.areas
        ],
        since=row.since,
        until=row.until,
    )


async def pairing_items(
    session: AsyncSession,
    year: int,
    *,
    province: str | None = None,
    kind: PairingKind | None = None,
) -> list[PairingImpact]:
    """Pairings with their totals in the year, largest amount first: those with entries in
    the year, or with `province` every pairing in which it helps or is helped (zeros where
    nothing was bought). Three statements in all."""
    totals = await repository.pairing_totals(session, year)
    if province is None:
        rows = await repository.pairing_rows(session, bought_in=year, kind=kind)
    else:
        rows = await repository.pairing_rows(session, province_code=province, kind=kind)
    items = [
        PairingImpact(
            pairing=pairing_ref(row),
            amount_fen=totals.get(row.id, (0, 0, 0))[0],
            order_count=totals.get(row.id, (0, 0, 0))[1],
            county_count=totals.get(row.id, (0, 0, 0))[2],
        )
        for row in rows
    ]
    items.sort(key=lambda item: (-item.amount_fen, item.pairing.id))
    return items


async def pairing_report(
    session: AsyncSession,
    *,
    year: int | None = None,
    kind: PairingKind | None = None,
    province: str | None = None,
) -> PairingReport:
    """Pairings with entries in the year; with `province`, every pairing in which the
    province helps or is helped, bought from or not."""
    year = year or current_year()
    if province is not None and (
        not is_region_code(province) or await repository.get_province(session, province) is None
    ):
        raise ProvinceUnknown(province)
    items = await pairing_items(session, year, province=province, kind=kind)
    return PairingReport(
        year=year, kind=kind.value if kind is not None else None, province=province, items=items
    )


# ---------------------------------------------------------------------------------------------
# Summary, county, dashboard


async def summary(session: AsyncSession, *, year: int | None = None) -> ImpactSummary:
    year = year or current_year()
    amount, orders = await repository.year_total(session, year)
    cooperatives, households = await repository.cooperatives_benefited(session, year)
    key_amount, key_orders = await repository.key_assistance_total(session, year)
    return ImpactSummary(
        year=year,
        amount_fen=amount,
        order_count=orders,
        county_count=await repository.counties_benefited(session, year),
        cooperative_count=cooperatives,
        households_supported=households,
        key_assistance=KeyAssistanceShare(
            amount_fen=key_amount,
            order_count=key_orders,
            county_count=await repository.key_assistance_counties_benefited(session, year),
        ),
    )


async def key_assistance_report(
    session: AsyncSession, *, year: int | None = None, province: str | None = None
) -> KeyAssistanceReport:
    """Every key-assistance county (of one province) with its amount and orders in the year,
    those without an order, and the key-assistance share of each month's total. Amounts are
    the countrywide share's when no province is named, the province's counties' otherwise."""
    year = year or current_year()
    if province is not None and (
        not is_region_code(province) or await repository.get_province(session, province) is None
    ):
        raise ProvinceUnknown(province)
    items = county_amounts(
        await repository.key_assistance_counties(session, year, province_code=province)
    )
    totals = await repository.months(session, year)
    key_months = await repository.key_assistance_months(session, year, province_code=province)
    by_month = []
    for month in range(1, 13):
        amount, orders = key_months.get(month, (0, 0))
        total = totals.get(month, (0, 0))[0]
        by_month.append(
            KeyAssistanceMonth(
                month=month,
                amount_fen=amount,
                order_count=orders,
                total_fen=total,
                share_bp=share_bp(amount, total),
            )
        )
    if province is None:
        amount, orders = await repository.key_assistance_total(session, year)
    else:
        amount = sum(item.amount_fen for item in items)
        orders = sum(item.order_count for item in items)
    return KeyAssistanceReport(
        year=year,
        province=province,
        amount_fen=amount,
        order_count=orders,
        items=items,
        without_purchases=[
            CountyRef(code=i.code, name=i.name, province_name=i.province_name)
            for i in items
            if i.order_count == 0
        ],
        by_month=by_month,
    )


async def products_benefit(session: AsyncSession, product_ids: Sequence[int]) -> tuple[int, int]:
    """(net amount, orders) these products brought over every year (a brand's page)."""
    return await repository.products_total(session, product_ids)


async def county_report(
    session: AsyncSession, *, code: str, year: int | None = None
) -> CountyReport:
    year = year or current_year()
    county = await repository.get_county(session, code) if is_region_code(code) else None
    if county is None:
        raise CountyNotFound(code)
    by_month = await repository.county_months(session, code, year)
    return CountyReport(
        code=county.code,
        name=county.name,
        province_code=county.province_code,
        province_name=county.province.name,
        year=year,
        amount_fen=sum(amount for amount, _ in by_month.values()),
        order_count=sum(orders for _, orders in by_month.values()),
        by_month=twelve_months(by_month),
        by_buyer_province=province_amounts(
            await repository.county_buyer_provinces(session, code, year)
        ),
    )


async def county_totals(session: AsyncSession, code: str, year: int | None = None) -> CountyTotals:
    """The impact box of a county page (templates/impact/_county_totals.html): the year's net
    amount, orders and leading buyer provinces, and its benefit to date (every year); zeros
    for a county nothing was bought from, 404 `county_not_found` for no county at all."""
    year = year or current_year()
    if not is_region_code(code) or await repository.get_county(session, code) is None:
        raise CountyNotFound(code)
    by_month = await repository.county_months(session, code, year)
    to_date_fen, to_date_orders = await repository.county_to_date(session, code)
    return CountyTotals(
        code=code,
        year=year,
        amount_fen=sum(amount for amount, _ in by_month.values()),
        order_count=sum(orders for _, orders in by_month.values()),
        top_buyer_provinces=province_amounts(
            await repository.county_buyer_provinces(session, code, year, limit=COUNTY_BOX_PROVINCES)
        ),
        to_date_fen=to_date_fen,
        to_date_order_count=to_date_orders,
    )


async def report_years(session: AsyncSession, year: int) -> list[int]:
    """The years a page offers: those with entries, this one and the one shown, newest first."""
    return sorted({*await repository.years(session), current_year(), year}, reverse=True)


async def dashboard(session: AsyncSession, *, year: int | None = None) -> Dashboard:
    """Everything the public /impact page shows, for one year."""
    year = year or current_year()
    return Dashboard(
        year=year,
        years=await report_years(session, year),
        summary=await summary(session, year=year),
        pairings=await pairing_items(session, year),
        by_month=twelve_months(await repository.months(session, year)),
        top_counties=county_amounts(
            await repository.top_counties(session, year, limit=TOP_COUNTIES)
        ),
        provinces=province_amounts(await repository.origin_provinces(session, year)),
        buyer_kinds=[
            BuyerKindAmount(kind=k, amount_fen=int(a), order_count=int(o))
            for k, a, o in await repository.buyer_kinds(session, year)
        ],
        key_assistance=await key_assistance_report(session, year=year),
    )
