"""Stock movements: every change of a SKU's sellable stock, with its reason."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.core.db import Base, str_enum


class MovementReason(enum.StrEnum):
    RESERVED = "reserved"  # an order was placed
    RELEASED = "released"  # an unpaid order was cancelled or expired
    RESTOCKED = "restocked"  # the supplier changed its stock
    RETURNED = "returned"  # a refunded line went back to stock


class StockMovement(Base):
    __tablename__ = "stock_movements"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"))
    delta: Mapped[int]
    reason: Mapped[MovementReason] = mapped_column(str_enum(MovementReason, 20))
    order_id: Mapped[int | None] = mapped_column(default=None)
    note: Mapped[str | None] = mapped_column(String(200), default=None)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_stock_movements_sku_at", "sku_id", "at"),)
