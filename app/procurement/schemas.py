"""Request and response bodies of bulk orders."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.order.schemas import PaymentMethodName, ShippingAddressIn

# The values of BulkOrderStatus (schemas sit below models).
BulkOrderStatusName = Literal["draft", "submitted", "approved", "rejected"]
COMMENT_MAX_LENGTH = 500


class BulkOrderLineOut(BaseModel):
    """One line of the validation report. Rows naming the same SKU are merged into the line of
    the first of them (`merged_rows` the others, `note` says so); `error` is why the line
    cannot be ordered as it is (null when it can)."""

    row: int = Field(description="The spreadsheet row (1-based, as Excel numbers it)")
    sku_code: str
    sku_id: int | None
    title: str | None = Field(description="Product title and SKU name, when the SKU is known")
    quantity: int | None = Field(description="Units (merged rows added up); null if unreadable")
    quantity_text: str | None = Field(description="The quantity as typed, when unreadable")
    delivery_date: date | None
    unit_price_fen: int | None = Field(description="Tier price for this quantity")
    line_total_fen: int | None
    merged_rows: list[int]
    note: str | None
    error_code: str | None = Field(
        description="missing_sku_code, unknown_sku, sku_unavailable, invalid_quantity, "
        "below_min_qty, insufficient_stock, invalid_delivery_date, conflicting_delivery_dates"
    )
    error: str | None
    error_limit: int | None = Field(
        description="The number the error names: the SKU's minimum quantity (below_min_qty) "
        "or the units left (insufficient_stock)"
    )


class ShippingAddressOut(BaseModel):
    name: str
    phone: str
    county_code: str
    detail: str


class BulkOrderSummary(BaseModel):
    id: int
    organization_id: int
    status: BulkOrderStatusName
    valid: bool
    problem: str | None = Field(description="Why the whole list cannot be ordered, if it is so")
    source_filename: str | None
    reorder_of_order_id: int | None
    line_count: int
    error_count: int
    goods_fen: int = Field(description="Goods of the lines that can be ordered, tier prices")
    shipping_fen: int | None = Field(description="Known once submitted with an address")
    created_by_user_id: int
    created_at: datetime
    checked_at: datetime | None
    submitted_by_user_id: int | None
    submitted_at: datetime | None
    payment_method: PaymentMethodName | None
    po_number: str | None
    shipping_address: ShippingAddressOut | None
    approver_user_id: int | None = Field(description="Who approved or rejected it")
    decided_at: datetime | None
    comment: str | None
    order_id: int | None = Field(description="The order placed when it was approved")


class BulkOrderOut(BulkOrderSummary):
    lines: list[BulkOrderLineOut]


class BulkOrderPage(BaseModel):
    items: list[BulkOrderSummary]
    total: int
    page: int
    per_page: int


class SubmitRequest(BaseModel):
    payment_method: PaymentMethodName
    shipping_address: ShippingAddressIn
    po_number: str | None = Field(
        default=None, description="The organisation's purchase order number, 1–60 characters"
    )


class RejectRequest(BaseModel):
    comment: str = Field(
        description=f"Why it is rejected, 1–{COMMENT_MAX_LENGTH} characters",
        examples=["数量超出本月预算，请减半后重新提交"],
    )


# ---------------------------------------------------------------------------------------------
# Gift orders (工会慰问品)


class GiftItemOut(BaseModel):
    """A SKU of the gift: units per recipient, at the tier price all recipients' units
    together reach."""

    row: int = Field(description="The SKU's place in the gift (1-based)")
    sku_id: int
    sku_code: str
    title: str | None
    quantity_each: int
    unit_price_fen: int | None
    line_total_fen: int | None = Field(description="Per recipient")
    error_code: str | None = Field(
        description="unknown_sku, sku_unavailable, below_min_qty, insufficient_stock"
    )
    error: str | None
    error_limit: int | None


class GiftParcelOut(BaseModel):
    """A recipient's parcel from one supplier, once the gift is ordered."""

    fulfillment_id: int
    cooperative_id: int
    cooperative_name: str
    status: str
    carrier: str | None
    tracking_number: str | None
    tracking_url: str | None
    shipped_at: datetime | None
    delivered_at: datetime | None


class GiftRecipientOut(BaseModel):
    row: int = Field(description="The spreadsheet row (1-based, as Excel numbers it)")
    name: str
    phone: str
    county_code: str
    detail: str
    shipping_fen: int | None = Field(description="This recipient's parcels' shipping")
    error_code: str | None = Field(
        description="invalid_name, invalid_phone, unknown_county, invalid_address_detail, "
        "duplicate_recipient, region_not_served"
    )
    error: str | None
    parcels: list[GiftParcelOut] = Field(description="Once ordered: one per supplier")


class GiftOrderSummary(BaseModel):
    id: int
    organization_id: int
    status: BulkOrderStatusName
    valid: bool
    source_filename: str | None
    recipient_count: int
    error_count: int = Field(description="SKUs and recipients with an error")
    goods_fen: int
    shipping_fen: int | None
    created_by_user_id: int
    created_at: datetime
    checked_at: datetime | None
    submitted_by_user_id: int | None
    submitted_at: datetime | None
    payment_method: PaymentMethodName | None
    po_number: str | None
    contact_address: ShippingAddressOut | None = Field(
        description="The organisation's own address on the order (each parcel goes to its "
        "recipient)"
    )
    approver_user_id: int | None
    decided_at: datetime | None
    comment: str | None
    order_id: int | None


class GiftOrderOut(GiftOrderSummary):
    order_number: str | None = Field(description="The order placed when it was approved")
    order_status: str | None = Field(
        description="That order's status: its parcels wait for the payment while pending_payment"
    )
    items: list[GiftItemOut]
    recipients: list[GiftRecipientOut]


class GiftOrderPage(BaseModel):
    items: list[GiftOrderSummary]
    total: int
    page: int
    per_page: int
