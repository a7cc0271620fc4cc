"""Membership of a supplier: who belongs to it with which role, the portal's overview for its
members, inviting members (they join by accepting), changing roles and removing members
(admins only; the last admin stays)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.account import invitations
from app.account import service as account_service
from app.account.models import InvitationScope, Role, User
from app.account.schemas import InvitationOut
from app.audit import service as audit_service
from app.cooperative import repository
from app.cooperative.errors import (
    CooperativeNotFound,
    FieldProblem,
    InvalidFields,
    LastAdmin,
    MemberNotFound,
    SupplierAdminRequired,
)
from app.cooperative.models import Cooperative
from app.cooperative.schemas import Dashboard, MemberOut, MemberRoleName, MyCooperative
from app.cooperative.service.fields import check_id
from app.cooperative.service.suppliers import (
    ENTITY_KIND,
    cooperative_view,
    is_operator,
    load_cooperative,
)
from app.core.fields import MAX_ID

_MEMBER_ROLES: dict[str, Role] = {"admin": Role.SUPPLIER_ADMIN, "member": Role.SUPPLIER_MEMBER}
_ROLE_NAMES: dict[Role, MemberRoleName] = {
    Role.SUPPLIER_ADMIN: "admin",
    Role.SUPPLIER_MEMBER: "member",
}


def _role_name(roles: set[Role]) -> MemberRoleName | None:
    if Role.SUPPLIER_ADMIN in roles:
        return "admin"
    if Role.SUPPLIER_MEMBER in roles:
        return "member"
    return None


async def list_my_cooperatives(session: AsyncSession, *, user: User) -> list[MyCooperative]:
    """The suppliers `user` is a member of, newest first, with their role in each."""
    roles: dict[int, set[Role]] = {}
    cooperatives: dict[int, Cooperative] = {}
    for cooperative, role in await repository.cooperatives_of_user(session, user.id):
        cooperatives[cooperative.id] = cooperative
        roles.setdefault(cooperative.id, set()).add(role)
    return [
        MyCooperative(
            cooperative=cooperative_view(cooperative, with_contact=True),
            role=_role_name(roles[cooperative_id]) or "member",
        )
        for cooperative_id, cooperative in cooperatives.items()
    ]


async def _members(session: AsyncSession, cooperative_id: int) -> list[MemberOut]:
    """Members in user order, admins first; a user holding both roles counts as admin."""
    assignments = await repository.member_assignments(session, cooperative_id)
    members = [
        MemberOut(
            user_id=user.id,
            email=user.email,
            display_name=user.display_name,
            role=_role_name(roles) or "member",
        )
        for user, roles in account_service.roles_by_user(assignments)
    ]
    return sorted(members, key=lambda m: (m.role != "admin", m.user_id))


async def dashboard(session: AsyncSession, *, user: User, cooperative_id: int) -> Dashboard:
    """The supplier portal's overview for one of its members; 404 for anyone else."""
    check_id(cooperative_id)
    role = _role_name(await repository.member_roles(session, user.id, cooperative_id))
    if role is None:
        raise CooperativeNotFound(f"No supplier with id {cooperative_id}.")
    cooperative = await load_cooperative(session, cooperative_id)
    return Dashboard(
        cooperative=cooperative_view(cooperative, with_contact=True),
        members=await _members(session, cooperative_id),
        role=role,
    )


async def list_members(
    session: AsyncSession, *, viewer: User, cooperative_id: int
) -> list[MemberOut]:
    """The supplier's members, for its members and operators; 404 for anyone else."""
    check_id(cooperative_id)
    is_member = bool(await repository.member_roles(session, viewer.id, cooperative_id))
    if not is_member and not await is_operator(session, viewer):
        raise CooperativeNotFound(f"No supplier with id {cooperative_id}.")
    await load_cooperative(session, cooperative_id)
    return await _members(session, cooperative_id)


async def _require_admin(session: AsyncSession, user: User, cooperative_id: int) -> None:
    """404 for non-members (the supplier stays hidden), 403 for members who are not admins."""
    check_id(cooperative_id)
    roles = await repository.member_roles(session, user.id, cooperative_id)
    if not roles:
        raise CooperativeNotFound(f"No supplier with id {cooperative_id}.")
    if Role.SUPPLIER_ADMIN not in roles:
        raise SupplierAdminRequired()


def _member_role(role: str) -> Role:
    new_role = _MEMBER_ROLES.get(role)
    if new_role is None:
        raise InvalidFields(
            {"role": FieldProblem("invalid_role", "The role is either admin or member.")}
        )
    return new_role


async def invite_member(
    session: AsyncSession, *, actor: User, cooperative_id: int, email: str, role: str = "member"
) -> int:
    """Invite the holder of `email` to become a member or admin (admins only); returns the
    invitation's id. Nobody becomes a member without accepting (app.account.invitations): the
    answer is the same for a registered and an unregistered address. A member's address is
    AlreadyMember (409): their role is changed with change_member_role."""
    await _require_admin(session, actor, cooperative_id)
    new_role = _member_role(role)
    address = invitations.invitee_email(email)
    # Locked so that invitations of one supplier are made one after the other.
    cooperative = await load_cooperative(session, cooperative_id, for_update=True)
    invitation = await invitations.invite(
        session,
        inviter=actor,
        scope_kind=InvitationScope.COOPERATIVE,
        scope_id=cooperative.id,
        scope_name=cooperative.name,
        email=address,
        role=new_role,
    )
    return invitation.id


async def list_invitations(
    session: AsyncSession, *, actor: User, cooperative_id: int
) -> list[InvitationOut]:
    """The supplier's unanswered invitations (admins only)."""
    await _require_admin(session, actor, cooperative_id)
    return await invitations.scope_invitations(
        session, scope_kind=InvitationScope.COOPERATIVE, scope_id=cooperative_id
    )


async def revoke_invitation(
    session: AsyncSession, *, actor: User, cooperative_id: int, invitation_id: int
) -> InvitationOut:
    """Withdraw an unanswered invitation (admins only)."""
    await _require_admin(session, actor, cooperative_id)
    return await invitations.revoke(
        session,
        actor=actor,
        scope_kind=InvitationScope.COOPERATIVE,
        scope_id=cooperative_id,
        invitation_id=invitation_id,
    )


async def change_member_role(
    session: AsyncSession, *, actor: User, cooperative_id: int, user_id: int, role: str
) -> MemberOut:
    """Make a member an admin or an admin a member (admins only). An admin made a member must
    not be the last admin (LastAdmin, 409); the same role again changes nothing."""
    await _require_admin(session, actor, cooperative_id)
    new_role = _member_role(role)
    if not 1 <= user_id <= MAX_ID:
        raise MemberNotFound(user_id)
    # Locked so that concurrent role changes cannot leave the supplier without an admin.
    cooperative = await load_cooperative(session, cooperative_id, for_update=True)
    current = await repository.member_roles(session, user_id, cooperative.id)
    member = await account_service.get_user(session, user_id) if current else None
    if member is None:
        raise MemberNotFound(user_id)
    view = MemberOut(
        user_id=member.id,
        email=member.email,
        display_name=member.display_name,
        role=_ROLE_NAMES[new_role],
    )
    if current == {new_role}:
        return view
    if (
        Role.SUPPLIER_ADMIN in current
        and new_role != Role.SUPPLIER_ADMIN
        and await repository.count_admins(session, cooperative.id) <= 1
    ):
        raise LastAdmin()
    await account_service.grant_role(session, member, new_role, scope_id=cooperative.id)
    for old_role in current - {new_role}:
        await account_service.revoke_role(session, member, old_role, scope_id=cooperative.id)
    await audit_service.record(
        session,
        actor_user_id=actor.id,
        action="cooperative.member_role_change",
        entity_kind=ENTITY_KIND,
        entity_id=cooperative.id,
        before={"member_user_id": member.id, "member_role": _role_name(current)},
        after={"member_user_id": member.id, "member_role": _ROLE_NAMES[new_role]},
    )
    return view


async def remove_member(
    session: AsyncSession, *, actor: User, cooperative_id: int, user_id: int
) -> MemberOut:
    """Take a member out of the supplier: admins remove anyone, members only themselves.
    The last admin stays (LastAdmin, 409). Returns the member as they were."""
    check_id(cooperative_id)
    actor_roles = await repository.member_roles(session, actor.id, cooperative_id)
    if not actor_roles:
        raise CooperativeNotFound(f"No supplier with id {cooperative_id}.")
    if user_id != actor.id and Role.SUPPLIER_ADMIN not in actor_roles:
        raise SupplierAdminRequired()
    if not 1 <= user_id <= MAX_ID:
        raise MemberNotFound(user_id)
    cooperative = await load_cooperative(session, cooperative_id, for_update=True)
    target_roles = await repository.member_roles(session, user_id, cooperative.id)
    member = await account_service.get_user(session, user_id) if target_roles else None
    if member is None:
        raise MemberNotFound(user_id)
    if (
        Role.SUPPLIER_ADMIN in target_roles
        and await repository.count_admins(session, cooperative.id) <= 1
    ):
        raise LastAdmin()
    for role in target_roles:
        await account_service.revoke_role(session, member, role, scope_id=cooperative.id)
    await audit_service.record(
        session,
        actor_user_id=actor.id,
        action="cooperative.member_remove",
        entity_kind=ENTITY_KIND,
        entity_id=cooperative.id,
        before={"member_user_id": user_id, "member_role": _role_name(target_roles)},
        after={"member_user_id": user_id, "member_role": None},
    )
    return MemberOut(
        user_id=member.id,
        email=member.email,
        display_name=member.display_name,
        role=_role_name(target_roles) or "member",
    )
