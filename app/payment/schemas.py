"""Request and response bodies of payments, bank transfers, refunds and Stripe webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from app.core.fields import WHOLE_NUMBER, Id

MAX_QUANTITY = 100_000
MAX_REFUND_LINES = 100
# Ten billion yuan: far above any order, far below what a BIGINT holds.
MAX_AMOUNT_FEN = 10**12
BANK_REFERENCE_MAX_LENGTH = 60
REFUND_REASON_MAX_LENGTH = 500

# Strict: JSON 2.0, 2.5, "2" or true is not a whole number of fen or units.
Quantity = Annotated[int, Field(strict=True, ge=1, le=MAX_QUANTITY), WHOLE_NUMBER]
AmountFen = Annotated[int, Field(strict=True, ge=1, le=MAX_AMOUNT_FEN), WHOLE_NUMBER]

# The values of PaymentMethod, PaymentStatus and RefundStatus (schemas sit below models).
PaymentMethodName = Literal["stripe", "bank_transfer"]
PaymentStatusName = Literal["pending", "requires_action", "succeeded", "failed", "cancelled"]
RefundStatusName = Literal["pending", "succeeded", "failed"]


class PaymentView(BaseModel):
    """An order's payment as its buyer (and the API) sees it."""

    method: PaymentMethodName
    status: PaymentStatusName
    currency: str
    amount_fen: int
    received_fen: int
    refunded_fen: int = Field(description="Refunds asked for and not failed")
    stripe_payment_intent_id: str | None = None
    stripe_client_secret: str | None = Field(
        default=None, description="For Stripe.js, while the payment can still be made"
    )
    bank_reference: str | None = Field(
        default=None, description="For a bank transfer: the reference the remittance must carry"
    )
    failure_message: str | None = None
    succeeded_at: datetime | None = None
    remitted_at: datetime | None = Field(
        default=None, description="For a bank transfer: when the buyer reported the remittance"
    )
    has_remittance_slip: bool = Field(
        default=False, description="Whether the buyer uploaded a remittance slip"
    )


class PaymentMethodRequest(BaseModel):
    """The method an unpaid order is to be paid by from now on."""

    payment_method: PaymentMethodName


class ConfirmTransferRequest(BaseModel):
    """An operator records a bank remittance: its reference and amount as the bank shows them."""

    bank_reference: str = Field(
        min_length=1, max_length=BANK_REFERENCE_MAX_LENGTH, examples=["FS261128000123"]
    )
    amount_fen: AmountFen = Field(description="Must equal the order's total")


class RefundLineIn(BaseModel):
    order_line_id: Id
    quantity: Quantity = Field(description="Units to refund, at most what is left of the line")


class RefundRequest(BaseModel):
    lines: list[RefundLineIn] = Field(min_length=1, max_length=MAX_REFUND_LINES)
    reason: str = Field(description=f"1–{REFUND_REASON_MAX_LENGTH} characters")


class RefundLineView(BaseModel):
    order_line_id: int
    quantity: int
    amount_fen: int


class RefundView(BaseModel):
    id: int
    order_id: int
    amount_fen: int
    status: RefundStatusName
    reason: str
    lines: list[RefundLineView]
    stripe_refund_id: str | None
    created_at: datetime


class WebhookAck(BaseModel):
    """The answer Stripe gets: received, and whether the event had been received before."""

    received: bool = True
    duplicate: bool = False


class AdminPaymentRow(BaseModel):
    order_id: int
    order_number: str
    order_status: str
    method: PaymentMethodName
    status: PaymentStatusName
    amount_fen: int
    received_fen: int
    refunded_fen: int
    bank_reference: str | None
    stripe_payment_intent_id: str | None
    failure_message: str | None
    created_at: datetime
    succeeded_at: datetime | None
    remitted_at: datetime | None = None
    remittance_slip_type: Literal["image", "pdf"] | None = Field(
        default=None, description="The buyer's remittance slip, if any"
    )


class AdminPaymentList(BaseModel):
    items: list[AdminPaymentRow]
