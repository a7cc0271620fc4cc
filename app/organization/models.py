"""Organisation tables. Designated counties (定点帮扶) are regions pairings of kind
`designated` whose helper is the organisation."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, TimestampMixin, str_enum
from app.regions.models import County


class OrganizationKind(enum.StrEnum):
    GOVERNMENT = "government"
    PUBLIC_INSTITUTION = "public_institution"
    STATE_OWNED_ENTERPRISE = "state_owned_enterprise"
    TRADE_UNION = "trade_union"
    ENTERPRISE = "enterprise"


class OrganizationStatus(enum.StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    SUSPENDED = "suspended"
    REJECTED = "rejected"


class Organization(TimestampMixin, Base):
    """A buying organisation; `region_code` is its registered county (its province counts).
    It places orders only once an operator has verified it."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    kind: Mapped[OrganizationKind] = mapped_column(str_enum(OrganizationKind, 30))
    region_code: Mapped[str] = mapped_column(ForeignKey("counties.code"))
    province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"))
    status: Mapped[OrganizationStatus] = mapped_column(
        str_enum(OrganizationStatus, 20), default=OrganizationStatus.PENDING
    )
    # Why an operator rejected or suspended it (None while pending or verified).
    status_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    verified_at: Mapped[datetime | None] = mapped_column(default=None)

    county: Mapped[County] = relationship(lazy="raise")


class ReservedShareTarget(Base):
    """The declared annual canteen food budget and the share reserved for poverty-area products
    (basis points, at least 1000 = 10 %)."""

    __tablename__ = "reserved_share_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    year: Mapped[int]
    canteen_budget_fen: Mapped[int]
    reserved_share_bp: Mapped[int]

    __table_args__ = (
        UniqueConstraint("organization_id", "year"),
        CheckConstraint("canteen_budget_fen >= 0", name="budget_not_negative"),
        CheckConstraint(
            "reserved_share_bp >= 1000 AND reserved_share_bp <= 10000", name="share_in_range"
        ),
    )
