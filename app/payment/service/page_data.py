"""What pages and the API show of payments and refunds: views, pay page, operator's lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.core.errors import ValidationFailed
from app.order import service as order_service
from app.order.models import Order, OrderLine, OrderStatus, PaymentMethod
from app.payment import repository
from app.payment.errors import PaymentNotFound
from app.payment.models import Payment, PaymentStatus, Refund
from app.payment.schemas import AdminPaymentRow, PaymentView, RefundLineView, RefundView
from app.payment.service.opening import PAYABLE, NewPayment
from app.payment.service.remittance import slip_type

ADMIN_LIST_LIMIT = 200


def payment_view(payment: Payment | NewPayment) -> PaymentView:
    """The payment as its buyer sees it; the client secret only while it can be paid."""
    return PaymentView(
        method=payment.method.value,
        status=payment.status.value,
        currency=payment.currency,
        amount_fen=payment.amount_fen,
        received_fen=payment.received_fen,
        refunded_fen=payment.refunded_fen,
        stripe_payment_intent_id=payment.stripe_payment_intent_id,
        stripe_client_secret=(
            payment.stripe_client_secret
            if payment.status in PAYABLE and payment.method == PaymentMethod.STRIPE
            else None
        ),
        bank_reference=payment.bank_reference,
        failure_message=payment.failure_message,
        succeeded_at=payment.succeeded_at,
        remitted_at=payment.remitted_at,
        has_remittance_slip=payment.remittance_slip_key is not None,
    )


def refund_view(refund: Refund) -> RefundView:
    return RefundView(
        id=refund.id,
        order_id=refund.order_id,
        amount_fen=refund.amount_fen,
        status=refund.status.value,
        reason=refund.reason,
        lines=[RefundLineView.model_validate(line) for line in refund.lines],
        stripe_refund_id=refund.stripe_refund_id,
        created_at=refund.created_at,
    )


def _admin_row(payment: Payment, order: Order) -> AdminPaymentRow:
    return AdminPaymentRow(
        order_id=order.id,
        order_number=order.number or "",
        order_status=order.status.value,
        method=payment.method.value,
        status=payment.status.value,
        amount_fen=payment.amount_fen,
        received_fen=payment.received_fen,
        refunded_fen=payment.refunded_fen,
        bank_reference=payment.bank_reference,
        stripe_payment_intent_id=payment.stripe_payment_intent_id,
        failure_message=payment.failure_message,
        created_at=payment.created_at,
        succeeded_at=payment.succeeded_at,
        remitted_at=payment.remitted_at,
        remittance_slip_type=slip_type(payment),
    )


@dataclass(frozen=True)
class PayPage:
    """What the pay page shows: the buyer's order and its payment, and the methods the site
    offers (to switch to)."""

    order: Order
    payment: Payment
    offered: tuple[PaymentMethod, ...] = ()

    @property
    def paid(self) -> bool:
        return self.payment.status == PaymentStatus.SUCCEEDED

    @property
    def payable(self) -> bool:
        return self.order.status == OrderStatus.PENDING_PAYMENT and self.payment.status in PAYABLE

    @property
    def client_secret(self) -> str | None:
        if not self.payable or self.payment.method != PaymentMethod.STRIPE:
            return None
        return self.payment.stripe_client_secret

    @property
    def method_offered(self) -> bool:
        """Whether the site still takes the order's method (a card order on a site that
        stopped taking cards is switched, not cancelled)."""
        return self.payment.method in self.offered

    @property
    def switch_to(self) -> PaymentMethod | None:
        """The other method the buyer may switch to now, if the site offers it."""
        if not self.payable:
            return None
        if self.payment.method == PaymentMethod.BANK_TRANSFER and self.payment.remitted_at:
            return None  # the money may be on its way
        others = [m for m in self.offered if m != self.payment.method]
        return others[0] if others else None


async def pay_page(
    session: AsyncSession,
    *,
    buyer: User,
    order_id: int,
    offered: Sequence[PaymentMethod] = (),
) -> PayPage:
    """The buyer's own order and payment; anyone else's order answers 404."""
    order = await order_service.get_buyer_order(session, buyer_id=buyer.id, order_id=order_id)
    payment = await repository.payment_for_order(session, order.id)
    if payment is None:
        raise PaymentNotFound(order_id)
    return PayPage(order=order, payment=payment, offered=tuple(offered))


def _parse_choice(
    raw: str | None, choices: type[PaymentStatus] | type[PaymentMethod], field: str
) -> Any:
    if raw is None or raw == "":
        return None
    try:
        return choices(raw)
    except ValueError as exc:
        raise ValidationFailed(
            f"Unknown {field}.",
            code="invalid_filter",
            fields={field: "one of " + ", ".join(c.value for c in choices)},
        ) from exc


async def admin_payments(
    session: AsyncSession, *, status: str | None = None, method: str | None = None
) -> list[AdminPaymentRow]:
    """The newest payments (operator), optionally of one status and one method."""
    wanted_status = _parse_choice(status, PaymentStatus, "status")
    wanted_method = _parse_choice(method, PaymentMethod, "method")
    rows = await repository.recent_payments(
        session, status=wanted_status, method=wanted_method, limit=ADMIN_LIST_LIMIT
    )
    return [_admin_row(payment, order) for payment, order in rows]


async def awaited_transfers(session: AsyncSession) -> list[AdminPaymentRow]:
    """Bank transfers the platform still waits for, oldest first (operator)."""
    rows = await repository.awaited_transfers(session, limit=ADMIN_LIST_LIMIT)
    return [_admin_row(payment, order) for payment, order in rows]


async def count_awaited_transfers(session: AsyncSession, _scope: int = 0) -> int:
    """Transfers waiting for an operator's confirmation (the back office's menu count)."""
    return await repository.count_awaited_transfers(session)


@dataclass(frozen=True)
class RefundForm:
    """The operator's page of an order: its lines with what is left to refund, past refunds,
    and whether it may still be cancelled."""

    order: Order
    payment: Payment | None
    refunds: list[Refund]

    @property
    def refundable(self) -> bool:
        return self.payment is not None and self.payment.status == PaymentStatus.SUCCEEDED

    @property
    def cancellable(self) -> bool:
        """Unpaid, or paid with nothing shipped: the operator may cancel it (and refund)."""
        return order_service.cancellable(self.order)

    def left(self, line: OrderLine) -> int:
        return line.quantity - line.refunded_quantity


async def refund_form(session: AsyncSession, *, order_id: int) -> RefundForm:
    order = await order_service.get_order(session, order_id)
    payment = await repository.payment_for_order(session, order.id)
    refunds = await repository.refunds_for_order(session, order.id)
    return RefundForm(order=order, payment=payment, refunds=refunds)


async def order_refunds(session: AsyncSession, *, order_id: int) -> list[RefundView]:
    """An order's refunds, oldest first (operator); 404 for an unknown order."""
    order = await order_service.get_order(session, order_id)
    return [refund_view(r) for r in await repository.refunds_for_order(session, order.id)]
