"""The yearly declaration of the reserved share (预留份额): the canteen food budget and the share
of it reserved for products of poverty-lifted areas; the target is their product. Progress is
read from the benefit ledger by app.impact."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.audit import service as audit_service
from app.core.money import apply_basis_points
from app.organization import access, repository
from app.organization.models import ReservedShareTarget
from app.organization.schemas import TargetOut
from app.organization.service.accounts import ENTITY_KIND
from app.organization.service.fields import check_target


def target_view(target: ReservedShareTarget) -> TargetOut:
    return TargetOut(
        year=target.year,
        canteen_budget_fen=target.canteen_budget_fen,
        reserved_share_bp=target.reserved_share_bp,
        target_fen=apply_basis_points(target.canteen_budget_fen, target.reserved_share_bp),
    )


async def declare_target(
    session: AsyncSession,
    *,
    actor: User,
    organization_id: int,
    year: int,
    canteen_budget_fen: int | None,
    reserved_share_bp: int | None,
) -> TargetOut:
    """Declare (or correct) the year's budget and share (admins only; 404 for non-members,
    403 for other members). A share under 10 % or over 100 %, a negative budget or a year
    outside 2021–next year is a 422 naming the field; nothing is written then."""
    organization = await access.admin_organization(
        session, user=actor, organization_id=organization_id, for_update=True
    )
    budget, share = check_target(year, canteen_budget_fen, reserved_share_bp)
    target = await repository.get_target(session, organization.id, year)
    before = (
        None
        if target is None
        else {
            "canteen_budget_fen": target.canteen_budget_fen,
            "reserved_share_bp": target.reserved_share_bp,
        }
    )
    if target is None:
        target = ReservedShareTarget(organization_id=organization.id, year=year)
        session.add(target)
    target.canteen_budget_fen = budget
    target.reserved_share_bp = share
    await session.flush()
    view = target_view(target)
    await audit_service.record(
        session,
        actor_user_id=actor.id,
        action="organization.target",
        entity_kind=ENTITY_KIND,
        entity_id=organization.id,
        before={"year": year, **before} if before else None,
        after={"year": year, "canteen_budget_fen": budget, "reserved_share_bp": share},
    )
    return view


async def list_targets(
    session: AsyncSession, *, user: User, organization_id: int
) -> list[TargetOut]:
    """The declared targets, latest year first (members and operators)."""
    await access.member_organization(session, user=user, organization_id=organization_id)
    return [target_view(t) for t in await repository.list_targets(session, organization_id)]


async def get_target(
    session: AsyncSession, *, user: User, organization_id: int, year: int
) -> TargetOut | None:
    """The year's target if declared (members and operators)."""
    await access.member_organization(session, user=user, organization_id=organization_id)
    target = await repository.get_target(session, organization_id, year)
    return None if target is None else target_view(target)
