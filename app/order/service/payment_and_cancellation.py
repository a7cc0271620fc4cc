"""An order paid, cancelled (whole, or the fulfilments a refund emptied) or due to expire."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.inventory.models import MovementReason
from app.inventory.service import release_stock
from app.jobs.service import enqueue
from app.order import repository
from app.order.errors import InvalidStatusTransition, OrderNotCancellable
from app.order.models import FulfillmentStatus, Order, OrderStatus, PaymentMethod
from app.order.service.buyer_notices import BuyerEvent, notify_buyer
from app.order.service.placing import PaymentTimeouts
from app.order.service.reading import get_order
from app.order.service.writing import NewOrder

CANCEL_REASON_MAX_LENGTH = 200

# Queued for each fulfilment of an order once it is paid: its supplier is told (mail, webhook).
NOTIFY_SUPPLIER_JOB = "order.notify_supplier"

# A paid order may be cancelled (and refunded) while no supplier has shipped any of it.
_UNSHIPPED = frozenset({FulfillmentStatus.PENDING, FulfillmentStatus.ACCEPTED})


def set_payment_method(order: Order, method: PaymentMethod) -> None:
    """Record how the order is (to be) paid; the payment domain keeps the payment's own."""
    order.payment_method = method


async def change_payment_method(
    session: AsyncSession, order: Order, method: PaymentMethod, timeouts: PaymentTimeouts
) -> datetime | None:
    """An unpaid order (locked by the caller) is to be paid by `method`: its deadline becomes
    that method's timeout from now, but never later than the longest timeout from when it
    was placed, so that switching back and forth cannot hold stock for ever. Returns the new
    deadline."""
    if order.status != OrderStatus.PENDING_PAYMENT:
        raise InvalidStatusTransition(f"A {order.status.value} order cannot change its payment.")
    set_payment_method(order, method)
    longest = max(timeouts.stripe, timeouts.bank_transfer)
    order.expires_at = min(utcnow() + timeouts.for_method(method), order.created_at + longest)
    await session.flush()
    return order.expires_at


async def mark_paid(session: AsyncSession, order: Order, *, at: datetime) -> None:
    """The order's payment succeeded: it becomes paid and each supplier is told (outbox).

    Idempotent for an order already paid; a cancelled order cannot be paid (409) — the payment
    domain refunds money that arrives too late. The row is locked and re-read first, so that a
    concurrent expiry and payment cannot both win.
    """
    locked = await get_order(session, order.id, for_update=True)
    if locked.status in {OrderStatus.PAID, OrderStatus.COMPLETED}:
        return
    if locked.status != OrderStatus.PENDING_PAYMENT:
        raise InvalidStatusTransition(f"A {locked.status.value} order cannot be paid.")
    locked.status = OrderStatus.PAID
    locked.paid_at = at
    # A gift order's supplier hears once of all its parcels (there may be hundreds), through
    # the job of its first parcel; every other order's fulfilment has its own notice.
    gift_parcels: dict[int, list[int]] = defaultdict(list)
    for fulfillment in locked.fulfillments:
        if fulfillment.parcel_no:
            gift_parcels[fulfillment.cooperative_id].append(fulfillment.id)
        else:
            await enqueue(session, NOTIFY_SUPPLIER_JOB, {"fulfillment_id": fulfillment.id})
    for parcel_ids in gift_parcels.values():
        await enqueue(
            session,
            NOTIFY_SUPPLIER_JOB,
            {"fulfillment_id": parcel_ids[0], "parcel_ids": parcel_ids},
        )
    await notify_buyer(session, locked.id, BuyerEvent.PAID)
    await session.flush()


@dataclass(frozen=True)
class Cancellation:
    """What a cancellation did: the order, and whether it had been paid (refund it)."""

    order: Order
    was_paid: bool


def cancellable(order: Order | NewOrder) -> bool:
    """Unpaid orders, and paid ones of which no supplier has shipped anything."""
    if order.status == OrderStatus.PENDING_PAYMENT:
        return True
    return order.status == OrderStatus.PAID and all(
        f.status in _UNSHIPPED or f.status == FulfillmentStatus.CANCELLED
        for f in order.fulfillments
    )


async def cancel_order(session: AsyncSession, order: Order, *, reason: str) -> Cancellation:
    """Cancel the order and release its stock; the caller settles the payment (cancel the
    PaymentIntent, or refund). 409 `order_not_cancellable` once anything has shipped."""
    locked = await get_order(session, order.id, for_update=True)
    if not cancellable(locked):
        raise OrderNotCancellable(
            "it has been shipped"
            if locked.status == OrderStatus.PAID
            else f"it is {locked.status.value}"
        )
    was_paid = locked.status == OrderStatus.PAID
    now = utcnow()
    locked.status = OrderStatus.CANCELLED
    locked.cancelled_at = now
    locked.cancel_reason = reason[:CANCEL_REASON_MAX_LENGTH]
    for fulfillment in locked.fulfillments:
        if fulfillment.status != FulfillmentStatus.CANCELLED:
            fulfillment.status = FulfillmentStatus.CANCELLED
            fulfillment.cancelled_at = now
    # What was refunded line by line already went back to stock with its refund.
    back: dict[int, int] = defaultdict(int)
    for line in locked.lines:
        if line.quantity > line.refunded_quantity:
            back[line.sku_id] += line.quantity - line.refunded_quantity
    await session.flush()
    if back:
        await release_stock(
            session, sorted(back.items()), order_id=locked.id, reason=MovementReason.RELEASED
        )
    return Cancellation(order=locked, was_paid=was_paid)


async def cancel_refunded_fulfillments(
    session: AsyncSession, order: Order, *, reason: str
) -> list[int]:
    """After a refund: each unshipped fulfilment whose every unit is now refunded is cancelled
    (its stock went back with the refund). With no fulfilment left the order is cancelled; with
    only delivered ones left it is completed. Returns the ids of the fulfilments cancelled."""
    now = utcnow()
    cancelled: list[int] = []
    for fulfillment in order.fulfillments:
        lines = [line for line in order.lines if line.fulfillment_id == fulfillment.id]
        if fulfillment.status in _UNSHIPPED and all(
            line.refunded_quantity >= line.quantity for line in lines
        ):
            fulfillment.status = FulfillmentStatus.CANCELLED
            fulfillment.cancelled_at = now
            cancelled.append(fulfillment.id)
    live = [f for f in order.fulfillments if f.status != FulfillmentStatus.CANCELLED]
    if cancelled and order.status == OrderStatus.PAID:
        if not live:
            order.status = OrderStatus.CANCELLED
            order.cancelled_at = now
            order.cancel_reason = reason[:CANCEL_REASON_MAX_LENGTH]
        elif all(f.status == FulfillmentStatus.DELIVERED for f in live):
            order.status = OrderStatus.COMPLETED
            order.completed_at = now
    await session.flush()
    return cancelled


async def expiry_due(session: AsyncSession, order_id: int, *, now: datetime) -> Order | None:
    """The order if it is still unpaid and past its deadline (locked), else None."""
    order = await repository.get_order(session, order_id, for_update=True)
    if order is None or order.status != OrderStatus.PENDING_PAYMENT:
        return None
    if order.expires_at is not None and order.expires_at > now:
        return None
    return order
