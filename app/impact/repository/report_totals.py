"""Report reads over the rollups (never over the ledger, so that their cost does not grow with
history): sums by month, county, province, buyer, organisation, supplier and pairing."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.cooperative.models import Cooperative
from app.impact.models import (
    TotalByBuyerKind,
    TotalByCooperative,
    TotalByCooperativeBuyerProvince,
    TotalByCooperativeYear,
    TotalByCounty,
    TotalByCountyBuyerProvince,
    TotalByCountyYear,
    TotalByMonth,
    TotalByOrganization,
    TotalByOrganizationCounty,
    TotalByPairing,
    TotalByPairingCounty,
    TotalByProvince,
)
from app.regions.models import County, Province

AmountOrders = tuple[int, int]


async def year_total(session: AsyncSession, year: int) -> AmountOrders:
    row = (
        await session.execute(
            select(
                func.coalesce(func.sum(TotalByMonth.amount_fen), 0),
                func.coalesce(func.sum(TotalByMonth.order_count), 0),
            ).where(TotalByMonth.year == year)
        )
    ).one()
    return int(row[0]), int(row[1])


async def months(session: AsyncSession, year: int) -> dict[int, AmountOrders]:
    result = await session.execute(
        select(TotalByMonth.month, TotalByMonth.amount_fen, TotalByMonth.order_count).where(
            TotalByMonth.year == year
        )
    )
    return {month: (amount, orders) for month, amount, orders in result}


async def years(session: AsyncSession) -> list[int]:
    result = await session.scalars(
        select(TotalByMonth.year).distinct().order_by(TotalByMonth.year.desc())
    )
    return list(result)


async def counties_benefited(session: AsyncSession, year: int) -> int:
    """Counties whose net amount in the year is above zero."""
    found = await session.scalar(
        select(func.count())
        .select_from(TotalByCountyYear)
        .where(TotalByCountyYear.year == year, TotalByCountyYear.amount_fen > 0)
    )
    return int(found or 0)


async def cooperatives_benefited(session: AsyncSession, year: int) -> tuple[int, int]:
    """(suppliers whose net amount in the year is above zero, the households they support)."""
    row = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(Cooperative.households_supported), 0))
            .select_from(TotalByCooperativeYear)
            .join(Cooperative, Cooperative.id == TotalByCooperativeYear.cooperative_id)
            .where(TotalByCooperativeYear.year == year, TotalByCooperativeYear.amount_fen > 0)
        )
    ).one()
    return int(row[0]), int(row[1])


async def pairing_totals(session: AsyncSession, year: int) -> dict[int, tuple[int, int, int]]:
    """pairing → (amount, orders, counties with a net amount above zero) in the year, in one
    statement over the two pairing rollups."""
    totals = (
        select(
            TotalByPairing.pairing_id.label("pairing_id"),
            func.sum(TotalByPairing.amount_fen).label("amount"),
            func.sum(TotalByPairing.order_count).label("orders"),
        )
        .where(TotalByPairing.year == year)
        .group_by(TotalByPairing.pairing_id)
        .subquery()
    )
    counties = (
        select(
            TotalByPairingCounty.pairing_id.label("pairing_id"),
            func.count().label("counties"),
        )
        .where(TotalByPairingCounty.year == year, TotalByPairingCounty.amount_fen > 0)
        .group_by(TotalByPairingCounty.pairing_id)
        .subquery()
    )
    result = await session.execute(
        select(
            totals.c.pairing_id,
            totals.c.amount,
            totals.c.orders,
            func.coalesce(counties.c.counties, 0),
        ).outerjoin(counties, counties.c.pairing_id == totals.c.pairing_id)
    )
    return {pid: (int(a), int(o), int(c)) for pid, a, o, c in result}


async def county_months(session: AsyncSession, code: str, year: int) -> dict[int, AmountOrders]:
    result = await session.execute(
        select(TotalByCounty.month, TotalByCounty.amount_fen, TotalByCounty.order_count).where(
            TotalByCounty.county_code == code, TotalByCounty.year == year
        )
    )
    return {month: (amount, orders) for month, amount, orders in result}


# (code, name, amount_fen, order_count)
NamedTotal = Row[str, str, int, int]


async def county_buyer_provinces(
    session: AsyncSession, code: str, year: int, *, limit: int | None = None
) -> Sequence[NamedTotal]:
    """Buyer provinces of a county's goods in a year, largest amount first."""
    query = (
        select(
            TotalByCountyBuyerProvince.buyer_province_code,
            Province.name,
            TotalByCountyBuyerProvince.amount_fen,
            TotalByCountyBuyerProvince.order_count,
        )
        .join(Province, Province.code == TotalByCountyBuyerProvince.buyer_province_code)
        .where(
            TotalByCountyBuyerProvince.county_code == code,
            TotalByCountyBuyerProvince.year == year,
        )
        .order_by(TotalByCountyBuyerProvince.amount_fen.desc(), Province.code)
        .limit(limit)
    )
    return (await session.execute(query)).all()


# (code, name, province name, amount_fen, order_count)
CountyTotal = Row[str, str, str, int, int]


async def top_counties(
    session: AsyncSession,
    year: int,
    *,
    province_code: str | None = None,
    limit: int | None = None,
) -> Sequence[CountyTotal]:
    """Origin counties by net amount in a year (of one province), largest first."""
    query = (
        select(
            TotalByCountyYear.county_code,
            County.name,
            Province.name,
            TotalByCountyYear.amount_fen,
            TotalByCountyYear.order_count,
        )
        .join(County, County.code == TotalByCountyYear.county_code)
        .join(Province, Province.code == County.province_code)
        .where(TotalByCountyYear.year == year)
        .order_by(TotalByCountyYear.amount_fen.desc(), TotalByCountyYear.county_code)
        .limit(limit)
    )
    if province_code is not None:
        query = query.where(County.province_code == province_code)
    return (await session.execute(query)).all()


async def origin_provinces(session: AsyncSession, year: int) -> Sequence[NamedTotal]:
    """Provinces of origin (helped provinces) by net amount in a year, largest first."""
    amount = func.sum(TotalByProvince.amount_fen)
    query = (
        select(
            TotalByProvince.province_code,
            Province.name,
            amount,
            func.sum(TotalByProvince.order_count),
        )
        .join(Province, Province.code == TotalByProvince.province_code)
        .where(TotalByProvince.year == year)
        .group_by(TotalByProvince.province_code, Province.name)
        .order_by(amount.desc(), TotalByProvince.province_code)
    )
    return (await session.execute(query)).all()


async def buyer_kinds(session: AsyncSession, year: int) -> Sequence[Row[str, int, int]]:
    amount = func.sum(TotalByBuyerKind.amount_fen)
    query = (
        select(TotalByBuyerKind.buyer_kind, amount, func.sum(TotalByBuyerKind.order_count))
        .where(TotalByBuyerKind.year == year)
        .group_by(TotalByBuyerKind.buyer_kind)
        .order_by(amount.desc(), TotalByBuyerKind.buyer_kind)
    )
    return (await session.execute(query)).all()


async def buyer_provinces_of_origin(
    session: AsyncSession, province_code: str, year: int
) -> Sequence[NamedTotal]:
    """Where the buyers of a province's goods are (buyer provinces), largest first."""
    amount = func.sum(TotalByCountyBuyerProvince.amount_fen)
    query = (
        select(
            TotalByCountyBuyerProvince.buyer_province_code,
            Province.name,
            amount,
            func.sum(TotalByCountyBuyerProvince.order_count),
        )
        .join(Province, Province.code == TotalByCountyBuyerProvince.buyer_province_code)
        .where(
            TotalByCountyBuyerProvince.year == year,
            TotalByCountyBuyerProvince.county_code.like(f"{province_code[:2]}%"),
        )
        .group_by(TotalByCountyBuyerProvince.buyer_province_code, Province.name)
        .order_by(amount.desc(), TotalByCountyBuyerProvince.buyer_province_code)
    )
    return (await session.execute(query)).all()


async def counties_bought_by_province(
    session: AsyncSession, province_code: str, year: int, *, limit: int | None = None
) -> Sequence[CountyTotal]:
    """Origin counties whose goods a province's buyers bought, largest amount first."""
    query = (
        select(
            TotalByCountyBuyerProvince.county_code,
            County.name,
            Province.name,
            TotalByCountyBuyerProvince.amount_fen,
            TotalByCountyBuyerProvince.order_count,
        )
        .join(County, County.code == TotalByCountyBuyerProvince.county_code)
        .join(Province, Province.code == County.province_code)
        .where(
            TotalByCountyBuyerProvince.buyer_province_code == province_code,
            TotalByCountyBuyerProvince.year == year,
        )
        .order_by(
            TotalByCountyBuyerProvince.amount_fen.desc(), TotalByCountyBuyerProvince.county_code
        )
        .limit(limit)
    )
    return (await session.execute(query)).all()


async def organization_total(
    session: AsyncSession, organization_id: int, year: int
) -> AmountOrders:
    row = (
        await session.execute(
            select(
                func.coalesce(func.sum(TotalByOrganization.amount_fen), 0),
                func.coalesce(func.sum(TotalByOrganization.order_count), 0),
            ).where(
                TotalByOrganization.organization_id == organization_id,
                TotalByOrganization.year == year,
            )
        )
    ).one()
    return int(row[0]), int(row[1])


async def organization_months(
    session: AsyncSession, organization_id: int, year: int
) -> dict[int, AmountOrders]:
    result = await session.execute(
        select(
            TotalByOrganization.month,
            TotalByOrganization.amount_fen,
            TotalByOrganization.order_count,
        ).where(
            TotalByOrganization.organization_id == organization_id,
            TotalByOrganization.year == year,
        )
    )
    return {month: (amount, orders) for month, amount, orders in result.all()}


async def organization_counties(
    session: AsyncSession, organization_id: int, year: int
) -> Sequence[CountyTotal]:
    query = (
        select(
            TotalByOrganizationCounty.county_code,
            County.name,
            Province.name,
            TotalByOrganizationCounty.amount_fen,
            TotalByOrganizationCounty.order_count,
        )
        .join(County, County.code == TotalByOrganizationCounty.county_code)
        .join(Province, Province.code == County.province_code)
        .where(
            TotalByOrganizationCounty.organization_id == organization_id,
            TotalByOrganizationCounty.year == year,
        )
        .order_by(
            TotalByOrganizationCounty.amount_fen.desc(), TotalByOrganizationCounty.county_code
        )
    )
    return (await session.execute(query)).all()


async def cooperative_months(
    session: AsyncSession, cooperative_id: int, year: int
) -> dict[int, AmountOrders]:
    result = await session.execute(
        select(
            TotalByCooperative.month, TotalByCooperative.amount_fen, TotalByCooperative.order_count
        ).where(
            TotalByCooperative.cooperative_id == cooperative_id, TotalByCooperative.year == year
        )
    )
    return {month: (amount, orders) for month, amount, orders in result}


async def cooperative_buyer_provinces(
    session: AsyncSession, cooperative_id: int, year: int
) -> Sequence[NamedTotal]:
    query = (
        select(
            TotalByCooperativeBuyerProvince.buyer_province_code,
            Province.name,
            TotalByCooperativeBuyerProvince.amount_fen,
            TotalByCooperativeBuyerProvince.order_count,
        )
        .join(Province, Province.code == TotalByCooperativeBuyerProvince.buyer_province_code)
        .where(
            TotalByCooperativeBuyerProvince.cooperative_id == cooperative_id,
            TotalByCooperativeBuyerProvince.year == year,
        )
        .order_by(TotalByCooperativeBuyerProvince.amount_fen.desc(), Province.code)
    )
    return (await session.execute(query)).all()
