"""Queries of the cooperative domain."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import Role, RoleAssignment
from app.cooperative.models import Cooperative

SUPPLIER_ROLES = (Role.SUPPLIER_ADMIN, Role.SUPPLIER_MEMBER)


async def get_cooperative(session: AsyncSession, cooperative_id: int) -> Cooperative | None:
    return await session.get(Cooperative, cooperative_id)


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
