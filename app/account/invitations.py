"""Memberships by consent: invitations to a cooperative or an organisation, made by its admins
and answered by the holder of the invited address.

The scope's own domain (app.cooperative, app.organization) checks that the inviter may invite
and names the roles; this module keeps the invitations, grants the role on acceptance and has
the invitee mailed. Making an invitation looks up no account, so its answer is the same whether
or not the address is registered: nothing tells the inviter who has an account here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.account import repository
from app.account import service as account_service
from app.account.errors import AlreadyMember, InvitationNotFound
from app.account.models import Invitation, InvitationScope, InvitationStatus, Role, User
from app.account.schemas import InvitationOut, MemberRoleName
from app.audit import service as audit_service
from app.core.clock import utcnow
from app.core.errors import FieldProblem, InvalidFields, ValidationFailed
from app.core.fields import MAX_ID, has_control_characters
from app.jobs.service import enqueue

INVITATION_MAIL_JOB = "account.send_invitation_mail"
INVITATION_DAYS = 14
LIST_LIMIT = 200
SCOPE_NAME_MAX_LENGTH = 100

# The roles each scope's members hold: being invited again is refused while one is held.
SCOPE_ROLES: dict[InvitationScope, frozenset[Role]] = {
    InvitationScope.COOPERATIVE: account_service.COOPERATIVE_ROLES,
    InvitationScope.ORGANIZATION: account_service.ORGANIZATION_ROLES,
}
ROLE_NAMES: dict[Role, MemberRoleName] = {
    Role.SUPPLIER_MEMBER: "member",
    Role.SUPPLIER_ADMIN: "admin",
    Role.ORG_BUYER: "buyer",
    Role.ORG_APPROVER: "approver",
    Role.ORG_ADMIN: "admin",
}


def effective_status(invitation: Invitation, now: datetime | None = None) -> InvitationStatus:
    """Its status, where a pending invitation past its expiry counts as expired."""
    if invitation.status == InvitationStatus.PENDING and invitation.expires_at <= (now or utcnow()):
        return InvitationStatus.EXPIRED
    return invitation.status


def _views(invitations: Iterable[Invitation], names: dict[int, str]) -> list[InvitationOut]:
    now = utcnow()
    return [
        InvitationOut(
            id=invitation.id,
            email=invitation.email,
            scope_kind=invitation.scope_kind.value,
            scope_id=invitation.scope_id,
            scope_name=invitation.scope_name,
            role=ROLE_NAMES[invitation.role],
            status=effective_status(invitation, now).value,
            inviter_name=names.get(invitation.inviter_user_id or 0),
            expires_at=invitation.expires_at,
            created_at=invitation.created_at,
        )
        for invitation in invitations
    ]


async def _viewed(session: AsyncSession, invitations: list[Invitation]) -> list[InvitationOut]:
    inviters = {i.inviter_user_id for i in invitations if i.inviter_user_id is not None}
    return _views(invitations, await repository.display_names(session, inviters))


def invitee_email(raw_email: str, *, invalid: type[InvalidFields] = InvalidFields) -> str:
    """The address as stored, or `invalid` naming the e-mail field. No account is looked up:
    an invitation answers the same whether or not the address is registered."""
    text = raw_email.strip()
    if has_control_characters(text):
        raise invalid({"email": FieldProblem("invalid_email", "The e-mail address is invalid.")})
    try:
        return account_service.normalize_email(text)
    except ValidationFailed as exc:
        message = exc.fields.get("email") or "The e-mail address is invalid."
        raise invalid({"email": FieldProblem("invalid_email", message)}) from exc


async def invite(
    session: AsyncSession,
    *,
    inviter: User,
    scope_kind: InvitationScope,
    scope_id: int,
    scope_name: str,
    email: str,
    role: Role,
) -> Invitation:
    """Invite the holder of `email` (already normalised) to take `role` in the scope, and have
    them mailed a link. The caller has checked that `inviter` may invite here.

    Inviting an address again while its invitation is pending answers that invitation (with
    the new role, mailed again, if the role differs); an expired one is replaced. A member's
    address is AlreadyMember (409): their role is changed, not offered.
    """
    if role not in SCOPE_ROLES[scope_kind]:
        raise ValueError(f"{role} is no role of a {scope_kind}")
    if await repository.member_has_email(session, email, list(SCOPE_ROLES[scope_kind]), scope_id):
        raise AlreadyMember()
    now = utcnow()
    invitation = await repository.pending_invitation(session, scope_kind, scope_id, email)
    if invitation is not None and effective_status(invitation, now) == InvitationStatus.EXPIRED:
        invitation.status = InvitationStatus.EXPIRED
        await session.flush()
        invitation = None
    if invitation is not None:
        if invitation.role == role:
            return invitation  # nothing new to say: no second mail
        before = ROLE_NAMES[invitation.role]
        invitation.role = role
        await session.flush()
        action = "invitation_change"
        audit_before: dict[str, object] | None = {"member_role": before}
    else:
        invitation = Invitation(
            email=email,
            scope_kind=scope_kind,
            scope_id=scope_id,
            scope_name=scope_name[:SCOPE_NAME_MAX_LENGTH],
            role=role,
            inviter_user_id=inviter.id,
            expires_at=now + timedelta(days=INVITATION_DAYS),
        )
        try:
            # A savepoint: a concurrent invitation of the same address (the partial unique
            # index) leaves the transaction usable; the caller normally holds the scope's lock.
            async with session.begin_nested():
                session.add(invitation)
                await session.flush()
        except IntegrityError:
            existing = await repository.pending_invitation(session, scope_kind, scope_id, email)
            if existing is None:
                raise
            return existing
        action, audit_before = "member_invite", None
    await audit_service.record(
        session,
        actor_user_id=inviter.id,
        action=f"{scope_kind.value}.{action}",
        entity_kind=scope_kind.value,
        entity_id=scope_id,
        before=audit_before,
        after={
            "invitation_id": invitation.id,
            "email": email,
            "member_role": ROLE_NAMES[role],
        },
    )
    await enqueue(
        session,
        INVITATION_MAIL_JOB,
        {"invitation_id": invitation.id, "role": role.value},
    )
    return invitation


async def scope_invitations(
    session: AsyncSession, *, scope_kind: InvitationScope, scope_id: int
) -> list[InvitationOut]:
    """The scope's unanswered invitations, newest first (for its admins; the caller checks)."""
    rows = await repository.scope_invitations(session, scope_kind, scope_id, limit=LIST_LIMIT)
    return await _viewed(session, list(rows))


async def revoke(
    session: AsyncSession,
    *,
    actor: User,
    scope_kind: InvitationScope,
    scope_id: int,
    invitation_id: int,
) -> InvitationOut:
    """Withdraw an unanswered invitation of the scope (the caller checks `actor` may);
    InvitationNotFound for any other id."""
    invitation = (
        await repository.get_invitation(session, invitation_id, for_update=True)
        if 1 <= invitation_id <= MAX_ID
        else None
    )
    if (
        invitation is None
        or invitation.scope_kind != scope_kind
        or invitation.scope_id != scope_id
        or invitation.status != InvitationStatus.PENDING
    ):
        raise InvitationNotFound(invitation_id)
    invitation.status = InvitationStatus.REVOKED
    invitation.responded_at = utcnow()
    await session.flush()
    await audit_service.record(
        session,
        actor_user_id=actor.id,
        action=f"{scope_kind.value}.invitation_revoke",
        entity_kind=scope_kind.value,
        entity_id=scope_id,
        after={"invitation_id": invitation.id, "email": invitation.email},
    )
    return (await _viewed(session, [invitation]))[0]


# ---------------------------------------------------------------------------------------------
# The invitee's side


async def my_invitations(session: AsyncSession, *, user: User) -> list[InvitationOut]:
    """The open invitations to the user's address, newest first."""
    rows = await repository.open_invitations_for(session, user.email, utcnow(), limit=LIST_LIMIT)
    return await _viewed(session, list(rows))


async def _addressed_to(
    session: AsyncSession, user: User, invitation_id: int, *, for_update: bool = False
) -> Invitation:
    """The invitation, if it is addressed to the user's e-mail; InvitationNotFound otherwise."""
    invitation = (
        await repository.get_invitation(session, invitation_id, for_update=for_update)
        if 1 <= invitation_id <= MAX_ID
        else None
    )
    if invitation is None or invitation.email != user.email:
        raise InvitationNotFound(invitation_id)
    return invitation


async def invitation_for_invitee(
    session: AsyncSession, *, user: User, invitation_id: int
) -> InvitationOut:
    """An invitation to the user's address, in whatever state (the invitation page)."""
    invitation = await _addressed_to(session, user, invitation_id)
    return (await _viewed(session, [invitation]))[0]


async def _open_for(session: AsyncSession, user: User, invitation_id: int) -> Invitation:
    """Locked, addressed to the user, pending and unexpired; InvitationNotFound otherwise."""
    invitation = await _addressed_to(session, user, invitation_id, for_update=True)
    if effective_status(invitation) != InvitationStatus.PENDING:
        raise InvitationNotFound(invitation_id)
    return invitation


async def accept(session: AsyncSession, *, user: User, invitation_id: int) -> InvitationOut:
    """Take the offered role: the user becomes a member of the scope. Someone who is a member
    already keeps the role they hold. InvitationNotFound (404) unless the invitation is to the
    user's address, pending and unexpired."""
    invitation = await _open_for(session, user, invitation_id)
    roles = {
        assignment.role
        for assignment in await account_service.user_roles(session, user.id)
        if assignment.scope_id == invitation.scope_id
        and assignment.role in SCOPE_ROLES[invitation.scope_kind]
    }
    if not roles:
        await account_service.grant_role(
            session, user, invitation.role, scope_id=invitation.scope_id
        )
    return await _answered(
        session,
        invitation,
        user,
        InvitationStatus.ACCEPTED,
        action="member_add",
        after={
            "member_user_id": user.id,
            "member_role": ROLE_NAMES[invitation.role],
            "invitation_id": invitation.id,
        },
    )


async def decline(session: AsyncSession, *, user: User, invitation_id: int) -> InvitationOut:
    """Turn the invitation down; the same 404 as accept for anything not open to the user."""
    invitation = await _open_for(session, user, invitation_id)
    return await _answered(
        session,
        invitation,
        user,
        InvitationStatus.DECLINED,
        action="invitation_decline",
        after={"invitation_id": invitation.id},
    )


async def _answered(
    session: AsyncSession,
    invitation: Invitation,
    user: User,
    status: InvitationStatus,
    *,
    action: str,
    after: dict[str, Any],
) -> InvitationOut:
    """The invitation answered by the user, the answer audited as the scope's `action`."""
    invitation.status = status
    invitation.invitee_user_id = user.id
    invitation.responded_at = utcnow()
    await session.flush()
    await audit_service.record(
        session,
        actor_user_id=user.id,
        action=f"{invitation.scope_kind.value}.{action}",
        entity_kind=invitation.scope_kind.value,
        entity_id=invitation.scope_id,
        after=after,
    )
    return (await _viewed(session, [invitation]))[0]


async def get_invitation(session: AsyncSession, invitation_id: int) -> Invitation | None:
    """For the mail job."""
    return await repository.get_invitation(session, invitation_id)
