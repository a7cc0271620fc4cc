"""Report reads over the rollups (never over the ledger, so that their cost does not grow with
history): sums by month, county, province, buyer, organisation, supplier and pairing."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.cooperative.models import Cooperative
from app.impact.models import (
    TotalByBuyerKind,
    TotalByCooperative,
    TotalByCooperativeBuyerProvince,
    TotalByCooperativeYear,
    TotalByCounty,
    TotalByCountyBuyerProvince,
    TotalByCountyYear,
    TotalByKeyAssistance,
    TotalByMonth,
    TotalByOrganization,
    TotalByOrganizationCounty,
    TotalByPairing,
    TotalByPairingCounty,
    TotalByProvince,
)
from app.regions.models import County, Province

AmountOrders = tuple[int, int]
# The rollups a report sums over months of, ranks counties of, or ranks buyer provinces of.
MonthlyRollup = (
    type[TotalByMonth] | type[TotalByCounty] | type[TotalByCooperative] | type[TotalByKeyAssistance]
)
TotalRollup = type[TotalByMonth] | type[TotalByOrganization] | type[TotalByKeyAssistance]
CountyRollup = (
    type[TotalByCountyYear] | type[TotalByCountyBuyerProvince] | type[TotalByOrganizationCounty]
)
BuyerProvinceRollup = type[TotalByCountyBuyerProvince] | type[TotalByCooperativeBuyerProvince]
ProvinceRollup = type[TotalByProvince] | type[TotalByCountyBuyerProvince]


async def _total(
    session: AsyncSession, rollup: TotalRollup, *where: ColumnElement[bool]
) -> AmountOrders:
    """(amount, orders) summed over the rollup's rows that match, zeros for none."""
    row = (
        await session.execute(
            select(
                func.coalesce(func.sum(rollup.amount_fen), 0),
                func.coalesce(func.sum(rollup.order_count), 0),
            ).where(*where)
        )
    ).one()
    return int(row[0]), int(row[1])


async def _by_month(
    session: AsyncSession, rollup: MonthlyRollup, *where: ColumnElement[bool]
) -> dict[int, AmountOrders]:
    """month → (amount, orders) of the rollup's rows that match."""
    result = await session.execute(
        select(rollup.month, rollup.amount_fen, rollup.order_count).where(*where)
    )
    return {month: (amount, orders) for month, amount, orders in result}


async def year_total(session: AsyncSession, year: int) -> AmountOrders:
    return await _total(session, TotalByMonth, TotalByMonth.year == year)


async def months(session: AsyncSession, year: int) -> dict[int, AmountOrders]:
    return await _by_month(session, TotalByMonth, TotalByMonth.year == year)


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
    return await _by_month(
        session, TotalByCounty, TotalByCounty.county_code == code, TotalByCounty.year == year
    )


async def county_to_date(session: AsyncSession, code: str) -> AmountOrders:
    """(amount, orders) of a county over every year: its benefit to date."""
    row = (
        await session.execute(
            select(
                func.coalesce(func.sum(TotalByCountyYear.amount_fen), 0),
                func.coalesce(func.sum(TotalByCountyYear.order_count), 0),
            ).where(TotalByCountyYear.county_code == code)
        )
    ).one()
    return int(row[0]), int(row[1])


# (code, name, amount_fen, order_count)
NamedTotal = Row[str, str, int, int]


async def _buyer_provinces(
    session: AsyncSession,
    rollup: BuyerProvinceRollup,
    *where: ColumnElement[bool],
    limit: int | None = None,
) -> Sequence[NamedTotal]:
    """The buyer provinces of the rollup's rows that match, largest amount first."""
    query = (
        select(rollup.buyer_province_code, Province.name, rollup.amount_fen, rollup.order_count)
        .join(Province, Province.code == rollup.buyer_province_code)
        .where(*where)
        .order_by(rollup.amount_fen.desc(), Province.code)
        .limit(limit)
    )
    return (await session.execute(query)).all()


async def county_buyer_provinces(
    session: AsyncSession, code: str, year: int, *, limit: int | None = None
) -> Sequence[NamedTotal]:
    """Buyer provinces of a county's goods in a year, largest amount first."""
    return await _buyer_provinces(
        session,
        TotalByCountyBuyerProvince,
        TotalByCountyBuyerProvince.county_code == code,
        TotalByCountyBuyerProvince.year == year,
        limit=limit,
    )


# (code, name, province name, amount_fen, order_count)
CountyTotal = Row[str, str, str, int, int]


async def _counties(
    session: AsyncSession,
    rollup: CountyRollup,
    *where: ColumnElement[bool],
    limit: int | None = None,
) -> Sequence[CountyTotal]:
    """The origin counties of the rollup's rows that match, largest amount first."""
    query = (
        select(
            rollup.county_code, County.name, Province.name, rollup.amount_fen, rollup.order_count
        )
        .join(County, County.code == rollup.county_code)
        .join(Province, Province.code == County.province_code)
        .where(*where)
        .order_by(rollup.amount_fen.desc(), rollup.county_code)
        .limit(limit)
    )
    return (await session.execute(query)).all()


async def top_counties(
    session: AsyncSession,
    year: int,
    *,
    province_code: str | None = None,
    limit: int | None = None,
) -> Sequence[CountyTotal]:
    """Origin counties by net amount in a year (of one province), largest first."""
    where = [TotalByCountyYear.year == year]
    if province_code is not None:
        where.append(County.province_code == province_code)
    return await _counties(session, TotalByCountyYear, *where, limit=limit)


async def _province_sums(
    session: AsyncSession,
    province_code: InstrumentedAttribute[str],
    rollup: ProvinceRollup,
    *where: ColumnElement[bool],
) -> Sequence[NamedTotal]:
    """The rollup's rows that match summed per province (`province_code`), largest first."""
    amount = func.sum(rollup.amount_fen)
    query = (
        select(province_code, Province.name, amount, func.sum(rollup.order_count))
        .join(Province, Province.code == province_code)
        .where(*where)
        .group_by(province_code, Province.name)
        .order_by(amount.desc(), province_code)
    )
    return (await session.execute(query)).all()


async def origin_provinces(session: AsyncSession, year: int) -> Sequence[NamedTotal]:
    """Provinces of origin (helped provinces) by net amount in a year, largest first."""
    return await _province_sums(
        session, TotalByProvince.province_code, TotalByProvince, TotalByProvince.year == year
    )


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
    return await _province_sums(
        session,
        TotalByCountyBuyerProvince.buyer_province_code,
        TotalByCountyBuyerProvince,
        TotalByCountyBuyerProvince.year == year,
        TotalByCountyBuyerProvince.county_code.like(f"{province_code[:2]}%"),
    )


async def counties_bought_by_province(
    session: AsyncSession, province_code: str, year: int, *, limit: int | None = None
) -> Sequence[CountyTotal]:
    """Origin counties whose goods a province's buyers bought, largest amount first."""
    return await _counties(
        session,
        TotalByCountyBuyerProvince,
        TotalByCountyBuyerProvince.buyer_province_code == province_code,
        TotalByCountyBuyerProvince.year == year,
        limit=limit,
    )


async def organization_total(
    session: AsyncSession, organization_id: int, year: int
) -> AmountOrders:
    return await _total(
        session,
        TotalByOrganization,
        TotalByOrganization.organization_id == organization_id,
        TotalByOrganization.year == year,
    )


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
    return await _counties(
        session,
        TotalByOrganizationCounty,
        TotalByOrganizationCounty.organization_id == organization_id,
        TotalByOrganizationCounty.year == year,
    )


async def cooperative_months(
    session: AsyncSession, cooperative_id: int, year: int
) -> dict[int, AmountOrders]:
    return await _by_month(
        session,
        TotalByCooperative,
        TotalByCooperative.cooperative_id == cooperative_id,
        TotalByCooperative.year == year,
    )


async def cooperative_buyer_provinces(
    session: AsyncSession, cooperative_id: int, year: int
) -> Sequence[NamedTotal]:
    return await _buyer_provinces(
        session,
        TotalByCooperativeBuyerProvince,
        TotalByCooperativeBuyerProvince.cooperative_id == cooperative_id,
        TotalByCooperativeBuyerProvince.year == year,
    )


# ---------------------------------------------------------------------------------------------
# Key-assistance counties (乡村振兴重点帮扶县)


async def key_assistance_total(session: AsyncSession, year: int) -> AmountOrders:
    """(amount, distinct orders) of the entries from key-assistance counties in a year."""
    return await _total(session, TotalByKeyAssistance, TotalByKeyAssistance.year == year)


async def key_assistance_months(
    session: AsyncSession, year: int, *, province_code: str | None = None
) -> dict[int, AmountOrders]:
    """month → (amount, orders) from key-assistance counties; of one province's counties summed
    per county (an order from two of them counts in each)."""
    if province_code is None:
        return await _by_month(session, TotalByKeyAssistance, TotalByKeyAssistance.year == year)
    result = await session.execute(
        select(
            TotalByCounty.month,
            func.sum(TotalByCounty.amount_fen),
            func.sum(TotalByCounty.order_count),
        )
        .join(County, County.code == TotalByCounty.county_code)
        .where(
            TotalByCounty.year == year,
            County.key_assistance.is_(True),
            County.province_code == province_code,
        )
        .group_by(TotalByCounty.month)
    )
    return {int(month): (int(amount), int(orders)) for month, amount, orders in result}


async def key_assistance_counties_benefited(session: AsyncSession, year: int) -> int:
    """Key-assistance counties whose net amount in the year is above zero."""
    found = await session.scalar(
        select(func.count())
        .select_from(TotalByCountyYear)
        .join(County, County.code == TotalByCountyYear.county_code)
        .where(
            TotalByCountyYear.year == year,
            TotalByCountyYear.amount_fen > 0,
            County.key_assistance.is_(True),
        )
    )
    return int(found or 0)


async def key_assistance_counties(
    session: AsyncSession, year: int, *, province_code: str | None = None
) -> Sequence[CountyTotal]:
    """Every key-assistance county the reference data knows (of one province), with its net
    amount and orders in the year (zeros where nothing was bought), by province and code."""
    totals = (
        select(
            TotalByCountyYear.county_code,
            TotalByCountyYear.amount_fen,
            TotalByCountyYear.order_count,
        )
        .where(TotalByCountyYear.year == year)
        .subquery()
    )
    query = (
        select(
            County.code,
            County.name,
            Province.name,
            func.coalesce(totals.c.amount_fen, 0),
            func.coalesce(totals.c.order_count, 0),
        )
        .join(Province, Province.code == County.province_code)
        .outerjoin(totals, totals.c.county_code == County.code)
        .where(County.key_assistance.is_(True))
        .order_by(County.code)
    )
    if province_code is not None:
        query = query.where(County.province_code == province_code)
    rows: Sequence[CountyTotal] = (await session.execute(query)).all()
    return rows
