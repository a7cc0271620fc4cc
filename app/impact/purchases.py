"""What a buyer's own purchases did (我的帮扶), and what one order helps: the counties and
pairings, with net amounts, read from the ledger entries of the buyer's (or the order's) paid
orders, so that they reconcile to the fen with every other report."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import china_date, utcnow
from app.impact import repository
from app.impact.attribution import Buyer, PairingIndex
from app.impact.reports import pairing_ref
from app.impact.schemas import BuyerImpact, HelpedCounty, OrderImpact, PairingAmount
from app.order import service as order_service
from app.order.models import OrderStatus


def _households(suppliers: Iterable[repository.SupplierNet]) -> tuple[int, dict[str, int]]:
    """(households of the suppliers with a net amount above zero, the same per county)."""
    net: dict[int, int] = defaultdict(int)
    households: dict[int, int] = {}
    by_county: dict[str, int] = defaultdict(int)
    for supplier in suppliers:
        net[supplier.cooperative_id] += supplier.amount_fen
        households[supplier.cooperative_id] = supplier.households_supported
        if supplier.amount_fen > 0:
            by_county[supplier.county_code] += supplier.households_supported
    total = sum(households[i] for i, amount in net.items() if amount > 0)
    return total, by_county


def _counties(
    rows: Iterable[repository.CountyNet], households: Mapping[str, int]
) -> list[HelpedCounty]:
    """Counties with a net amount other than zero (a refund in a later year than its sale
    leaves that year negative: shown, so that the counties sum to the total), largest first."""
    return sorted(
        (
            HelpedCounty(
                code=row.code,
                name=row.name,
                province_name=row.province_name,
                amount_fen=row.amount_fen,
                households_supported=households.get(row.code, 0),
            )
            for row in rows
            if row.amount_fen != 0
        ),
        key=lambda county: (-county.amount_fen, county.code),
    )


async def _pairings(session: AsyncSession, amounts: Mapping[int, int]) -> list[PairingAmount]:
    shown = {pairing_id: amount for pairing_id, amount in amounts.items() if amount != 0}
    if not shown:
        return []
    rows = await repository.pairing_rows(session, among=shown.keys())
    return sorted(
        (PairingAmount(pairing=pairing_ref(row), amount_fen=shown[row.id]) for row in rows),
        key=lambda item: (-item.amount_fen, item.pairing.id),
    )


async def buyer_impact(session: AsyncSession, *, user_id: int, year: int | None) -> BuyerImpact:
    """The net goods of the user's own paid orders (of a China-time year, or of every year),
    by origin county and by pairing; the households the suppliers bought from support."""
    scope = repository.orders_of_buyer(user_id)
    counties = await repository.net_by_county(session, scope, year)
    total_households, county_households = _households(
        await repository.net_by_supplier(session, scope, year)
    )
    return BuyerImpact(
        year=year,
        years=await repository.entry_years(session, scope),
        amount_fen=sum(row.amount_fen for row in counties),
        order_count=await repository.orders_sold(session, scope, year),
        households_supported=total_households,
        by_county=_counties(counties, county_households),
        by_pairing=await _pairings(session, await repository.net_by_pairing(session, scope, year)),
    )


async def order_impact(session: AsyncSession, *, order_id: int) -> OrderImpact | None:
    """The counties and pairings an order helps (the caller has checked that the user may see
    it): from the ledger once it is paid; for an order awaiting payment, what it would count
    for if paid today; None for an order cancelled unpaid."""
    scope = repository.of_order(order_id)
    if await repository.orders_sold(session, scope, None):
        _, county_households = _households(await repository.net_by_supplier(session, scope, None))
        return OrderImpact(
            recorded=True,
            counties=_counties(
                await repository.net_by_county(session, scope, None), county_households
            ),
            pairings=await _pairings(
                session, await repository.net_by_pairing(session, scope, None)
            ),
        )
    order = await order_service.get_order(session, order_id)
    if order.status != OrderStatus.PENDING_PAYMENT:
        return None
    counties = await repository.counties(session, {line.origin_county_code for line in order.lines})
    provinces = {
        p.code: p.name
        for p in await repository.provinces(session, {c.province_code for c in counties.values()})
    }
    households = await repository.households(session, {line.cooperative_id for line in order.lines})
    index = PairingIndex(await repository.pairings_helping_provinces(session, set(provinces)))
    buyer = Buyer(order.buyer_province_code, order.organization_id)
    today = china_date(utcnow())
    goods: dict[str, int] = defaultdict(int)
    suppliers: dict[str, set[int]] = defaultdict(set)
    pairing_amounts: dict[int, int] = defaultdict(int)
    for line in order.lines:
        county = counties[line.origin_county_code]
        goods[county.code] += line.line_total_fen
        suppliers[county.code].add(line.cooperative_id)
        for pairing_id in index.pairing_ids(county, buyer, today):
            pairing_amounts[pairing_id] += line.line_total_fen
    rows = [
        repository.CountyNet(code, counties[code].name, provinces[counties[code].province_code], a)
        for code, a in goods.items()
    ]
    county_households = {
        code: sum(households.get(i, 0) for i in ids) for code, ids in suppliers.items()
    }
    return OrderImpact(
        recorded=False,
        counties=_counties(rows, county_households),
        pairings=await _pairings(session, pairing_amounts),
    )
