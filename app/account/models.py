"""User, role, session and invitation tables."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, TimestampMixin, str_enum


class Role(enum.StrEnum):
    CONSUMER = "consumer"
    SUPPLIER_MEMBER = "supplier_member"
    SUPPLIER_ADMIN = "supplier_admin"
    ORG_BUYER = "org_buyer"
    ORG_APPROVER = "org_approver"
    ORG_ADMIN = "org_admin"
    OPERATOR = "operator"
    REGIONAL_OFFICIAL = "regional_official"


class User(TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    password_hash: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(100))
    is_active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)

    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user", lazy="raise", cascade="all, delete-orphan"
    )


class RoleAssignment(Base):
    """A role a user holds, scoped where the role needs it.

    Supplier roles name the cooperative (`scope_id`), organisation roles the organisation
    (`scope_id`), a regional official the province (`scope_code`); the owning domain keeps the
    scope consistent, so that authorisation needs one table.
    """

    __tablename__ = "role_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    scope_id: Mapped[int | None] = mapped_column(default=None)
    scope_code: Mapped[str | None] = mapped_column(String(6), default=None)

    user: Mapped[User] = relationship(back_populates="roles", lazy="raise")

    __table_args__ = (
        UniqueConstraint("user_id", "role", "scope_id", "scope_code"),
        Index("ix_role_assignments_role_scope_id", "role", "scope_id"),
    )


class SessionKind(enum.StrEnum):
    BROWSER = "browser"  # the page session a sign-in cookie names
    API_TOKEN = "api_token"  # noqa: S105  (a bearer token of the JSON API; a kind, not a secret)


class AuthSession(Base):
    """A sign-in that lasts: a browser session or an API token, each a random secret held by
    the client, of which only the SHA-256 is stored. Deleting the row ends it at once (sign-out,
    revocation, "sign out everywhere", a password change)."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[SessionKind] = mapped_column(str_enum(SessionKind, 20))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(100), default=None)  # a token's label
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]

    __table_args__ = (Index("ix_auth_sessions_user_kind", "user_id", "kind"),)


class InvitationScope(enum.StrEnum):
    """What an invitation is to: the kind of the scope its role names (`scope_id`)."""

    COOPERATIVE = "cooperative"
    ORGANIZATION = "organization"


class InvitationStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REVOKED = "revoked"
    EXPIRED = "expired"


class Invitation(TimestampMixin, Base):
    """An offer of a role in a cooperative or organisation to whoever holds an e-mail address.

    Memberships need consent: the role is granted only when the holder of the address, signed
    in, accepts. The address is not linked to an account when the invitation is made, so that
    making one tells the inviter nothing about who is registered. `scope_name` is the scope's
    name when the invitation was made, for the mail and the page (the account domain knows no
    cooperative or organisation). A pending invitation past `expires_at` counts as expired.
    """

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)  # stored lower-cased
    scope_kind: Mapped[InvitationScope] = mapped_column(str_enum(InvitationScope, 20))
    scope_id: Mapped[int]
    scope_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    inviter_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Who answered (accepted or declined), once someone has.
    invitee_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    status: Mapped[InvitationStatus] = mapped_column(
        str_enum(InvitationStatus, 20), default=InvitationStatus.PENDING
    )
    expires_at: Mapped[datetime]
    responded_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        Index("ix_invitations_scope", "scope_kind", "scope_id", "status"),
        # One pending invitation per address and scope: inviting again updates it.
        Index(
            "uq_invitations_pending_email_scope",
            "scope_kind",
            "scope_id",
            "email",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )
