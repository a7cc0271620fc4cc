"""Checkout: placing an order with its payment in one transaction, the buyer's orders,
cancellation, and expiry of unpaid orders."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.audit import service as audit
from app.cart import service as cart_service
from app.cart.pricing import PricedBasket, price_basket
from app.checkout import repository
from app.checkout.schemas import OrderOut, OrderPage
from app.core.clock import utcnow
from app.core.errors import DomainError
from app.jobs.service import enqueue
from app.order import service as order_service
from app.order.errors import OrderNotFound
from app.order.models import Order, OrderStatus
from app.order.schemas import PlaceOrderRequest, ShippingAddressIn
from app.order.service import PaymentTimeouts
from app.payment import service as payment_service

log = logging.getLogger(__name__)

EXPIRE_ORDER_JOB = "checkout.expire_order"
BUYER_CANCEL_REASON = "cancelled_by_buyer"
EXPIRED_REASON = "payment_expired"


async def _views(session: AsyncSession, orders: Sequence[Order]) -> list[OrderOut]:
    details = await order_service.order_details(session, orders)
    payments = await repository.payments_by_order(session, [o.id for o in orders])
    return [
        OrderOut.model_validate(
            {
                **detail.model_dump(),
                "payment": (
                    payment_service.payment_view(payments[detail.id])
                    if detail.id in payments
                    else None
                ),
            }
        )
        for detail in details
    ]


async def order_view(session: AsyncSession, order: Order) -> OrderOut:
    return (await _views(session, [order]))[0]


async def _opened(session: AsyncSession, order: Order) -> None:
    """A new order's payment opened, its expiry scheduled and its buyer told how to pay."""
    payment = await payment_service.open_payment(session, order)
    await enqueue(session, EXPIRE_ORDER_JOB, {"order_id": order.id}, run_after=order.expires_at)
    await order_service.notify_buyer(
        session,
        order.id,
        order_service.BuyerEvent.PLACED,
        bank_reference=payment.bank_reference,
    )


async def place_order(
    session: AsyncSession,
    *,
    buyer: User,
    idempotency_key: str | None,
    request: PlaceOrderRequest,
    timeouts: PaymentTimeouts,
) -> tuple[OrderOut, bool]:
    """Place the order and open its payment in the caller's transaction; (order, created now).

    Without lines the buyer's cart is ordered, and emptied with the same commit. The same
    Idempotency-Key again returns the same order, even after the cart was emptied by it.
    The order expires unpaid at its deadline (outbox job `checkout.expire_order`). For Stripe,
    the PaymentIntent is created by the outbox right after this commits (never while this
    transaction holds stock locks); GET /orders/{id} shows it moments later.
    """
    key = order_service.check_idempotency_key(idempotency_key)
    existing = await order_service.find_replayed_order(
        session, buyer_id=buyer.id, idempotency_key=key, request=request
    )
    if existing is not None:
        return await order_view(session, existing), False
    from_cart = request.lines is None
    # A savepoint: when anything below refuses (no stock, a region not served), nothing of the
    # order stays in the caller's transaction, even if the caller goes on and commits (a page
    # that re-renders its form).
    async with session.begin_nested():
        items = (
            await cart_service.cart_items_for_checkout(session, user_id=buyer.id)
            if from_cart
            else None
        )
        order, created = await order_service.place_order(
            session,
            buyer=buyer,
            idempotency_key=key,
            request=request,
            items=items,
            timeouts=timeouts,
        )
        if created:
            await _opened(session, order)
            if from_cart:
                await cart_service.clear_cart(session, user_id=buyer.id)
    return await order_view(session, order), created


async def place_gift_order(
    session: AsyncSession,
    *,
    buyer: User,
    idempotency_key: str,
    request: order_service.GiftOrderRequest,
    timeouts: PaymentTimeouts,
) -> tuple[OrderOut, bool]:
    """A gift order placed (a parcel per recipient and supplier) with its payment opened and
    its expiry scheduled, as place_order does; (order, created now)."""
    async with session.begin_nested():
        order, created = await order_service.place_gift_order(
            session,
            buyer=buyer,
            idempotency_key=idempotency_key,
            request=request,
            timeouts=timeouts,
        )
        if created:
            await _opened(session, order)
    return await order_view(session, order), created


async def get_order(session: AsyncSession, *, buyer: User, order_id: int) -> OrderOut:
    """The buyer's own order with its payment; anyone else's answers 404."""
    order = await order_service.get_buyer_order(session, buyer_id=buyer.id, order_id=order_id)
    return await order_view(session, order)


async def list_orders(
    session: AsyncSession, *, buyer: User, page: int = 1, per_page: int = 20
) -> OrderPage:
    """The buyer's orders, newest first."""
    orders, total = await order_service.list_buyer_orders(
        session, buyer_id=buyer.id, page=page, per_page=per_page
    )
    return OrderPage(items=await _views(session, orders), total=total, page=page, per_page=per_page)


async def cancel_order(session: AsyncSession, *, buyer: User, order_id: int) -> OrderOut:
    """The buyer cancels: an unpaid order (its PaymentIntent is cancelled), or a paid one of
    which nothing has shipped (refunded in full). Stock goes back either way; otherwise 409."""
    order = await order_service.get_buyer_order(session, buyer_id=buyer.id, order_id=order_id)
    # A savepoint: a refund that fails leaves the order as it was, not cancelled unrefunded.
    async with session.begin_nested():
        cancellation = await order_service.cancel_order(session, order, reason=BUYER_CANCEL_REASON)
        if cancellation.was_paid:
            await payment_service.refund_order_in_full(
                session, cancellation.order, reason=BUYER_CANCEL_REASON, actor=buyer
            )
        else:
            await payment_service.cancel_payment(session, cancellation.order)
    return await order_view(session, cancellation.order)


async def cancel_order_as_operator(
    session: AsyncSession, *, operator: User, order_id: int, reason: str
) -> OrderOut:
    """An operator cancels an unpaid order (its payment cancelled) or a paid one of which
    nothing has shipped (refunded in full: through Stripe, or recorded for the operator to pay
    back a transfer). Stock goes back; the cancellation is audit-logged. 409 once shipped."""
    checked_reason = payment_service.check_reason(reason)
    order = await order_service.get_order(session, order_id, for_update=True)
    before = order.status.value
    refund_id: int | None = None
    async with session.begin_nested():
        cancellation = await order_service.cancel_order(session, order, reason=checked_reason)
        if cancellation.was_paid:
            created = await payment_service.refund_order_in_full(
                session, cancellation.order, reason=checked_reason, actor=operator
            )
            refund_id = created.id if created is not None else None
        else:
            await payment_service.cancel_payment(session, cancellation.order)
    await audit.record(
        session,
        actor_user_id=operator.id,
        action="order.cancel",
        entity_kind="order",
        entity_id=order.id,
        before={"status": before},
        after={"status": cancellation.order.status.value, "refund_id": refund_id},
        reason=checked_reason,
    )
    return await order_view(session, cancellation.order)


async def confirm_receipt(session: AsyncSession, *, buyer: User, fulfillment_id: int) -> OrderOut:
    """The buyer received one supplier's parcel; the order completes with the last one."""
    order = await order_service.confirm_receipt(
        session, buyer_id=buyer.id, fulfillment_id=fulfillment_id
    )
    return await order_view(session, order)


async def expire_order(session: AsyncSession, order_id: int) -> bool:
    """The expiry job: an order still unpaid at its deadline is cancelled, its stock released
    and its payment cancelled. Paid, cancelled or missing orders are left alone (the job is
    idempotent); one run early (a clock ahead) schedules itself again. True if it expired."""
    try:
        order = await order_service.get_order(session, order_id, for_update=True)
    except OrderNotFound:
        return False
    if order.status != OrderStatus.PENDING_PAYMENT:
        return False
    if order.expires_at is not None and order.expires_at > utcnow():
        await enqueue(session, EXPIRE_ORDER_JOB, {"order_id": order.id}, run_after=order.expires_at)
        return False
    cancellation = await order_service.cancel_order(session, order, reason=EXPIRED_REASON)
    await payment_service.cancel_payment(session, cancellation.order)
    return True


# ---------------------------------------------------------------------------------------------
# The checkout page


@dataclass
class CheckoutView:
    """What the checkout page shows: the priced cart, or why it cannot be ordered now."""

    basket: PricedBasket | None
    # Whether the basket was priced for a delivery county (its shipping fees are real).
    shipping_known: bool
    problem: DomainError | None
    provinces: list[tuple[str, str]]
    counties: list[tuple[str, str]]
    province_code: str
    organizations: list[tuple[int, str]]
    address: ShippingAddressIn | None = None


async def checkout_view(
    session: AsyncSession,
    *,
    buyer: User,
    province_code: str | None = None,
    county_code: str | None = None,
) -> CheckoutView:
    """The cart priced for the chosen county (shipping included once one is chosen), the
    address form's choices, and the buyer's last delivery address to start from."""
    address = await order_service.last_shipping_address(session, buyer.id)
    typed = (county_code or "").strip()
    destination = typed or (address.county_code if address else None)
    if destination is not None and not (
        len(destination) == 6 and destination.isascii() and destination.isdigit()
    ):
        destination = None  # the form names the bad code; the goods are priced without it
    items = await cart_service.cart_items_for_checkout(session, user_id=buyer.id)
    basket: PricedBasket | None = None
    problem: DomainError | None = None
    shipping_known = False
    if items:
        try:
            basket = await price_basket(session, items, destination_county_code=destination)
            shipping_known = destination is not None
        except DomainError as exc:
            problem = exc
            if destination is not None:
                # A county not served still shows the goods; the problem is named beside it.
                try:
                    basket = await price_basket(session, items, destination_county_code=None)
                except DomainError as inner:
                    problem = inner
    chosen_province = province_code or (destination[:2] + "0000" if destination else "")
    provinces, counties = await order_service.county_choices(session, chosen_province or None)
    return CheckoutView(
        basket=basket,
        shipping_known=shipping_known,
        problem=problem,
        provinces=provinces,
        counties=counties,
        province_code=chosen_province,
        organizations=await order_service.buyer_organizations(session, buyer.id),
        address=address,
    )
