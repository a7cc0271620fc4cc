"""Reports for one audience, each read only by those allowed to: an organisation's (its
members, operators and its province's officials), a province's (its officials and operators)
and a supplier's (its members). Built from the sums of `reports`."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import accumulate

from sqlalchemy.ext.asyncio import AsyncSession

from app.account import service as account_service
from app.account.models import Role, RoleAssignment, User
from app.account.service import ORGANIZATION_ROLES
from app.cooperative import service as cooperative_service
from app.core.fields import MAX_ID
from app.core.money import apply_basis_points, share_bp
from app.impact import repository
from app.impact.cache import ReportCache
from app.impact.errors import OrganizationNotFound, ProvinceNotFound
from app.impact.reports import (
    county_amounts,
    current_year,
    key_assistance_report,
    pairing_items,
    province_amounts,
    report_years,
    twelve_months,
)
from app.impact.schemas import (
    CooperativeReport,
    MonthAmount,
    OrganizationReport,
    ProvinceAmount,
    RegionReport,
)
from app.organization import repository as organization_repository
from app.organization.models import Organization


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
    progress_bp = share_bp(purchased, target)
    return OrganizationReport(
        organization_id=organization.id,
        name=organization.name,
        year=year,
        target_fen=target,
        purchased_fen=purchased,
        progress=round(purchased / target, 4) if target else None,
        progress_bp=progress_bp,
        order_count=orders,
        by_county=county_amounts(
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
    months = twelve_months(await repository.organization_months(session, organization_id, year))
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
    origin = {p.code: p for p in province_amounts(await repository.origin_provinces(session, year))}
    return RegionReport(
        year=year,
        years=await report_years(session, year),
        province=origin.get(chosen.code, chosen),
        provinces=[],
        pairings=await pairing_items(session, year, province=chosen.code),
        counties=county_amounts(
            await repository.top_counties(session, year, province_code=chosen.code)
        ),
        buyer_provinces=province_amounts(
            await repository.buyer_provinces_of_origin(session, chosen.code, year)
        ),
        counties_helped=county_amounts(
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
        years=await report_years(session, year),
        amount_fen=sum(amount for amount, _ in by_month.values()),
        order_count=sum(orders for _, orders in by_month.values()),
        by_month=twelve_months(by_month),
        by_buyer_province=province_amounts(
            await repository.cooperative_buyer_provinces(session, cooperative_id, year)
        ),
    )
