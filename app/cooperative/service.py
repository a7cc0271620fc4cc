"""Use cases of the cooperative domain: supplier onboarding, verification and membership."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import Role, User
from app.cooperative import repository
from app.cooperative.errors import CooperativeNotFound, SupplierNotSelling
from app.cooperative.models import Cooperative, SupplierStatus


async def get_cooperative(session: AsyncSession, cooperative_id: int) -> Cooperative:
    cooperative = await repository.get_cooperative(session, cooperative_id)
    if cooperative is None:
        raise CooperativeNotFound(f"No supplier with id {cooperative_id}.")
    return cooperative


async def get_member_cooperative(
    session: AsyncSession, *, user: User, cooperative_id: int, admin: bool = False
) -> Cooperative:
    """The cooperative if `user` is its member (its admin, when `admin`), else 404.

    Someone else's cooperative answers 404, not 403: its existence is not revealed.
    """
    roles = await repository.member_roles(session, user.id, cooperative_id)
    allowed = Role.SUPPLIER_ADMIN in roles if admin else bool(roles)
    if not allowed:
        raise CooperativeNotFound(f"No supplier with id {cooperative_id}.")
    return await get_cooperative(session, cooperative_id)


def ensure_can_sell(cooperative: Cooperative) -> None:
    """Unverified or suspended suppliers sell nothing."""
    if cooperative.status != SupplierStatus.VERIFIED:
        raise SupplierNotSelling(
            f"The supplier is {cooperative.status.value}; only verified suppliers can sell."
        )
