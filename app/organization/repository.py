"""Queries of the organisation domain."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import Role, RoleAssignment
from app.organization.models import Organization

ORGANIZATION_ROLES = frozenset({Role.ORG_BUYER, Role.ORG_APPROVER, Role.ORG_ADMIN})


async def get_organization(
    session: AsyncSession, organization_id: int, *, for_update: bool = False
) -> Organization | None:
    """The organisation; locked until the transaction ends when `for_update`."""
    query = select(Organization).where(Organization.id == organization_id)
    if for_update:
        query = query.with_for_update()
    result = await session.scalars(query.execution_options(populate_existing=for_update))
    return result.one_or_none()


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
