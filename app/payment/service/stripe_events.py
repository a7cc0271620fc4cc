"""Stripe's events, stored once and applied forward only; an intent cancelled at Stripe."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.core.clock import utcnow
from app.order import service as order_service
from app.order.models import PaymentMethod
from app.payment import repository
from app.payment.errors import PaymentNotFound, PaymentProviderRefused
from app.payment.gateway import (
    IntentState,
    PaymentGateway,
    RefundState,
    WebhookEvent,
    intent_state,
    refund_state,
)
from app.payment.models import Payment, PaymentStatus, StripeEvent
from app.payment.schemas import WebhookAck
from app.payment.service.opening import PAYABLE
from app.payment.service.payment_received import payment_succeeded
from app.payment.service.refunds import settle_refund

log = logging.getLogger(__name__)

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
        if locked.method != PaymentMethod.STRIPE:
            await _paid_twice(session, locked, state)
        return  # applied once already
    if locked.stripe_payment_intent_id is None:
        locked.stripe_payment_intent_id = state.id
    if locked.method != PaymentMethod.STRIPE:
        # The buyer switched to a transfer but paid with a card form left open: the order is
        # paid by card (refunds go back through Stripe), and no transfer is expected.
        locked.method = PaymentMethod.STRIPE
        locked.bank_reference = None
        order_service.set_payment_method(order, PaymentMethod.STRIPE)
    await payment_succeeded(session, locked, order, received_fen=state.amount_received)


async def _paid_twice(session: AsyncSession, payment: Payment, state: IntentState) -> None:
    """The card was charged after the order was paid by transfer (a card form left open
    while the operator confirmed the remittance, before the intent could be cancelled). The
    platform keeps no money twice, but only Stripe holds this charge: it is logged and
    audit-logged for the operator to refund at Stripe."""
    log.error(
        "order %s was paid by transfer and its Stripe intent %s charged %s fen as well",
        payment.order_id,
        state.id,
        state.amount_received,
    )
    await audit.record(
        session,
        actor_user_id=None,
        action="payment.charged_twice",
        entity_kind="order",
        entity_id=payment.order_id,
        after={"stripe_payment_intent_id": state.id, "amount_fen": state.amount_received},
        reason="card charged after the bank transfer was confirmed; refund it at Stripe",
    )


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
    await settle_refund(session, refund.id, state)


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
        await settle_refund(
            session,
            candidate.id,
            RefundState(
                id=candidate.stripe_refund_id or "", status="succeeded", amount=candidate.amount_fen
            ),
        )
