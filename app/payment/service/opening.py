"""Opening a payment (a bank reference, or a Stripe PaymentIntent by the outbox); cancelling it."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.commit_with import DeferredWrites
from app.jobs.service import JobBatch, enqueue
from app.order import service as order_service
from app.order.models import Order, OrderStatus, PaymentMethod
from app.order.service import NewOrder
from app.payment import repository
from app.payment.errors import PaymentMethodLocked, PaymentNotFound
from app.payment.gateway import PaymentGateway
from app.payment.models import Payment, PaymentStatus

CREATE_INTENT_JOB = "payment.create_payment_intent"
CANCEL_INTENT_JOB = "payment.cancel_payment_intent"
CURRENCY = "cny"

# A payment the buyer can still make (or retry): Stripe.js may see the client secret.
PAYABLE = frozenset({PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION, PaymentStatus.FAILED})


def bank_reference_for(order: Order | NewOrder) -> str:
    """The reference a remittance must carry: "FS" and the digits of the order number
    (FS261128-000123 → FS261128000123), easy to type into a bank's form."""
    digits = "".join(ch for ch in order.number or "" if ch.isascii() and ch.isdigit())
    return f"FS{digits or order.id}"


def normalize_bank_reference(raw: str) -> str:
    """As an operator copies it from a bank statement: any case, spaces or dashes."""
    text = unicodedata.normalize("NFKC", raw)
    return "".join(ch for ch in text if ch.isalnum()).upper()


async def open_payment(
    session: AsyncSession, order: Order, *, new_order: bool = False, flush: bool = True
) -> Payment:
    """The order's payment, in the caller's (checkout's) transaction.

    A bank transfer gets its reference; a Stripe payment gets the outbox job that creates its
    PaymentIntent once this transaction has committed. Calling it again returns the same row.
    `new_order`: the order was written by this transaction, so it has no payment yet and
    none is looked for. `flush=False` leaves its INSERT (and its job's) to the caller's next
    flush.
    """
    existing = None if new_order else await repository.payment_for_order(session, order.id)
    if existing is not None:
        return existing
    payment = Payment(**_opening_values(order))
    session.add(payment)
    if flush:
        await session.flush()
    if payment.method == PaymentMethod.STRIPE:
        await enqueue(session, CREATE_INTENT_JOB, {"order_id": order.id}, flush=flush)
    return payment


def _opening_values(order: Order | NewOrder) -> dict[str, Any]:
    """What a payment starts with: the order's total, and a bank transfer's reference."""
    transfer = order.payment_method == PaymentMethod.BANK_TRANSFER
    return {
        "order_id": order.id,
        "method": order.payment_method,
        "status": PaymentStatus.PENDING,
        "amount_fen": order.total_fen,
        "currency": CURRENCY,
        "bank_reference": bank_reference_for(order) if transfer else None,
    }


@dataclass(slots=True, kw_only=True)
class NewPayment:
    """A payment open_new_payment has just written, with the attributes of Payment that
    payment_view reads."""

    order_id: int
    method: PaymentMethod
    status: PaymentStatus
    amount_fen: int
    currency: str
    bank_reference: str | None
    received_fen: int = 0
    refunded_fen: int = 0
    stripe_payment_intent_id: str | None = None
    stripe_client_secret: str | None = None
    failure_message: str | None = None
    succeeded_at: datetime | None = None
    remitted_at: datetime | None = None
    remittance_slip_key: str | None = None


async def open_new_payment(
    session: AsyncSession,
    order: NewOrder,
    jobs: JobBatch,
    deferred: DeferredWrites | None = None,
) -> NewPayment:
    """open_payment for an order checkout has just written with plain statements: one
    INSERT (held in `deferred` if given); for Stripe, the job that creates the PaymentIntent
    goes into `jobs`, which the caller writes."""
    values = _opening_values(order)
    await repository.insert_payment(
        session,
        {**values, "created_at": order.created_at, "updated_at": order.created_at},
        deferred,
    )
    if order.payment_method == PaymentMethod.STRIPE:
        jobs.add(CREATE_INTENT_JOB, {"order_id": order.id})
    return NewPayment(**values)


async def create_payment_intent(
    session: AsyncSession, gateway: PaymentGateway, *, order_id: int
) -> Payment:
    """Give the order's Stripe payment its PaymentIntent (the job `payment.create_payment_intent`).

    Safe to run any number of times, at once too: a payment that has its intent is left alone,
    and Stripe answers the idempotency key `order-{id}` with the intent it made first. No row
    is locked during the call to Stripe; afterwards the payment is re-read under a lock, so an
    order that expired meanwhile gets its new intent cancelled.
    """
    payment = await repository.payment_for_order(session, order_id)
    if payment is None:
        raise PaymentNotFound(order_id)
    if (
        payment.method != PaymentMethod.STRIPE
        or payment.stripe_payment_intent_id is not None
        or payment.status not in PAYABLE
    ):
        return payment
    order = await order_service.get_order(session, order_id)
    if order.status != OrderStatus.PENDING_PAYMENT:
        return payment
    intent = await gateway.create_payment_intent(
        amount_fen=payment.amount_fen,
        currency=payment.currency,
        order_id=order.id,
        order_number=order.number or str(order.id),
    )
    locked = await repository.payment_for_order(session, order_id, for_update=True)
    if locked is None:  # payments are never deleted; this is only for the type checker
        raise PaymentNotFound(order_id)
    if locked.stripe_payment_intent_id is None:
        locked.stripe_payment_intent_id = intent.id
        locked.stripe_client_secret = intent.client_secret
        if locked.status == PaymentStatus.CANCELLED:
            await enqueue(session, CANCEL_INTENT_JOB, {"payment_id": locked.id})
    await session.flush()
    return locked


async def cancel_payment(session: AsyncSession, order: Order) -> None:
    """The order was cancelled or expired unpaid: its payment is cancelled, and its
    PaymentIntent (if it has one) cancelled at Stripe by the outbox. A payment that already
    succeeded is left alone (the caller refunds it instead)."""
    payment = await repository.payment_for_order(session, order.id, for_update=True)
    if payment is None or payment.status not in PAYABLE:
        return
    payment.status = PaymentStatus.CANCELLED
    if payment.stripe_payment_intent_id is not None:
        await enqueue(session, CANCEL_INTENT_JOB, {"payment_id": payment.id})
    await session.flush()


async def switch_method(session: AsyncSession, order: Order, method: PaymentMethod) -> Payment:
    """The unpaid order's payment is to be made by `method` from now on (order locked by the
    caller). A transfer gets its reference; a card payment its PaymentIntent, by the outbox,
    unless it has one from before. An intent is never cancelled here: if the buyer still pays
    with a card form left open, the payment succeeds by card (see stripe_events). Paid or
    cancelled, or a transfer the buyer said was sent: 409 `payment_method_locked`."""
    payment = await repository.payment_for_order(session, order.id, for_update=True)
    if payment is None:
        raise PaymentNotFound(order.id)
    if order.status != OrderStatus.PENDING_PAYMENT or payment.status not in PAYABLE:
        raise PaymentMethodLocked("the order is paid or cancelled")
    if payment.method == method:
        return payment
    if payment.method == PaymentMethod.BANK_TRANSFER and payment.remitted_at is not None:
        raise PaymentMethodLocked("the buyer reported the transfer as sent")
    payment.method = method
    payment.status = PaymentStatus.PENDING
    payment.failure_message = None
    if method == PaymentMethod.BANK_TRANSFER:
        payment.bank_reference = bank_reference_for(order)
    else:
        payment.bank_reference = None
        if payment.stripe_payment_intent_id is None:
            await enqueue(session, CREATE_INTENT_JOB, {"order_id": order.id})
    await session.flush()
    return payment
