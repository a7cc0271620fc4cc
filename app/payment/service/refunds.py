"""Refunds: checked, recorded with their stock back, sent to Stripe by the outbox and settled."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.audit import service as audit
from app.core.fields import has_control_characters
from app.impact import ledger
from app.inventory.models import MovementReason
from app.inventory.service import release_stock
from app.jobs.service import enqueue
from app.order import service as order_service
from app.order.models import FulfillmentStatus, Order, OrderLine, PaymentMethod
from app.payment import repository
from app.payment.errors import (
    InvalidRefundLines,
    InvalidRefundReason,
    PaymentNotRefundable,
    PaymentProviderRefused,
    RefundExceedsPayment,
)
from app.payment.gateway import PaymentGateway, RefundState
from app.payment.models import Payment, PaymentStatus, Refund, RefundStatus
from app.payment.schemas import MAX_QUANTITY, REFUND_REASON_MAX_LENGTH

log = logging.getLogger(__name__)

SEND_REFUND_JOB = "payment.send_refund"

# Goods of these fulfilments never left the supplier: refunded units go back to stock.
_UNSHIPPED = frozenset({FulfillmentStatus.PENDING, FulfillmentStatus.ACCEPTED})


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


async def open_refund(
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
        await _refund_succeeded(session, refund)
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
    actor: User | None,
) -> Refund:
    """An operator refunds (order_line_id, quantity) pairs of a paid order (or after-sales
    does, for a supplier, an operator or the answer deadline: `actor` None). Audit-logged.

    Quantities stay within what is left of each line (`refunded_quantity`), and the money
    within what was received: otherwise 409 `refund_exceeds_payment`.
    """
    checked_reason = check_reason(reason)
    order = await order_service.get_order(session, order_id, for_update=True)
    payment = await repository.payment_for_order(session, order.id, for_update=True)
    if payment is None or payment.status != PaymentStatus.SUCCEEDED:
        raise PaymentNotRefundable()
    quantities = _check_refund_lines(order, lines)
    created = await open_refund(
        session, order, payment, quantities, reason=checked_reason, actor=actor
    )
    await audit.record(
        session,
        actor_user_id=actor.id if actor is not None else None,
        action="payment.refund",
        entity_kind="order",
        entity_id=order.id,
        after={"refund_id": created.id, "amount_fen": created.amount_fen, "lines": created.lines},
        reason=checked_reason,
    )
    return created


async def refund_order_in_full(
    session: AsyncSession, order: Order, *, reason: str, actor: User
) -> Refund | None:
    """Refund whatever is left of a paid order, shipping included (checkout's cancellation of
    a paid order by its buyer or an operator, the `actor`; it puts the stock back itself).
    None if the order is not paid or nothing is left to refund."""
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
    created = await open_refund(
        session, locked_order, payment, quantities, reason=reason, actor=actor
    )
    await audit.record(
        session,
        actor_user_id=actor.id,
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
    await settle_refund(session, refund.id, state)


async def settle_refund(session: AsyncSession, refund_id: int, state: RefundState) -> None:
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
        await _refund_succeeded(session, locked)
    elif state.status in {"failed", "canceled"}:
        await _refund_failed(session, locked, payment)
    await session.flush()


async def _refund_succeeded(session: AsyncSession, refund: Refund) -> None:
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
    await order_service.notify_buyer(
        session,
        refund.order_id,
        order_service.BuyerEvent.REFUNDED,
        refund_id=refund.id,
        amount_fen=refund.amount_fen,
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
