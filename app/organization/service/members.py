"""Members of an organisation: who holds which role (buyer, approver, admin), invitations
(nobody joins without accepting one, app.account.invitations), role changes and removal; the
last admin always stays."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.account import invitations
from app.account import service as account_service
from app.account.models import InvitationScope, Role, User
from app.account.schemas import InvitationOut
from app.audit import service as audit_service
from app.core.fields import MAX_ID
from app.organization import access, repository
from app.organization.errors import (
    FieldProblem,
    InvalidOrganizationFields,
    LastAdmin,
    MemberNotFound,
    OrganizationAdminRequired,
    OrganizationNotFound,
)
from app.organization.schemas import MemberOut
from app.organization.service.accounts import ENTITY_KIND, ROLE_NAMES, role_name

MEMBER_ROLES: dict[str, Role] = {name: role for role, name in ROLE_NAMES.items()}


async def _members(session: AsyncSession, organization_id: int) -> list[MemberOut]:
    """Members in user order, admins first."""
    assignments = await repository.member_assignments(session, organization_id)
    members = [
        MemberOut(
            user_id=user.id,
            email=user.email,
            display_name=user.display_name,
            role=role_name(roles) or "buyer",
        )
        for user, roles in account_service.roles_by_user(assignments)
    ]
    order = {"admin": 0, "approver": 1, "buyer": 2}
    return sorted(members, key=lambda m: (order[m.role], m.user_id))


async def list_members(
    session: AsyncSession, *, viewer: User, organization_id: int
) -> list[MemberOut]:
    """The organisation's members, for its members and operators; 404 for anyone else."""
    await access.member_organization(session, user=viewer, organization_id=organization_id)
    return await _members(session, organization_id)


def _role(raw: str) -> Role:
    role = MEMBER_ROLES.get(raw)
    if role is None:
        raise InvalidOrganizationFields(
            {"role": FieldProblem("invalid_role", "The role is buyer, approver or admin.")}
        )
    return role


async def invite_member(
    session: AsyncSession, *, actor: User, organization_id: int, email: str, role: str
) -> int:
    """Invite the holder of `email` to take `role` (admins only); returns the invitation's id.
    The same answer whether or not the address is registered; a member's address is
    AlreadyMember (409)."""
    await access.admin_organization(session, user=actor, organization_id=organization_id)
    new_role = _role(role)
    address = invitations.invitee_email(email, invalid=InvalidOrganizationFields)
    # Locked so that one organisation's invitations are made one after the other.
    organization = await repository.get_organization(session, organization_id, for_update=True)
    if organization is None:
        raise OrganizationNotFound(organization_id)
    invitation = await invitations.invite(
        session,
        inviter=actor,
        scope_kind=InvitationScope.ORGANIZATION,
        scope_id=organization.id,
        scope_name=organization.name,
        email=address,
        role=new_role,
    )
    return invitation.id


async def list_invitations(
    session: AsyncSession, *, actor: User, organization_id: int
) -> list[InvitationOut]:
    """The organisation's unanswered invitations (admins only)."""
    await access.admin_organization(session, user=actor, organization_id=organization_id)
    return await invitations.scope_invitations(
        session, scope_kind=InvitationScope.ORGANIZATION, scope_id=organization_id
    )


async def revoke_invitation(
    session: AsyncSession, *, actor: User, organization_id: int, invitation_id: int
) -> InvitationOut:
    """Withdraw an unanswered invitation (admins only)."""
    await access.admin_organization(session, user=actor, organization_id=organization_id)
    return await invitations.revoke(
        session,
        actor=actor,
        scope_kind=InvitationScope.ORGANIZATION,
        scope_id=organization_id,
        invitation_id=invitation_id,
    )


async def _member(
    session: AsyncSession, user_id: int, organization_id: int
) -> tuple[User, set[Role]]:
    roles = (
        await repository.member_roles(session, user_id, organization_id)
        if 1 <= user_id <= MAX_ID
        else set()
    )
    member = await account_service.get_user(session, user_id) if roles else None
    if member is None:
        raise MemberNotFound(user_id)
    return member, roles


async def _keeps_an_admin(session: AsyncSession, organization_id: int, roles: set[Role]) -> None:
    if Role.ORG_ADMIN in roles and await repository.count_admins(session, organization_id) <= 1:
        raise LastAdmin()


async def change_member_role(
    session: AsyncSession, *, actor: User, organization_id: int, user_id: int, role: str
) -> MemberOut:
    """Give a member another role (admins only); the last admin stays one (LastAdmin, 409)."""
    new_role = _role(role)
    # Locked so that concurrent changes cannot leave the organisation without an admin.
    organization = await access.admin_organization(
        session, user=actor, organization_id=organization_id, for_update=True
    )
    member, current = await _member(session, user_id, organization.id)
    view = MemberOut(
        user_id=member.id,
        email=member.email,
        display_name=member.display_name,
        role=ROLE_NAMES[new_role],
    )
    if current == {new_role}:
        return view
    if new_role != Role.ORG_ADMIN:
        await _keeps_an_admin(session, organization.id, current)
    await account_service.grant_role(session, member, new_role, scope_id=organization.id)
    for old_role in current - {new_role}:
        await account_service.revoke_role(session, member, old_role, scope_id=organization.id)
    await audit_service.record(
        session,
        actor_user_id=actor.id,
        action="organization.member_role_change",
        entity_kind=ENTITY_KIND,
        entity_id=organization.id,
        before={"member_user_id": member.id, "member_role": role_name(current)},
        after={"member_user_id": member.id, "member_role": ROLE_NAMES[new_role]},
    )
    return view


async def remove_member(
    session: AsyncSession, *, actor: User, organization_id: int, user_id: int
) -> MemberOut:
    """Take a member out: admins remove anyone, members only themselves (leaving). The last
    admin stays (LastAdmin, 409). Returns the member as they were."""
    if not 1 <= organization_id <= MAX_ID:
        raise OrganizationNotFound(organization_id)
    actor_roles = await repository.member_roles(session, actor.id, organization_id)
    if not actor_roles:
        raise OrganizationNotFound(organization_id)
    if user_id != actor.id and Role.ORG_ADMIN not in actor_roles:
        raise OrganizationAdminRequired()
    organization = await repository.get_organization(session, organization_id, for_update=True)
    if organization is None:
        raise OrganizationNotFound(organization_id)
    member, roles = await _member(session, user_id, organization.id)
    await _keeps_an_admin(session, organization.id, roles)
    for role in roles:
        await account_service.revoke_role(session, member, role, scope_id=organization.id)
    await audit_service.record(
        session,
        actor_user_id=actor.id,
        action="organization.member_remove",
        entity_kind=ENTITY_KIND,
        entity_id=organization.id,
        before={"member_user_id": member.id, "member_role": role_name(roles)},
        after={"member_user_id": member.id, "member_role": None},
    )
    return MemberOut(
        user_id=member.id,
        email=member.email,
        display_name=member.display_name,
        role=role_name(roles) or "buyer",
    )
