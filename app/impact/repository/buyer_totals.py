"""Sums over the ledger entries of some orders (one buyer's, or one order's): by origin county,
supplier and pairing. These read the ledger itself, not the rollups, which keep no buyer: a
buyer's entries are a few per order, found through the orders' buyer index."""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple

from sqlalchemy import ColumnElement, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.cooperative.models import Cooperative
from app.impact.models import EntryKind, EntryPairing, LedgerEntry
from app.order.models import Order
from app.regions.models import County, Province


class CountyNet(NamedTuple):
    code: str
    name: str
    province_name: str
    amount_fen: int


class SupplierNet(NamedTuple):
    cooperative_id: int
    county_code: str
    households_supported: int
    amount_fen: int


def orders_of_buyer(user_id: int) -> ColumnElement[bool]:
    """The entries of the orders the user placed (as a consumer or for an organisation)."""
    return LedgerEntry.order_id.in_(select(Order.id).where(Order.buyer_user_id == user_id))


def of_order(order_id: int) -> ColumnElement[bool]:
    return LedgerEntry.order_id == order_id


def _where(scope: ColumnElement[bool], year: int | None) -> list[ColumnElement[bool]]:
    return [scope] if year is None else [scope, LedgerEntry.period_year == year]


async def net_by_county(
    session: AsyncSession, scope: ColumnElement[bool], year: int | None
) -> list[CountyNet]:
    """Origin county → net amount (sales minus refunds) of the entries in scope."""
    amount = func.sum(LedgerEntry.amount_fen)
    result = await session.execute(
        select(LedgerEntry.origin_county_code, County.name, Province.name, amount)
        .join(County, County.code == LedgerEntry.origin_county_code)
        .join(Province, Province.code == LedgerEntry.origin_province_code)
        .where(*_where(scope, year))
        .group_by(LedgerEntry.origin_county_code, County.name, Province.name)
    )
    return [CountyNet(c, n, p, int(a)) for c, n, p, a in result]


async def net_by_supplier(
    session: AsyncSession, scope: ColumnElement[bool], year: int | None
) -> list[SupplierNet]:
    """Supplier (and the county its goods came from) → the households it supports and the net
    amount of the entries in scope."""
    result = await session.execute(
        select(
            LedgerEntry.cooperative_id,
            LedgerEntry.origin_county_code,
            Cooperative.households_supported,
            func.sum(LedgerEntry.amount_fen),
        )
        .join(Cooperative, Cooperative.id == LedgerEntry.cooperative_id)
        .where(*_where(scope, year))
        .group_by(
            LedgerEntry.cooperative_id,
            LedgerEntry.origin_county_code,
            Cooperative.households_supported,
        )
    )
    return [SupplierNet(i, c, int(h or 0), int(a)) for i, c, h, a in result]


async def net_by_pairing(
    session: AsyncSession, scope: ColumnElement[bool], year: int | None
) -> dict[int, int]:
    """Pairing → net amount of the entries in scope counted for it."""
    result = await session.execute(
        select(EntryPairing.pairing_id, func.sum(EntryPairing.amount_fen))
        .join(LedgerEntry, LedgerEntry.id == EntryPairing.entry_id)
        .where(*_where(scope, year))
        .group_by(EntryPairing.pairing_id)
    )
    return {pairing_id: int(amount) for pairing_id, amount in result}


async def orders_sold(session: AsyncSession, scope: ColumnElement[bool], year: int | None) -> int:
    """Distinct orders with a sale entry in scope (refunds change amounts, never counts)."""
    found = await session.scalar(
        select(func.count(distinct(LedgerEntry.order_id))).where(
            *_where(scope, year), LedgerEntry.kind == EntryKind.SALE
        )
    )
    return int(found or 0)


async def entry_years(session: AsyncSession, scope: ColumnElement[bool]) -> list[int]:
    """The reporting years with entries in scope, newest first."""
    result = await session.scalars(
        select(LedgerEntry.period_year)
        .where(scope)
        .distinct()
        .order_by(LedgerEntry.period_year.desc())
    )
    return list(result)


async def households(session: AsyncSession, cooperative_ids: Collection[int]) -> dict[int, int]:
    """Supplier → the households it declares it supports (带动农户)."""
    if not cooperative_ids:
        return {}
    result = await session.execute(
        select(Cooperative.id, Cooperative.households_supported).where(
            Cooperative.id.in_(sorted(cooperative_ids))
        )
    )
    return {cooperative_id: int(count or 0) for cooperative_id, count in result}
