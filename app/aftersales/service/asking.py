"""A buyer asks: photos uploaded first, then a request for lines of one parcel."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.aftersales import repository
from app.aftersales.errors import (
    AfterSalesLineBusy,
    AfterSalesNotAllowed,
    AfterSalesQuantityExceeded,
    InvalidAfterSales,
)
from app.aftersales.models import (
    AfterSalesLine,
    AfterSalesPhoto,
    AfterSalesRequest,
    RequestKind,
    RequestStatus,
)
from app.aftersales.schemas import ANSWER_HOURS, MAX_PHOTOS, RETURN_WINDOW_DAYS
from app.aftersales.service.checks import check_reason
from app.aftersales.service.notices import Audience, Step, notify
from app.audit import service as audit
from app.core.clock import utcnow
from app.core.images import process_image_off_loop
from app.core.storage import MediaStorage
from app.jobs.media import discard_after_commit
from app.jobs.service import enqueue
from app.order import service as order_service
from app.order.models import Fulfillment, FulfillmentStatus, Order
from app.payment import repository as payment_repository
from app.payment.models import PaymentStatus

AUTO_ACCEPT_JOB = "aftersales.auto_accept"
DISCARD_STRAY_PHOTO_JOB = "aftersales.discard_stray_photo"
# A photo uploaded for a request that never came is deleted (row and files) after this long.
STRAY_PHOTO_LIFETIME = timedelta(hours=24)
UPLOAD_FIELD = "file"

_UNSHIPPED = frozenset({FulfillmentStatus.PENDING, FulfillmentStatus.ACCEPTED})


async def add_photo(
    session: AsyncSession, media: MediaStorage, *, user: User, data: bytes
) -> AfterSalesPhoto:
    """A photo for a request to come: checked and re-encoded (422 for anything but a usable
    image, nothing stored then); it belongs to its uploader until a request takes it."""
    image = await process_image_off_loop(data, field=UPLOAD_FIELD)
    name = uuid.uuid4().hex
    photo = AfterSalesPhoto(
        uploaded_by_user_id=user.id,
        image_key=f"after-sales/{user.id}/{name}.jpg",
        thumb_key=f"after-sales/{user.id}/{name}-thumb.jpg",
    )
    session.add(photo)
    await session.flush()
    await enqueue(
        session,
        DISCARD_STRAY_PHOTO_JOB,
        {"photo_id": photo.id},
        run_after=utcnow() + STRAY_PHOTO_LIFETIME,
    )
    await media.save(photo.image_key, image.image)
    await media.save(photo.thumb_key, image.thumbnail)
    return photo


async def discard_stray_photo(session: AsyncSession, photo_id: int) -> bool:
    """Delete an uploaded photo that no request took (its files once this commits); a photo a
    request uses stays. Whether it was deleted."""
    keys = await repository.delete_unattached_photo(session, photo_id)
    if keys is None:
        return False
    await discard_after_commit(session, keys)
    return True


def _check_window(kind: RequestKind, fulfillment: Fulfillment, now: datetime) -> None:
    """Refund only: before shipping, or after delivery; return and refund: after delivery.
    Either after delivery within 15 days of it."""
    if kind == RequestKind.REFUND_ONLY and fulfillment.status in _UNSHIPPED:
        return
    if fulfillment.status != FulfillmentStatus.DELIVERED or fulfillment.delivered_at is None:
        what = (
            "before shipping or after delivery"
            if kind == RequestKind.REFUND_ONLY
            else ("after delivery")
        )
        raise AfterSalesNotAllowed(f"A {kind.value} request is allowed {what} only.")
    if now > fulfillment.delivered_at + timedelta(days=RETURN_WINDOW_DAYS):
        raise AfterSalesNotAllowed(
            f"Requests are allowed within {RETURN_WINDOW_DAYS} days of delivery."
        )


def _checked_lines(
    order: Order, lines: Sequence[tuple[int, int]]
) -> tuple[Fulfillment, dict[int, int]]:
    """{order_line_id: quantity} of one parcel of the order; 422 for lines not the order's,
    named twice, or of two parcels; 409 beyond what is left of a line."""
    by_id = {line.id: line for line in order.lines}
    problems: dict[str, str] = {}
    wanted: dict[int, int] = {}
    for i, (line_id, quantity) in enumerate(lines):
        if line_id not in by_id:
            problems[f"lines.{i}.order_line_id"] = "not a line of this order"
        elif line_id in wanted:
            problems[f"lines.{i}.order_line_id"] = "named twice"
        else:
            wanted[line_id] = quantity
    if not wanted and not problems:
        problems["lines"] = "name at least one line"
    parcels = {by_id[line_id].fulfillment_id for line_id in wanted}
    if len(parcels) > 1:
        problems["lines"] = "lines of one parcel (one supplier) per request"
    if problems:
        raise InvalidAfterSales(problems)
    beyond: dict[str, str] = {}
    for i, (line_id, quantity) in enumerate(lines):
        line = by_id[line_id]
        left = line.quantity - line.refunded_quantity
        if quantity > left:
            beyond[f"lines.{i}.quantity"] = f"at most {left} left to refund"
    if beyond:
        raise AfterSalesQuantityExceeded(beyond)
    [parcel_id] = parcels
    fulfillment = next(f for f in order.fulfillments if f.id == parcel_id)
    return fulfillment, wanted


async def ask(
    session: AsyncSession,
    *,
    buyer: User,
    order_id: int,
    kind: RequestKind,
    lines: Sequence[tuple[int, int]],
    reason: str,
    photo_ids: Sequence[int] = (),
) -> AfterSalesRequest:
    """The buyer's request (their own paid order only, else 404). The order row is locked
    first, so that two requests for the same line are checked one after the other: the
    second finds the line busy. Mails the supplier; audit-logged."""
    checked_reason = check_reason(reason)
    order = await order_service.get_buyer_order(
        session, buyer_id=buyer.id, order_id=order_id, for_update=True
    )
    payment = await payment_repository.payment_for_order(session, order.id)
    if payment is None or payment.status != PaymentStatus.SUCCEEDED:
        raise AfterSalesNotAllowed("Only a paid order can be refunded.")
    fulfillment, quantities = _checked_lines(order, lines)
    now = utcnow()
    _check_window(kind, fulfillment, now)
    if len(set(photo_ids)) > MAX_PHOTOS:
        raise InvalidAfterSales({"photo_ids": f"at most {MAX_PHOTOS} photos"})
    photos = await repository.unattached_photos(session, buyer.id, set(photo_ids))
    if len(photos) != len(set(photo_ids)):
        raise InvalidAfterSales({"photo_ids": "photos you uploaded and no request uses yet"})
    busy = await repository.open_lines(session, quantities.keys())
    if busy:
        raise AfterSalesLineBusy(
            {
                f"lines.{i}.order_line_id": "has an open request"
                for i, (line_id, _) in enumerate(lines)
                if line_id in busy
            }
        )
    request = AfterSalesRequest(
        order_id=order.id,
        fulfillment_id=fulfillment.id,
        cooperative_id=fulfillment.cooperative_id,
        buyer_user_id=buyer.id,
        kind=kind,
        status=RequestStatus.REQUESTED,
        reason=checked_reason,
        deadline_at=now + timedelta(hours=ANSWER_HOURS),
    )
    session.add(request)
    await session.flush()
    for line_id, quantity in quantities.items():
        session.add(AfterSalesLine(request_id=request.id, order_line_id=line_id, quantity=quantity))
    for photo in photos:
        photo.request_id = request.id
    await session.flush()
    # Silence past the deadline counts as acceptance: the job checks the status then.
    await enqueue(
        session, AUTO_ACCEPT_JOB, {"request_id": request.id}, run_after=request.deadline_at
    )
    await notify(session, request.id, Step.REQUESTED, Audience.SUPPLIER)
    await audit.record(
        session,
        actor_user_id=buyer.id,
        action="aftersales.request",
        entity_kind="after_sales_request",
        entity_id=request.id,
        after={
            "order_id": order.id,
            "kind": kind.value,
            "lines": [{"order_line_id": k, "quantity": v} for k, v in quantities.items()],
        },
        reason=checked_reason,
    )
    return request


async def ask_with_photos(
    session: AsyncSession,
    media: MediaStorage,
    *,
    buyer: User,
    order_id: int,
    kind: RequestKind,
    lines: Sequence[tuple[int, int]],
    reason: str,
    uploads: Sequence[bytes],
) -> AfterSalesRequest:
    """The order page's form: the request and its photos at once. Every photo is checked
    before anything is written, so a refusal (of a photo or of the request) stores nothing."""
    if len(uploads) > MAX_PHOTOS:
        raise InvalidAfterSales({"photos": f"at most {MAX_PHOTOS} photos"})
    images = [await process_image_off_loop(data, field="photos") for data in uploads]
    request = await ask(
        session, buyer=buyer, order_id=order_id, kind=kind, lines=lines, reason=reason
    )
    for image in images:
        name = uuid.uuid4().hex
        photo = AfterSalesPhoto(
            uploaded_by_user_id=buyer.id,
            request_id=request.id,
            image_key=f"after-sales/{buyer.id}/{name}.jpg",
            thumb_key=f"after-sales/{buyer.id}/{name}-thumb.jpg",
        )
        session.add(photo)
        await session.flush()
        await media.save(photo.image_key, image.image)
        await media.save(photo.thumb_key, image.thumbnail)
    return request
