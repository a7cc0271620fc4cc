"""Queries of the account domain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import (
    AuthSession,
    Invitation,
    InvitationScope,
    InvitationStatus,
    Role,
    RoleAssignment,
    SessionKind,
    User,
)


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


# ---------------------------------------------------------------------------------------------
# Sessions and API tokens


# Asked by every signed-in request: built once. Only the session's id is read: no ORM object
# for it (a second entity per request, with its identity-map entry).
_LIVE_SESSION = (
    select(AuthSession.id, User)
    .join(User, User.id == AuthSession.user_id)
    .where(
        AuthSession.secret_hash == bindparam("secret_hash"),
        AuthSession.kind == bindparam("kind"),
        AuthSession.expires_at > bindparam("now"),
    )
)


async def live_session(
    session: AsyncSession, secret_hash: str, kind: SessionKind, now: datetime
) -> tuple[int, User] | None:
    """The id of the unexpired session of this kind with this secret, and its user: one
    query, which replaces the user's lookup by id that a signed-in request makes anyway."""
    result = await session.execute(
        _LIVE_SESSION, {"secret_hash": secret_hash, "kind": kind, "now": now}
    )
    row = result.one_or_none()
    return (row[0], row[1]) if row is not None else None


async def user_sessions(
    session: AsyncSession, user_id: int, kind: SessionKind, now: datetime, *, limit: int
) -> Sequence[AuthSession]:
    """The user's unexpired sessions of this kind, newest first."""
    result = await session.scalars(
        select(AuthSession)
        .where(
            AuthSession.user_id == user_id,
            AuthSession.kind == kind,
            AuthSession.expires_at > now,
        )
        .order_by(AuthSession.id.desc())
        .limit(limit)
    )
    return result.all()


async def delete_session(
    session: AsyncSession, session_id: int, *, user_id: int, kind: SessionKind
) -> bool:
    """Delete the user's session of this kind; False when there is none with this id."""
    result = await session.execute(
        delete(AuthSession).where(
            AuthSession.id == session_id,
            AuthSession.user_id == user_id,
            AuthSession.kind == kind,
        )
    )
    return int(result.rowcount) > 0  # type: ignore[attr-defined]


async def delete_user_sessions(session: AsyncSession, user_id: int) -> int:
    """Delete every session and API token of the user; returns how many there were."""
    result = await session.execute(delete(AuthSession).where(AuthSession.user_id == user_id))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def prune_user_sessions(
    session: AsyncSession, user_id: int, kind: SessionKind, now: datetime, *, keep: int
) -> None:
    """Delete the user's expired sessions, and of this kind all but the newest `keep`."""
    await session.execute(
        delete(AuthSession).where(AuthSession.user_id == user_id, AuthSession.expires_at <= now)
    )
    surplus = (
        select(AuthSession.id)
        .where(AuthSession.user_id == user_id, AuthSession.kind == kind)
        .order_by(AuthSession.id.desc())
        .offset(keep)
    )
    await session.execute(delete(AuthSession).where(AuthSession.id.in_(surplus)))


# ---------------------------------------------------------------------------------------------
# Invitations


async def get_invitation(
    session: AsyncSession, invitation_id: int, *, for_update: bool = False
) -> Invitation | None:
    query = select(Invitation).where(Invitation.id == invitation_id)
    if for_update:
        query = query.with_for_update()
    result = await session.scalars(query.execution_options(populate_existing=for_update))
    return result.one_or_none()


async def pending_invitation(
    session: AsyncSession, scope_kind: InvitationScope, scope_id: int, email: str
) -> Invitation | None:
    """The pending invitation (expired or not) of this address to this scope, if any."""
    result = await session.scalars(
        select(Invitation).where(
            Invitation.scope_kind == scope_kind,
            Invitation.scope_id == scope_id,
            Invitation.email == email,
            Invitation.status == InvitationStatus.PENDING,
        )
    )
    return result.one_or_none()


async def scope_invitations(
    session: AsyncSession, scope_kind: InvitationScope, scope_id: int, *, limit: int
) -> Sequence[Invitation]:
    """The scope's pending invitations (expired ones too), newest first."""
    result = await session.scalars(
        select(Invitation)
        .where(
            Invitation.scope_kind == scope_kind,
            Invitation.scope_id == scope_id,
            Invitation.status == InvitationStatus.PENDING,
        )
        .order_by(Invitation.id.desc())
        .limit(limit)
    )
    return result.all()


async def open_invitations_for(
    session: AsyncSession, email: str, now: datetime, *, limit: int
) -> Sequence[Invitation]:
    """Pending, unexpired invitations to the address, newest first."""
    result = await session.scalars(
        select(Invitation)
        .where(
            Invitation.email == email,
            Invitation.status == InvitationStatus.PENDING,
            Invitation.expires_at > now,
        )
        .order_by(Invitation.id.desc())
        .limit(limit)
    )
    return result.all()


async def member_has_email(
    session: AsyncSession, email: str, roles: Sequence[Role], scope_id: int
) -> bool:
    """Whether the user with this address holds one of `roles` in the scope."""
    found = await session.scalar(
        select(RoleAssignment.id)
        .join(User, User.id == RoleAssignment.user_id)
        .where(
            User.email == email,
            RoleAssignment.role.in_(roles),
            RoleAssignment.scope_id == scope_id,
        )
        .limit(1)
    )
    return found is not None


async def display_names(session: AsyncSession, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    result = await session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids)))
    return {user_id: name for user_id, name in result.all()}
