"""Placing an order: key, address and buyer checked, stock reserved, split by supplier."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from app.account.models import User
from app.cart.pricing import PricedBasket, PricedGroup, PricedLine, price_basket
from app.config import Settings
from app.core.clock import china_date, utcnow
from app.core.identifiers import normalize_phone
from app.order import repository
from app.order.errors import (
    EmptyOrder,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
    InvalidOrderFields,
    OrganizationNotFound,
    OrganizationNotVerified,
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
from app.order.schemas import PlaceOrderRequest, ShippingAddressIn
from app.order.service.checks import Problems, check_text
from app.organization.models import OrganizationStatus
from app.regions.cache import CountyPlace, county_place

IDEMPOTENCY_KEY_MAX_LENGTH = 100
# Visible ASCII only: the key travels in an HTTP header and is stored as given.
_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]+")
NAME_MAX_LENGTH = 50
DETAIL_MIN_LENGTH = 5
DETAIL_MAX_LENGTH = 200
PO_NUMBER_MAX_LENGTH = 60


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
    # "surrogatepass": a lone surrogate (refused later, as a field error) must not fail here
    # with a 500; every other text encodes to the same UTF-8 bytes as before.
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class CheckedAddress:
    name: str
    phone: str
    county: CountyPlace
    detail: str


async def check_address(
    session: AsyncSession,
    address: ShippingAddressIn,
    problems: Problems,
    *,
    prefix: str = "shipping_address.",
) -> CheckedAddress | None:
    """The address as stored, or None with what is wrong added to `problems` (names under
    `prefix`)."""
    name = check_text(
        address.name, prefix + "name", problems, code="invalid_name", min_length=1,
        max_length=NAME_MAX_LENGTH,
    )  # fmt: skip
    phone = ""
    try:
        phone = normalize_phone(address.phone)
    except ValueError as exc:
        problems[prefix + "phone"] = ("invalid_phone", str(exc))
    # Anything but six ASCII digits names no county (and is not sent to the database).
    county = await county_place(session, address.county_code.strip())
    if county is None:
        problems[prefix + "county_code"] = ("unknown_county", "no county has this code")
    detail = check_text(
        address.detail, prefix + "detail", problems, code="invalid_address_detail",
        min_length=DETAIL_MIN_LENGTH, max_length=DETAIL_MAX_LENGTH,
    )  # fmt: skip
    if county is None or any(key.startswith(prefix) for key in problems):
        return None
    return CheckedAddress(name=name, phone=phone, county=county, detail=detail)


def _check_po_number(raw: str | None, problems: Problems) -> str | None:
    if raw is None or not raw.strip():
        return None
    return check_text(
        raw, "po_number", problems, code="invalid_po_number", min_length=1,
        max_length=PO_NUMBER_MAX_LENGTH,
    )  # fmt: skip


async def check_delivery(
    session: AsyncSession,
    *,
    shipping_address: ShippingAddressIn,
    po_number: str | None,
) -> tuple[CheckedAddress, str | None]:
    """The address and PO number checked as draft_order checks them, for an organisation's
    use case that takes them before it orders (a bulk or gift order submitted for approval):
    the address and PO number as they would be stored, or 422 naming each field
    (`invalid_order_fields`). The callers are all an organisation's, so a PO number is
    always theirs to give."""
    problems: Problems = {}
    address = await check_address(session, shipping_address, problems)
    checked_po = _check_po_number(po_number, problems)
    if problems or address is None:
        raise InvalidOrderFields(problems)
    return address, checked_po


@dataclass(frozen=True)
class Buyer:
    kind: BuyerKind
    province_code: str
    organization_id: int | None


async def buyer_of(
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
    return f"{order_number_prefix(placed_at)}{order_id:06d}"


def order_number_prefix(placed_at: datetime) -> str:
    """What comes before the id's digits in an order number, e.g. FS261128-."""
    return f"FS{china_date(placed_at):%y%m%d}-"


# ---------------------------------------------------------------------------------------------
# Placing


async def find_replayed_order(
    session: AsyncSession, *, buyer_id: int, idempotency_key: str, request: PlaceOrderRequest
) -> Order | None:
    """The order this buyer already placed with this key (None if none); a different body
    with the same key is refused with 409 `idempotency_key_reused`."""
    key = check_idempotency_key(idempotency_key)
    match = await repository.order_key_match(session, buyer_id, key)
    if match is None:
        return None
    order_id, fingerprint = match
    if fingerprint != request_fingerprint(request):
        raise IdempotencyKeyReused()
    return await repository.get_order(session, order_id)


@dataclass(frozen=True)
class OrderDraft:
    """An order checked and priced but not written (write_order stores it): `values` are its
    columns but id and number."""

    values: dict[str, Any]
    basket: PricedBasket

    @property
    def cooperative_names(self) -> dict[int, str]:
        """The suppliers' names as pricing read them, for the order's view."""
        return {group.cooperative_id: group.cooperative_name for group in self.basket.groups}


async def draft_order(
    session: AsyncSession,
    *,
    buyer: User,
    key: str,
    request: PlaceOrderRequest,
    items: Sequence[tuple[int, int]] | None = None,
    timeouts: PaymentTimeouts | None = None,
) -> OrderDraft:
    """Check and price an order, reading only: what is wrong is refused before anything is
    written (422 with the fields, 404/409 for the organisation, 409 `insufficient_stock`
    when the stock already reads short). `key` is a checked Idempotency-Key; `items` are the
    (sku_id, quantity) pairs to buy when the request has no lines (the caller read them from
    the cart); none at all: 422 `empty_cart`."""
    wanted = (
        [(line.sku_id, line.quantity) for line in request.lines]
        if request.lines is not None
        else list(items or ())
    )
    if not wanted:
        raise EmptyOrder()
    problems: Problems = {}
    address = await check_address(session, request.shipping_address, problems)
    po_number = _check_po_number(request.po_number, problems)
    if po_number is not None and request.organization_id is None:
        problems["po_number"] = ("po_number_without_organization", "only for organisations")
    if problems or address is None:
        raise InvalidOrderFields(problems)
    buyer_info = await buyer_of(session, buyer, request.organization_id, address)
    # A SKU listed twice is refused by pricing (422 duplicate_sku), not silently merged.
    basket = await price_basket(session, wanted, destination_county_code=address.county.code)
    method = PaymentMethod(request.payment_method)
    values = order_values(
        buyer=buyer,
        buyer_info=buyer_info,
        key=key,
        fingerprint=request_fingerprint(request),
        method=method,
        po_number=po_number,
        address=address,
        goods_fen=basket.goods_fen,
        shipping_fen=basket.shipping_fen or 0,
        timeout=(timeouts or PaymentTimeouts()).for_method(method),
    )
    return OrderDraft(values, basket)


def order_values(
    *,
    buyer: User,
    buyer_info: Buyer,
    key: str,
    fingerprint: str,
    method: PaymentMethod,
    po_number: str | None,
    address: CheckedAddress,
    goods_fen: int,
    shipping_fen: int,
    timeout: timedelta,
) -> dict[str, Any]:
    """The columns (but id and number) of an order waiting for its payment until `timeout`
    from now."""
    now = utcnow()
    return dict(
        buyer_user_id=buyer.id,
        idempotency_key=key,
        request_fingerprint=fingerprint,
        buyer_kind=buyer_info.kind,
        organization_id=buyer_info.organization_id,
        po_number=po_number,
        buyer_province_code=buyer_info.province_code,
        status=OrderStatus.PENDING_PAYMENT,
        payment_method=method,
        goods_fen=goods_fen,
        shipping_fen=shipping_fen,
        total_fen=goods_fen + shipping_fen,
        ship_to_name=address.name,
        ship_to_phone=address.phone,
        ship_to_county_code=address.county.code,
        ship_to_detail=address.detail,
        expires_at=now + timeout,
        paid_at=None,
        cancelled_at=None,
        cancel_reason=None,
        completed_at=None,
        created_at=now,
        updated_at=now,
    )


async def add_order(session: AsyncSession, order: Order) -> bool:
    """Write the order and give it its number; False when the buyer's Idempotency-Key is
    taken meanwhile (a concurrent request with the same key, which PostgreSQL waits for on
    the unique index): the savepoint keeps the caller's transaction usable, and the caller
    answers with that order. Gift orders, its one caller, run under the gift's row lock, so
    two approvals never race here; but the submitter can place an order of their own through
    checkout with the gift's key (`gift-order-{id}`, a valid Idempotency-Key) at the same
    moment (tests/procurement/test_gift_key_race.py)."""
    try:
        async with session.begin_nested():
            session.add(order)
            await session.flush()
    except IntegrityError:
        return False
    order.number = order_number(order.id, order.created_at)
    return True


@dataclass(frozen=True)
class Parcel:
    """One supplier's part of an order: to the order's address (parcel 0), or a gift's
    parcel to one recipient, numbered by the recipient's row."""

    group: PricedGroup
    number: int = 0
    recipient: CheckedAddress | None = None


def fulfillment_values(order_id: int, parcel: Parcel) -> dict[str, Any]:
    """The columns of a parcel's fulfilment (but its id and timestamps)."""
    recipient = parcel.recipient
    return {
        "order_id": order_id,
        "cooperative_id": parcel.group.cooperative_id,
        "status": FulfillmentStatus.PENDING,
        "goods_fen": parcel.group.goods_fen,
        "shipping_fen": parcel.group.shipping_fen or 0,
        "carrier": None,
        "tracking_number": None,
        "accepted_at": None,
        "shipped_at": None,
        "delivered_at": None,
        "cancelled_at": None,
        "parcel_no": parcel.number,
        "recipient_name": recipient.name if recipient else None,
        "recipient_phone": recipient.phone if recipient else None,
        "recipient_county_code": recipient.county.code if recipient else None,
        "recipient_detail": recipient.detail if recipient else None,
    }


def line_values(order_id: int, fulfillment_id: int, line: PricedLine) -> dict[str, Any]:
    """The columns of an order line (but its id) as pricing left it."""
    return {
        "order_id": order_id,
        "fulfillment_id": fulfillment_id,
        "sku_id": line.sku_id,
        "product_id": line.product_id,
        "cooperative_id": line.cooperative_id,
        "origin_county_code": line.origin_county_code,
        "title": line.title,
        "sku_name": line.sku_name,
        "sku_code": line.sku_code,
        "quantity": line.quantity,
        "unit_price_fen": line.unit_price_fen,
        "line_total_fen": line.line_total_fen,
        "refunded_quantity": 0,
        "batch_id": None,
    }


async def add_parcels(session: AsyncSession, order: Order, parcels: Sequence[Parcel]) -> None:
    """A fulfilment per parcel and its lines, in two batched INSERTs. The order's collections
    are set to exactly what was written rather than read back (relationships never load
    lazily), keeping the transaction that then locks stock short."""
    fulfillments = [Fulfillment(**fulfillment_values(order.id, parcel)) for parcel in parcels]
    session.add_all(fulfillments)
    await session.flush()  # one batched INSERT, for the ids
    lines_of: list[list[OrderLine]] = [
        [OrderLine(**line_values(order.id, fulfillment.id, line)) for line in parcel.group.lines]
        for fulfillment, parcel in zip(fulfillments, parcels, strict=True)
    ]
    all_lines = [line for lines in lines_of for line in lines]
    session.add_all(all_lines)
    await session.flush()
    set_committed_value(order, "fulfillments", fulfillments)
    set_committed_value(order, "lines", all_lines)
    for fulfillment, lines in zip(fulfillments, lines_of, strict=True):
        set_committed_value(fulfillment, "lines", lines)
