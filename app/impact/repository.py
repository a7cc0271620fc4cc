"""Queries of the impact domain: ledger writes and rollup upserts, report reads over the
rollups (never over the ledger, so that their cost does not grow with history), and the
source facts that reconcile recomputes from."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ColumnElement, Row, and_, func, or_, select, table
from sqlalchemy import column as sql_column
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, joinedload, selectinload

from app.cooperative.models import Cooperative
from app.core.db import Base, UTCDateTime
from app.impact.models import (
    EntryPairing,
    LedgerEntry,
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
from app.impact.rollups import GroupKey, RollupSpec
from app.order.models import Order
from app.organization.models import Organization, ReservedShareTarget
from app.regions.models import (
    AreaKind,
    County,
    HelperKind,
    Pairing,
    PairingArea,
    PairingKind,
    Prefecture,
    Province,
)

# ---------------------------------------------------------------------------------------------
# Writing the ledger


def _insert(session: AsyncSession, model: type[Base]) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (SQLite 3.24+ and PostgreSQL alike)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


async def recorded_sale_lines(session: AsyncSession, order_id: int) -> set[int]:
    result = await session.scalars(
        select(LedgerEntry.order_line_id).where(
            LedgerEntry.order_id == order_id, LedgerEntry.refund_id.is_(None)
        )
    )
    return set(result)


async def recorded_refund_lines(session: AsyncSession, refund_id: int) -> set[int]:
    result = await session.scalars(
        select(LedgerEntry.order_line_id).where(LedgerEntry.refund_id == refund_id)
    )
    return set(result)


async def sale_pairings(
    session: AsyncSession, order_line_ids: Collection[int]
) -> dict[int, tuple[int, ...]]:
    """order line → the pairings its sale entry counts for (lines with a sale entry only)."""
    if not order_line_ids:
        return {}
    result = await session.execute(
        select(LedgerEntry.order_line_id, EntryPairing.pairing_id)
        .outerjoin(EntryPairing, EntryPairing.entry_id == LedgerEntry.id)
        .where(LedgerEntry.order_line_id.in_(order_line_ids), LedgerEntry.refund_id.is_(None))
    )
    pairings: dict[int, list[int]] = {}
    for line_id, pairing_id in result:
        ids = pairings.setdefault(line_id, [])
        if pairing_id is not None:
            ids.append(pairing_id)
    return {line_id: tuple(sorted(ids)) for line_id, ids in pairings.items()}


async def counties(session: AsyncSession, codes: Collection[str]) -> dict[str, County]:
    if not codes:
        return {}
    result = await session.scalars(select(County).where(County.code.in_(codes)))
    return {county.code: county for county in result}


async def pairings_helping_provinces(
    session: AsyncSession, province_codes: Collection[str] | None = None
) -> list[Pairing]:
    """Pairings (areas loaded) whose helped province is one of these (None: every pairing)."""
    query = select(Pairing).options(selectinload(Pairing.areas)).order_by(Pairing.id)
    if province_codes is not None:
        if not province_codes:
            return []
        query = query.where(Pairing.helped_province_code.in_(province_codes))
    return list((await session.scalars(query)).all())


async def insert_entries(
    session: AsyncSession, rows: Sequence[Mapping[str, Any]]
) -> dict[tuple[int, int], int]:
    """Insert ledger rows, skipping keys already present; answers (line, refund or 0) → id of
    each row inserted now."""
    statement = (
        _insert(session, LedgerEntry)
        .values(list(rows))
        .on_conflict_do_nothing()
        .returning(LedgerEntry.id, LedgerEntry.order_line_id, LedgerEntry.refund_id)
    )
    result = await session.execute(statement)
    return {(line_id, refund_id or 0): entry_id for entry_id, line_id, refund_id in result}


async def insert_attributions(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        await session.execute(_insert(session, EntryPairing).values(list(rows)))


async def add_to_rollup(
    session: AsyncSession, spec: RollupSpec, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Add amounts and order counts to a rollup's rows, creating missing ones, in one
    statement that is safe under concurrent writers (INSERT … ON CONFLICT DO UPDATE adds to
    the row as it is at commit order, never to a stale read)."""
    if not rows:
        return
    model: Any = spec.model
    statement = _insert(session, spec.model).values(list(rows))
    statement = statement.on_conflict_do_update(
        index_elements=list(spec.columns),
        set_={
            "amount_fen": model.amount_fen + statement.excluded.amount_fen,
            "order_count": model.order_count + statement.excluded.order_count,
        },
    )
    await session.execute(statement)


# ---------------------------------------------------------------------------------------------
# Reading the rollups

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


@dataclass(frozen=True)
class PairingRow:
    """A pairing with the names a report shows, read without ORM objects."""

    id: int
    kind: str
    helper_kind: str
    helper_province_code: str | None
    helper_province_name: str | None
    helper_organization_id: int | None
    helper_organization_name: str | None
    helper_area: str | None
    helped_province_code: str
    helped_province_name: str
    since: date | None
    until: date | None
    areas: tuple[tuple[str, str, str], ...]  # (kind, code, name), prefectures first


async def pairing_rows(
    session: AsyncSession,
    *,
    bought_in: int | None = None,
    province_code: str | None = None,
    kind: PairingKind | None = None,
) -> list[PairingRow]:
    """Pairings with entries in the year `bought_in`, or those in which a province helps or
    is helped, with their names and areas: two statements, whatever their number (the
    pairings are chosen by subquery, never by a list of ids, which would make every
    statement text different and long)."""
    conditions: list[ColumnElement[bool]] = []
    if bought_in is not None:
        conditions.append(
            Pairing.id.in_(
                select(TotalByPairing.pairing_id).where(TotalByPairing.year == bought_in)
            )
        )
    if province_code is not None:
        conditions.append(
            or_(
                Pairing.helper_province_code == province_code,
                Pairing.helped_province_code == province_code,
            )
        )
    if kind is not None:
        conditions.append(Pairing.kind == kind)
    helper = aliased(Province)
    helped = aliased(Province)
    query = (
        select(
            Pairing.id,
            Pairing.kind,
            Pairing.helper_kind,
            Pairing.helper_province_code,
            helper.name,
            Pairing.helper_organization_id,
            Organization.name,
            Pairing.helper_area,
            Pairing.helped_province_code,
            helped.name,
            Pairing.since,
            Pairing.until,
        )
        .outerjoin(helper, helper.code == Pairing.helper_province_code)
        .join(helped, helped.code == Pairing.helped_province_code)
        .outerjoin(Organization, Organization.id == Pairing.helper_organization_id)
        .where(*conditions)
        .order_by(Pairing.id)
    )
    rows = (await session.execute(query)).all()
    areas: dict[int, list[tuple[str, str, str]]] = {}
    if rows:
        area_query = (
            select(
                PairingArea.pairing_id,
                PairingArea.area_kind,
                PairingArea.code,
                func.coalesce(County.name, Prefecture.name, PairingArea.code),
            )
            .outerjoin(
                County,
                and_(PairingArea.area_kind == AreaKind.COUNTY, County.code == PairingArea.code),
            )
            .outerjoin(
                Prefecture,
                and_(
                    PairingArea.area_kind == AreaKind.PREFECTURE,
                    Prefecture.code == PairingArea.code,
                ),
            )
            .where(PairingArea.pairing_id.in_(select(Pairing.id).where(*conditions)))
            .order_by(PairingArea.pairing_id, PairingArea.area_kind.desc(), PairingArea.code)
        )
        for pairing_id, area_kind, code, name in await session.execute(area_query):
            areas.setdefault(pairing_id, []).append((str(area_kind), code, name))
    return [
        PairingRow(
            id=row[0],
            kind=str(row[1]),
            helper_kind=str(row[2]),
            helper_province_code=row[3],
            helper_province_name=row[4],
            helper_organization_id=row[5],
            helper_organization_name=row[6],
            helper_area=row[7],
            helped_province_code=row[8],
            helped_province_name=row[9],
            since=row[10],
            until=row[11],
            areas=tuple(areas.get(row[0], ())),
        )
        for row in rows
    ]


async def get_county(session: AsyncSession, code: str) -> County | None:
    result = await session.scalars(
        select(County).options(joinedload(County.province)).where(County.code == code)
    )
    return result.one_or_none()


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


async def get_province(session: AsyncSession, code: str) -> Province | None:
    return await session.get(Province, code)


async def provinces(session: AsyncSession, codes: Collection[str] | None = None) -> list[Province]:
    query = select(Province).order_by(Province.code)
    if codes is not None:
        query = query.where(Province.code.in_(codes))
    return list((await session.scalars(query)).all())


async def get_organization(session: AsyncSession, organization_id: int) -> Organization | None:
    return await session.get(Organization, organization_id)


async def reserved_share_target(
    session: AsyncSession, organization_id: int, year: int
) -> ReservedShareTarget | None:
    result = await session.scalars(
        select(ReservedShareTarget).where(
            ReservedShareTarget.organization_id == organization_id,
            ReservedShareTarget.year == year,
        )
    )
    return result.one_or_none()


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


# ---------------------------------------------------------------------------------------------
# Designated pairings (定点帮扶) of an organisation


async def designated_pairings(session: AsyncSession, organization_id: int) -> list[Pairing]:
    """Every designated pairing of the organisation, areas loaded, oldest first."""
    result = await session.scalars(
        select(Pairing)
        .options(selectinload(Pairing.areas))
        .where(
            Pairing.kind == PairingKind.DESIGNATED,
            Pairing.helper_kind == HelperKind.ORGANIZATION,
            Pairing.helper_organization_id == organization_id,
        )
        .order_by(Pairing.id)
    )
    return list(result.all())


async def county_names(session: AsyncSession, codes: Collection[str]) -> dict[str, str]:
    if not codes:
        return {}
    result = await session.execute(select(County.code, County.name).where(County.code.in_(codes)))
    return {code: name for code, name in result}


# ---------------------------------------------------------------------------------------------
# Source facts for reconcile: orders and refunds as stored, never the ledger

# The payment domain's refunds, read as stored facts. That domain sits above this one (it
# calls the ledger), so its models are not imported: these are the columns reconcile reads.
_refunds = table(
    "refunds",
    sql_column("id"),
    sql_column("order_id"),
    sql_column("status"),
    sql_column("lines", JSON),
    sql_column("created_at", UTCDateTime()),
)
REFUND_SUCCEEDED = "succeeded"


async def succeeded_refunds(
    session: AsyncSession, since: datetime | None, until: datetime | None
) -> list[tuple[int, int, list[dict[str, Any]], datetime]]:
    """(refund id, order id, lines, created_at) of succeeded refunds made in [since, until)."""
    conditions = [_refunds.c.status == REFUND_SUCCEEDED]
    if since is not None:
        conditions.append(_refunds.c.created_at >= since)
    if until is not None:
        conditions.append(_refunds.c.created_at < until)
    result = await session.execute(
        select(_refunds.c.id, _refunds.c.order_id, _refunds.c.lines, _refunds.c.created_at).where(
            and_(*conditions)
        )
    )
    return [(int(r[0]), int(r[1]), list(r[2] or []), r[3]) for r in result]


async def paid_orders(
    session: AsyncSession,
    *,
    since: datetime | None,
    until: datetime | None,
    also_ids: Collection[int] = (),
) -> list[Order]:
    """Orders (lines loaded) paid in [since, until), whatever became of them later, and the
    orders `also_ids` (those of refunds in the period) if they were paid at all."""
    paid_in_period: list[ColumnElement[bool]] = [Order.paid_at.is_not(None)]
    if since is not None:
        paid_in_period.append(Order.paid_at >= since)
    if until is not None:
        paid_in_period.append(Order.paid_at < until)
    condition = and_(*paid_in_period)
    if also_ids:
        condition = or_(condition, and_(Order.paid_at.is_not(None), Order.id.in_(also_ids)))
    result = await session.scalars(
        select(Order).options(selectinload(Order.lines)).where(condition).order_by(Order.id)
    )
    return list(result.all())


async def ledger_entries(
    session: AsyncSession, year: int | None
) -> list[tuple[LedgerEntry, tuple[tuple[int, int], ...]]]:
    """Ledger entries (of a reporting year) with their (pairing, amount) attributions."""
    query = select(LedgerEntry).order_by(LedgerEntry.id)
    if year is not None:
        query = query.where(LedgerEntry.period_year == year)
    entries = list((await session.scalars(query)).all())
    attributions: dict[int, list[tuple[int, int]]] = {}
    attribution_query = select(
        EntryPairing.entry_id, EntryPairing.pairing_id, EntryPairing.amount_fen
    )
    if year is not None:
        attribution_query = attribution_query.join(
            LedgerEntry, LedgerEntry.id == EntryPairing.entry_id
        ).where(LedgerEntry.period_year == year)
    for entry_id, pairing_id, amount in await session.execute(attribution_query):
        attributions.setdefault(entry_id, []).append((pairing_id, amount))
    return [(e, tuple(sorted(attributions.get(e.id, ())))) for e in entries]


async def rollup_rows(
    session: AsyncSession, spec: RollupSpec, year: int | None
) -> dict[GroupKey, tuple[int, int]]:
    """A rollup's rows (of a year) as group key → (amount_fen, order_count)."""
    model: Any = spec.model
    columns = [getattr(model, name) for name in spec.columns]
    query = select(*columns, model.amount_fen, model.order_count)
    if year is not None:
        query = query.where(model.year == year)
    result = await session.execute(query)
    width = len(columns)
    return {tuple(row[:width]): (int(row[width]), int(row[width + 1])) for row in result}
