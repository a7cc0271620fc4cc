"""Placing a trade union's gift order: the same SKUs to every recipient of a list, one order
and one payment, a parcel per recipient and supplier addressed to the recipient."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.cart.pricing import check_items, price_gift, raise_line_problems
from app.inventory.service import reserve_stock
from app.order import repository
from app.order.errors import IdempotencyKeyReused, InvalidOrderFields
from app.order.models import Order, PaymentMethod
from app.order.schemas import ShippingAddressIn
from app.order.service.checks import Problems
from app.order.service.placing import (
    CheckedAddress,
    Parcel,
    PaymentTimeouts,
    add_order,
    add_parcels,
    buyer_of,
    check_address,
    check_delivery,
    check_idempotency_key,
    order_values,
)
from app.shipping.errors import RegionNotServed

# A gift box holds a few SKUs; a list names at most this many recipients (one order).
MAX_GIFT_SKUS = 5
MAX_RECIPIENTS = 1000


@dataclass(frozen=True)
class GiftRecipient:
    """A recipient as the list names them; `number` is the list's row, and their parcels'."""

    number: int
    name: str
    phone: str
    county_code: str
    detail: str

    def address(self) -> ShippingAddressIn:
        return ShippingAddressIn(
            name=self.name, phone=self.phone, county_code=self.county_code, detail=self.detail
        )


@dataclass(frozen=True)
class GiftOrderRequest:
    """`items` are (sku_id, quantity for each recipient); `contact` is the organisation's own
    address on the order (where its invoice and questions go), not a delivery address."""

    organization_id: int
    items: tuple[tuple[int, int], ...]
    recipients: tuple[GiftRecipient, ...]
    payment_method: PaymentMethod
    po_number: str | None
    contact: ShippingAddressIn

    def fingerprint(self) -> str:
        canonical = json.dumps(
            {
                "organization_id": self.organization_id,
                "items": [list(item) for item in self.items],
                "recipients": [asdict(recipient) for recipient in self.recipients],
                "payment_method": self.payment_method.value,
                "po_number": self.po_number,
                "contact": self.contact.model_dump(mode="json"),
            },
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        return "gift:" + hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()[:59]


async def _checked_recipients(
    session: AsyncSession, recipients: Sequence[GiftRecipient]
) -> list[tuple[GiftRecipient, CheckedAddress]]:
    """Every recipient's address checked as an order's is (fields `recipients.{row}.…`)."""
    problems: Problems = {}
    if not 1 <= len(recipients) <= MAX_RECIPIENTS:
        problems["recipients"] = (
            "invalid_recipients",
            f"from 1 to {MAX_RECIPIENTS} recipients",
        )
    checked: list[tuple[GiftRecipient, CheckedAddress]] = []
    for recipient in recipients[:MAX_RECIPIENTS]:
        address = await check_address(
            session, recipient.address(), problems, prefix=f"recipients.{recipient.number}."
        )
        if address is not None:
            checked.append((recipient, address))
    if problems:
        raise InvalidOrderFields(problems)
    return checked


async def place_gift_order(
    session: AsyncSession,
    *,
    buyer: User,
    idempotency_key: str,
    request: GiftOrderRequest,
    timeouts: PaymentTimeouts,
) -> tuple[Order, bool]:
    """Place the gift order and reserve its stock in the caller's transaction; (order, created
    now). The same buyer and key again return the order placed with them (another request
    with the key: 409 `idempotency_key_reused`).

    Tier prices follow each SKU's whole quantity; every recipient gets a parcel from each
    supplier, with that supplier's shipping fee to the recipient's province. Refused as an
    order is (422 naming `recipients.{row}.…` or `lines.{i}.…`, 409 insufficient_stock), and
    then the caller's transaction must roll back."""
    key = check_idempotency_key(idempotency_key)
    fingerprint = request.fingerprint()
    existing = await repository.find_order_by_key(session, buyer.id, key)
    if existing is not None:
        if existing.request_fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        return existing, False
    if not 1 <= len(request.items) <= MAX_GIFT_SKUS:
        raise InvalidOrderFields(
            {"lines": ("invalid_gift_items", f"from 1 to {MAX_GIFT_SKUS} SKUs")}
        )
    contact, po_number = await check_delivery(
        session,
        shipping_address=request.contact,
        po_number=request.po_number,
    )
    recipients = await _checked_recipients(session, request.recipients)
    buyer_info = await buyer_of(session, buyer, request.organization_id, contact)
    totals = [(sku_id, each * len(recipients)) for sku_id, each in request.items]
    check_items(totals)
    priced = await price_gift(
        session,
        request.items,
        [(recipient.number, address.county.province_code) for recipient, address in recipients],
    )
    raise_line_problems(priced.lines)
    for parcel in priced.parcels:
        if not parcel.group.region_served:
            raise RegionNotServed(
                cooperative_id=parcel.group.cooperative_id,
                province_code=next(
                    a.county.province_code for r, a in recipients if r.number == parcel.recipient
                ),
                field=f"recipients.{parcel.recipient}.county_code",
            )
    method = request.payment_method
    order = Order(
        **order_values(
            buyer=buyer,
            buyer_info=buyer_info,
            key=key,
            fingerprint=fingerprint,
            method=method,
            po_number=po_number,
            address=contact,
            goods_fen=priced.goods_fen,
            shipping_fen=priced.shipping_fen,
            timeout=timeouts.for_method(method),
        )
    )
    if not await add_order(session, order):
        replayed = await repository.find_order_by_key(session, buyer.id, key)
        if replayed is None or replayed.request_fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        return replayed, False
    addresses = {recipient.number: address for recipient, address in recipients}
    await add_parcels(
        session,
        order,
        [
            Parcel(parcel.group, number=parcel.recipient, recipient=addresses[parcel.recipient])
            for parcel in priced.parcels
        ],
    )
    await reserve_stock(session, totals, order_id=order.id)
    return order, True
