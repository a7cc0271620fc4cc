"""Shipping many parcels at once: the supplier downloads a sheet of its parcels waiting to
ship (each recipient's address), fills in carrier and tracking number, and uploads it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.cooperative.errors import CooperativeNotFound
from app.core.clock import utcnow
from app.core.fields import MAX_ID
from app.core.sheets import XLSX_MEDIA_TYPE, read_table, write_xlsx
from app.order import repository
from app.order.errors import InvalidOrderFields
from app.order.models import FulfillmentStatus, OrderStatus
from app.order.service.checks import Problems, check_id
from app.order.service.fulfillment import check_shipment, ship
from app.order.service.views import supplier_views

SHEET_COLUMNS = ("fulfillment_id", "carrier", "tracking_number")
# The sheet's header, each cell read back as its column (app.core.sheets' aliases).
SHEET_HEADER = (
    "包裹编号", "订单号", "收件人", "电话", "收货地址", "商品", "快递公司", "快递单号",
)  # fmt: skip
MAX_SHEET_ROWS = 5000
MAX_SHEET_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class ShippingSheet:
    content: bytes
    filename: str
    media_type: str = XLSX_MEDIA_TYPE


@dataclass(frozen=True)
class BulkShipment:
    """What an uploaded sheet shipped: the fulfilments, and the rows left for later (no
    tracking number yet)."""

    shipped: list[int]
    skipped_rows: list[int]


async def _check_member(session: AsyncSession, user: User, cooperative_id: int) -> None:
    if not check_id(cooperative_id) or not await repository.is_cooperative_member(
        session, user.id, cooperative_id
    ):
        raise CooperativeNotFound(f"No supplier with id {cooperative_id}.")


async def shipping_sheet(
    session: AsyncSession, *, user: User, cooperative_id: int
) -> ShippingSheet:
    """The supplier's parcels waiting to ship, oldest first, one row each with the
    recipient's address and the parcel's goods, and empty carrier and tracking columns."""
    await _check_member(session, user, cooperative_id)
    fulfillments = await repository.fulfillments_to_ship(
        session, cooperative_id, limit=MAX_SHEET_ROWS
    )
    views = await supplier_views(session, fulfillments)
    rows = [
        (
            view.id,
            view.order_number,
            view.ship_to.name,
            view.ship_to.phone,
            f"{view.ship_to.place_name}{view.ship_to.detail}",
            "；".join(f"{line.title} {line.sku_name} × {line.quantity}" for line in view.lines),
            view.carrier or "",
            view.tracking_number or "",
        )
        for view in views
    ]
    content = await asyncio.to_thread(write_xlsx, SHEET_HEADER, rows, sheet_name="发货表")
    return ShippingSheet(content, f"shipping-{cooperative_id}.xlsx")


def _fulfillment_id(text: str) -> int | None:
    digits = text.strip().removesuffix(".0")
    if not (digits.isascii() and digits.isdigit()):
        return None
    number = int(digits)
    return number if 1 <= number <= MAX_ID else None


async def ship_from_sheet(
    session: AsyncSession,
    *,
    user: User,
    cooperative_id: int,
    data: bytes,
    filename: str | None,
    auto_complete_after: timedelta,
) -> BulkShipment:
    """Ship every row of the sheet that has a tracking number (rows without one are left for
    a later upload): pending parcels are accepted on the way. All or nothing: any row that
    names no parcel of this supplier waiting to ship, names one twice, or has a bad carrier
    or tracking number answers 422 naming `rows.{row}.{column}` for each, and nothing ships."""
    await _check_member(session, user, cooperative_id)
    if len(data) > MAX_SHEET_BYTES:
        raise InvalidOrderFields({"file": ("upload_too_large", f"at most {MAX_SHEET_BYTES} bytes")})
    table = await asyncio.to_thread(
        read_table, data, filename, required=SHEET_COLUMNS, max_rows=MAX_SHEET_ROWS
    )
    problems: Problems = {}
    wanted: dict[int, tuple[int, str, str]] = {}  # fulfilment id -> (row, carrier, number)
    skipped: list[int] = []
    for row in table.rows:
        prefix = f"rows.{row.number}."
        if not row["tracking_number"]:
            skipped.append(row.number)
            continue
        fulfillment_id = _fulfillment_id(row["fulfillment_id"])
        carrier, number = check_shipment(
            row["carrier"], row["tracking_number"], problems, prefix=prefix
        )
        if fulfillment_id is None:
            problems[prefix + "fulfillment_id"] = ("unknown_fulfillment", "not a parcel number")
        elif fulfillment_id in wanted:
            first = wanted[fulfillment_id][0]
            problems[prefix + "fulfillment_id"] = (
                "duplicate_fulfillment",
                f"this parcel is already on row {first}",
            )
        else:
            wanted[fulfillment_id] = (row.number, carrier, number)
    if not wanted and not problems:
        raise InvalidOrderFields(
            {"file": ("nothing_to_ship", "no row has both a parcel number and a tracking number")}
        )
    found = await repository.lock_fulfillments(session, cooperative_id, wanted)
    for fulfillment_id, (row_number, _, _) in wanted.items():
        fulfillment = found.get(fulfillment_id)
        field = f"rows.{row_number}.fulfillment_id"
        if fulfillment is None:
            problems[field] = ("unknown_fulfillment", "no parcel of this supplier has this number")
        elif fulfillment.order.status != OrderStatus.PAID or fulfillment.status not in {
            FulfillmentStatus.PENDING,
            FulfillmentStatus.ACCEPTED,
        }:
            problems[field] = (
                "invalid_status_transition",
                f"a {fulfillment.status.value} parcel cannot be shipped",
            )
    if problems:
        raise InvalidOrderFields(problems)
    for fulfillment_id, (_, carrier, number) in wanted.items():
        fulfillment = found[fulfillment_id]
        if fulfillment.status == FulfillmentStatus.PENDING:
            fulfillment.status = FulfillmentStatus.ACCEPTED
            fulfillment.accepted_at = utcnow()
        await ship(
            session, fulfillment, carrier=carrier, tracking_number=number, after=auto_complete_after
        )
    await session.flush()
    return BulkShipment(shipped=sorted(wanted), skipped_rows=skipped)
