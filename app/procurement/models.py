"""Bulk order tables: a list an organisation uploaded, its checked lines, and its approval."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, TimestampMixin, str_enum
from app.order.models import PaymentMethod


class BulkOrderStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


class BulkOrderKind(enum.StrEnum):
    """A list of SKUs delivered to one address, or a trade union's gift: the same SKUs for
    each recipient of a list, one parcel per recipient and supplier."""

    BULK = "bulk"
    GIFT = "gift"


class BulkOrder(TimestampMixin, Base):
    """An organisation's bulk order: a draft until a buyer submits it (with how it is paid and
    where it goes), then approved (the order is placed: `order_id`) or rejected (`comment`)
    by another member. Nothing is reserved before approval."""

    __tablename__ = "bulk_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    kind: Mapped[BulkOrderKind] = mapped_column(
        str_enum(BulkOrderKind, 10), default=BulkOrderKind.BULK, server_default="bulk"
    )
    status: Mapped[BulkOrderStatus] = mapped_column(
        str_enum(BulkOrderStatus, 20), default=BulkOrderStatus.DRAFT
    )
    created_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Where the lines came from: an uploaded file, or a past order ordered again.
    source_filename: Mapped[str | None] = mapped_column(String(200), default=None)
    reorder_of_order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), default=None)
    # The outcome of the last check: every line orderable, and a problem of the whole list
    # (too many different SKUs for one order) if any.
    valid: Mapped[bool] = mapped_column(default=False)
    problem: Mapped[str | None] = mapped_column(String(300), default=None)
    line_count: Mapped[int] = mapped_column(default=0)
    # Lines and recipients (of a gift) with an error.
    error_count: Mapped[int] = mapped_column(default=0)
    recipient_count: Mapped[int] = mapped_column(default=0, server_default="0")
    goods_fen: Mapped[int] = mapped_column(default=0)
    checked_at: Mapped[datetime | None] = mapped_column(default=None)

    submitted_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)
    payment_method: Mapped[PaymentMethod | None] = mapped_column(
        str_enum(PaymentMethod, 20), default=None
    )
    po_number: Mapped[str | None] = mapped_column(String(60), default=None)
    ship_to_name: Mapped[str | None] = mapped_column(String(50), default=None)
    ship_to_phone: Mapped[str | None] = mapped_column(String(20), default=None)
    ship_to_county_code: Mapped[str | None] = mapped_column(
        ForeignKey("counties.code"), default=None
    )
    ship_to_detail: Mapped[str | None] = mapped_column(String(200), default=None)
    shipping_fen: Mapped[int | None] = mapped_column(default=None)

    # Who approved or rejected it, when, and why (a rejection's comment is required).
    approver_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    comment: Mapped[str | None] = mapped_column(String(500), default=None)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), unique=True, default=None)

    lines: Mapped[list[BulkOrderLine]] = relationship(
        back_populates="bulk_order",
        lazy="raise",
        order_by="BulkOrderLine.row",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    recipients: Mapped[list[BulkOrderRecipient]] = relationship(
        back_populates="bulk_order",
        lazy="raise",
        order_by="BulkOrderRecipient.row",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    __table_args__ = (
        Index("ix_bulk_orders_organization_status", "organization_id", "status", "id"),
        CheckConstraint("goods_fen >= 0", name="goods_not_negative"),
    )


class BulkOrderLine(Base):
    """One line of the checked list: a SKU and its quantity, priced at the last check, or the
    reason it cannot be ordered. Rows naming the same SKU are one line, numbered after the
    first of them; `merged_rows` holds the others."""

    __tablename__ = "bulk_order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    bulk_order_id: Mapped[int] = mapped_column(ForeignKey("bulk_orders.id", ondelete="CASCADE"))
    row: Mapped[int]
    # The code as compared (full-width folded, upper-case), or the start of what was typed.
    sku_code: Mapped[str] = mapped_column(String(60))
    sku_id: Mapped[int | None] = mapped_column(
        ForeignKey("skus.id", ondelete="SET NULL"), default=None
    )
    title: Mapped[str | None] = mapped_column(String(230), default=None)
    quantity: Mapped[int | None] = mapped_column(default=None)
    # The quantity cell as typed, when it is not a quantity (the report shows it).
    quantity_text: Mapped[str | None] = mapped_column(String(20), default=None)
    delivery_date: Mapped[date | None] = mapped_column(default=None)
    unit_price_fen: Mapped[int | None] = mapped_column(default=None)
    line_total_fen: Mapped[int | None] = mapped_column(default=None)
    merged_rows: Mapped[list[int]] = mapped_column(JSON, default=list)
    error_code: Mapped[str | None] = mapped_column(String(40), default=None)
    error: Mapped[str | None] = mapped_column(String(300), default=None)
    # The number an error names: the SKU's minimum quantity, or the units left.
    error_limit: Mapped[int | None] = mapped_column(default=None)

    bulk_order: Mapped[BulkOrder] = relationship(back_populates="lines", lazy="raise")

    __table_args__ = (
        UniqueConstraint("bulk_order_id", "row"),
        CheckConstraint("quantity IS NULL OR quantity > 0", name="quantity_positive"),
    )


class BulkOrderRecipient(Base):
    """A gift's recipient as typed on the list's row, checked: each gets one parcel per
    supplier, numbered by this row (Fulfillment.parcel_no). `error` says why the row cannot
    be sent as it is; the typed text is kept (bounded) so that the report shows it."""

    __tablename__ = "bulk_order_recipients"

    id: Mapped[int] = mapped_column(primary_key=True)
    bulk_order_id: Mapped[int] = mapped_column(ForeignKey("bulk_orders.id", ondelete="CASCADE"))
    row: Mapped[int]
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(30))
    county_code: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(String(200))
    # The parcel's shipping fee to this recipient, all suppliers together (None with an error).
    shipping_fen: Mapped[int | None] = mapped_column(default=None)
    error_code: Mapped[str | None] = mapped_column(String(40), default=None)
    error: Mapped[str | None] = mapped_column(String(300), default=None)

    bulk_order: Mapped[BulkOrder] = relationship(back_populates="recipients", lazy="raise")

    __table_args__ = (UniqueConstraint("bulk_order_id", "row"),)
