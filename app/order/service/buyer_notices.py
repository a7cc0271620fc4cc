"""What a buyer is told by mail, through the outbox: the order placed (how to pay), the
payment received, a parcel shipped (with its tracking link) and a refund made. The mail is
written by the job (app.order.jobs) from views.buyer_notice."""

from __future__ import annotations

import enum

from sqlalchemy.ext.asyncio import AsyncSession

from app.jobs.service import JobBatch, enqueue

BUYER_NOTICE_JOB = "order.notify_buyer"


class BuyerEvent(enum.StrEnum):
    PLACED = "placed"
    PAID = "paid"
    SHIPPED = "shipped"
    REFUNDED = "refunded"


async def notify_buyer(
    session: AsyncSession,
    order_id: int,
    event: BuyerEvent,
    *,
    flush: bool = True,
    **details: int | str | None,
) -> None:
    """Queue the buyer's mail about `event` in the caller's transaction: it leaves only if
    what it tells of is committed. `details` name what the mail is about beyond the order
    (fulfillment_id, refund_id and amount_fen, bank_reference). `flush` as for enqueue."""
    await enqueue(session, BUYER_NOTICE_JOB, _payload(order_id, event, details), flush=flush)


def queue_buyer_notice(
    jobs: JobBatch, order_id: int, event: BuyerEvent, **details: int | str | None
) -> None:
    """notify_buyer into a batch of jobs the caller writes (enqueue_batch)."""
    jobs.add(BUYER_NOTICE_JOB, _payload(order_id, event, details))


def _payload(
    order_id: int, event: BuyerEvent, details: dict[str, int | str | None]
) -> dict[str, int | str]:
    payload: dict[str, int | str] = {"order_id": order_id, "event": event.value}
    payload.update({key: value for key, value in details.items() if value is not None})
    return payload
