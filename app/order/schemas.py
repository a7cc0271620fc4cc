"""Request and response bodies of orders and fulfilments."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.fields import MAX_ID as MAX_ID
from app.core.fields import WHOLE_NUMBER, Id

MAX_QUANTITY = 100_000
MAX_LINES = 100
MAX_SHIP_BATCHES = 100

# Strict: JSON 2.5 or "2" is not a whole number of units (2.0 is 2: WHOLE_NUMBER).
Quantity = Annotated[int, Field(strict=True, ge=1, le=MAX_QUANTITY), WHOLE_NUMBER]

# The values of PaymentMethod, OrderStatus and FulfillmentStatus (schemas sit below models).
PaymentMethodName = Literal["stripe", "bank_transfer"]
OrderStatusName = Literal["pending_payment", "paid", "cancelled", "completed"]
FulfillmentStatusName = Literal["pending", "accepted", "shipped", "delivered", "cancelled"]


class OrderLineIn(BaseModel):
    sku_id: Id
    quantity: Quantity = Field(description=f"Units, a whole number from 1 to {MAX_QUANTITY}")


class ShippingAddressIn(BaseModel):
    """Checked by the order service (lengths, phone, county), so that pages share the rules."""

    name: str = Field(examples=["张三"], description="Recipient, 1–50 characters")
    phone: str = Field(examples=["13812345678"], description="Mobile or fixed-line number")
    county_code: str = Field(examples=["110105"], description="GB/T 2260 county code")
    detail: str = Field(examples=["朝阳路 1 号院 2 号楼 301"], description="5–200 characters")


class PlaceOrderRequest(BaseModel):
    shipping_address: ShippingAddressIn
    payment_method: PaymentMethodName
    organization_id: Id | None = Field(
        default=None, description="Buy for this organisation (you must be one of its buyers)"
    )
    po_number: str | None = Field(
        default=None, description="The organisation's purchase order number, 1–60 characters"
    )
    lines: list[OrderLineIn] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_LINES,
        description="What to buy; leave out to order the contents of your cart",
    )


class LineBatchIn(BaseModel):
    order_line_id: Id
    batch_id: Id


class ShipRequest(BaseModel):
    carrier: str = Field(examples=["顺丰速运"], description="1–50 characters")
    tracking_number: str = Field(
        examples=["SF1234567890"], description="4–60 characters of A–Z, a–z, 0–9 and -"
    )
    batches: list[LineBatchIn] = Field(
        default_factory=list,
        max_length=MAX_SHIP_BATCHES,
        description="The harvest batch each line ships from (optional): a batch of this "
        "supplier and of the line's product",
    )


class OrderLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sku_id: int
    product_id: int
    title: str
    sku_name: str
    sku_code: str
    quantity: int
    unit_price_fen: int
    line_total_fen: int
    refunded_quantity: int
    batch_id: int | None = Field(default=None, description="The harvest batch it shipped from")
    batch_code: str | None = Field(default=None, description="Its trace code: /trace/{code}")


class FulfillmentOut(BaseModel):
    """The part of an order one supplier ships."""

    id: int
    cooperative_id: int
    cooperative_name: str
    status: FulfillmentStatusName
    goods_fen: int
    shipping_fen: int
    carrier: str | None
    tracking_number: str | None
    accepted_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None
    parcel_no: int = Field(
        description="0 for an order's one parcel per supplier; a gift order's parcels are "
        "numbered by their recipient's row in the uploaded list"
    )
    recipient: ShippingAddressOut | None = Field(
        description="A gift parcel's own recipient (null: the order's shipping address)"
    )
    tracking_url: str | None = Field(
        description="Where to follow the parcel, once shipped with a known carrier"
    )
    lines: list[OrderLineOut]


class ShippingAddressOut(BaseModel):
    name: str
    phone: str
    county_code: str
    county_name: str
    prefecture_code: str
    prefecture_name: str = Field(
        description="The county's prefecture (a placeholder such as 市辖区 for a municipality)"
    )
    province_code: str
    province_name: str
    place_name: str = Field(
        examples=["广东省广州市天河区"],
        description="Province, prefecture and county as an address writes them",
    )
    detail: str


class SavedAddressIn(ShippingAddressIn):
    """An address for the address book: checked as an order's shipping address is."""

    is_default: bool = Field(
        default=False, description="Make it the default (the first address always is)"
    )


class SavedAddressOut(ShippingAddressOut):
    """An address of the buyer's address book, with its full place name."""

    id: int
    is_default: bool
    updated_at: datetime


class SupplierFulfillmentOut(FulfillmentOut):
    """A fulfilment as its supplier sees it: with the order it belongs to and where to ship."""

    order_id: int
    order_number: str
    order_status: OrderStatusName
    paid_at: datetime | None
    ship_to: ShippingAddressOut


class BulkShipmentOut(BaseModel):
    shipped: list[int] = Field(description="The fulfilments shipped, by id")
    skipped_rows: list[int] = Field(description="Rows without a tracking number, left for later")


class FulfillmentPage(BaseModel):
    cooperative_id: int
    cooperative_name: str
    items: list[SupplierFulfillmentOut]
    total: int
    page: int
    per_page: int


class OrderDetail(BaseModel):
    """An order with its fulfilments, as the buyer sees it (the payment is added above)."""

    id: int
    number: str
    status: OrderStatusName
    payment_method: PaymentMethodName
    buyer_kind: str
    organization_id: int | None
    po_number: str | None
    goods_fen: int
    shipping_fen: int
    total_fen: int
    ship_to: ShippingAddressOut
    created_at: datetime
    expires_at: datetime | None
    paid_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    completed_at: datetime | None
    cancellable: bool = Field(description="Whether the buyer may still cancel it")
    fulfillments: list[FulfillmentOut]


class SupplierWebhookIn(BaseModel):
    """Where new fulfilments are posted (null: nowhere) and the secret that signs them (null:
    keep the one set before)."""

    url: str | None = Field(
        default=None, max_length=500, examples=["https://erp.example.com/fengshou"]
    )
    secret: str | None = Field(default=None, description="16–100 printable ASCII characters")


class SupplierWebhookOut(BaseModel):
    url: str | None
    has_secret: bool
