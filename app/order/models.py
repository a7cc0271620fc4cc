"""Order, fulfilment and order line tables."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, TimestampMixin, str_enum
from app.trace import models as trace_models  # noqa: F401  (lines name a batch)


class OrderStatus(enum.StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


class FulfillmentStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class PaymentMethod(enum.StrEnum):
    STRIPE = "stripe"
    BANK_TRANSFER = "bank_transfer"


class BuyerKind(enum.StrEnum):
    """Who bought: a consumer, or an organisation of one of these kinds."""

    CONSUMER = "consumer"
    GOVERNMENT = "government"
    PUBLIC_INSTITUTION = "public_institution"
    STATE_OWNED_ENTERPRISE = "state_owned_enterprise"
    TRADE_UNION = "trade_union"
    ENTERPRISE = "enterprise"


class Order(TimestampMixin, Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(30), unique=True, default=None)
    buyer_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The buyer's Idempotency-Key: the same key again returns this order.
    idempotency_key: Mapped[str] = mapped_column(String(100))
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    buyer_kind: Mapped[BuyerKind] = mapped_column(str_enum(BuyerKind, 30))
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id"), default=None
    )
    po_number: Mapped[str | None] = mapped_column(String(60), default=None)
    # The buyer's province for the benefit ledger: the organisation's registered region, or
    # for a consumer the delivery address's province.
    buyer_province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"))
    status: Mapped[OrderStatus] = mapped_column(
        str_enum(OrderStatus, 20), default=OrderStatus.PENDING_PAYMENT
    )
    payment_method: Mapped[PaymentMethod] = mapped_column(str_enum(PaymentMethod, 20))
    goods_fen: Mapped[int]
    shipping_fen: Mapped[int]
    total_fen: Mapped[int]
    ship_to_name: Mapped[str] = mapped_column(String(50))
    ship_to_phone: Mapped[str] = mapped_column(String(20))
    ship_to_county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"))
    ship_to_detail: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    paid_at: Mapped[datetime | None] = mapped_column(default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(default=None)
    cancel_reason: Mapped[str | None] = mapped_column(String(200), default=None)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)

    fulfillments: Mapped[list[Fulfillment]] = relationship(
        back_populates="order", lazy="raise", order_by="Fulfillment.id"
    )
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", lazy="raise", order_by="OrderLine.id"
    )

    __table_args__ = (
        UniqueConstraint("buyer_user_id", "idempotency_key"),
        Index("ix_orders_buyer_created", "buyer_user_id", "created_at"),
        Index("ix_orders_status_expires", "status", "expires_at"),
        CheckConstraint("total_fen = goods_fen + shipping_fen", name="total_adds_up"),
        CheckConstraint("goods_fen >= 0 AND shipping_fen >= 0", name="amounts_not_negative"),
    )


class Fulfillment(TimestampMixin, Base):
    """The part of an order one supplier ships."""

    __tablename__ = "fulfillments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"))
    status: Mapped[FulfillmentStatus] = mapped_column(
        str_enum(FulfillmentStatus, 20), default=FulfillmentStatus.PENDING
    )
    goods_fen: Mapped[int]
    shipping_fen: Mapped[int]
    carrier: Mapped[str | None] = mapped_column(String(50), default=None)
    tracking_number: Mapped[str | None] = mapped_column(String(60), default=None)
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)
    shipped_at: Mapped[datetime | None] = mapped_column(default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(default=None)
    # An order ships one parcel per supplier (parcel 0, to the order's address), except a gift
    # order: one parcel per recipient and supplier, numbered by the recipient's row in the
    # uploaded list and addressed to the recipient below.
    parcel_no: Mapped[int] = mapped_column(default=0, server_default="0")
    recipient_name: Mapped[str | None] = mapped_column(String(50), default=None)
    recipient_phone: Mapped[str | None] = mapped_column(String(20), default=None)
    recipient_county_code: Mapped[str | None] = mapped_column(
        ForeignKey("counties.code"), default=None
    )
    recipient_detail: Mapped[str | None] = mapped_column(String(200), default=None)

    order: Mapped[Order] = relationship(back_populates="fulfillments", lazy="raise")
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="fulfillment", lazy="raise", order_by="OrderLine.id"
    )

    __table_args__ = (
        UniqueConstraint("order_id", "cooperative_id", "parcel_no"),
        Index("ix_fulfillments_cooperative_status", "cooperative_id", "status"),
    )


class OrderLine(Base):
    """A SKU bought, with what it cost and where it comes from, fixed at placement."""

    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    fulfillment_id: Mapped[int] = mapped_column(ForeignKey("fulfillments.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"))
    origin_county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"))
    title: Mapped[str] = mapped_column(String(120))
    sku_name: Mapped[str] = mapped_column(String(100))
    sku_code: Mapped[str] = mapped_column(String(40))
    quantity: Mapped[int]
    unit_price_fen: Mapped[int]
    line_total_fen: Mapped[int]
    refunded_quantity: Mapped[int] = mapped_column(default=0)
    # The harvest batch the supplier named when shipping (traceability), if any.
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("trace_batches.id"), default=None)

    order: Mapped[Order] = relationship(back_populates="lines", lazy="raise")
    fulfillment: Mapped[Fulfillment] = relationship(back_populates="lines", lazy="raise")

    __table_args__ = (
        Index("ix_order_lines_order_id", "order_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("line_total_fen = quantity * unit_price_fen", name="line_total_adds_up"),
        CheckConstraint(
            "refunded_quantity >= 0 AND refunded_quantity <= quantity", name="refund_within_line"
        ),
    )


class SavedAddress(TimestampMixin, Base):
    """An address in a buyer's address book, checked as an order's address is; at most one
    per buyer is the default (a partial unique index keeps two concurrent changes honest)."""

    __tablename__ = "saved_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(20))
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"))
    detail: Mapped[str] = mapped_column(String(200))
    is_default: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (
        Index(
            "uq_saved_addresses_one_default",
            "user_id",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
    )
