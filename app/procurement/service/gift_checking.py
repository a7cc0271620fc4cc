"""Checking a gift order: its SKUs (each on sale, at its minimum and in stock for every
recipient's units together) and its recipients list row by row (name, phone, a known county,
an address, each supplier delivering there), with the parcels priced as they would ship."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.cart.pricing import LineProblem, PricedGift, price_gift
from app.core.identifiers import normalize_phone
from app.core.sheets import Row
from app.order import service as order_service
from app.order.service import Problems, check_text
from app.procurement import repository
from app.procurement.service.checking import CheckedLine, LineError

RECIPIENT_COLUMNS = ("name", "phone", "county_code", "detail")
# A gift per recipient is a box or two, not a bulk purchase.
MAX_QUANTITY_EACH = 100
# What a recipient row keeps of text that was typed (the columns' lengths).
NAME_KEPT = 50
PHONE_KEPT = 30
COUNTY_KEPT = 20
DETAIL_KEPT = 200


class RecipientError(enum.StrEnum):
    INVALID_NAME = "invalid_name"
    INVALID_PHONE = "invalid_phone"
    UNKNOWN_COUNTY = "unknown_county"
    INVALID_ADDRESS_DETAIL = "invalid_address_detail"
    DUPLICATE_RECIPIENT = "duplicate_recipient"
    REGION_NOT_SERVED = "region_not_served"


@dataclass(slots=True)
class CheckedRecipient:
    """A recipient row of the report; `error` is the first reason it cannot be sent to."""

    row: int
    name: str
    phone: str
    county_code: str
    detail: str
    province_code: str | None = None
    shipping_fen: int | None = None
    error_code: str | None = None
    error: str | None = None

    def fail(self, code: RecipientError, message: str) -> None:
        if self.error_code is None:
            self.error_code, self.error = code.value, message[:300]

    def columns(self) -> dict[str, Any]:
        """Column values of a BulkOrderRecipient (without its bulk order)."""
        return {
            "row": self.row,
            "name": self.name[:NAME_KEPT],
            "phone": self.phone[:PHONE_KEPT],
            "county_code": self.county_code[:COUNTY_KEPT],
            "detail": self.detail[:DETAIL_KEPT],
            "shipping_fen": self.shipping_fen,
            "error_code": self.error_code,
            "error": self.error,
        }


@dataclass(frozen=True)
class GiftItem:
    """A SKU of the gift and how many units each recipient gets."""

    sku_id: int
    quantity_each: int


@dataclass
class CheckedGift:
    items: list[CheckedLine]
    recipients: list[CheckedRecipient]
    goods_fen: int = 0
    shipping_fen: int = 0
    problem: str | None = None
    error_count: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.error_count = sum(1 for i in self.items if i.error_code) + sum(
            1 for r in self.recipients if r.error_code
        )

    @property
    def valid(self) -> bool:
        return self.error_count == 0 and self.problem is None and bool(self.recipients)


def recipient_of(row: Row) -> CheckedRecipient:
    """A row as typed (bounded when stored)."""
    return CheckedRecipient(
        row=row.number,
        name=row["name"],
        phone=row["phone"],
        county_code=row["county_code"],
        detail=row["detail"],
    )


def _check_typed(recipient: CheckedRecipient, provinces: dict[str, str]) -> None:
    """Name, phone, county and address as an order checks them; the phone as stored."""
    problems: Problems = {}
    recipient.name = check_text(
        recipient.name, "name", problems, code="invalid_name", min_length=1,
        max_length=order_service.NAME_MAX_LENGTH,
    )  # fmt: skip
    if "name" in problems:
        recipient.fail(RecipientError.INVALID_NAME, problems["name"][1])
    try:
        recipient.phone = normalize_phone(recipient.phone)
    except ValueError as exc:
        recipient.fail(RecipientError.INVALID_PHONE, str(exc))
    recipient.province_code = provinces.get(recipient.county_code.strip())
    if recipient.province_code is None:
        recipient.fail(RecipientError.UNKNOWN_COUNTY, "no county has this code")
    else:
        recipient.county_code = recipient.county_code.strip()
    recipient.detail = check_text(
        recipient.detail, "detail", problems, code="invalid_address_detail",
        min_length=order_service.DETAIL_MIN_LENGTH, max_length=order_service.DETAIL_MAX_LENGTH,
    )  # fmt: skip
    if "detail" in problems:
        recipient.fail(RecipientError.INVALID_ADDRESS_DETAIL, problems["detail"][1])


def _mark_duplicates(recipients: Sequence[CheckedRecipient]) -> None:
    """The same name and phone twice is a copy-paste slip, not a second gift."""
    first: dict[tuple[str, str], int] = {}
    for recipient in recipients:
        key = (recipient.name, recipient.phone)
        if key in first:
            recipient.fail(
                RecipientError.DUPLICATE_RECIPIENT,
                f"the same name and phone as row {first[key]}",
            )
        else:
            first[key] = recipient.row


def _item_line(number: int, item: GiftItem, priced: PricedGift) -> CheckedLine:
    """The report line of a gift's SKU: per recipient, priced at the whole order's tier."""
    line = priced.lines[number - 1]
    checked = CheckedLine(row=number, sku_code=line.sku_code if line else "", sku_id=item.sku_id)
    checked.quantity = item.quantity_each
    if line is None:
        checked.fail(LineError.UNKNOWN_SKU, "no SKU has this id")
        return checked
    checked.title = f"{line.title} {line.sku_name}"
    checked.unit_price_fen = line.unit_price_fen
    checked.line_total_fen = line.unit_price_fen * item.quantity_each
    if line.problem is LineProblem.UNAVAILABLE:
        checked.fail(LineError.SKU_UNAVAILABLE, "not on sale now")
    elif line.problem is LineProblem.BELOW_MIN_QTY:
        checked.fail(
            LineError.BELOW_MIN_QTY,
            f"all recipients together get {line.quantity}, below the minimum {line.min_qty}",
            limit=line.min_qty,
        )
    elif line.problem is LineProblem.INSUFFICIENT_STOCK:
        checked.fail(
            LineError.INSUFFICIENT_STOCK,
            f"all recipients together need {line.quantity}, {line.stock_available} left",
            limit=line.stock_available,
        )
    return checked


async def check_gift(
    session: AsyncSession, items: Sequence[GiftItem], recipients: list[CheckedRecipient]
) -> CheckedGift:
    """The gift's SKUs and recipients checked now, and priced: goods for every recipient at
    the tier each SKU's whole quantity reaches, shipping per recipient and supplier."""
    provinces = await repository.county_provinces(
        session, [recipient.county_code.strip() for recipient in recipients]
    )
    for recipient in recipients:
        _check_typed(recipient, provinces)
    _mark_duplicates(recipients)
    priced = await price_gift(
        session,
        [(item.sku_id, item.quantity_each) for item in items],
        [(recipient.row, recipient.province_code) for recipient in recipients],
    )
    lines = [_item_line(number, item, priced) for number, item in enumerate(items, start=1)]
    by_row = {recipient.row: recipient for recipient in recipients}
    for parcel in priced.parcels:
        recipient = by_row[parcel.recipient]
        if not parcel.group.region_served:
            recipient.fail(
                RecipientError.REGION_NOT_SERVED,
                f"{parcel.group.cooperative_name} does not deliver to this province",
            )
        elif parcel.group.shipping_fen is not None and recipient.error_code is None:
            recipient.shipping_fen = (recipient.shipping_fen or 0) + parcel.group.shipping_fen
    for recipient in recipients:
        if recipient.error_code is not None:
            recipient.shipping_fen = None
    # What the recipients that can be sent to would cost (all of them, once the list is valid).
    sendable = {recipient.row for recipient in recipients if recipient.error_code is None}
    return CheckedGift(
        items=lines,
        recipients=recipients,
        goods_fen=sum(p.group.goods_fen for p in priced.parcels if p.recipient in sendable),
        shipping_fen=sum(recipient.shipping_fen or 0 for recipient in recipients),
    )
