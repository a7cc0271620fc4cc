"""Use cases of the proof domain: an organisation's purchase certificate for a paid order and its
yearly statement, built from the benefit ledger (the record of what benefited whom: amounts,
origin counties, months) and the order lines (what was bought), for its members and operators
only; and the same documents as PDF and XLSX files."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.core.clock import china_year, utcnow
from app.core.fields import MAX_ID
from app.core.money import apply_basis_points
from app.core.sheets import XLSX_MEDIA_TYPE
from app.order.models import Order, OrderStatus
from app.organization import repository as organization_repository
from app.organization.access import member_organization
from app.organization.models import Organization
from app.proof import exports, repository
from app.proof.errors import OrderCancelled, OrderNotFound, OrderNotPaid, PdfFontMissing
from app.proof.repository import Place, Supplier

if TYPE_CHECKING:
    from app.proof.pdf import FontFile

from app.proof.schemas import (
    Certificate,
    CertificateLine,
    CountyBenefit,
    MonthCountyTotal,
    MonthTotal,
    OrganizationHeading,
    Statement,
    StatementOrder,
    StatementYear,
)

CERTIFIABLE = frozenset({OrderStatus.PAID, OrderStatus.COMPLETED})
PDF_TYPE = "application/pdf"
XLSX_TYPE = XLSX_MEDIA_TYPE


@dataclass(frozen=True)
class ProofFile:
    filename: str
    media_type: str
    content: bytes


def _heading(organization: Organization, places: dict[str, Place]) -> OrganizationHeading:
    place = places.get(organization.region_code)
    return OrganizationHeading(
        id=organization.id,
        name=organization.name,
        credit_code=organization.credit_code,
        kind=organization.kind.value,
        region_code=organization.region_code,
        region_name=f"{place.province_name} {place.name}" if place else organization.region_code,
    )


def _order_number(order: Order) -> str:
    return order.number or f"#{order.id}"


def _households(suppliers: dict[int, Supplier], net_by_supplier: dict[int, int]) -> int:
    """The households of the suppliers that still gain something (net above zero), as the
    impact summary counts them."""
    return sum(suppliers[i].households_supported for i, net in net_by_supplier.items() if net > 0)


def _supplier_names(suppliers: dict[int, Supplier], ids: Iterable[int]) -> tuple[str, ...]:
    return tuple(sorted({suppliers[i].name for i in ids}))


# ---------------------------------------------------------------------------------------------
# Certificate


async def certificate(
    session: AsyncSession, *, user: User, organization_id: int, order_id: int
) -> Certificate:
    """The purchase certificate of one of the organisation's paid orders. 404 for an
    organisation the user is no member of (operators see all) and for another's order; 409
    `order_not_paid` or `order_cancelled` for an order that proves no purchase."""
    organization = await member_organization(session, user=user, organization_id=organization_id)
    order = (
        await repository.organization_order(session, organization.id, order_id)
        if 1 <= order_id <= MAX_ID
        else None
    )
    if order is None:
        raise OrderNotFound(order_id)
    if order.status == OrderStatus.CANCELLED:
        raise OrderCancelled(order.id)
    if order.status not in CERTIFIABLE or order.paid_at is None:
        raise OrderNotPaid(order.id)
    entries = await repository.order_line_entries(session, order.id)
    places = await repository.places(
        session, {line.origin_county_code for line in order.lines} | {organization.region_code}
    )
    suppliers = await repository.suppliers(session, {line.cooperative_id for line in order.lines})

    lines: list[CertificateLine] = []
    county_sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    county_suppliers: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    net_by_supplier: dict[int, int] = defaultdict(int)
    for line in order.lines:
        sold, refunded = entries.get(line.id, repository.LineEntries(0, 0))
        place = places.get(line.origin_county_code)
        county_sums[line.origin_county_code][0] += sold
        county_sums[line.origin_county_code][1] += refunded
        county_suppliers[line.origin_county_code][line.cooperative_id] += sold + refunded
        net_by_supplier[line.cooperative_id] += sold + refunded
        lines.append(
            CertificateLine(
                title=line.title,
                sku_name=line.sku_name,
                sku_code=line.sku_code,
                quantity=line.quantity,
                refunded_quantity=line.refunded_quantity,
                unit_price_fen=line.unit_price_fen,
                line_total_fen=line.line_total_fen,
                refunded_fen=-refunded,
                net_fen=sold + refunded,
                county_code=line.origin_county_code,
                county_name=place.name if place else line.origin_county_code,
                cooperative_name=suppliers[line.cooperative_id].name,
            )
        )
    counties = [
        CountyBenefit(
            code=code,
            name=places[code].name if code in places else code,
            province_name=places[code].province_name if code in places else "",
            sold_fen=sold,
            refunded_fen=-refunded,
            net_fen=sold + refunded,
            cooperative_names=_supplier_names(suppliers, county_suppliers[code]),
            households_supported=_households(suppliers, county_suppliers[code]),
        )
        for code, (sold, refunded) in county_sums.items()
    ]
    counties.sort(key=lambda c: (-c.net_fen, c.code))
    sold_total = sum(c.sold_fen for c in counties)
    refunded_total = sum(c.refunded_fen for c in counties)
    return Certificate(
        organization=_heading(organization, places),
        order_id=order.id,
        order_number=_order_number(order),
        po_number=order.po_number,
        status=order.status.value,
        payment_method=order.payment_method.value,
        placed_at=order.created_at,
        paid_at=order.paid_at,
        goods_fen=order.goods_fen,
        shipping_fen=order.shipping_fen,
        total_fen=order.total_fen,
        sold_fen=sold_total,
        refunded_fen=refunded_total,
        benefit_fen=sold_total - refunded_total,
        counties=tuple(counties),
        lines=tuple(lines),
        cooperative_count=len(net_by_supplier),
        households_supported=_households(suppliers, net_by_supplier),
        issued_at=utcnow(),
    )


# ---------------------------------------------------------------------------------------------
# Statement


async def statement(
    session: AsyncSession, *, user: User, organization_id: int, year: int
) -> Statement:
    """The organisation's statement for a reporting year (China Standard Time): its target,
    and its ledger entries of the year by month, by origin county, by both and by order. The
    sums equal the impact report of the organisation (GET /api/v1/impact/organizations/{id})."""
    organization = await member_organization(session, user=user, organization_id=organization_id)
    groups = await repository.organization_year_entries(session, organization.id, year)
    orders = await repository.organization_year_orders(session, organization.id, year)
    declared = await organization_repository.get_target(session, organization.id, year)
    places = await repository.places(
        session, {g.county_code for g in groups} | {organization.region_code}
    )
    suppliers = await repository.suppliers(session, {g.cooperative_id for g in groups})

    month_net: dict[int, int] = defaultdict(int)
    month_orders: dict[int, set[int]] = defaultdict(set)
    county_sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    county_orders: dict[str, set[int]] = defaultdict(set)
    county_suppliers: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    cell_net: dict[tuple[int, str], int] = defaultdict(int)
    order_sums: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    order_counties: dict[int, set[str]] = defaultdict(set)
    net_by_supplier: dict[int, int] = defaultdict(int)
    for g in groups:
        net = g.sold_fen + g.refunded_fen
        month_net[g.month] += net
        county_sums[g.county_code][0] += g.sold_fen
        county_sums[g.county_code][1] += g.refunded_fen
        county_suppliers[g.county_code][g.cooperative_id] += net
        cell_net[(g.month, g.county_code)] += net
        order_sums[g.order_id][0] += g.sold_fen
        order_sums[g.order_id][1] += g.refunded_fen
        order_counties[g.order_id].add(g.county_code)
        net_by_supplier[g.cooperative_id] += net
        if g.sold_fen > 0:  # orders are counted where they were sold, as the rollups count
            month_orders[g.month].add(g.order_id)
            county_orders[g.county_code].add(g.order_id)

    def place(code: str) -> Place:
        return places.get(code, Place(code, ""))

    by_county = sorted(
        (
            CountyBenefit(
                code=code,
                name=place(code).name,
                province_name=place(code).province_name,
                sold_fen=sold,
                refunded_fen=-refunded,
                net_fen=sold + refunded,
                order_count=len(county_orders[code]),
                cooperative_names=_supplier_names(suppliers, county_suppliers[code]),
                households_supported=_households(suppliers, county_suppliers[code]),
            )
            for code, (sold, refunded) in county_sums.items()
        ),
        key=lambda c: (-c.net_fen, c.code),
    )
    statement_orders = sorted(
        (
            StatementOrder(
                order_id=order.id,
                number=_order_number(order),
                po_number=order.po_number,
                paid_at=order.paid_at,
                status=order.status.value,
                sold_fen=order_sums[order.id][0],
                refunded_fen=-order_sums[order.id][1],
                net_fen=sum(order_sums[order.id]),
                county_names=tuple(sorted(place(c).name for c in order_counties[order.id])),
                certifiable=order.status in CERTIFIABLE,
            )
            for order in orders
        ),
        key=lambda o: (o.paid_at is None, o.paid_at, o.order_id),
    )
    sold_total = sum(c.sold_fen for c in by_county)
    refunded_total = sum(c.refunded_fen for c in by_county)
    return Statement(
        organization=_heading(organization, places),
        year=year,
        canteen_budget_fen=declared.canteen_budget_fen if declared else None,
        reserved_share_bp=declared.reserved_share_bp if declared else None,
        target_fen=(
            apply_basis_points(declared.canteen_budget_fen, declared.reserved_share_bp)
            if declared
            else None
        ),
        purchased_fen=sold_total - refunded_total,
        sold_fen=sold_total,
        refunded_fen=refunded_total,
        order_count=len(set().union(*month_orders.values())),
        cooperative_count=sum(1 for net in net_by_supplier.values() if net > 0),
        households_supported=_households(suppliers, net_by_supplier),
        by_month=tuple(
            MonthTotal(month=m, amount_fen=month_net[m], order_count=len(month_orders[m]))
            for m in range(1, 13)
        ),
        by_county=tuple(by_county),
        by_month_county=tuple(
            MonthCountyTotal(
                month=month,
                county_code=code,
                county_name=place(code).name,
                province_name=place(code).province_name,
                amount_fen=amount,
            )
            for (month, code), amount in sorted(cell_net.items())
        ),
        orders=tuple(statement_orders),
        issued_at=utcnow(),
    )


async def statement_years(
    session: AsyncSession, *, user: User, organization_id: int
) -> list[StatementYear]:
    """The years with a statement, newest first: those with purchases or a declared target,
    and the current one (members and operators; others 404)."""
    organization = await member_organization(session, user=user, organization_id=organization_id)
    purchased = await repository.organization_years(session, organization.id)
    targets = {
        t.year: apply_basis_points(t.canteen_budget_fen, t.reserved_share_bp)
        for t in await repository.reserved_share_targets(session, organization.id)
    }
    years = {*purchased, *targets, china_year(utcnow())}
    return [
        StatementYear(year=y, purchased_fen=purchased.get(y, 0), target_fen=targets.get(y))
        for y in sorted(years, reverse=True)
    ]


# ---------------------------------------------------------------------------------------------
# Files


def _font(configured: Path | None) -> FontFile:
    from app.proof import pdf  # fpdf and fontTools (some 20 MB) only once a PDF is asked for

    font = pdf.find_font(configured)
    if font is None:
        raise PdfFontMissing()
    return font


async def certificate_pdf(
    session: AsyncSession,
    *,
    user: User,
    organization_id: int,
    order_id: int,
    font_setting: Path | None,
) -> ProofFile:
    """The certificate as a PDF; 503 `pdf_font_missing` when no Chinese font is installed
    (after the checks of `certificate`, so that outsiders still get their 404)."""
    found = await certificate(
        session, user=user, organization_id=organization_id, order_id=order_id
    )
    # Looking for the font and laying out the pages take a fifth of a second: off the loop.
    font = await asyncio.to_thread(_font, font_setting)
    from app.proof import pdf

    content = await asyncio.to_thread(pdf.certificate_pdf, found, font)
    return ProofFile(f"fengshou-certificate-{found.order_number}.pdf", PDF_TYPE, content)


async def statement_pdf(
    session: AsyncSession,
    *,
    user: User,
    organization_id: int,
    year: int,
    font_setting: Path | None,
) -> ProofFile:
    found = await statement(session, user=user, organization_id=organization_id, year=year)
    font = await asyncio.to_thread(_font, font_setting)
    from app.proof import pdf

    content = await asyncio.to_thread(pdf.statement_pdf, found, font)
    return ProofFile(f"fengshou-statement-{found.organization.id}-{year}.pdf", PDF_TYPE, content)


async def statement_xlsx(
    session: AsyncSession, *, user: User, organization_id: int, year: int
) -> ProofFile:
    found = await statement(session, user=user, organization_id=organization_id, year=year)
    return ProofFile(
        f"fengshou-statement-{found.organization.id}-{year}.xlsx",
        XLSX_TYPE,
        exports.statement_xlsx(found),
    )
