"""After-sales requests, the lines and units they ask back, and the buyer's photos."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.db import Base, TimestampMixin, str_enum


class RequestKind(enum.StrEnum):
    REFUND_ONLY = "refund_only"  # 仅退款: before shipping, or after delivery
    RETURN_AND_REFUND = "return_and_refund"  # 退货退款: within 15 days of delivery


class RequestStatus(enum.StrEnum):
    REQUESTED = "requested"  # waiting for the supplier (48 h, then accepted automatically)
    ACCEPTED = "accepted"  # accepted; a bank transfer waits for the operator's payout
    REJECTED = "rejected"  # the supplier said no; the buyer may escalate
    ESCALATED = "escalated"  # an operator decides, finally
    AWAITING_RETURN = "awaiting_return"  # accepted return: the parcel back, then its receipt
    REFUNDED = "refunded"
    CLOSED = "closed"  # the operator refused it; final


# Requests that still hold their lines: no second request for the same line meanwhile.
OPEN_STATUSES = frozenset(
    {
        RequestStatus.REQUESTED,
        RequestStatus.ACCEPTED,
        RequestStatus.ESCALATED,
        RequestStatus.AWAITING_RETURN,
    }
)


class AfterSalesRequest(TimestampMixin, Base):
    """One request of a buyer about lines of one fulfilment (one supplier answers it)."""

    __tablename__ = "after_sales_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    fulfillment_id: Mapped[int] = mapped_column(ForeignKey("fulfillments.id"))
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"))
    buyer_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[RequestKind] = mapped_column(str_enum(RequestKind, 20))
    status: Mapped[RequestStatus] = mapped_column(
        str_enum(RequestStatus, 20), default=RequestStatus.REQUESTED
    )
    reason: Mapped[str] = mapped_column(String(500))
    # The supplier answers by then; past it the outbox job accepts the request.
    deadline_at: Mapped[datetime]
    supplier_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    auto_accepted: Mapped[bool] = mapped_column(default=False)
    escalated_at: Mapped[datetime | None] = mapped_column(default=None)
    operator_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    operator_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    return_carrier: Mapped[str | None] = mapped_column(String(50), default=None)
    return_tracking_number: Mapped[str | None] = mapped_column(String(60), default=None)
    returned_at: Mapped[datetime | None] = mapped_column(default=None)
    received_at: Mapped[datetime | None] = mapped_column(default=None)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"), default=None)
    # A bank transfer is paid back by the operator: the reference of that transfer.
    refund_bank_reference: Mapped[str | None] = mapped_column(String(60), default=None)
    refunded_at: Mapped[datetime | None] = mapped_column(default=None)

    lines: Mapped[list[AfterSalesLine]] = relationship(
        back_populates="request", lazy="raise", order_by="AfterSalesLine.id"
    )
    photos: Mapped[list[AfterSalesPhoto]] = relationship(
        back_populates="request", lazy="raise", order_by="AfterSalesPhoto.id"
    )

    __table_args__ = (
        Index("ix_after_sales_requests_order_id", "order_id"),
        Index("ix_after_sales_requests_cooperative_status", "cooperative_id", "status"),
        Index("ix_after_sales_requests_status", "status"),
    )


class AfterSalesLine(Base):
    """Units of one order line a request asks back."""

    __tablename__ = "after_sales_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("after_sales_requests.id", ondelete="CASCADE")
    )
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    quantity: Mapped[int]

    request: Mapped[AfterSalesRequest] = relationship(back_populates="lines", lazy="raise")

    __table_args__ = (
        UniqueConstraint("request_id", "order_line_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )


class AfterSalesPhoto(Base):
    """A photo the buyer uploaded (re-encoded JPEG in media storage), then attached to one
    request; an unattached one belongs to its uploader only."""

    __tablename__ = "after_sales_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    uploaded_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("after_sales_requests.id", ondelete="CASCADE"), default=None, index=True
    )
    image_key: Mapped[str] = mapped_column(String(200))
    thumb_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[AfterSalesRequest | None] = relationship(back_populates="photos", lazy="raise")
