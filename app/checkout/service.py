"""Checkout: placing an order with its payment in one transaction, the buyer's orders,
cancellation, and expiry of unpaid orders."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.audit import service as audit
from app.cart import service as cart_service
from app.cart.pricing import PricedBasket, price_basket
from app.checkout import repository
from app.checkout.schemas import OrderOut, OrderPage
from app.core.clock import utcnow
from app.core.commit_with import DeferredWrites, can_commit_with
from app.core.errors import DomainError
from app.jobs.service import JobBatch, enqueue, enqueue_batch
from app.order import service as order_service
from app.order.errors import AddressBookFull, OrderNotFound
from app.order.models import Order, OrderStatus, PaymentMethod
from app.order.schemas import PlaceOrderRequest, SavedAddressOut, ShippingAddressIn
from app.order.service import NewOrder, PaymentTimeouts
from app.payment import service as payment_service
from app.payment.errors import PaymentMethodLocked
from app.payment.models import Payment
from app.payment.service import NewPayment
from app.regions.listing import RegionChoices, region_choices

log = logging.getLogger(__name__)

EXPIRE_ORDER_JOB = "checkout.expire_order"
BUYER_CANCEL_REASON = "cancelled_by_buyer"
EXPIRED_REASON = "payment_expired"


async def _views(
    session: AsyncSession,
    orders: Sequence[Order | NewOrder],
    payments: dict[int, Payment | NewPayment] | None = None,
    cooperative_names: dict[int, str] | None = None,
) -> list[OrderOut]:
    """The orders with their payments; payments and supplier names are read unless given."""
    details = await order_service.order_details(
        session, orders, cooperative_names=cooperative_names
    )
    found: dict[int, Payment | NewPayment] = (
        dict(await repository.payments_by_order(session, [o.id for o in orders]))
        if payments is None
        else payments
    )
    return [
        OrderOut.model_validate(
            {
                # Its fields as they are (a shallow copy): nested views are not rebuilt.
                **dict(detail),
                "payment": (
                    payment_service.payment_view(found[detail.id]) if detail.id in found else None
                ),
            }
        )
        for detail in details
    ]


async def order_view(
    session: AsyncSession,
    order: Order | NewOrder,
    payment: Payment | NewPayment | None = None,
    cooperative_names: dict[int, str] | None = None,
) -> OrderOut:
    payments = {order.id: payment} if payment is not None else None
    return (await _views(session, [order], payments, cooperative_names))[0]


async def _opened(session: AsyncSession, order: Order) -> Payment:
    """A new order's payment opened, its expiry scheduled and its buyer told how to pay: written
    in one flush with what the session holds unwritten (the order's lines), the jobs in one
    INSERT."""
    payment = await payment_service.open_payment(session, order, new_order=True, flush=False)
    await enqueue(
        session,
        EXPIRE_ORDER_JOB,
        {"order_id": order.id},
        run_after=order.expires_at,
        flush=False,
    )
    await order_service.notify_buyer(
        session,
        order.id,
        order_service.BuyerEvent.PLACED,
        flush=False,
        bank_reference=payment.bank_reference,
    )
    await session.flush()
    return payment


async def place_order(
    session: AsyncSession,
    *,
    buyer: User,
    idempotency_key: str | None,
    request: PlaceOrderRequest,
    timeouts: PaymentTimeouts,
    offered: Collection[PaymentMethod] | None = None,
    save_address: bool = False,
    savepoint: bool = True,
    commit: bool = False,
) -> tuple[OrderOut, bool]:
    """Place the order and open its payment in the caller's transaction; (order, created now).

    Without lines the buyer's cart is ordered, and emptied with the same commit. The same
    Idempotency-Key again returns the same order, even after the cart was emptied by it.
    The order expires unpaid at its deadline (outbox job `checkout.expire_order`). For Stripe,
    the PaymentIntent is created by the outbox right after this commits (never while this
    transaction holds stock locks); GET /orders/{id} shows it moments later.

    `offered`: the payment methods the site takes; another is 422
    `payment_method_unavailable` (None: not checked, for an order a buyer asked for before,
    such as an approved bulk order). `save_address`: the shipping address also goes into the
    buyer's address book (when the book is full, the order is placed all the same).
    `savepoint=False` for a caller whose transaction rolls back whenever this raises (an API
    route): then nothing of a refused order needs undoing here. `commit=True` (with
    `savepoint=False`): a new order is committed here, its stock reservation sent with the
    COMMIT so that a hot SKU's row is locked for the least time (ADR 0017).
    """
    if commit and savepoint:
        raise ValueError("commit=True is for a caller that rolls back on refusal (savepoint=False)")
    key = order_service.check_idempotency_key(idempotency_key)
    from_cart = request.lines is None
    try:
        if offered is not None:
            payment_service.check_offered(request.payment_method, offered)
        items = (
            await cart_service.cart_items_for_checkout(session, user_id=buyer.id)
            if from_cart
            else None
        )
        # Reads only so far: an order refused here (a field, a SKU sold out) wrote nothing.
        draft = await order_service.draft_order(
            session, buyer=buyer, key=key, request=request, items=items, timeouts=timeouts
        )
    except DomainError:
        # Refused as it stands now; but a retry of an order this key placed (the stock since
        # sold, the cart it ordered emptied) is answered with that order.
        replayed = await _replayed(session, buyer, key, request)
        if replayed is None:
            raise
        return replayed, False
    # With a savepoint, when anything below refuses (the stock gone meanwhile), nothing of the
    # order stays in the caller's transaction, even if the caller goes on and commits (a page
    # that re-renders its form).
    async with session.begin_nested() if savepoint else contextlib.nullcontext():
        view = await _write(session, draft, buyer, request, from_cart, save_address, commit)
    if view is None:
        # The key placed an order already: a retry, or a concurrent request that got there
        # first (PostgreSQL made this one wait on the unique index until it committed).
        replayed = await _replayed(session, buyer, key, request)
        if replayed is None:
            raise RuntimeError("an order with this key was refused and cannot be found")
        return replayed, False
    return view, True


async def _replayed(
    session: AsyncSession, buyer: User, key: str, request: PlaceOrderRequest
) -> OrderOut | None:
    """The order this key placed, as the first answer showed it (None: none; another body
    with the key: 409 `idempotency_key_reused`). Looked up only when the key may have been
    used: nearly every order placed has a new one, and its INSERT tells."""
    order = await order_service.find_replayed_order(
        session, buyer_id=buyer.id, idempotency_key=key, request=request
    )
    return await order_view(session, order) if order is not None else None


async def _write(
    session: AsyncSession,
    draft: order_service.OrderDraft,
    buyer: User,
    request: PlaceOrderRequest,
    from_cart: bool,
    save_address: bool,
    commit: bool,
) -> OrderOut | None:
    """The drafted order written with its payment and jobs, in plain statements, and its
    stock reserved last (and committed with it if `commit`); its view. None, having written
    nothing, when its key was used.

    Committed on PostgreSQL, the rows whose results nobody waits for (fulfilments, lines,
    payment, jobs) leave with the reservation and the COMMIT: after pricing, a placed order
    makes two round trips to the database (its INSERT, then the rest), not six (ADR 0017)."""
    deferred = DeferredWrites() if commit and can_commit_with(session) else None
    order = await order_service.write_order(session, draft, deferred)
    if order is None:
        return None
    jobs = JobBatch()
    payment = await payment_service.open_new_payment(session, order, jobs, deferred)
    jobs.add(EXPIRE_ORDER_JOB, {"order_id": order.id}, run_after=order.expires_at)
    order_service.queue_buyer_notice(
        jobs, order.id, order_service.BuyerEvent.PLACED, bank_reference=payment.bank_reference
    )
    await enqueue_batch(session, jobs, deferred)
    if from_cart:
        await cart_service.clear_cart(session, user_id=buyer.id)
    if save_address:
        await _keep_address(session, buyer, request.shipping_address)
    view = await order_view(session, order, payment, draft.cooperative_names)
    # Last, so that a hot SKU's row stays locked only from here to the commit (the view above
    # reads nothing this changes). A 409 here is undone by the caller's savepoint, or its
    # transaction.
    if commit:
        await order_service.reserve_order_stock_and_commit(session, order, deferred)
    else:
        await order_service.reserve_order_stock(session, order)
    return view


async def _keep_address(session: AsyncSession, buyer: User, address: ShippingAddressIn) -> None:
    """The order's address into the buyer's address book, unless the book is full."""
    try:
        async with session.begin_nested():
            await order_service.add_address(session, user_id=buyer.id, address=address)
    except AddressBookFull:
        log.info("address book of user %s is full; the order's address was not kept", buyer.id)


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
        payment = await _opened(session, order) if created else None
    return await order_view(session, order, payment), created


async def change_payment_method(
    session: AsyncSession,
    *,
    buyer: User,
    order_id: int,
    method: PaymentMethod,
    offered: Collection[PaymentMethod],
    timeouts: PaymentTimeouts,
) -> OrderOut:
    """The buyer's unpaid order is to be paid by `method` from now on, without ordering again:
    its stock stays reserved, its deadline becomes the method's (see
    order_service.change_payment_method) and its payment switches (a transfer's reference, a
    card's PaymentIntent). The same method again changes nothing. Not offered: 422
    `payment_method_unavailable`; paid, cancelled or a transfer reported as sent: 409
    `payment_method_locked`; anyone else's order: 404."""
    payment_service.check_offered(method, offered)
    order = await order_service.get_buyer_order(
        session, buyer_id=buyer.id, order_id=order_id, for_update=True
    )
    if order.payment_method == method:
        return await order_view(session, order)
    if order.status != OrderStatus.PENDING_PAYMENT:
        raise PaymentMethodLocked("the order is paid or cancelled")
    previous_deadline = order.expires_at
    async with session.begin_nested():
        await payment_service.switch_method(session, order, method)
        deadline = await order_service.change_payment_method(session, order, method, timeouts)
    if deadline is not None and (previous_deadline is None or deadline < previous_deadline):
        # The expiry job waits for the old deadline; one more at the new, earlier one (a job
        # that finds the order paid or cancelled does nothing).
        await enqueue(session, EXPIRE_ORDER_JOB, {"order_id": order.id}, run_after=deadline)
    return await order_view(session, order)


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

NEW_ADDRESS = "new"


@dataclass
class CheckoutView:
    """What the checkout page shows: the priced cart (or why it cannot be ordered now), the
    buyer's saved addresses and which is chosen, the selects of a new address, and the
    organisations the buyer may order for."""

    basket: PricedBasket | None
    # Whether the basket was priced for a delivery county (its shipping fees are real).
    shipping_known: bool
    problem: DomainError | None
    saved: list[SavedAddressOut]
    # The saved address chosen, or None: the new address below.
    chosen: SavedAddressOut | None
    regions: RegionChoices
    organizations: list[tuple[int, str]]
    # What a new address starts from: the buyer's last order's address, if any.
    address: ShippingAddressIn | None = None

    @property
    def destination(self) -> str | None:
        return self.chosen.county_code if self.chosen else self.regions.county_code or None


def _chosen(
    saved: Sequence[SavedAddressOut], choice: str | None, county_code: str | None
) -> SavedAddressOut | None:
    """The saved address the page starts with: the one the form chose; else (first visit) the
    default, or, coming from the cart with a delivery county, the default of that county."""
    if choice == NEW_ADDRESS:
        return None
    if choice:
        return next((a for a in saved if str(a.id) == choice), None)
    if county_code:
        # The cart priced shipping for this county: keep to it.
        return next((a for a in saved if a.county_code == county_code), None)
    return saved[0] if saved else None


async def checkout_view(
    session: AsyncSession,
    *,
    buyer: User,
    choice: str | None = None,
    province_code: str | None = None,
    prefecture_code: str | None = None,
    county_code: str | None = None,
) -> CheckoutView:
    """The checkout page for the address chosen so far.

    `choice` is the form's saved address (its id, or "new"; none on a first visit), the codes
    are the new address's selects (or the cart's delivery county). The cart is priced for the
    chosen address's county, shipping included; a county a supplier does not serve still
    shows the goods, with the problem named."""
    saved = await order_service.list_addresses(session, user_id=buyer.id)
    chosen = _chosen(saved, choice, county_code)
    address = None if saved else await order_service.last_shipping_address(session, buyer.id)
    if chosen is None and not (province_code or prefecture_code or county_code) and address:
        county_code = address.county_code
    regions = await region_choices(
        session,
        province_code=province_code,
        prefecture_code=prefecture_code,
        county_code=county_code,
    )
    view = CheckoutView(
        basket=None,
        shipping_known=False,
        problem=None,
        saved=saved,
        chosen=chosen,
        regions=regions,
        organizations=await order_service.buyer_organizations(session, buyer.id),
        address=address,
    )
    await _price(session, buyer, view)
    return view


async def _price(session: AsyncSession, buyer: User, view: CheckoutView) -> None:
    """The cart priced for the view's destination, shipping included when there is one."""
    items = await cart_service.cart_items_for_checkout(session, user_id=buyer.id)
    if not items:
        return
    destination = view.destination
    try:
        view.basket = await price_basket(session, items, destination_county_code=destination)
        view.shipping_known = destination is not None
    except DomainError as exc:
        view.problem = exc
        if destination is not None:
            # A county not served still shows the goods; the problem is named beside it.
            try:
                view.basket = await price_basket(session, items, destination_county_code=None)
            except DomainError as inner:
                view.problem = inner


async def shipping_address(
    session: AsyncSession, *, buyer: User, choice: str, typed: ShippingAddressIn
) -> ShippingAddressIn:
    """The address the checkout form orders with: the saved one it chose (by id; not the
    buyer's: 404 `address_not_found`), or, for "new", the one typed in."""
    if choice == NEW_ADDRESS or not choice:
        return typed
    address_id = int(choice) if choice.isascii() and choice.isdigit() and len(choice) < 19 else 0
    saved = await order_service.get_address(session, user_id=buyer.id, address_id=address_id)
    return ShippingAddressIn(
        name=saved.name, phone=saved.phone, county_code=saved.county_code, detail=saved.detail
    )
