"""Certificate table."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, TimestampMixin, str_enum


class CertificateKind(enum.StrEnum):
    GI = "gi"  # 农产品地理标志: AGI + 5 digits
    GREEN_FOOD = "green_food"  # 绿色食品: LB-…A / …AA
    ORGANIC = "organic"  # 有机产品: certifier code + OP + year + serial


class CertificateStatus(enum.StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"
    REVOKED = "revoked"


class Certificate(TimestampMixin, Base):
    """A certificate a supplier holds. It backs a label only while verified and within its
    validity dates, decided when read (no job flips it on expiry)."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    kind: Mapped[CertificateKind] = mapped_column(str_enum(CertificateKind, 20))
    number: Mapped[str] = mapped_column(String(40))
    issuer: Mapped[str] = mapped_column(String(100))
    valid_from: Mapped[date]
    valid_until: Mapped[date]
    status: Mapped[CertificateStatus] = mapped_column(
        str_enum(CertificateStatus, 20), default=CertificateStatus.PENDING
    )
    status_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    verified_at: Mapped[datetime | None] = mapped_column(default=None)
    scan_key: Mapped[str | None] = mapped_column(String(200), default=None)  # media storage key

    # A geographical indication (AGI) is registered for a region and used by every producer
    # authorised there, so several cooperatives hold the same GI number (once each); a
    # green-food or organic certificate is issued to one holder, so its number has one pending
    # claim and one verified holder at most: a rejected or revoked claim frees it, and a claim
    # of a verified holder's number waits beside it for the operator (migration 0090).
    __table_args__ = (
        UniqueConstraint("cooperative_id", "kind", "number"),
        Index(
            "uq_certificates_kind_number_pending",
            "kind",
            "number",
            unique=True,
            sqlite_where=text("kind <> 'gi' AND status = 'pending'"),
            postgresql_where=text("kind <> 'gi' AND status = 'pending'"),
        ),
        Index(
            "uq_certificates_kind_number_verified",
            "kind",
            "number",
            unique=True,
            sqlite_where=text("kind <> 'gi' AND status = 'verified'"),
            postgresql_where=text("kind <> 'gi' AND status = 'verified'"),
        ),
        Index("ix_certificates_status_validity", "status", "valid_until"),
    )
