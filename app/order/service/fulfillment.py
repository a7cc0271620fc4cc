"""A supplier's fulfilments (its queue, accepting, shipping) and their delivery."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.cooperative.errors import CooperativeNotFound
from app.core.clock import utcnow
from app.jobs.service import enqueue
from app.order import repository
from app.order.carriers import find_carrier
from app.order.errors import FulfillmentNotFound, InvalidOrderFields, InvalidStatusTransition
from app.order.models import Fulfillment, FulfillmentStatus, Order, OrderStatus
from app.order.schemas import FulfillmentPage, SupplierFulfillmentOut
from app.order.service.buyer_notices import BuyerEvent, notify_buyer
from app.order.service.checks import Problems, check_id, check_paging, check_text
from app.order.service.reading import get_order
from app.order.service.views import supplier_views
from app.trace.service import check_batches

CARRIER_MAX_LENGTH = 50
_TRACKING_NUMBER = re.compile(r"[A-Za-z0-9-]{4,60}")

COMPLETE_FULFILLMENT_JOB = "order.complete_fulfillment"


async def _supplier_fulfillment(
    session: AsyncSession, *, user: User, fulfillment_id: int, cooperative_id: int | None
) -> Fulfillment:
    """A fulfilment of a supplier the user acts for (of `cooperative_id`, when the page names
    one), locked; anyone else's answers 404."""
    fulfillment = (
        await repository.get_fulfillment(session, fulfillment_id, for_update=True)
        if check_id(fulfillment_id)
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


def check_shipment(
    carrier: str, tracking_number: str, problems: Problems | None = None, *, prefix: str = ""
) -> tuple[str, str]:
    """Carrier and tracking number as stored. Without `problems`, any problem raises 422;
    with it, problems are added there (fields under `prefix`) for the caller to raise."""
    found: Problems = {}
    name = check_text(
        carrier, prefix + "carrier", found, code="invalid_carrier", min_length=1,
        max_length=CARRIER_MAX_LENGTH,
    )  # fmt: skip
    number = tracking_number.strip()
    if not _TRACKING_NUMBER.fullmatch(number):
        found[prefix + "tracking_number"] = (
            "invalid_tracking_number",
            "4 to 60 characters of A–Z, a–z, 0–9 and -",
        )
    known = find_carrier(name)
    if known is not None:
        name = known.name  # "顺丰" and "SF" are stored as 顺丰速运, which tracking links know
    if problems is not None:
        problems.update(found)
    elif found:
        raise InvalidOrderFields(found)
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
    batches: Sequence[tuple[int, int]] = (),
) -> SupplierFulfillmentOut:
    """accepted → shipped with carrier and tracking number, and optionally the harvest batch
    of each line, as (order line id, batch id); after `auto_complete_after` the fulfilment
    counts as delivered unless the buyer confirmed it earlier (outbox job)."""
    fulfillment = await _supplier_fulfillment(
        session, user=user, fulfillment_id=fulfillment_id, cooperative_id=cooperative_id
    )
    problems: Problems = {}
    name, number = check_shipment(carrier, tracking_number, problems)
    chosen = await _check_batches(session, fulfillment, batches, problems)
    if problems:
        raise InvalidOrderFields(problems)
    if (
        fulfillment.status != FulfillmentStatus.ACCEPTED
        or fulfillment.order.status != OrderStatus.PAID
    ):
        raise _refuse(fulfillment, "shipped")
    for line in fulfillment.lines:
        if line.id in chosen:
            line.batch_id = chosen[line.id]
    await ship(
        session, fulfillment, carrier=name, tracking_number=number, after=auto_complete_after
    )
    await session.flush()
    return (await supplier_views(session, [fulfillment]))[0]


async def _check_batches(
    session: AsyncSession,
    fulfillment: Fulfillment,
    batches: Sequence[tuple[int, int]],
    problems: Problems,
) -> dict[int, int]:
    """{line id: batch id} of the batches named for the fulfilment's lines; problems under
    `batches.{i}.order_line_id` (not a line of this parcel, or named twice) and
    `batches.{i}.batch_id` (not a batch of this supplier and of the line's product)."""
    products = {line.id: line.product_id for line in fulfillment.lines}
    chosen: dict[int, int] = {}
    wanted: dict[str, tuple[int, int]] = {}
    for index, (line_id, batch_id) in enumerate(batches):
        if line_id not in products or line_id in chosen:
            problems[f"batches.{index}.order_line_id"] = (
                "unknown_order_line",
                "not a line of this fulfilment, or named twice",
            )
            continue
        chosen[line_id] = batch_id
        wanted[f"batches.{index}.batch_id"] = (products[line_id], batch_id)
    found = await check_batches(session, fulfillment.cooperative_id, wanted)
    for field, message in found.items():
        problems[field] = ("invalid_batch", message)
    return chosen


async def ship(
    session: AsyncSession,
    fulfillment: Fulfillment,
    *,
    carrier: str,
    tracking_number: str,
    after: timedelta,
) -> None:
    """Mark a checked fulfilment shipped, and schedule its auto-completion `after` from now."""
    now = utcnow()
    fulfillment.status = FulfillmentStatus.SHIPPED
    fulfillment.carrier = carrier
    fulfillment.tracking_number = tracking_number
    fulfillment.shipped_at = now
    await enqueue(
        session,
        COMPLETE_FULFILLMENT_JOB,
        {"fulfillment_id": fulfillment.id},
        run_after=now + after,
    )
    # A gift's parcels go to its recipients; the union follows them in its portal instead of
    # receiving a mail per parcel.
    if not fulfillment.parcel_no:
        await notify_buyer(
            session, fulfillment.order_id, BuyerEvent.SHIPPED, fulfillment_id=fulfillment.id
        )


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
        if check_id(fulfillment_id)
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
    if not check_id(cooperative_id) or not await repository.is_cooperative_member(
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
    check_paging(page, per_page, problems)
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


async def count_to_ship(session: AsyncSession, cooperative_id: int) -> int:
    """Parcels waiting for the supplier (the supplier menu's count beside 订单履约)."""
    return await repository.count_to_ship(session, cooperative_id)
