"""Reports: sums over the ledger, read from the rollups (a report reads a bounded number of
rollup rows, whatever the length of the history)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import accumulate
from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession

from app.account import service as account_service
from app.account.models import Role, RoleAssignment, User
from app.cooperative import service as cooperative_service
from app.core.clock import china_year, utcnow
from app.core.fields import MAX_ID as MAX_ID  # re-exported: the impact service reads it here
from app.core.money import BASIS_POINTS, apply_basis_points
from app.impact import repository
from app.impact.cache import ReportCache
from app.impact.errors import CountyNotFound, OrganizationNotFound, ProvinceNotFound
from app.impact.schemas import (
    BuyerKindAmount,
    CooperativeReport,
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
    OrganizationReport,
    PairingImpact,
    PairingRef,
    PairingReport,
    ProvinceAmount,
    RegionReport,
)
from app.organization import repository as organization_repository
from app.organization.models import Organization
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
ORGANIZATION_ROLES = frozenset({Role.ORG_BUYER, Role.ORG_APPROVER, Role.ORG_ADMIN})


def current_year() -> int:
    """The reporting year now, in China Standard Time."""
    return china_year(utcnow())


def is_region_code(code: str) -> bool:
    return len(code) == 6 and code.isascii() and code.isdigit()


def _twelve_months(by_month: Mapping[int, tuple[int, int]]) -> list[MonthAmount]:
    return [
        MonthAmount(
            month=m, amount_fen=by_month.get(m, (0, 0))[0], order_count=by_month.get(m, (0, 0))[1]
        )
        for m in range(1, 13)
    ]


def _province_amounts(rows: Iterable[Sequence[object]]) -> list[ProvinceAmount]:
    return [
        ProvinceAmount(code=str(c), name=str(n), amount_fen=int(str(a)), order_count=int(str(o)))
        for c, n, a, o in rows
    ]


def _county_amounts(rows: Iterable[repository.CountyTotal]) -> list[CountyAmount]:
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


async def _pairing_items(
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
    items = await _pairing_items(session, year, province=province, kind=kind)
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
    items = _county_amounts(
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
                share_bp=amount * BASIS_POINTS // total if total > 0 else None,
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
        by_month=_twelve_months(by_month),
        by_buyer_province=_province_amounts(
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
        top_buyer_provinces=_province_amounts(
            await repository.county_buyer_provinces(session, code, year, limit=COUNTY_BOX_PROVINCES)
        ),
        to_date_fen=to_date_fen,
        to_date_order_count=to_date_orders,
    )


async def _years(session: AsyncSession, year: int) -> list[int]:
    """The years a page offers: those with entries, this one and the one shown, newest first."""
    return sorted({*await repository.years(session), current_year(), year}, reverse=True)


async def dashboard(session: AsyncSession, *, year: int | None = None) -> Dashboard:
    """Everything the public /impact page shows, for one year."""
    year = year or current_year()
    return Dashboard(
        year=year,
        years=await _years(session, year),
        summary=await summary(session, year=year),
        pairings=await _pairing_items(session, year),
        by_month=_twelve_months(await repository.months(session, year)),
        top_counties=_county_amounts(
            await repository.top_counties(session, year, limit=TOP_COUNTIES)
        ),
        provinces=_province_amounts(await repository.origin_provinces(session, year)),
        buyer_kinds=[
            BuyerKindAmount(kind=k, amount_fen=int(a), order_count=int(o))
            for k, a, o in await repository.buyer_kinds(session, year)
        ],
        key_assistance=await key_assistance_report(session, year=year),
    )


# ---------------------------------------------------------------------------------------------
# Reports for one audience: an organisation, a province's officials, a supplier


def _may_see_organization(
    assignments: Iterable[RoleAssignment], organization_id: int, province_code: str
) -> bool:
    """Its members, operators, and officials of the province where it is registered."""
    return any(
        a.role == Role.OPERATOR
        or (a.role in ORGANIZATION_ROLES and a.scope_id == organization_id)
        or (a.role == Role.REGIONAL_OFFICIAL and a.scope_code == province_code)
        for a in assignments
    )


async def visible_organization(
    session: AsyncSession, *, user: User, organization_id: int
) -> Organization:
    """The organisation, if the user may see its report; anyone else's answers 404."""
    organization = (
        await repository.get_organization(session, organization_id)
        if 1 <= organization_id <= MAX_ID
        else None
    )
    assignments = await account_service.user_roles(session, user.id)
    if organization is None or not _may_see_organization(
        assignments, organization.id, organization.province_code
    ):
        raise OrganizationNotFound(organization_id)
    return organization


async def organization_report(
    session: AsyncSession, *, user: User, organization_id: int, year: int | None = None
) -> OrganizationReport:
    """Purchases against the reserved-share target; anyone else's organisation answers 404.
    (The API route checks with visible_organization and caches organisation_purchases.)"""
    organization = await visible_organization(session, user=user, organization_id=organization_id)
    return await organization_purchases(session, organization, year or current_year())


async def organization_purchases(
    session: AsyncSession, organization: Organization, year: int
) -> OrganizationReport:
    """An organisation's report, for a caller that has checked the user may see it."""
    declared = await organization_repository.get_target(session, organization.id, year)
    target = (
        apply_basis_points(declared.canteen_budget_fen, declared.reserved_share_bp)
        if declared is not None
        else None
    )
    purchased, orders = await repository.organization_total(session, organization.id, year)
    progress_bp = purchased * BASIS_POINTS // target if target else None
    return OrganizationReport(
        organization_id=organization.id,
        name=organization.name,
        year=year,
        target_fen=target,
        purchased_fen=purchased,
        progress=round(purchased / target, 4) if target else None,
        progress_bp=progress_bp,
        order_count=orders,
        by_county=_county_amounts(
            await repository.organization_counties(session, organization.id, year)
        ),
    )


async def declared_target(
    session: AsyncSession, organization_id: int, year: int
) -> tuple[int, int] | None:
    """(budget, share) as declared for the year: part of the organisation report's cache key,
    so that a new declaration shows at once (the ledger stamp does not see it)."""
    declared = await organization_repository.get_target(session, organization_id, year)
    return None if declared is None else (declared.canteen_budget_fen, declared.reserved_share_bp)


async def organization_months(
    session: AsyncSession, organization_id: int, year: int
) -> tuple[list[MonthAmount], list[int]]:
    """The year's net purchases per month and their running total (the progress chart)."""
    months = _twelve_months(await repository.organization_months(session, organization_id, year))
    running = list(accumulate(m.amount_fen for m in months))
    return months, running


async def region_provinces(session: AsyncSession, user: User) -> list[ProvinceAmount]:
    """The provinces whose reports the user may see: an official's own, every one for an
    operator."""
    assignments = await account_service.user_roles(session, user.id)
    if any(a.role == Role.OPERATOR for a in assignments):
        codes = None
    else:
        codes = {
            a.scope_code
            for a in assignments
            if a.role == Role.REGIONAL_OFFICIAL and a.scope_code is not None
        }
    return [
        ProvinceAmount(code=p.code, name=p.name, amount_fen=0)
        for p in await repository.provinces(session, codes)
    ]


async def region_report(
    session: AsyncSession,
    cache: ReportCache,
    *,
    user: User,
    province: str | None = None,
    year: int | None = None,
) -> RegionReport:
    """A province's pairings (as helper or helped) and counties, for its officials (and
    operators). A province outside the user's scope answers 404. The province's report is
    cached per province, without the user's own list of provinces, which is added per request."""
    year = year or current_year()
    allowed = await region_provinces(session, user)
    chosen = next((p for p in allowed if province is None or p.code == province), None)
    if chosen is None:
        raise ProvinceNotFound(province or "")
    report = await cache.cached(
        session, ("region", chosen.code, year), lambda: _region_report(session, chosen, year)
    )
    return report.model_copy(update={"provinces": allowed})


async def _region_report(session: AsyncSession, chosen: ProvinceAmount, year: int) -> RegionReport:
    origin = {
        p.code: p for p in _province_amounts(await repository.origin_provinces(session, year))
    }
    return RegionReport(
        year=year,
        years=await _years(session, year),
        province=origin.get(chosen.code, chosen),
        provinces=[],
        pairings=await _pairing_items(session, year, province=chosen.code),
        counties=_county_amounts(
            await repository.top_counties(session, year, province_code=chosen.code)
        ),
        buyer_provinces=_province_amounts(
            await repository.buyer_provinces_of_origin(session, chosen.code, year)
        ),
        counties_helped=_county_amounts(
            await repository.counties_bought_by_province(session, chosen.code, year)
        ),
        key_assistance=await key_assistance_report(session, year=year, province=chosen.code),
    )


async def cooperative_report(
    session: AsyncSession,
    cache: ReportCache,
    *,
    user: User,
    cooperative_id: int,
    year: int | None = None,
) -> CooperativeReport:
    """A supplier's net sales and its buyers' provinces; members only (others: 404). Cached
    per supplier, looked up only once the user is found to be a member."""
    year = year or current_year()
    cooperative = await cooperative_service.get_member_cooperative(
        session, user=user, cooperative_id=cooperative_id
    )
    return await cache.cached(
        session,
        ("cooperative", cooperative.id, year),
        lambda: _cooperative_report(session, cooperative.id, cooperative.name, year),
    )


async def _cooperative_report(
    session: AsyncSession, cooperative_id: int, name: str, year: int
) -> CooperativeReport:
    by_month = await repository.cooperative_months(session, cooperative_id, year)
    return CooperativeReport(
        cooperative_id=cooperative_id,
        name=name,
        year=year,
        years=await _years(session, year),
        amount_fen=sum(amount for amount, _ in by_month.values()),
        order_count=sum(orders for _, orders in by_month.values()),
        by_month=_twelve_months(by_month),
        by_buyer_province=_province_amounts(
            await repository.cooperative_buyer_provinces(session, cooperative_id, year)
        ),
    )
