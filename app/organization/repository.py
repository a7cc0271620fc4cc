"""Queries of the organisation domain."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from app.account.models import Role, RoleAssignment, User
from app.organization.models import Organization, OrganizationStatus, ReservedShareTarget
from app.regions.models import County, Prefecture, Province

ORGANIZATION_ROLES = frozenset({Role.ORG_BUYER, Role.ORG_APPROVER, Role.ORG_ADMIN})

# Inner joins: every organisation has a county and every county a province; with inner joins
# FOR UPDATE OF can lock the organisation's row on PostgreSQL.
WITH_COUNTY = joinedload(Organization.county, innerjoin=True).joinedload(
    County.province, innerjoin=True
)


async def get_organization(
    session: AsyncSession, organization_id: int, *, for_update: bool = False
) -> Organization | None:
    """The organisation with its county and province; locked until the transaction ends when
    `for_update` (so that concurrent changes to it apply one after the other)."""
    query = select(Organization).options(WITH_COUNTY).where(Organization.id == organization_id)
    if for_update:
        query = query.with_for_update(of=Organization)
    # populate_existing: a row already in the session is refreshed with what was just locked.
    result = await session.scalars(query.execution_options(populate_existing=for_update))
    return result.one_or_none()


async def find_by_credit_code(session: AsyncSession, credit_code: str) -> int | None:
    return await session.scalar(
        select(Organization.id).where(Organization.credit_code == credit_code)
    )


async def get_county(session: AsyncSession, code: str) -> County | None:
    """A county with its province loaded."""
    query = select(County).options(joinedload(County.province)).where(County.code == code)
    return (await session.scalars(query)).one_or_none()


# code, name, prefecture name, province code, province name
CountyOptionRow = Row[str, str, str, str, str]


async def county_options(session: AsyncSession) -> Sequence[CountyOptionRow]:
    """Every county, in code order (so grouped by province)."""
    query = (
        select(County.code, County.name, Prefecture.name, County.province_code, Province.name)
        .join(Prefecture, County.prefecture_code == Prefecture.code)
        .join(Province, County.province_code == Province.code)
        .order_by(County.code)
    )
    return (await session.execute(query)).all()


# ---------------------------------------------------------------------------------------------
# Members


async def member_roles(session: AsyncSession, user_id: int, organization_id: int) -> set[Role]:
    """The organisation roles `user_id` holds in this organisation."""
    result = await session.scalars(
        select(RoleAssignment.role).where(
            RoleAssignment.user_id == user_id,
            RoleAssignment.scope_id == organization_id,
            RoleAssignment.role.in_(ORGANIZATION_ROLES),
        )
    )
    return set(result.all())


async def member_assignments(
    session: AsyncSession, organization_id: int
) -> Sequence[Row[RoleAssignment, User]]:
    """Every organisation role of the organisation with its user, in user order."""
    query = (
        select(RoleAssignment, User)
        .join(User, RoleAssignment.user_id == User.id)
        .where(
            RoleAssignment.scope_id == organization_id,
            RoleAssignment.role.in_(ORGANIZATION_ROLES),
        )
        .order_by(User.id, RoleAssignment.id)
    )
    return (await session.execute(query)).all()


async def count_admins(session: AsyncSession, organization_id: int) -> int:
    total = await session.scalar(
        select(func.count(func.distinct(RoleAssignment.user_id))).where(
            RoleAssignment.scope_id == organization_id,
            RoleAssignment.role == Role.ORG_ADMIN,
        )
    )
    return int(total or 0)


async def organizations_of_user(
    session: AsyncSession, user_id: int
) -> Sequence[Row[Organization, Role]]:
    """The organisations the user holds a role in, with the role, by name."""
    query = (
        select(Organization, RoleAssignment.role)
        .join(RoleAssignment, RoleAssignment.scope_id == Organization.id)
        .options(WITH_COUNTY)
        .where(RoleAssignment.user_id == user_id, RoleAssignment.role.in_(ORGANIZATION_ROLES))
        .order_by(Organization.name, Organization.id)
    )
    return (await session.execute(query)).all()


# ---------------------------------------------------------------------------------------------
# Review


async def list_organizations(
    session: AsyncSession,
    *,
    status: OrganizationStatus | None,
    offset: int = 0,
    limit: int | None = None,
) -> Sequence[Organization]:
    """Organisations of a status (all if None), oldest application first: a review queue."""
    query = select(Organization).options(WITH_COUNTY).order_by(Organization.id)
    if status is not None:
        query = query.where(Organization.status == status)
    result = await session.scalars(query.offset(offset).limit(limit))
    return result.all()


async def count_organizations(session: AsyncSession, *, status: OrganizationStatus | None) -> int:
    query = select(func.count()).select_from(Organization)
    if status is not None:
        query = query.where(Organization.status == status)
    return int(await session.scalar(query) or 0)


async def count_by_status(session: AsyncSession) -> dict[OrganizationStatus, int]:
    result = await session.execute(
        select(Organization.status, func.count()).group_by(Organization.status)
    )
    return {status: int(count) for status, count in result.all()}


# ---------------------------------------------------------------------------------------------
# Reserved-share targets


async def get_target(
    session: AsyncSession, organization_id: int, year: int
) -> ReservedShareTarget | None:
    return await session.scalar(
        select(ReservedShareTarget).where(
            ReservedShareTarget.organization_id == organization_id,
            ReservedShareTarget.year == year,
        )
    )


async def list_targets(
    session: AsyncSession, organization_id: int
) -> Sequence[ReservedShareTarget]:
    """The organisation's declared targets, latest year first."""
    result = await session.scalars(
        select(ReservedShareTarget)
        .where(ReservedShareTarget.organization_id == organization_id)
        .order_by(ReservedShareTarget.year.desc())
    )
    return result.all()
