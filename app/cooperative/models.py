"""Supplier table."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, TimestampMixin, str_enum
from app.regions.models import County


class SupplierKind(enum.StrEnum):
    COOPERATIVE = "cooperative"  # 农民专业合作社, credit code 93…
    ENTERPRISE = "enterprise"  # 企业, 91…
    FAMILY_FARM = "family_farm"  # 家庭农场: individual business 92… or enterprise 91…


class SupplierStatus(enum.StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    SUSPENDED = "suspended"
    REJECTED = "rejected"


class Cooperative(TimestampMixin, Base):
    """A supplier. It sells only while `verified`."""

    __tablename__ = "cooperatives"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[SupplierKind] = mapped_column(str_enum(SupplierKind, 20))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"))
    contact_name: Mapped[str] = mapped_column(String(50))
    contact_phone: Mapped[str] = mapped_column(String(20))
    households_supported: Mapped[int] = mapped_column(default=0)
    # The county department's recommendation (推荐) reference, as on the 832 platform.
    recommendation_ref: Mapped[str | None] = mapped_column(String(100), default=None)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    status: Mapped[SupplierStatus] = mapped_column(
        str_enum(SupplierStatus, 20), default=SupplierStatus.PENDING
    )
    status_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    verified_at: Mapped[datetime | None] = mapped_column(default=None)
    # Where new-fulfilment notifications are POSTed, signed with webhook_secret (optional).
    webhook_url: Mapped[str | None] = mapped_column(String(500), default=None)
    webhook_secret: Mapped[str | None] = mapped_column(String(100), default=None)

    county: Mapped[County] = relationship(lazy="raise")

    __table_args__ = (Index("ix_cooperatives_county_status", "county_code", "status"),)
