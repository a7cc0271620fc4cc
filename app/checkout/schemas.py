"""Response bodies of checkout: an order as its buyer sees it, with its payment."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.order.schemas import OrderDetail
from app.payment.schemas import PaymentView


class OrderOut(OrderDetail):
    """The contract's order: totals, fulfilments with their lines, and the payment (for
    Stripe, its PaymentIntent id and client secret appear once the outbox has created it,
    moments after the order is placed)."""

    payment: PaymentView | None


class OrderPage(BaseModel):
    items: list[OrderOut]
    total: int
    page: int
    per_page: int


class OperatorCancelRequest(BaseModel):
    """Why the operator cancels (kept in the audit log and on the order)."""

    reason: str = Field(min_length=1, max_length=500)
