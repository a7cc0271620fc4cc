"""Payment, refund and Stripe event tables."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.db import Base, TimestampMixin, str_enum
from app.order.models import PaymentMethod


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for the buyer (or the PaymentIntent is being created)
    REQUIRES_ACTION = "requires_action"  # e.g. 3-D Secure
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # the last attempt failed; the buyer may try again until expiry
    CANCELLED = "cancelled"  # the order was cancelled or expired before payment


class Payment(TimestampMixin, Base):
    """The one payment of an order. Amounts received and refunded are kept here; what Stripe
    said is kept, event by event, in stripe_events."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    method: Mapped[PaymentMethod] = mapped_column(str_enum(PaymentMethod, 20))
    status: Mapped[PaymentStatus] = mapped_column(
        str_enum(PaymentStatus, 20), default=PaymentStatus.PENDING
    )
    amount_fen: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="cny")
    received_fen: Mapped[int] = mapped_column(default=0)
    refunded_fen: Mapped[int] = mapped_column(default=0)
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(
        String(100), unique=True, default=None
    )
    stripe_client_secret: Mapped[str | None] = mapped_column(String(200), default=None)
    bank_reference: Mapped[str | None] = mapped_column(String(60), unique=True, default=None)
    confirmed_by_user_id: Mapped[int | None] = mapped_column(default=None)
    succeeded_at: Mapped[datetime | None] = mapped_column(default=None)
    failure_message: Mapped[str | None] = mapped_column(String(500), default=None)
    # A bank transfer's buyer says the money is on its way (我已汇款), optionally with a photo
    # or PDF of the remittance slip in media storage; the operator sees both beside the
    # confirmation form. Nothing is paid until the operator confirms the remittance.
    remitted_at: Mapped[datetime | None] = mapped_column(default=None)
    remittance_slip_key: Mapped[str | None] = mapped_column(String(200), default=None)

    refunds: Mapped[list[Refund]] = relationship(
        back_populates="payment", lazy="raise", order_by="Refund.id"
    )

    __table_args__ = (
        CheckConstraint("amount_fen >= 0", name="amount_not_negative"),
        CheckConstraint("refunded_fen >= 0 AND refunded_fen <= received_fen", name="refund_bound"),
    )


class RefundStatus(enum.StrEnum):
    PENDING = "pending"  # asked of Stripe; not confirmed yet
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Refund(TimestampMixin, Base):
    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    amount_fen: Mapped[int]
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[RefundStatus] = mapped_column(
        str_enum(RefundStatus, 20), default=RefundStatus.PENDING
    )
    stripe_refund_id: Mapped[str | None] = mapped_column(String(100), unique=True, default=None)
    created_by_user_id: Mapped[int | None] = mapped_column(default=None)
    # Goods refunded per line ([{order_line_id, quantity, amount_fen}]); empty for a refund of
    # money that bought nothing (a payment that arrived after the order expired).
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    payment: Mapped[Payment] = relationship(back_populates="refunds", lazy="raise")

    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        Index("ix_refunds_order_id", "order_id"),
    )


class StripeEvent(Base):
    """Each Stripe event stored once (its id is the key) and applied once."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)  # evt_…
    type: Mapped[str] = mapped_column(String(100))
    payment_intent_id: Mapped[str | None] = mapped_column(String(100), default=None, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(default=None)
