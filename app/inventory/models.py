"""Stock: what each SKU can still sell, whether its product has any, and every change logged."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.core.db import Base, str_enum

# The stock lives on the catalog's rows (one `skus` row per SKU, one `products` row per
# product). The inventory declares the columns it keeps and the catalog's Sku and Product
# extend these classes with the rest of each row (single-table inheritance, no discriminator):
# the inventory sits below the catalog and changes stock without importing it.


class ProductStock(Base):
    """The part of a product row the inventory keeps: whether the product has anything to sell."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Whether an active SKU has stock, kept with every change of either (by the inventory and
    # by the catalog's SKU edits), so that listings filter without aggregating SKUs.
    in_stock: Mapped[bool] = mapped_column(default=False)


class SkuStock(Base):
    """The part of a SKU row the inventory keeps: `stock` is what can still be sold
    (reservations already taken off), counted towards its product only while active."""

    __tablename__ = "skus"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    stock: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        Index("ix_skus_product_id", "product_id"),
    )


class MovementReason(enum.StrEnum):
    RESERVED = "reserved"  # an order was placed
    RELEASED = "released"  # an unpaid order was cancelled or expired
    RESTOCKED = "restocked"  # the supplier changed its stock
    RETURNED = "returned"  # a refunded line went back to stock


class StockMovement(Base):
    """A change of a SKU's sellable stock, with its reason."""

    __tablename__ = "stock_movements"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"))
    delta: Mapped[int]
    reason: Mapped[MovementReason] = mapped_column(str_enum(MovementReason, 20))
    order_id: Mapped[int | None] = mapped_column(default=None)
    note: Mapped[str | None] = mapped_column(String(200), default=None)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_stock_movements_sku_at", "sku_id", "at"),)
