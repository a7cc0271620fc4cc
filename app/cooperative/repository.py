"""Queries of the cooperative domain."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from app.account.models import Role, RoleAssignment, User
from app.cooperative.models import Cooperative, SupplierStatus
from app.regions.models import County, Prefecture, Province

SUPPLIER_ROLES = (Role.SUPPLIER_ADMIN, Role.SUPPLIER_MEMBER)


# Inner joins: every supplier has a county and every county a province; with inner joins
# FOR UPDATE OF can lock the supplier row on PostgreSQL.
WITH_COUNTY = joinedload(Cooperative.county, innerjoin=True).joinedload(
    County.province, innerjoin=True
)


async def get_cooperative(session: AsyncSession, cooperative_id: int) -> Cooperative | None:
    return await session.get(Cooperative, cooperative_id)


async def get_cooperative_with_county(
    session: AsyncSession, cooperative_id: int, *, for_update: bool = False
) -> Cooperative | None:
    """The supplier with its county and province; locked until the transaction ends when
    `for_update` (so that two operators' or admins' changes apply one after the other)."""
    query = select(Cooperative).options(WITH_COUNTY).where(Cooperative.id == cooperative_id)
    if for_update:
        query = query.with_for_update(of=Cooperative)
    # populate_existing: a row already in the session is refreshed with what was just locked.
    result = await session.scalars(query.execution_options(populate_existing=for_update))
    return result.one_or_none()


async def find_by_credit_code(session: AsyncSession, credit_code: str) -> int | None:
    return await session.scalar(
        select(Cooperative.id).where(Cooperative.credit_code == credit_code)
    )


async def get_county(session: AsyncSession, code: str) -> County | None:
    """A county with its province loaded."""
    query = select(County).options(joinedload(County.province)).where(County.code == code)
    return (await session.scalars(query)).one_or_none()


# code, name, prefecture name, province code, province name
CountyOptionRow = Row[str, str, str, str, str]


async def county_options(
    session: AsyncSession, *, poverty_lifted_only: bool
) -> Sequence[CountyOptionRow]:
    """Counties a supplier may register in, in code order (so grouped by province)."""
    query = (
        select(County.code, County.name, Prefecture.name, County.province_code, Province.name)
        .join(Prefecture, County.prefecture_code == Prefecture.code)
        .join(Province, County.province_code == Province.code)
        .order_by(County.code)
    )
    if poverty_lifted_only:
        query = query.where(County.poverty_lifted.is_(True))
    return (await session.execute(query)).all()


async def member_roles(session: AsyncSession, user_id: int, cooperative_id: int) -> set[Role]:
    """The supplier roles `user_id` holds for the cooperative."""
    result = await session.scalars(
        select(RoleAssignment.role).where(
            RoleAssignment.user_id == user_id,
            RoleAssignment.scope_id == cooperative_id,
            RoleAssignment.role.in_(SUPPLIER_ROLES),
        )
    )
    return set(result)


async def member_assignments(
    session: AsyncSession, cooperative_id: int
) -> Sequence[Row[RoleAssignment, User]]:
    """Every supplier role assignment of the cooperative with its user, in user order."""
    query = (
        select(RoleAssignment, User)
        .join(User, RoleAssignment.user_id == User.id)
        .where(
            RoleAssignment.scope_id == cooperative_id,
            RoleAssignment.role.in_(SUPPLIER_ROLES),
        )
        .order_by(User.id, RoleAssignment.id)
    )
    return (await session.execute(query)).all()


async def count_admins(session: AsyncSession, cooperative_id: int) -> int:
    total = await session.scalar(
        select(func.count(func.distinct(RoleAssignment.user_id))).where(
            RoleAssignment.scope_id == cooperative_id,
            RoleAssignment.role == Role.SUPPLIER_ADMIN,
        )
    )
    return int(total or 0)


async def cooperatives_of_user(
    session: AsyncSession, user_id: int
) -> Sequence[Row[Cooperative, Role]]:
    """The suppliers the user holds a supplier role in, with the role, newest first."""
    query = (
        select(Cooperative, RoleAssignment.role)
        .join(RoleAssignment, RoleAssignment.scope_id == Cooperative.id)
        .options(WITH_COUNTY)
        .where(RoleAssignment.user_id == user_id, RoleAssignment.role.in_(SUPPLIER_ROLES))
        .order_by(Cooperative.id.desc())
    )
    return (await session.execute(query)).all()


async def list_cooperatives(
    session: AsyncSession,
    *,
    status: SupplierStatus | None,
    offset: int = 0,
    limit: int | None = None,
) -> Sequence[Cooperative]:
    """Suppliers of a status (all if None), oldest application first: a review queue."""
    query = select(Cooperative).options(WITH_COUNTY).order_by(Cooperative.id)
    if status is not None:
        query = query.where(Cooperative.status == status)
    result = await session.scalars(query.offset(offset).limit(limit))
    return result.all()


async def count_cooperatives(session: AsyncSession, *, status: SupplierStatus | None) -> int:
    query = select(func.count()).select_from(Cooperative)
    if status is not None:
        query = query.where(Cooperative.status == status)
    return int(await session.scalar(query) or 0)


async def count_by_status(session: AsyncSession) -> dict[SupplierStatus, int]:
    result = await session.execute(
        select(Cooperative.status, func.count()).group_by(Cooperative.status)
    )
    return {status: int(count) for status, count in result}
