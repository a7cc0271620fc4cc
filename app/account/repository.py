"""Queries of the account domain."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import Role, RoleAssignment, User


async def get_user(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def find_user_by_email(session: AsyncSession, email: str) -> User | None:
    """`email` must already be lower-cased: the column stores it that way."""
    result = await session.execute(select(User).where(User.email == email))
    return result.scalar_one_or_none()


async def list_role_assignments(session: AsyncSession, user_id: int) -> Sequence[RoleAssignment]:
    result = await session.execute(
        select(RoleAssignment).where(RoleAssignment.user_id == user_id).order_by(RoleAssignment.id)
    )
    return result.scalars().all()


async def find_role_assignment(
    session: AsyncSession,
    user_id: int,
    role: Role,
    *,
    scope_id: int | None,
    scope_code: str | None,
) -> RoleAssignment | None:
    # NULL scopes never collide in a UNIQUE constraint, so uniqueness is checked here.
    query = select(RoleAssignment).where(
        RoleAssignment.user_id == user_id,
        RoleAssignment.role == role,
        RoleAssignment.scope_id.is_(None)
        if scope_id is None
        else RoleAssignment.scope_id == scope_id,
        RoleAssignment.scope_code.is_(None)
        if scope_code is None
        else RoleAssignment.scope_code == scope_code,
    )
    result = await session.execute(query.limit(1))
    return result.scalar_one_or_none()


async def has_any_role(session: AsyncSession, user_id: int, roles: Sequence[Role]) -> bool:
    result = await session.execute(
        select(RoleAssignment.id)
        .where(RoleAssignment.user_id == user_id, RoleAssignment.role.in_(roles))
        .limit(1)
    )
    return result.first() is not None
