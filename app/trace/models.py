"""Harvest batches (溯源批次) and the certificates each names."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, TimestampMixin


class Batch(TimestampMixin, Base):
    """A supplier's harvest of one product, with the public code its QR code carries."""

    __tablename__ = "trace_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    harvested_on: Mapped[date]
    quantity: Mapped[int]
    unit: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(500), default="")

    __table_args__ = (
        Index("ix_trace_batches_cooperative_product", "cooperative_id", "product_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )


class BatchCertificate(Base):
    __tablename__ = "trace_batch_certificates"

    batch_id: Mapped[int] = mapped_column(
        ForeignKey("trace_batches.id", ondelete="CASCADE"), primary_key=True
    )
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), primary_key=True)
