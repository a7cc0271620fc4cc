"""What the API and pages show of requests: views, the three queues, counts for menus."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.aftersales import repository
from app.aftersales.errors import AfterSalesNotFound, InvalidAfterSales
from app.aftersales.models import AfterSalesRequest, RequestStatus
from app.aftersales.schemas import AfterSalesOut, PhotoOut, RequestLineOut
from app.core.fields import MAX_ID
from app.core.storage import MediaStorage
from app.order import repository as order_repository
from app.order import service as order_service
from app.order.carriers import tracking_url
from app.order.models import Order

# What waits for whom: the supplier answers or receives; the operator decides or pays out.
SUPPLIER_WAITING = (RequestStatus.REQUESTED, RequestStatus.AWAITING_RETURN)
OPERATOR_WAITING = (RequestStatus.ESCALATED, RequestStatus.ACCEPTED)


def parse_status(raw: str | None) -> list[RequestStatus] | None:
    """`?status=` as statuses (comma-separated); None for all; 422 for an unknown one."""
    if raw is None or not raw.strip():
        return None
    try:
        return [RequestStatus(part.strip()) for part in raw.split(",")]
    except ValueError:
        raise InvalidAfterSales({"status": "one of " + ", ".join(RequestStatus)}) from None


async def views(
    session: AsyncSession, media: MediaStorage, requests: Sequence[AfterSalesRequest]
) -> list[AfterSalesOut]:
    orders: dict[int, Order] = {}
    for order_id in {r.order_id for r in requests}:
        orders[order_id] = await order_service.get_order(session, order_id)
    names = await order_repository.cooperative_names(session, {r.cooperative_id for r in requests})
    out = []
    for request in requests:
        order = orders[request.order_id]
        by_id = {line.id: line for line in order.lines}
        lines = [
            RequestLineOut(
                order_line_id=line.order_line_id,
                title=by_id[line.order_line_id].title,
                sku_name=by_id[line.order_line_id].sku_name,
                quantity=line.quantity,
                unit_price_fen=by_id[line.order_line_id].unit_price_fen,
                amount_fen=line.quantity * by_id[line.order_line_id].unit_price_fen,
            )
            for line in request.lines
        ]
        out.append(
            AfterSalesOut(
                id=request.id,
                order_id=order.id,
                order_number=order.number or str(order.id),
                fulfillment_id=request.fulfillment_id,
                cooperative_id=request.cooperative_id,
                cooperative_name=names.get(request.cooperative_id, ""),
                kind=request.kind.value,
                status=request.status.value,
                reason=request.reason,
                deadline=request.deadline_at,
                lines=lines,
                amount_fen=sum(line.amount_fen for line in lines),
                photos=[
                    PhotoOut(id=p.id, url=media.url(p.image_key), thumb_url=media.url(p.thumb_key))
                    for p in request.photos
                ],
                supplier_reason=request.supplier_reason,
                auto_accepted=request.auto_accepted,
                operator_reason=request.operator_reason,
                return_carrier=request.return_carrier,
                return_tracking_number=request.return_tracking_number,
                return_tracking_url=tracking_url(
                    request.return_carrier, request.return_tracking_number
                ),
                received_at=request.received_at,
                refund_id=request.refund_id,
                refund_bank_reference=request.refund_bank_reference,
                refunded_at=request.refunded_at,
                created_at=request.created_at,
                payment_method=order.payment_method.value,
            )
        )
    return out


async def view(
    session: AsyncSession, media: MediaStorage, request: AfterSalesRequest
) -> AfterSalesOut:
    """One request as it stands after the caller's changes (read again, lines included)."""
    fresh = await repository.get_request(session, request.id, for_update=False, reload=True)
    if fresh is None:  # requests are never deleted; this is for the type checker
        raise AfterSalesNotFound(request.id)
    return (await views(session, media, [fresh]))[0]


async def for_order(
    session: AsyncSession, media: MediaStorage, *, buyer: User, order_id: int
) -> list[AfterSalesOut]:
    """The buyer's requests about their order (404 for anyone else's)."""
    order = await order_service.get_buyer_order(session, buyer_id=buyer.id, order_id=order_id)
    return await views(session, media, await repository.requests_for_order(session, order.id))


async def for_cooperative(
    session: AsyncSession,
    media: MediaStorage,
    *,
    user: User,
    cooperative_id: int,
    status: str | None,
) -> list[AfterSalesOut]:
    """A supplier's requests, newest first (members only; 404 for anyone else)."""
    if not 1 <= cooperative_id <= MAX_ID or not await order_repository.is_cooperative_member(
        session, user.id, cooperative_id
    ):
        raise AfterSalesNotFound(f"of cooperative {cooperative_id}")
    statuses = parse_status(status)
    found = await repository.requests_for_cooperative(session, cooperative_id, statuses)
    return await views(session, media, found)


async def for_operator(
    session: AsyncSession, media: MediaStorage, *, status: str | None
) -> list[AfterSalesOut]:
    """Every request in the statuses asked for, oldest first (the operator's queue)."""
    found = await repository.requests_with_status(session, parse_status(status))
    return await views(session, media, found)


async def supplier_count(session: AsyncSession, cooperative_id: int) -> int:
    return await repository.count_for_cooperative(session, cooperative_id, SUPPLIER_WAITING)


async def operator_count(session: AsyncSession, _scope: int) -> int:
    return await repository.count_with_status(session, OPERATOR_WAITING)


@dataclass(frozen=True)
class OrderPanel:
    """The after-sales part of a buyer's order page: the requests and the lines one may
    still ask about (with the units left), per parcel."""

    requests: list[AfterSalesOut]
    askable: list[tuple[int, str, int]]  # (order_line_id, title · sku, units left)


async def order_panel(
    session: AsyncSession, media: MediaStorage, *, buyer: User, order_id: int
) -> OrderPanel:
    order = await order_service.get_buyer_order(session, buyer_id=buyer.id, order_id=order_id)
    requests = await views(session, media, await repository.requests_for_order(session, order.id))
    busy = await repository.open_lines(session, [line.id for line in order.lines])
    askable = [
        (line.id, f"{line.title} · {line.sku_name}", line.quantity - line.refunded_quantity)
        for line in order.lines
        if line.id not in busy and line.quantity > line.refunded_quantity
    ]
    return OrderPanel(requests=requests, askable=askable if order.paid_at else [])
