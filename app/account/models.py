"""User and role tables."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
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
