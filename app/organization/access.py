"""Who may see or act for an organisation: its members (in the roles asked for) and operators;
everyone else is told the organisation does not exist."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.account import service as account_service
from app.account.models import Role, User
from app.core.fields import MAX_ID
from app.organization import repository
from app.organization.errors import OrganizationAdminRequired, OrganizationNotFound
from app.organization.models import Organization

ORGANIZATION_ROLES: frozenset[Role] = repository.ORGANIZATION_ROLES


async def member_organization(
    session: AsyncSession,
    *,
    user: User,
    organization_id: int,
    roles: frozenset[Role] | None = None,
    allow_operator: bool = True,
) -> Organization:
    """The organisation, when `user` holds one of `roles` in it (default: any organisation
    role) or is an operator and `allow_operator`; OrganizationNotFound (404) otherwise, for an
    id out of range too, so that outsiders learn nothing about which organisations exist."""
    if not 1 <= organization_id <= MAX_ID:
        raise OrganizationNotFound(organization_id)
    wanted = ORGANIZATION_ROLES if roles is None else roles
    allowed = bool(await repository.member_roles(session, user.id, organization_id) & wanted)
    if not allowed and allow_operator:
        allowed = await account_service.has_role(session, user.id, Role.OPERATOR)
    if not allowed:
        raise OrganizationNotFound(organization_id)
    organization = await repository.get_organization(session, organization_id)
    if organization is None:
        raise OrganizationNotFound(organization_id)
    return organization


async def admin_organization(
    session: AsyncSession, *, user: User, organization_id: int, for_update: bool = False
) -> Organization:
    """The organisation, when `user` is one of its admins. Anyone who is no member (operators
    included: they review organisations, they do not run them) gets OrganizationNotFound (404);
    a member who is not an admin OrganizationAdminRequired (403). Locked when `for_update`."""
    if not 1 <= organization_id <= MAX_ID:
        raise OrganizationNotFound(organization_id)
    roles = await repository.member_roles(session, user.id, organization_id)
    if not roles:
        raise OrganizationNotFound(organization_id)
    if Role.ORG_ADMIN not in roles:
        raise OrganizationAdminRequired()
    organization = await repository.get_organization(
        session, organization_id, for_update=for_update
    )
    if organization is None:
        raise OrganizationNotFound(organization_id)
    return organization
