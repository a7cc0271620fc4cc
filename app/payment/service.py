"""Use cases of payments: opening them, Stripe intents and events, bank transfers and refunds.

How a Stripe payment flows, and why nothing is lost:
1. Checkout places the order and calls `open_payment` in the same transaction: a pending
   Payment, and the outbox job `payment.create_payment_intent`. No network call happens while
   that transaction holds its stock locks.
2. The job (retried until it succeeds) asks Stripe for a PaymentIntent with the idempotency
   key `order-{id}`, so a retry after a crash gets the same intent, never a second one.
3. The buyer confirms the intent with Stripe.js on the pay page.
4. Stripe's webhook reports the result; each event is stored once by its id and applied in
   the same transaction (`handle_stripe_event`).

Events may come late, twice, or out of order. They are applied without asking Stripe again,
because the states only move forward: `succeeded` is final for a payment (a failure reported
afterwards changes nothing), a failure is not (the buyer may try again until the order
expires), and refunds only move from pending to succeeded or failed. Where only Stripe knows
the truth — cancelling the intent of an expired order, which Stripe refuses if the buyer paid
at the last moment — the outbox job asks Stripe for the intent's state, outside any request,
and applies that like an event.

Every payment that succeeds goes through `_payment_succeeded`, and every refund that succeeds
through `_refund_succeeded`: the benefit ledger hooks in there.
"""

from __future__ import annotations

import logging
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.audit import service as audit
from app.core.clock import utcnow
from app.core.errors import ValidationFailed
from app.core.fields import has_control_characters
from app.impact import ledger
from app.inventory.models import MovementReason
from app.inventory.service import release_stock
from app.jobs.service import enqueue
from app.order import service as order_service
from app.order.models import FulfillmentStatus, Order, OrderLine, OrderStatus, PaymentMethod
from app.payment import repository
from app.payment.errors import (
    AlreadyPaid,
    AmountMismatch,
    BankReferenceMismatch,
    InvalidRefundLines,
    InvalidRefundReason,
    PaymentNotFound,
    PaymentNotRefundable,
    PaymentProviderRefused,
    RefundExceedsPayment,
    WrongPaymentMethod,
)
from app.payment.gateway import (
    IntentState,
    PaymentGateway,
    RefundState,
    WebhookEvent,
    intent_state,
    refund_state,
)
from app.payment.models import Payment, PaymentStatus, Refund, RefundStatus, StripeEvent
from app.payment.schemas import (
    MAX_AMOUNT_FEN,
    MAX_QUANTITY,
    REFUND_REASON_MAX_LENGTH,
    AdminPaymentRow,
    PaymentView,
    RefundLineView,
    RefundView,
    WebhookAck,
)

log = logging.getLogger(__name__)

CREATE_INTENT_JOB = "payment.create_payment_intent"
CANCEL_INTENT_JOB = "payment.cancel_payment_intent"
SEND_REFUND_JOB = "payment.send_refund"
CURRENCY = "cny"

# Reasons the platform writes itself (the operator's pages show them translated).
LATE_PAYMENT_REASON = "late_payment"

# A payment the buyer can still make (or retry): Stripe.js may see the client secret.
PAYABLE = frozenset({PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION, PaymentStatus.FAILED})
# Goods of these fulfilments never left the supplier: refunded units go back to stock.
_UNSHIPPED = frozenset({FulfillmentStatus.PENDING, FulfillmentStatus.ACCEPTED})
ADMIN_LIST_LIMIT = 200

_INTENT_EVENTS = frozenset(
    {
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.requires_action",
        "payment_intent.canceled",
    }
)
_REFUND_EVENTS = frozenset({"refund.created", "refund.updated", "refund.failed"})
_CHARGE_REFUND_EVENTS = frozenset({"charge.refunded", "charge.refund.updated"})


# ---------------------------------------------------------------------------------------------
# Views


def payment_view(payment: Payment) -> PaymentView:
    """The payment as its buyer sees it; the client secret only while it can be paid."""
    return PaymentView(
        method=payment.method.value,
        status=payment.status.value,
        currency=payment.currency,
        amount_fen=payment.amount_fen,
        received_fen=payment.received_fen,
        refunded_fen=payment.refunded_fen,
        stripe_payment_intent_id=payment.stripe_payment_intent_id,
        stripe_client_secret=(payment.stripe_client_secret if payment.status in PAYABLE else None),
        bank_reference=payment.bank_reference,
        failure_message=payment.failure_message,
        succeeded_at=payment.succeeded_at,
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
    )


# ---------------------------------------------------------------------------------------------
# Opening a payment and its PaymentIntent


def bank_reference_for(order: Order) -> str:
    """The reference a remittance must carry: "FS" and the digits of the order number
    (FS261128-000123 → FS261128000123), easy to type into a bank's form."""
    digits = "".join(ch for ch in order.number or "" if ch.isascii() and ch.isdigit())
    return f"FS{digits or order.id}"


def normalize_bank_reference(raw: str) -> str:
    """As an operator copies it from a bank statement: any case, spaces or dashes."""
    text = unicodedata.normalize("NFKC", raw)
    return "".join(ch for ch in text if ch.isalnum()).upper()


async def open_payment(session: AsyncSession, order: Order) -> Payment:
    """The order's payment, in the caller's (checkout's) transaction.

    A bank transfer gets its reference; a Stripe payment gets the outbox job that creates its
    PaymentIntent once this transaction has committed. Calling it again returns the same row.
    """
    existing = await repository.payment_for_order(session, order.id)
    if existing is not None:
        return existing
    payment = Payment(
        order_id=order.id,
        method=order.payment_method,
        status=PaymentStatus.PENDING,
        amount_fen=order.total_fen,
        currency=CURRENCY,
        bank_reference=(
            bank_reference_for(order)
            if order.payment_method == PaymentMethod.BANK_TRANSFER
            else None
        ),
    )
    session.add(payment)
    await session.flush()
    if payment.method == PaymentMethod.STRIPE:
        await enqueue(session, CREATE_INTENT_JOB, {"order_id": order.id})
    return payment


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


async def cancel_payment_intent(
    session: AsyncSession, gateway: PaymentGateway, *, payment_id: int
) -> None:
    """The job `payment.cancel_payment_intent`: cancel the intent at Stripe. If Stripe refuses
    because the buyer paid after all, its state is applied like an event: the money is
    recorded and, the order being cancelled, refunded automatically."""
    payment = await repository.get_payment(session, payment_id)
    if payment is None or payment.stripe_payment_intent_id is None:
        return
    try:
        state = await gateway.cancel_payment_intent(payment.stripe_payment_intent_id)
    except PaymentProviderRefused:
        state = await gateway.retrieve_payment_intent(payment.stripe_payment_intent_id)
    await apply_intent_state(session, state)


# ---------------------------------------------------------------------------------------------
# Stripe events


def _intent_id_of(event: WebhookEvent) -> str | None:
    obj = event.object
    value = obj.get("id") if obj.get("object") == "payment_intent" else obj.get("payment_intent")
    return value if isinstance(value, str) and len(value) <= 100 else None


async def handle_stripe_event(session: AsyncSession, event: WebhookEvent) -> WebhookAck:
    """Store a verified webhook event once and apply it once.

    The route verifies the signature on the raw body first (stripe_gateway.verify_webhook):
    an unverified event never reaches this. An event seen before is acknowledged and not
    applied again; two deliveries of one event at the same moment meet at the primary key,
    and the second is answered as a duplicate. The event is applied in the transaction that
    stores it: if applying fails, neither is kept and Stripe delivers it again.
    """
    if await repository.get_event(session, event.id) is not None:
        return WebhookAck(duplicate=True)
    record = StripeEvent(
        id=event.id,
        type=event.type,
        payment_intent_id=_intent_id_of(event),
        payload=event.payload,
        received_at=utcnow(),
    )
    try:
        async with session.begin_nested():
            session.add(record)
            await session.flush()
    except IntegrityError:
        return WebhookAck(duplicate=True)
    await apply_stripe_event(session, event)
    record.processed_at = utcnow()
    await session.flush()
    return WebhookAck()


async def apply_stripe_event(session: AsyncSession, event: WebhookEvent) -> None:
    """Apply one verified event; types the platform does not use are ignored."""
    if event.type in _INTENT_EVENTS:
        await apply_intent_state(session, intent_state(event.object))
    elif event.type in _REFUND_EVENTS:
        await _apply_refund_state(session, refund_state(event.object))
    elif event.type in _CHARGE_REFUND_EVENTS:
        await _apply_charge_refunds(session, event.object)


async def _payment_for_intent(session: AsyncSession, state: IntentState) -> Payment | None:
    """Our payment of an intent: by its id, or — when the intent's event overtook the job
    that stores its id — by the order named in its metadata."""
    if not state.id:
        return None
    payment = await repository.payment_by_intent(session, state.id)
    if payment is not None:
        return payment
    order_id = state.order_id
    if order_id is None:
        return None
    payment = await repository.payment_for_order(session, order_id)
    if (
        payment is None
        or payment.method != PaymentMethod.STRIPE
        or payment.stripe_payment_intent_id is not None
        or payment.amount_fen != state.amount
    ):
        log.warning("Stripe intent %s names order %s, which does not expect it", state.id, order_id)
        return None
    return payment


async def apply_intent_state(session: AsyncSession, state: IntentState) -> None:
    """Move our payment to what Stripe says of its intent, forward only."""
    payment = await _payment_for_intent(session, state)
    if payment is None:
        return
    if state.status == "succeeded":
        await _intent_succeeded(session, payment, state)
        return
    # Lock order as everywhere else: the order first, then its payment.
    await order_service.get_order(session, payment.order_id, for_update=True)
    locked = await _lock_payment(session, payment)
    if locked.status not in PAYABLE:
        return  # succeeded or cancelled: a late report of an attempt changes nothing
    if locked.stripe_payment_intent_id is None:
        locked.stripe_payment_intent_id = state.id
        locked.stripe_client_secret = state.client_secret
    if state.status == "requires_action":
        locked.status = PaymentStatus.REQUIRES_ACTION
    elif state.status == "requires_payment_method" and state.last_error:
        locked.status = PaymentStatus.FAILED
        locked.failure_message = state.last_error[:500]
    await session.flush()


async def _lock_payment(session: AsyncSession, payment: Payment) -> Payment:
    """The payment re-read under a row lock (its order is locked first, by the caller)."""
    locked = await repository.get_payment(session, payment.id, for_update=True)
    if locked is None:  # payments are never deleted; this is only for the type checker
        raise PaymentNotFound(payment.order_id)
    return locked


async def _intent_succeeded(session: AsyncSession, payment: Payment, state: IntentState) -> None:
    order = await order_service.get_order(session, payment.order_id, for_update=True)
    locked = await _lock_payment(session, payment)
    if locked.status == PaymentStatus.SUCCEEDED:
        return  # applied once already
    if locked.stripe_payment_intent_id is None:
        locked.stripe_payment_intent_id = state.id
    await _payment_succeeded(session, locked, order, received_fen=state.amount_received)


async def _payment_succeeded(
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
    refund = await _open_refund(
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


# ---------------------------------------------------------------------------------------------
# Bank transfers


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
    await _payment_succeeded(session, payment, order, received_fen=amount_fen, confirmed_by=actor)
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


# ---------------------------------------------------------------------------------------------
# Refunds


def check_reason(raw: str) -> str:
    """A refund or cancellation reason as typed: 1–500 printable characters, else 422."""
    reason = raw.strip()
    unprintable = has_control_characters(reason)
    if not reason or len(reason) > REFUND_REASON_MAX_LENGTH or unprintable:
        raise InvalidRefundReason(REFUND_REASON_MAX_LENGTH)
    return reason


def _check_refund_lines(order: Order, lines: Sequence[tuple[int, int]]) -> dict[int, int]:
    """{order_line_id: quantity}; 422 for lines that are not the order's, named twice or with
    a quantity below one, 409 `refund_exceeds_payment` beyond what is left of a line."""
    if not lines:
        raise InvalidRefundLines({"lines": "name at least one line"})
    by_id = {line.id: line for line in order.lines}
    invalid: dict[str, str] = {}
    wanted: dict[int, int] = {}
    for i, (line_id, quantity) in enumerate(lines):
        if line_id not in by_id:
            invalid[f"lines.{i}.order_line_id"] = "not a line of this order"
        elif line_id in wanted:
            invalid[f"lines.{i}.order_line_id"] = "named twice"
        if not 1 <= quantity <= MAX_QUANTITY:
            invalid[f"lines.{i}.quantity"] = f"1 to {MAX_QUANTITY}"
        wanted.setdefault(line_id, quantity)
    if invalid:
        raise InvalidRefundLines(invalid)
    beyond: dict[str, str] = {}
    for i, (line_id, quantity) in enumerate(lines):
        line = by_id[line_id]
        left = line.quantity - line.refunded_quantity
        if quantity > left:
            beyond[f"lines.{i}.quantity"] = f"at most {left} left to refund"
    if beyond:
        raise RefundExceedsPayment("More units than are left to refund.", fields=beyond)
    return wanted


async def _open_refund(
    session: AsyncSession,
    order: Order,
    payment: Payment,
    quantities: Mapping[int, int],
    *,
    reason: str,
    actor: User | None,
    whole_payment: bool = False,
) -> Refund:
    """Record a refund (order and payment locked by the caller) and set it going.

    Goods: each line's units times its unit price, plus the order's shipping once the last
    unit of the order is refunded. `whole_payment`: everything received and not yet refunded,
    for money that bought nothing (it came after the order ended). Units of fulfilments not
    shipped go back to stock now. Through Stripe the refund is asked for by the outbox
    (pending until Stripe confirms); a bank transfer is paid back by the operator, so its
    refund is recorded as done.
    """
    by_id = {line.id: line for line in order.lines}
    refunded_lines: list[dict[str, Any]] = []
    amount = 0
    if whole_payment:
        amount = payment.received_fen - payment.refunded_fen
    else:
        for line_id, quantity in quantities.items():
            line = by_id[line_id]
            line_amount = quantity * line.unit_price_fen
            amount += line_amount
            refunded_lines.append(
                {"order_line_id": line_id, "quantity": quantity, "amount_fen": line_amount}
            )
        everything = all(
            line.refunded_quantity + quantities.get(line.id, 0) == line.quantity
            for line in order.lines
        )
        if everything:
            amount += order.shipping_fen
    if amount <= 0:
        raise PaymentNotRefundable()
    if payment.refunded_fen + amount > payment.received_fen:
        raise RefundExceedsPayment(
            f"{amount} fen would bring refunds above the {payment.received_fen} fen received "
            f"({payment.refunded_fen} fen refunded already)."
        )
    refund = Refund(
        payment_id=payment.id,
        order_id=order.id,
        amount_fen=amount,
        reason=reason,
        status=RefundStatus.PENDING,
        created_by_user_id=actor.id if actor is not None else None,
        lines=refunded_lines,
    )
    session.add(refund)
    payment.refunded_fen += amount
    for line_id, quantity in quantities.items():
        by_id[line_id].refunded_quantity += quantity
    await session.flush()
    await _restock_unshipped(session, order, quantities)
    await order_service.cancel_refunded_fulfillments(session, order, reason=reason)
    if payment.method == PaymentMethod.STRIPE:
        await enqueue(session, SEND_REFUND_JOB, {"refund_id": refund.id})
    else:
        await _refund_succeeded(session, refund, payment)
    return refund


async def _restock_unshipped(
    session: AsyncSession, order: Order, quantities: Mapping[int, int]
) -> None:
    """Refunded units that never left their supplier can be sold again; shipped ones cannot.
    (A cancelled fulfilment's units were put back by its cancellation.)"""
    unshipped = {f.id for f in order.fulfillments if f.status in _UNSHIPPED}
    back: dict[int, int] = defaultdict(int)
    lines: Iterable[OrderLine] = order.lines
    for line in lines:
        quantity = quantities.get(line.id, 0)
        if quantity and line.fulfillment_id in unshipped:
            back[line.sku_id] += quantity
    if back:
        await release_stock(
            session, sorted(back.items()), order_id=order.id, reason=MovementReason.RETURNED
        )


async def refund(
    session: AsyncSession,
    *,
    order_id: int,
    lines: Sequence[tuple[int, int]],
    reason: str,
    actor: User,
) -> Refund:
    """An operator refunds (order_line_id, quantity) pairs of a paid order. Audit-logged.

    Quantities stay within what is left of each line (`refunded_quantity`), and the money
    within what was received: otherwise 409 `refund_exceeds_payment`.
    """
    checked_reason = check_reason(reason)
    order = await order_service.get_order(session, order_id, for_update=True)
    payment = await repository.payment_for_order(session, order.id, for_update=True)
    if payment is None or payment.status != PaymentStatus.SUCCEEDED:
        raise PaymentNotRefundable()
    quantities = _check_refund_lines(order, lines)
    created = await _open_refund(
        session, order, payment, quantities, reason=checked_reason, actor=actor
    )
    await audit.record(
        session,
        actor_user_id=actor.id,
        action="payment.refund",
        entity_kind="order",
        entity_id=order.id,
        after={"refund_id": created.id, "amount_fen": created.amount_fen, "lines": created.lines},
        reason=checked_reason,
    )
    return created


async def refund_order_in_full(
    session: AsyncSession, order: Order, *, reason: str, actor: User | None = None
) -> Refund | None:
    """Refund whatever is left of a paid order, shipping included (checkout's cancellation of
    a paid order, which puts the stock back itself). None if nothing is left to refund."""
    locked_order = await order_service.get_order(session, order.id, for_update=True)
    payment = await repository.payment_for_order(session, order.id, for_update=True)
    if payment is None or payment.status != PaymentStatus.SUCCEEDED:
        return None
    quantities = {
        line.id: line.quantity - line.refunded_quantity
        for line in locked_order.lines
        if line.quantity > line.refunded_quantity
    }
    if not quantities:
        return None
    created = await _open_refund(
        session, locked_order, payment, quantities, reason=reason, actor=actor
    )
    await audit.record(
        session,
        actor_user_id=actor.id if actor is not None else None,
        action="payment.refund",
        entity_kind="order",
        entity_id=order.id,
        after={"refund_id": created.id, "amount_fen": created.amount_fen, "lines": created.lines},
        reason=reason,
    )
    return created


async def send_refund(session: AsyncSession, gateway: PaymentGateway, *, refund_id: int) -> None:
    """The job `payment.send_refund`: ask Stripe for the refund (idempotency key
    `refund-{id}`) and record its answer. A refusal marks the refund failed for the operator
    to settle by other means; an outage fails the job, which is retried."""
    refund = await repository.get_refund(session, refund_id)
    if refund is None or refund.status != RefundStatus.PENDING or refund.stripe_refund_id:
        return
    payment = await repository.get_payment(session, refund.payment_id)
    if payment is None or payment.stripe_payment_intent_id is None:
        return
    try:
        state = await gateway.create_refund(
            payment_intent_id=payment.stripe_payment_intent_id,
            amount_fen=refund.amount_fen,
            refund_id=refund.id,
            order_id=refund.order_id,
        )
    except PaymentProviderRefused as exc:
        state = RefundState(id="", status="failed", amount=refund.amount_fen)
        log.warning("Stripe refused refund %s: %s", refund.id, exc.message)
    await _settle_refund(session, refund.id, state)


async def _apply_refund_state(session: AsyncSession, state: RefundState) -> None:
    """A refund event: find our refund by Stripe's id, or by the id in its metadata."""
    refund = await repository.refund_by_stripe_id(session, state.id) if state.id else None
    if refund is None and state.refund_id is not None:
        candidate = await repository.get_refund(session, state.refund_id)
        if candidate is not None and candidate.stripe_refund_id in (None, state.id):
            refund = candidate
    if refund is None:
        log.info("Stripe refund %s is not one of ours; ignored", state.id)
        return
    await _settle_refund(session, refund.id, state)


async def _apply_charge_refunds(session: AsyncSession, charge: Mapping[str, Any]) -> None:
    """charge.refunded: the charge lists its refunds (older API versions), else its
    `amount_refunded` covers our pending refunds of that intent."""
    listed = charge.get("refunds")
    items = listed.get("data") if isinstance(listed, Mapping) else None
    if isinstance(items, list) and items:
        for item in items:
            if isinstance(item, Mapping):
                await _apply_refund_state(session, refund_state(item))
        return
    intent_id = charge.get("payment_intent")
    amount_refunded = charge.get("amount_refunded")
    if not isinstance(intent_id, str) or not isinstance(amount_refunded, int):
        return
    payment = await repository.payment_by_intent(session, intent_id)
    if payment is None:
        return
    pending = await repository.pending_stripe_refunds(session, payment.id)
    confirmed = payment.refunded_fen - sum(r.amount_fen for r in pending)
    for candidate in pending:
        if confirmed + candidate.amount_fen > amount_refunded:
            break
        confirmed += candidate.amount_fen
        await _settle_refund(
            session,
            candidate.id,
            RefundState(
                id=candidate.stripe_refund_id or "", status="succeeded", amount=candidate.amount_fen
            ),
        )


async def _settle_refund(session: AsyncSession, refund_id: int, state: RefundState) -> None:
    """Record what Stripe says of one of our refunds: pending → succeeded or failed, once."""
    refund = await repository.get_refund(session, refund_id)
    if refund is None:
        return
    # Lock as everywhere else: order, payment, then the refund.
    await order_service.get_order(session, refund.order_id, for_update=True)
    payment = await repository.get_payment(session, refund.payment_id, for_update=True)
    locked = await repository.get_refund(session, refund_id, for_update=True)
    if payment is None or locked is None:  # never deleted; this is only for the type checker
        return
    if state.id and locked.stripe_refund_id is None:
        locked.stripe_refund_id = state.id
    if locked.status != RefundStatus.PENDING:
        await session.flush()
        return
    if state.status == "succeeded":
        await _refund_succeeded(session, locked, payment)
    elif state.status in {"failed", "canceled"}:
        await _refund_failed(session, locked, payment)
    await session.flush()


async def _refund_succeeded(session: AsyncSession, refund: Refund, payment: Payment) -> None:
    """The money went back to the buyer (Stripe confirmed it, or the operator transfers it)."""
    refund.status = RefundStatus.SUCCEEDED
    await session.flush()
    # Negative ledger entries for the goods taken back, in the same transaction.
    await ledger.record_refund(
        session,
        refund_id=refund.id,
        order_id=refund.order_id,
        lines=refund.lines,
        refunded_at=refund.created_at,
    )


async def _refund_failed(session: AsyncSession, refund: Refund, payment: Payment) -> None:
    """Stripe could not return the money: it counts as held again, and the operator sees the
    failed refund (and settles it by other means). The refunded units stay refunded: the
    goods side of the refund is done."""
    refund.status = RefundStatus.FAILED
    payment.refunded_fen -= refund.amount_fen
    await audit.record(
        session,
        actor_user_id=None,
        action="payment.refund_failed",
        entity_kind="order",
        entity_id=refund.order_id,
        after={"refund_id": refund.id, "amount_fen": refund.amount_fen},
    )
    await session.flush()


# ---------------------------------------------------------------------------------------------
# Pages and operator lists


@dataclass(frozen=True)
class PayPage:
    """What the pay page shows: the buyer's order and its payment."""

    order: Order
    payment: Payment

    @property
    def paid(self) -> bool:
        return self.payment.status == PaymentStatus.SUCCEEDED

    @property
    def payable(self) -> bool:
        return self.order.status == OrderStatus.PENDING_PAYMENT and self.payment.status in PAYABLE

    @property
    def client_secret(self) -> str | None:
        return self.payment.stripe_client_secret if self.payable else None


async def pay_page(session: AsyncSession, *, buyer: User, order_id: int) -> PayPage:
    """The buyer's own order and payment; anyone else's order answers 404."""
    order = await order_service.get_buyer_order(session, buyer_id=buyer.id, order_id=order_id)
    payment = await repository.payment_for_order(session, order.id)
    if payment is None:
        raise PaymentNotFound(order_id)
    return PayPage(order=order, payment=payment)


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
