"""Request and response bodies of after-sales."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from app.core.fields import WHOLE_NUMBER, Id

MAX_QUANTITY = 100_000
MAX_LINES = 100
MAX_PHOTOS = 6
REASON_MAX_LENGTH = 500
# A buyer asks within this many days of delivery; a supplier answers within these hours.
RETURN_WINDOW_DAYS = 15
ANSWER_HOURS = 48

Quantity = Annotated[int, Field(strict=True, ge=1, le=MAX_QUANTITY), WHOLE_NUMBER]
KindName = Literal["refund_only", "return_and_refund"]
StatusName = Literal[
    "requested", "accepted", "rejected", "escalated", "awaiting_return", "refunded", "closed"
]


class RequestLineIn(BaseModel):
    order_line_id: Id
    quantity: Quantity


class AfterSalesIn(BaseModel):
    """A buyer's request: lines of one parcel, a reason, photos uploaded beforehand."""

    kind: KindName
    lines: list[RequestLineIn] = Field(min_length=1, max_length=MAX_LINES)
    reason: str = Field(max_length=2 * REASON_MAX_LENGTH)
    photo_ids: list[Id] = Field(default_factory=list, max_length=MAX_PHOTOS)


class ReasonIn(BaseModel):
    reason: str = Field(max_length=2 * REASON_MAX_LENGTH)


class ReturnIn(BaseModel):
    carrier: str = Field(max_length=200)
    tracking_number: str = Field(max_length=200)


class DecisionIn(BaseModel):
    outcome: Literal["refund", "reject"]
    reason: str = Field(max_length=2 * REASON_MAX_LENGTH)


class PayoutIn(BaseModel):
    """The operator's bank transfer back to the buyer (orders paid by bank transfer)."""

    bank_reference: str = Field(max_length=200)


class PhotoOut(BaseModel):
    id: int
    url: str
    thumb_url: str


class RequestLineOut(BaseModel):
    order_line_id: int
    title: str
    sku_name: str
    quantity: int
    unit_price_fen: int
    amount_fen: int


class AfterSalesOut(BaseModel):
    id: int
    order_id: int
    order_number: str
    fulfillment_id: int
    cooperative_id: int
    cooperative_name: str
    kind: KindName
    status: StatusName
    reason: str
    deadline: datetime = Field(description="The supplier answers by then, or it is accepted")
    lines: list[RequestLineOut]
    amount_fen: int = Field(description="Goods asked back (shipping not included)")
    photos: list[PhotoOut]
    supplier_reason: str | None
    auto_accepted: bool
    operator_reason: str | None
    return_carrier: str | None
    return_tracking_number: str | None
    return_tracking_url: str | None
    received_at: datetime | None
    refund_id: int | None
    refund_bank_reference: str | None
    refunded_at: datetime | None
    created_at: datetime
    payment_method: Literal["stripe", "bank_transfer"]


class AfterSalesList(BaseModel):
    items: list[AfterSalesOut]
