"""Use cases of orders and fulfilments: placing, paying, cancelling, shipping and receiving."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import re
import socket
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from app.account.models import User
from app.cart.pricing import price_basket
from app.config import Settings
from app.cooperative.errors import CooperativeNotFound
from app.cooperative.models import Cooperative
from app.core.clock import china_date, utcnow
from app.core.fields import has_control_characters as _unprintable
from app.core.identifiers import normalize_phone
from app.inventory.models import MovementReason
from app.inventory.service import release_stock, reserve_stock
from app.jobs.service import enqueue
from app.order import repository
from app.order.errors import (
    EmptyOrder,
    FulfillmentNotFound,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
    InvalidOrderFields,
    InvalidStatusTransition,
    OrderNotCancellable,
    OrderNotFound,
    OrganizationNotFound,
    OrganizationNotVerified,
    WebhookUrlRefused,
)
from app.order.models import (
    BuyerKind,
    Fulfillment,
    FulfillmentStatus,
    Order,
    OrderLine,
    OrderStatus,
    PaymentMethod,
)
from app.order.schemas import (
    MAX_ID,
    FulfillmentOut,
    FulfillmentPage,
    OrderDetail,
    OrderLineOut,
    PlaceOrderRequest,
    ShippingAddressIn,
    ShippingAddressOut,
    SupplierFulfillmentOut,
    SupplierWebhookOut,
)
from app.organization.models import OrganizationStatus
from app.regions.models import County

IDEMPOTENCY_KEY_MAX_LENGTH = 100
# Visible ASCII only: the key travels in an HTTP header and is stored as given.
_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]+")
NAME_MAX_LENGTH = 50
DETAIL_MIN_LENGTH = 5
DETAIL_MAX_LENGTH = 200
PO_NUMBER_MAX_LENGTH = 60
CARRIER_MAX_LENGTH = 50
_TRACKING_NUMBER = re.compile(r"[A-Za-z0-9-]{4,60}")
CANCEL_REASON_MAX_LENGTH = 200
MAX_PER_PAGE = 100
MAX_PAGE = 100_000

NOTIFY_SUPPLIER_JOB = "order.notify_supplier"
SUPPLIER_WEBHOOK_JOB = "order.send_supplier_webhook"
COMPLETE_FULFILLMENT_JOB = "order.complete_fulfillment"

# A paid order may be cancelled (and refunded) while no supplier has shipped any of it.
_UNSHIPPED = frozenset({FulfillmentStatus.PENDING, FulfillmentStatus.ACCEPTED})


@dataclass(frozen=True)
class PaymentTimeouts:
    """How long an order waits for its payment before it expires and releases its stock."""

    stripe: timedelta = timedelta(minutes=30)
    bank_transfer: timedelta = timedelta(hours=120)

    @classmethod
    def from_settings(cls, settings: Settings) -> PaymentTimeouts:
        return cls(
            stripe=timedelta(minutes=settings.order_payment_timeout_minutes),
            bank_transfer=timedelta(hours=settings.bank_transfer_timeout_hours),
        )

    def for_method(self, method: PaymentMethod) -> timedelta:
        return self.stripe if method == PaymentMethod.STRIPE else self.bank_transfer


# ---------------------------------------------------------------------------------------------
# Checks


def check_idempotency_key(raw: str | None) -> str:
    """The key as sent, or 400 `idempotency_key_required` / `invalid_idempotency_key`."""
    if raw is None or not raw.strip():
        raise IdempotencyKeyRequired()
    if len(raw) > IDEMPOTENCY_KEY_MAX_LENGTH or not _IDEMPOTENCY_KEY.fullmatch(raw):
        raise InvalidIdempotencyKey(IDEMPOTENCY_KEY_MAX_LENGTH)
    return raw


def request_fingerprint(request: PlaceOrderRequest) -> str:
    """sha256 of the request's canonical JSON: the same key with another body is refused."""
    canonical = json.dumps(
        request.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


Problems = dict[str, tuple[str, str]]


def _check_text(
    raw: str, field: str, problems: Problems, *, code: str, min_length: int, max_length: int
) -> str:
    text = raw.strip()
    if _unprintable(text):
        problems[field] = (code, "contains control characters")
    elif not min_length <= len(text) <= max_length:
        problems[field] = (code, f"between {min_length} and {max_length} characters")
    return text


@dataclass(frozen=True)
class CheckedAddress:
    name: str
    phone: str
    county: County
    detail: str


async def _check_address(
    session: AsyncSession, address: ShippingAddressIn, problems: Problems
) -> CheckedAddress | None:
    prefix = "shipping_address."
    name = _check_text(
        address.name, prefix + "name", problems, code="invalid_name", min_length=1,
        max_length=NAME_MAX_LENGTH,
    )  # fmt: skip
    phone = ""
    try:
        phone = normalize_phone(address.phone)
    except ValueError as exc:
        problems[prefix + "phone"] = ("invalid_phone", str(exc))
    code = address.county_code.strip()
    # Anything but six ASCII digits names no county (and is not sent to the database).
    county = None
    if len(code) == 6 and code.isascii() and code.isdigit():
        county = await repository.get_county(session, code)
    if county is None:
        problems[prefix + "county_code"] = ("unknown_county", "no county has this code")
    detail = _check_text(
        address.detail, prefix + "detail", problems, code="invalid_address_detail",
        min_length=DETAIL_MIN_LENGTH, max_length=DETAIL_MAX_LENGTH,
    )  # fmt: skip
    if county is None or any(key.startswith(prefix) for key in problems):
        return None
    return CheckedAddress(name=name, phone=phone, county=county, detail=detail)


def _check_po_number(raw: str | None, problems: Problems) -> str | None:
    if raw is None or not raw.strip():
        return None
    return _check_text(
        raw, "po_number", problems, code="invalid_po_number", min_length=1,
        max_length=PO_NUMBER_MAX_LENGTH,
    )  # fmt: skip


@dataclass(frozen=True)
class Buyer:
    kind: BuyerKind
    province_code: str
    organization_id: int | None


async def _buyer(
    session: AsyncSession, user: User, organization_id: int | None, address: CheckedAddress
) -> Buyer:
    """Who buys: the organisation (its kind and registered province) or the consumer (the
    delivery province). Someone else's organisation answers 404; an unverified one 409."""
    if organization_id is None:
        return Buyer(BuyerKind.CONSUMER, address.county.province_code, None)
    organization = await repository.get_organization(session, organization_id)
    if organization is None or not await repository.buys_for_organization(
        session, user.id, organization_id
    ):
        raise OrganizationNotFound(organization_id)
    if organization.status != OrganizationStatus.VERIFIED:
        raise OrganizationNotVerified(organization_id)
    return Buyer(BuyerKind(organization.kind.value), organization.province_code, organization.id)


def order_number(order_id: int, placed_at: datetime) -> str:
    """Human-readable and unique: "FS" + the China date (yymmdd) + the id, e.g. FS261128-000123."""
    return f"FS{china_date(placed_at):%y%m%d}-{order_id:06d}"


# ---------------------------------------------------------------------------------------------
# Placing an order


async def find_replayed_order(
    session: AsyncSession, *, buyer_id: int, idempotency_key: str, request: PlaceOrderRequest
) -> Order | None:
    """The order this buyer already placed with this key (None if none); a different body
    with the same key is refused with 409 `idempotency_key_reused`."""
    key = check_idempotency_key(idempotency_key)
    existing = await repository.find_order_by_key(session, buyer_id, key)
    if existing is not None and existing.request_fingerprint != request_fingerprint(request):
        raise IdempotencyKeyReused()
    return existing


async def place_order(
    session: AsyncSession,
    *,
    buyer: User,
    idempotency_key: str,
    request: PlaceOrderRequest,
    items: Sequence[tuple[int, int]] | None = None,
    timeouts: PaymentTimeouts | None = None,
) -> tuple[Order, bool]:
    """Place an order and reserve its stock, in the caller's transaction; (order, created now).

    The same buyer and key again return the existing order as it is (a different body: 409
    `idempotency_key_reused`). `items` are the (sku_id, quantity) pairs to buy when the request
    has no lines (the caller read them from the cart); none at all: 422 `empty_cart`.
    The order is split into one fulfilment per supplier, each with its lines and shipping fee.
    Not enough stock: 409 `insufficient_stock`, and the caller's transaction must roll back.
    """
    key = check_idempotency_key(idempotency_key)
    fingerprint = request_fingerprint(request)
    existing = await find_replayed_order(
        session, buyer_id=buyer.id, idempotency_key=key, request=request
    )
    if existing is not None:
        return existing, False

    wanted = (
        [(line.sku_id, line.quantity) for line in request.lines]
        if request.lines is not None
        else list(items or ())
    )
    if not wanted:
        raise EmptyOrder()
    problems: Problems = {}
    address = await _check_address(session, request.shipping_address, problems)
    po_number = _check_po_number(request.po_number, problems)
    if po_number is not None and request.organization_id is None:
        problems["po_number"] = ("po_number_without_organization", "only for organisations")
    if problems or address is None:
        raise InvalidOrderFields(problems)
    buyer_info = await _buyer(session, buyer, request.organization_id, address)
    # A SKU listed twice is refused by pricing (422 duplicate_sku), not silently merged.
    basket = await price_basket(session, wanted, destination_county_code=address.county.code)
    shipping_fen = basket.shipping_fen or 0

    now = utcnow()
    method = PaymentMethod(request.payment_method)
    timeout = (timeouts or PaymentTimeouts()).for_method(method)
    order = Order(
        buyer_user_id=buyer.id,
        idempotency_key=key,
        request_fingerprint=fingerprint,
        buyer_kind=buyer_info.kind,
        organization_id=buyer_info.organization_id,
        po_number=po_number,
        buyer_province_code=buyer_info.province_code,
        status=OrderStatus.PENDING_PAYMENT,
        payment_method=method,
        goods_fen=basket.goods_fen,
        shipping_fen=shipping_fen,
        total_fen=basket.goods_fen + shipping_fen,
        ship_to_name=address.name,
        ship_to_phone=address.phone,
        ship_to_county_code=address.county.code,
        ship_to_detail=address.detail,
        expires_at=now + timeout,
        created_at=now,
        updated_at=now,
    )
    try:
        # A savepoint: a concurrent request with the same key (PostgreSQL waits for it on the
        # unique index) leaves this transaction usable, and we answer with its order.
        async with session.begin_nested():
            session.add(order)
            await session.flush()
    except IntegrityError:
        replayed = await find_replayed_order(
            session, buyer_id=buyer.id, idempotency_key=key, request=request
        )
        if replayed is None:
            raise
        return replayed, False
    order.number = order_number(order.id, now)

    fulfillments = [
        Fulfillment(
            order_id=order.id,
            cooperative_id=group.cooperative_id,
            status=FulfillmentStatus.PENDING,
            goods_fen=group.goods_fen,
            shipping_fen=group.shipping_fen or 0,
        )
        for group in basket.groups
    ]
    session.add_all(fulfillments)
    await session.flush()  # one batched INSERT, for the ids
    lines_of: list[list[OrderLine]] = [
        [
            OrderLine(
                order_id=order.id,
                fulfillment_id=fulfillment.id,
                sku_id=line.sku_id,
                product_id=line.product_id,
                cooperative_id=line.cooperative_id,
                origin_county_code=line.origin_county_code,
                title=line.title,
                sku_name=line.sku_name,
                sku_code=line.sku_code,
                quantity=line.quantity,
                unit_price_fen=line.unit_price_fen,
                line_total_fen=line.line_total_fen,
            )
            for line in group.lines
        ]
        for fulfillment, group in zip(fulfillments, basket.groups, strict=True)
    ]
    all_lines = [line for lines in lines_of for line in lines]
    session.add_all(all_lines)
    await session.flush()
    await reserve_stock(session, wanted, order_id=order.id)
    # The collections are exactly what was just written: set them rather than read them back
    # (relationships never load lazily), keeping the stock locks' transaction short.
    set_committed_value(order, "fulfillments", fulfillments)
    set_committed_value(order, "lines", all_lines)
    for fulfillment, lines in zip(fulfillments, lines_of, strict=True):
        set_committed_value(fulfillment, "lines", lines)
    return order, True


# ---------------------------------------------------------------------------------------------
# Reading


def _check_id(value: int) -> bool:
    return 1 <= value <= MAX_ID


async def get_order(session: AsyncSession, order_id: int, *, for_update: bool = False) -> Order:
    """Any order with its fulfilments and lines (for jobs and other domains); 404 if none."""
    order = (
        await repository.get_order(session, order_id, for_update=for_update)
        if _check_id(order_id)
        else None
    )
    if order is None:
        raise OrderNotFound(order_id)
    return order


async def get_buyer_order(
    session: AsyncSession, *, buyer_id: int, order_id: int, for_update: bool = False
) -> Order:
    """The buyer's own order; anyone else's answers 404 (its existence is not revealed)."""
    order = (
        await repository.get_order(session, order_id, for_update=for_update)
        if _check_id(order_id)
        else None
    )
    if order is None or order.buyer_user_id != buyer_id:
        raise OrderNotFound(order_id)
    return order


async def list_buyer_orders(
    session: AsyncSession, *, buyer_id: int, page: int, per_page: int
) -> tuple[list[Order], int]:
    """A page of the buyer's orders, newest first, and how many there are in all."""
    problems: Problems = {}
    if not 1 <= page <= MAX_PAGE:
        problems["page"] = ("invalid_page", f"between 1 and {MAX_PAGE}")
    if not 1 <= per_page <= MAX_PER_PAGE:
        problems["per_page"] = ("invalid_page", f"between 1 and {MAX_PER_PAGE}")
    if problems:
        raise InvalidOrderFields(problems)
    total = await repository.count_buyer_orders(session, buyer_id)
    orders = await repository.list_buyer_orders(
        session, buyer_id, offset=(page - 1) * per_page, limit=per_page
    )
    return list(orders), total


async def buyer_organizations(session: AsyncSession, user_id: int) -> list[tuple[int, str]]:
    """(id, name) of the verified organisations the user may buy for (the checkout form)."""
    organizations = await repository.buyer_organizations(session, user_id)
    return [(o.id, o.name) for o in organizations if o.status == OrganizationStatus.VERIFIED]


async def last_shipping_address(session: AsyncSession, buyer_id: int) -> ShippingAddressIn | None:
    """Where the buyer's latest order went: the checkout form starts from it."""
    order = await repository.latest_buyer_order(session, buyer_id)
    if order is None:
        return None
    return ShippingAddressIn(
        name=order.ship_to_name,
        phone=order.ship_to_phone,
        county_code=order.ship_to_county_code,
        detail=order.ship_to_detail,
    )


async def county_choices(
    session: AsyncSession, province_code: str | None
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(provinces, counties of `province_code`) as (code, name) for the address form."""
    provinces = [(p.code, p.name) for p in await repository.list_provinces(session)]
    if province_code is None or province_code not in {code for code, _ in provinces}:
        return provinces, []
    counties = await repository.counties_of_province(session, province_code)
    return provinces, [(c.code, c.name) for c in counties]


def _line_view(line: OrderLine) -> OrderLineOut:
    return OrderLineOut.model_validate(line)


def _fulfillment_fields(fulfillment: Fulfillment, cooperative_name: str) -> dict[str, object]:
    return {
        "id": fulfillment.id,
        "cooperative_id": fulfillment.cooperative_id,
        "cooperative_name": cooperative_name,
        "status": fulfillment.status.value,
        "goods_fen": fulfillment.goods_fen,
        "shipping_fen": fulfillment.shipping_fen,
        "carrier": fulfillment.carrier,
        "tracking_number": fulfillment.tracking_number,
        "accepted_at": fulfillment.accepted_at,
        "shipped_at": fulfillment.shipped_at,
        "delivered_at": fulfillment.delivered_at,
        "cancelled_at": fulfillment.cancelled_at,
        "lines": [_line_view(line) for line in fulfillment.lines],
    }


def _address_view(order: Order, counties: dict[str, repository.CountyName]) -> ShippingAddressOut:
    county = counties.get(order.ship_to_county_code)
    return ShippingAddressOut(
        name=order.ship_to_name,
        phone=order.ship_to_phone,
        county_code=order.ship_to_county_code,
        county_name=county.name if county else "",
        province_code=county.province_code if county else "",
        province_name=county.province_name if county else "",
        detail=order.ship_to_detail,
    )


async def order_details(session: AsyncSession, orders: Sequence[Order]) -> list[OrderDetail]:
    """The buyer's view of orders loaded with their fulfilments and lines (two more queries
    in all, for supplier and county names)."""
    names = await repository.cooperative_names(
        session, {f.cooperative_id for order in orders for f in order.fulfillments}
    )
    counties = await repository.county_names(session, {o.ship_to_county_code for o in orders})
    return [
        OrderDetail(
            id=order.id,
            number=order.number or "",
            status=order.status.value,
            payment_method=order.payment_method.value,
            buyer_kind=order.buyer_kind.value,
            organization_id=order.organization_id,
            po_number=order.po_number,
            goods_fen=order.goods_fen,
            shipping_fen=order.shipping_fen,
            total_fen=order.total_fen,
            ship_to=_address_view(order, counties),
            created_at=order.created_at,
            expires_at=order.expires_at,
            paid_at=order.paid_at,
            cancelled_at=order.cancelled_at,
            cancel_reason=order.cancel_reason,
            completed_at=order.completed_at,
            cancellable=cancellable(order),
            fulfillments=[
                FulfillmentOut.model_validate(
                    _fulfillment_fields(f, names.get(f.cooperative_id, ""))
                )
                for f in order.fulfillments
            ],
        )
        for order in orders
    ]


async def order_detail(session: AsyncSession, order: Order) -> OrderDetail:
    return (await order_details(session, [order]))[0]


# ---------------------------------------------------------------------------------------------
# Payment and cancellation


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
    for fulfillment in locked.fulfillments:
        await enqueue(session, NOTIFY_SUPPLIER_JOB, {"fulfillment_id": fulfillment.id})
    await session.flush()


@dataclass(frozen=True)
class Cancellation:
    """What a cancellation did: the order, and whether it had been paid (refund it)."""

    order: Order
    was_paid: bool


def cancellable(order: Order) -> bool:
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


# ---------------------------------------------------------------------------------------------
# Fulfilment


async def _supplier_fulfillment(
    session: AsyncSession, *, user: User, fulfillment_id: int, cooperative_id: int | None
) -> Fulfillment:
    """A fulfilment of a supplier the user acts for (of `cooperative_id`, when the page names
    one), locked; anyone else's answers 404."""
    fulfillment = (
        await repository.get_fulfillment(session, fulfillment_id, for_update=True)
        if _check_id(fulfillment_id)
        else None
    )
    if (
        fulfillment is None
        or (cooperative_id is not None and fulfillment.cooperative_id != cooperative_id)
        or not await repository.is_cooperative_member(session, user.id, fulfillment.cooperative_id)
    ):
        raise FulfillmentNotFound(fulfillment_id)
    return fulfillment


def _refuse(fulfillment: Fulfillment, action: str) -> InvalidStatusTransition:
    return InvalidStatusTransition(f"A {fulfillment.status.value} fulfilment cannot be {action}.")


async def accept_fulfillment(
    session: AsyncSession, *, user: User, fulfillment_id: int, cooperative_id: int | None = None
) -> SupplierFulfillmentOut:
    """pending → accepted, by the supplier, once the order is paid."""
    fulfillment = await _supplier_fulfillment(
        session, user=user, fulfillment_id=fulfillment_id, cooperative_id=cooperative_id
    )
    if (
        fulfillment.status != FulfillmentStatus.PENDING
        or fulfillment.order.status != OrderStatus.PAID
    ):
        raise _refuse(fulfillment, "accepted")
    fulfillment.status = FulfillmentStatus.ACCEPTED
    fulfillment.accepted_at = utcnow()
    await session.flush()
    return (await supplier_views(session, [fulfillment]))[0]


def _check_shipment(carrier: str, tracking_number: str) -> tuple[str, str]:
    problems: Problems = {}
    name = _check_text(
        carrier, "carrier", problems, code="invalid_carrier", min_length=1,
        max_length=CARRIER_MAX_LENGTH,
    )  # fmt: skip
    number = tracking_number.strip()
    if not _TRACKING_NUMBER.fullmatch(number):
        problems["tracking_number"] = (
            "invalid_tracking_number",
            "4 to 60 characters of A–Z, a–z, 0–9 and -",
        )
    if problems:
        raise InvalidOrderFields(problems)
    return name, number


async def ship_fulfillment(
    session: AsyncSession,
    *,
    user: User,
    fulfillment_id: int,
    carrier: str,
    tracking_number: str,
    auto_complete_after: timedelta,
    cooperative_id: int | None = None,
) -> SupplierFulfillmentOut:
    """accepted → shipped with carrier and tracking number; after `auto_complete_after` the
    fulfilment counts as delivered unless the buyer confirmed it earlier (outbox job)."""
    fulfillment = await _supplier_fulfillment(
        session, user=user, fulfillment_id=fulfillment_id, cooperative_id=cooperative_id
    )
    name, number = _check_shipment(carrier, tracking_number)
    if (
        fulfillment.status != FulfillmentStatus.ACCEPTED
        or fulfillment.order.status != OrderStatus.PAID
    ):
        raise _refuse(fulfillment, "shipped")
    now = utcnow()
    fulfillment.status = FulfillmentStatus.SHIPPED
    fulfillment.carrier = name
    fulfillment.tracking_number = number
    fulfillment.shipped_at = now
    await enqueue(
        session,
        COMPLETE_FULFILLMENT_JOB,
        {"fulfillment_id": fulfillment.id},
        run_after=now + auto_complete_after,
    )
    await session.flush()
    return (await supplier_views(session, [fulfillment]))[0]


async def _deliver(session: AsyncSession, fulfillment: Fulfillment, *, at: datetime) -> None:
    """shipped → delivered; the order completes when every live fulfilment is delivered."""
    fulfillment.status = FulfillmentStatus.DELIVERED
    fulfillment.delivered_at = at
    await session.flush()
    order = await get_order(session, fulfillment.order_id, for_update=True)
    live = [f for f in order.fulfillments if f.status != FulfillmentStatus.CANCELLED]
    if (
        order.status == OrderStatus.PAID
        and live
        and all(f.status == FulfillmentStatus.DELIVERED for f in live)
    ):
        order.status = OrderStatus.COMPLETED
        order.completed_at = at
    await session.flush()


async def confirm_receipt(session: AsyncSession, *, buyer_id: int, fulfillment_id: int) -> Order:
    """The buyer received a parcel: shipped → delivered. Returns the (maybe completed) order."""
    fulfillment = (
        await repository.get_fulfillment(session, fulfillment_id, for_update=True)
        if _check_id(fulfillment_id)
        else None
    )
    if fulfillment is None or fulfillment.order.buyer_user_id != buyer_id:
        raise FulfillmentNotFound(fulfillment_id)
    if fulfillment.status != FulfillmentStatus.SHIPPED:
        raise _refuse(fulfillment, "confirmed as received")
    await _deliver(session, fulfillment, at=utcnow())
    return await get_order(session, fulfillment.order_id)


async def complete_shipped_fulfillment(session: AsyncSession, fulfillment_id: int) -> bool:
    """The auto-complete job: a fulfilment still shipped becomes delivered; anything else is
    left alone (the buyer confirmed it, or it was refunded). True if it changed."""
    fulfillment = await repository.get_fulfillment(session, fulfillment_id, for_update=True)
    if fulfillment is None or fulfillment.status != FulfillmentStatus.SHIPPED:
        return False
    await _deliver(session, fulfillment, at=utcnow())
    return True


async def supplier_views(
    session: AsyncSession, fulfillments: Sequence[Fulfillment]
) -> list[SupplierFulfillmentOut]:
    """Fulfilments (with order and lines loaded) as their supplier sees them."""
    names = await repository.cooperative_names(session, {f.cooperative_id for f in fulfillments})
    counties = await repository.county_names(
        session, {f.order.ship_to_county_code for f in fulfillments}
    )
    return [
        SupplierFulfillmentOut.model_validate(
            {
                **_fulfillment_fields(f, names.get(f.cooperative_id, "")),
                "order_id": f.order_id,
                "order_number": f.order.number or "",
                "order_status": f.order.status.value,
                "paid_at": f.order.paid_at,
                "ship_to": _address_view(f.order, counties),
            }
        )
        for f in fulfillments
    ]


async def list_supplier_fulfillments(
    session: AsyncSession,
    *,
    user: User,
    cooperative_id: int,
    status: str | None,
    page: int = 1,
    per_page: int = 50,
) -> FulfillmentPage:
    """The supplier's queue (paid orders only), newest first; another supplier's: 404."""
    if not _check_id(cooperative_id) or not await repository.is_cooperative_member(
        session, user.id, cooperative_id
    ):
        raise CooperativeNotFound(f"No supplier with id {cooperative_id}.")
    wanted: FulfillmentStatus | None = None
    problems: Problems = {}
    if status:
        try:
            wanted = FulfillmentStatus(status)
        except ValueError:
            problems["status"] = (
                "invalid_status",
                "one of " + ", ".join(s.value for s in FulfillmentStatus),
            )
    if not 1 <= page <= MAX_PAGE:
        problems["page"] = ("invalid_page", f"between 1 and {MAX_PAGE}")
    if not 1 <= per_page <= MAX_PER_PAGE:
        problems["per_page"] = ("invalid_page", f"between 1 and {MAX_PER_PAGE}")
    if problems:
        raise InvalidOrderFields(problems)
    total = await repository.count_cooperative_fulfillments(session, cooperative_id, status=wanted)
    fulfillments = await repository.list_cooperative_fulfillments(
        session, cooperative_id, status=wanted, offset=(page - 1) * per_page, limit=per_page
    )
    names = await repository.cooperative_names(session, {cooperative_id})
    return FulfillmentPage(
        cooperative_id=cooperative_id,
        cooperative_name=names.get(cooperative_id, ""),
        items=await supplier_views(session, fulfillments),
        total=total,
        page=page,
        per_page=per_page,
    )


# ---------------------------------------------------------------------------------------------
# Supplier notifications

# Webhooks to suppliers are signed like Stripe's: the header
#   Fengshou-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of f"{t}.{raw body}">
# keyed with the supplier's webhook_secret. A receiver recomputes v1 over the raw body, compares
# in constant time, and refuses timestamps older than a few minutes (replays). Each delivery is
# signed afresh, so a retried one carries a new t; `id` in the body stays the same, so that the
# receiver can tell a retry from a new event.
SIGNATURE_HEADER = "Fengshou-Signature"
WEBHOOK_EVENT = "fulfillment.created"


def sign_webhook(secret: str, timestamp: int, body: bytes) -> str:
    """The Fengshou-Signature header value for `body` sent at `timestamp`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


@dataclass(frozen=True)
class SupplierNotice:
    """What a supplier is told about a new (paid) fulfilment, and where."""

    fulfillment: SupplierFulfillmentOut
    admin_emails: list[str]
    webhook_url: str | None
    webhook_secret: str | None

    def webhook_body(self) -> bytes:
        event = {
            "id": f"evt_fulfillment_{self.fulfillment.id}_created",
            "type": WEBHOOK_EVENT,
            "data": self.fulfillment.model_dump(mode="json"),
        }
        return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()


async def supplier_notice(session: AsyncSession, fulfillment_id: int) -> SupplierNotice | None:
    """The notice for a fulfilment of a paid order; None if there is nothing to tell (the
    fulfilment is gone or was cancelled before the job ran)."""
    fulfillment = await repository.get_fulfillment(session, fulfillment_id)
    if (
        fulfillment is None
        or fulfillment.status == FulfillmentStatus.CANCELLED
        or fulfillment.order.paid_at is None
    ):
        return None
    cooperative = await repository.get_cooperative(session, fulfillment.cooperative_id)
    if cooperative is None:
        return None
    return SupplierNotice(
        fulfillment=(await supplier_views(session, [fulfillment]))[0],
        admin_emails=await repository.supplier_admin_emails(session, cooperative.id),
        webhook_url=cooperative.webhook_url,
        webhook_secret=cooperative.webhook_secret,
    )


async def schedule_supplier_webhook(session: AsyncSession, fulfillment_id: int) -> None:
    """The webhook leaves as its own job, so that its retries do not send the e-mails again."""
    await enqueue(session, SUPPLIER_WEBHOOK_JOB, {"fulfillment_id": fulfillment_id})


# ---------------------------------------------------------------------------------------------
# The supplier's webhook URL: checked when saved and again, resolved, when posted to


WEBHOOK_URL_MAX_LENGTH = 500
WEBHOOK_SECRET_MIN_LENGTH = 16
WEBHOOK_SECRET_MAX_LENGTH = 100
# A DNS name (ASCII, IDNs as punycode) or an IP literal (IPv6 without its brackets).
_WEBHOOK_HOST = re.compile(r"[a-z0-9.-]{1,253}|[0-9a-f:.]{2,45}")
_PRIVATE_ADDRESS = "resolves to a loopback, private, link-local or reserved address"


@dataclass(frozen=True)
class WebhookTarget:
    """Where to post: `url` with its host replaced by the checked address, so that the request
    goes where the check looked (no second DNS answer), and the host to name in the request."""

    url: str
    host: str
    tls: bool


def _parse_webhook_url(raw: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an absolute http(s) URL without credentials; else 422."""
    if len(raw) > WEBHOOK_URL_MAX_LENGTH or not raw.isprintable() or not raw.isascii():
        raise WebhookUrlRefused("url", f"an http(s) URL of at most {WEBHOOK_URL_MAX_LENGTH}")
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise WebhookUrlRefused("url", "not a valid URL") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise WebhookUrlRefused("url", "an absolute http:// or https:// URL")
    if not _WEBHOOK_HOST.fullmatch(parts.hostname):
        raise WebhookUrlRefused("url", "not a valid host name")
    if parts.username is not None or parts.password is not None:
        raise WebhookUrlRefused("url", "no user name or password in the URL")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def _public(address: str) -> bool:
    """A unicast address of the public internet, also when IPv6 wraps an IPv4 one."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and not _public(str(embedded)):
            return False
    return ip.is_global and not ip.is_multicast


async def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
    except (socket.gaierror, UnicodeError):
        raise WebhookUrlRefused("url", "the host does not resolve") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def check_webhook_url(raw: str, *, allow_private: bool) -> WebhookTarget:
    """The target of a supplier's webhook URL. Every address its host resolves to must be
    public, unless `allow_private` (a setting for tests and closed networks): otherwise the
    platform could be made to post into its own network. 422 `webhook_url_refused`."""
    scheme, host, port = _parse_webhook_url(raw)
    if allow_private:
        return WebhookTarget(url=raw, host=host, tls=scheme == "https")
    addresses = await _resolve(host, port)
    if not addresses or not all(_public(address) for address in addresses):
        raise WebhookUrlRefused("url", _PRIVATE_ADDRESS)
    pinned = addresses[0]
    netloc = f"[{pinned}]" if ":" in pinned else pinned
    parts = urlsplit(raw)
    url = urlunsplit((scheme, f"{netloc}:{port}", parts.path, parts.query, ""))
    return WebhookTarget(
        url=url, host=host if parts.port is None else f"{host}:{port}", tls=scheme == "https"
    )


async def _admin_cooperative(session: AsyncSession, user: User, cooperative_id: int) -> Cooperative:
    """The supplier if `user` is one of its admins; 404 for anyone else."""
    cooperative = (
        await repository.get_cooperative(session, cooperative_id)
        if _check_id(cooperative_id)
        and await repository.is_cooperative_admin(session, user.id, cooperative_id)
        else None
    )
    if cooperative is None:
        raise CooperativeNotFound(f"No supplier with id {cooperative_id}.")
    return cooperative


async def supplier_webhook(
    session: AsyncSession, *, user: User, cooperative_id: int
) -> tuple[str, SupplierWebhookOut]:
    """The supplier's name and webhook settings, for its admins (404 for anyone else)."""
    cooperative = await _admin_cooperative(session, user, cooperative_id)
    return cooperative.name, SupplierWebhookOut(
        url=cooperative.webhook_url, has_secret=cooperative.webhook_secret is not None
    )


async def set_supplier_webhook(
    session: AsyncSession,
    *,
    user: User,
    cooperative_id: int,
    url: str | None,
    secret: str | None,
    allow_private: bool,
) -> SupplierWebhookOut:
    """A supplier's admin sets (or, with no URL, removes) where new fulfilments are posted, and
    the secret that signs them. Members of other suppliers, and non-admins: 404."""
    cooperative = await _admin_cooperative(session, user, cooperative_id)
    if secret is not None and not (
        WEBHOOK_SECRET_MIN_LENGTH <= len(secret) <= WEBHOOK_SECRET_MAX_LENGTH
        and secret.isascii()
        and secret.isprintable()
    ):
        raise WebhookUrlRefused(
            "secret",
            f"{WEBHOOK_SECRET_MIN_LENGTH} to {WEBHOOK_SECRET_MAX_LENGTH} printable ASCII "
            "characters",
        )
    if url:
        await check_webhook_url(url, allow_private=allow_private)
        if secret is None and cooperative.webhook_secret is None:
            raise WebhookUrlRefused("secret", "a secret is needed to sign the notifications")
    cooperative.webhook_url = url or None
    if secret is not None:
        cooperative.webhook_secret = secret
    await session.flush()
    return SupplierWebhookOut(
        url=cooperative.webhook_url, has_secret=cooperative.webhook_secret is not None
    )
