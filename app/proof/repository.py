"""Queries of the proof domain: an organisation's order with its lines, and what the benefit
ledger recorded for that order or for the organisation's year, with the names the documents
print (counties, suppliers)."""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.cooperative.models import Cooperative
from app.impact.models import EntryKind, LedgerEntry, TotalByOrganization
from app.order.models import Order
from app.organization.models import ReservedShareTarget
from app.regions.models import County, Province


class Place(NamedTuple):
    name: str
    province_name: str


class Supplier(NamedTuple):
    name: str
    households_supported: int


class LineEntries(NamedTuple):
    """One order line's ledger sums: sales (positive) and refunds (negative)."""

    sold_fen: int
    refunded_fen: int


class EntryGroup(NamedTuple):
    """Ledger sums of one order, month, origin county and supplier in a year."""

    order_id: int
    month: int
    county_code: str
    cooperative_id: int
    sold_fen: int
    refunded_fen: int  # negative or zero


_SOLD = func.coalesce(
    func.sum(case((LedgerEntry.kind == EntryKind.SALE, LedgerEntry.amount_fen), else_=0)), 0
)
_REFUNDED = func.coalesce(
    func.sum(case((LedgerEntry.kind == EntryKind.REFUND, LedgerEntry.amount_fen), else_=0)), 0
)


async def organization_order(
    session: AsyncSession, organization_id: int, order_id: int
) -> Order | None:
    """The order with its lines, if the organisation placed it."""
    result = await session.scalars(
        select(Order)
        .options(selectinload(Order.lines))
        .where(Order.id == order_id, Order.organization_id == organization_id)
    )
    return result.one_or_none()


async def order_line_entries(session: AsyncSession, order_id: int) -> dict[int, LineEntries]:
    """order line id → its ledger sums, over every year."""
    result = await session.execute(
        select(LedgerEntry.order_line_id, _SOLD, _REFUNDED)
        .where(LedgerEntry.order_id == order_id)
        .group_by(LedgerEntry.order_line_id)
    )
    return {line_id: LineEntries(int(sold), int(refunded)) for line_id, sold, refunded in result}


async def organization_year_entries(
    session: AsyncSession, organization_id: int, year: int
) -> list[EntryGroup]:
    """The organisation's ledger entries of a reporting year, summed per order, month, origin
    county and supplier (a few rows per order line at most)."""
    result = await session.execute(
        select(
            LedgerEntry.order_id,
            LedgerEntry.period_month,
            LedgerEntry.origin_county_code,
            LedgerEntry.cooperative_id,
            _SOLD,
            _REFUNDED,
        )
        .where(
            LedgerEntry.buyer_organization_id == organization_id, LedgerEntry.period_year == year
        )
        .group_by(
            LedgerEntry.order_id,
            LedgerEntry.period_month,
            LedgerEntry.origin_county_code,
            LedgerEntry.cooperative_id,
        )
    )
    return [
        EntryGroup(order_id, month, county, cooperative, int(sold), int(refunded))
        for order_id, month, county, cooperative, sold, refunded in result
    ]


async def organization_year_orders(
    session: AsyncSession, organization_id: int, year: int
) -> list[Order]:
    """The orders behind the organisation's ledger entries of a year (without their lines)."""
    entered = (
        select(LedgerEntry.order_id)
        .where(
            LedgerEntry.buyer_organization_id == organization_id, LedgerEntry.period_year == year
        )
        .distinct()
    )
    result = await session.scalars(select(Order).where(Order.id.in_(entered)).order_by(Order.id))
    return list(result.all())


async def places(session: AsyncSession, codes: Collection[str]) -> dict[str, Place]:
    """County code → its name and its province's name."""
    if not codes:
        return {}
    result = await session.execute(
        select(County.code, County.name, Province.name)
        .join(Province, Province.code == County.province_code)
        .where(County.code.in_(sorted(codes)))
    )
    return {code: Place(name, province) for code, name, province in result}


async def suppliers(session: AsyncSession, ids: Collection[int]) -> dict[int, Supplier]:
    """Supplier id → its name and the households it supports."""
    if not ids:
        return {}
    result = await session.execute(
        select(Cooperative.id, Cooperative.name, Cooperative.households_supported).where(
            Cooperative.id.in_(sorted(ids))
        )
    )
    return {id_: Supplier(name, households) for id_, name, households in result}


async def organization_years(session: AsyncSession, organization_id: int) -> dict[int, int]:
    """Year → the organisation's net amount, for the years its ledger has entries in (from
    the organisation rollup, kept with the ledger: a few rows per year)."""
    result = await session.execute(
        select(TotalByOrganization.year, func.sum(TotalByOrganization.amount_fen))
        .where(TotalByOrganization.organization_id == organization_id)
        .group_by(TotalByOrganization.year)
    )
    return {year: int(amount) for year, amount in result}


async def reserved_share_targets(
    session: AsyncSession, organization_id: int
) -> list[ReservedShareTarget]:
    result = await session.scalars(
        select(ReservedShareTarget).where(ReservedShareTarget.organization_id == organization_id)
    )
    return list(result.all())
