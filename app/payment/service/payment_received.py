"""Money received: the order becomes paid, or late money goes back; bank transfers recorded."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.audit import service as audit
from app.core.clock import utcnow
from app.core.errors import ValidationFailed
from app.impact import ledger
from app.jobs.service import enqueue
from app.order import service as order_service
from app.order.models import Order, OrderStatus, PaymentMethod
from app.payment import repository
from app.payment.errors import (
    AlreadyPaid,
    AmountMismatch,
    BankReferenceMismatch,
    PaymentNotFound,
    WrongPaymentMethod,
)
from app.payment.models import Payment, PaymentStatus
from app.payment.schemas import MAX_AMOUNT_FEN
from app.payment.service.opening import CANCEL_INTENT_JOB, normalize_bank_reference
from app.payment.service.refunds import open_refund

# Reasons the platform writes itself (the operator's pages show them translated).
LATE_PAYMENT_REASON = "late_payment"


async def payment_succeeded(
    session: AsyncSession,
    payment: Payment,
    order: Order,
    *,
    received_fen: int,
    confirmed_by: User | None = None,
) -> None:
    """The money arrived (Stripe or bank transfer; order and payment locked by the caller).

    The order becomes paid — unless it was cancelled or expired before the money came: then
    the money is refunded at once, never kept.
    """
    now = utcnow()
    payment.status = PaymentStatus.SUCCEEDED
    payment.received_fen = received_fen
    payment.succeeded_at = now
    payment.failure_message = None
    if confirmed_by is not None:
        payment.confirmed_by_user_id = confirmed_by.id
    await session.flush()
    if order.status == OrderStatus.PENDING_PAYMENT:
        await order_service.mark_paid(session, order, at=now)
        # The benefit ledger is written in the transaction that makes the order paid.
        await ledger.record_sale(session, order_id=order.id)
        return
    if payment.received_fen <= payment.refunded_fen:
        return  # nothing came in that is not on its way back already
    refund = await open_refund(
        session, order, payment, {}, reason=LATE_PAYMENT_REASON, actor=None, whole_payment=True
    )
    await audit.record(
        session,
        actor_user_id=None,
        action="payment.refund_late_payment",
        entity_kind="order",
        entity_id=order.id,
        after={"refund_id": refund.id, "amount_fen": refund.amount_fen},
        reason=f"payment received while the order was {order.status.value}",
    )


async def confirm_bank_transfer(
    session: AsyncSession, *, order_id: int, bank_reference: str, amount_fen: int, actor: User
) -> Payment:
    """An operator records a remittance: its reference must be the order's and its amount the
    order's total. The order becomes paid (or, if it expired meanwhile, the money is booked
    and an automatic refund is recorded for the operator to pay back). Audit-logged."""
    if not 1 <= amount_fen <= MAX_AMOUNT_FEN:
        raise ValidationFailed(
            "The amount is a whole number of fen above zero.",
            code="invalid_amount",
            fields={"amount_fen": f"1 to {MAX_AMOUNT_FEN}"},
        )
    order = await order_service.get_order(session, order_id, for_update=True)
    payment = await repository.payment_for_order(session, order.id, for_update=True)
    if payment is None:
        raise PaymentNotFound(order_id)
    if payment.method != PaymentMethod.BANK_TRANSFER:
        raise WrongPaymentMethod("bank transfer")
    if payment.status == PaymentStatus.SUCCEEDED:
        raise AlreadyPaid()
    if normalize_bank_reference(bank_reference) != payment.bank_reference:
        raise BankReferenceMismatch()
    if amount_fen != payment.amount_fen:
        raise AmountMismatch(payment.amount_fen, amount_fen)
    before = {"order_status": order.status, "payment_status": payment.status}
    await payment_succeeded(session, payment, order, received_fen=amount_fen, confirmed_by=actor)
    if payment.stripe_payment_intent_id is not None:
        # The order was to be paid by card before the buyer switched: close that way too.
        await enqueue(session, CANCEL_INTENT_JOB, {"payment_id": payment.id})
    await audit.record(
        session,
        actor_user_id=actor.id,
        action="payment.confirm_transfer",
        entity_kind="order",
        entity_id=order.id,
        before=before,
        after={
            "order_status": order.status,
            "payment_status": payment.status,
            "bank_reference": payment.bank_reference,
            "amount_fen": amount_fen,
        },
    )
    return payment
