"""JSON routes of after-sales: a buyer's requests, the supplier's answers, the operator's word."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile

from app.account.deps import CurrentUser, Operator
from app.aftersales import service
from app.aftersales.models import RequestKind
from app.aftersales.schemas import (
    AfterSalesIn,
    AfterSalesList,
    AfterSalesOut,
    DecisionIn,
    PayoutIn,
    PhotoOut,
    ReasonIn,
    ReturnIn,
)
from app.core.images import MAX_UPLOAD_BYTES
from app.web.db import DbSession
from app.web.errors import API_ERROR_RESPONSES
from app.web.media import Media

router = APIRouter(prefix="/api/v1", tags=["after-sales"], responses=API_ERROR_RESPONSES)

StatusFilter = Annotated[
    str | None, Query(max_length=200, description="requested, accepted, … (comma-separated)")
]


@router.post(
    "/after-sales/photos", response_model=PhotoOut, status_code=201, summary="A photo to attach"
)
async def upload_photo(
    user: CurrentUser,
    session: DbSession,
    media: Media,
    file: Annotated[
        UploadFile, File(description="JPEG, PNG or WebP, at most 8 MB and 25 megapixels")
    ],
) -> PhotoOut:
    """A photo for a request to come (its id goes in `photo_ids`); 422 if not an image."""
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    photo = await service.add_photo(session, media, user=user, data=data)
    return PhotoOut(
        id=photo.id, url=media.url(photo.image_key), thumb_url=media.url(photo.thumb_key)
    )


@router.post(
    "/orders/{order_id}/after-sales",
    response_model=AfterSalesOut,
    status_code=201,
    summary="Ask for a refund or a return",
)
async def ask(
    order_id: int, body: AfterSalesIn, user: CurrentUser, session: DbSession, media: Media
) -> AfterSalesOut:
    """The buyer's request for lines of one parcel: `refund_only` before shipping or within
    15 days of delivery, `return_and_refund` within 15 days of delivery. 409 beyond the units
    left, outside the window or while a line has an open request; 404 for another's order."""
    request = await service.ask(
        session,
        buyer=user,
        order_id=order_id,
        kind=RequestKind(body.kind),
        lines=[(line.order_line_id, line.quantity) for line in body.lines],
        reason=body.reason,
        photo_ids=body.photo_ids,
    )
    return await service.view(session, media, request)


@router.get(
    "/orders/{order_id}/after-sales",
    response_model=AfterSalesList,
    status_code=200,
    summary="An order's after-sales requests",
)
async def list_for_order(
    order_id: int, user: CurrentUser, session: DbSession, media: Media
) -> AfterSalesList:
    return AfterSalesList(
        items=await service.for_order(session, media, buyer=user, order_id=order_id)
    )


@router.get(
    "/cooperatives/{cooperative_id}/after-sales",
    response_model=AfterSalesList,
    status_code=200,
    summary="A supplier's after-sales requests",
)
async def list_for_cooperative(
    cooperative_id: int,
    user: CurrentUser,
    session: DbSession,
    media: Media,
    status: StatusFilter = None,
) -> AfterSalesList:
    """Newest first; members of the supplier only (404 for anyone else)."""
    items = await service.for_cooperative(
        session, media, user=user, cooperative_id=cooperative_id, status=status
    )
    return AfterSalesList(items=items)


@router.post(
    "/after-sales/{request_id}/accept",
    response_model=AfterSalesOut,
    status_code=200,
    summary="The supplier accepts",
)
async def accept(
    request_id: int,
    user: CurrentUser,
    session: DbSession,
    media: Media,
    body: ReasonIn | None = None,
) -> AfterSalesOut:
    """A refund is made at once (a bank transfer waits for the operator's payout); a return
    waits for the parcel."""
    reason = body.reason if body is not None else None
    request = await service.accept(session, user=user, request_id=request_id, reason=reason)
    return await service.view(session, media, request)


@router.post(
    "/after-sales/{request_id}/reject",
    response_model=AfterSalesOut,
    status_code=200,
    summary="The supplier rejects, with a reason",
)
async def reject(
    request_id: int, body: ReasonIn, user: CurrentUser, session: DbSession, media: Media
) -> AfterSalesOut:
    request = await service.reject(session, user=user, request_id=request_id, reason=body.reason)
    return await service.view(session, media, request)


@router.post(
    "/after-sales/{request_id}/escalate",
    response_model=AfterSalesOut,
    status_code=200,
    summary="The buyer asks an operator to decide",
)
async def escalate(
    request_id: int,
    user: CurrentUser,
    session: DbSession,
    media: Media,
    body: ReasonIn | None = None,
) -> AfterSalesOut:
    reason = body.reason if body is not None else None
    request = await service.escalate(session, user=user, request_id=request_id, reason=reason)
    return await service.view(session, media, request)


@router.post(
    "/after-sales/{request_id}/return",
    response_model=AfterSalesOut,
    status_code=200,
    summary="The buyer's return parcel",
)
async def send_return(
    request_id: int, body: ReturnIn, user: CurrentUser, session: DbSession, media: Media
) -> AfterSalesOut:
    """Carrier (one of those suppliers ship with) and tracking number of the goods sent back."""
    request = await service.send_return(
        session,
        user=user,
        request_id=request_id,
        carrier=body.carrier,
        tracking_number=body.tracking_number,
    )
    return await service.view(session, media, request)


@router.post(
    "/after-sales/{request_id}/received",
    response_model=AfterSalesOut,
    status_code=200,
    summary="The supplier has the returned goods",
)
async def received(
    request_id: int, user: CurrentUser, session: DbSession, media: Media
) -> AfterSalesOut:
    request = await service.confirm_received(session, user=user, request_id=request_id)
    return await service.view(session, media, request)


@router.get(
    "/admin/after-sales",
    response_model=AfterSalesList,
    status_code=200,
    summary="After-sales requests (operator)",
)
async def list_for_operator(
    operator: Operator, session: DbSession, media: Media, status: StatusFilter = None
) -> AfterSalesList:
    return AfterSalesList(items=await service.for_operator(session, media, status=status))


@router.post(
    "/admin/after-sales/{request_id}/decide",
    response_model=AfterSalesOut,
    status_code=200,
    summary="The operator's final decision on an escalated request",
)
async def decide(
    request_id: int, body: DecisionIn, operator: Operator, session: DbSession, media: Media
) -> AfterSalesOut:
    request = await service.decide(
        session,
        operator=operator,
        request_id=request_id,
        outcome=body.outcome,
        reason=body.reason,
    )
    return await service.view(session, media, request)


@router.post(
    "/admin/after-sales/{request_id}/payout",
    response_model=AfterSalesOut,
    status_code=200,
    summary="The operator paid a bank-transfer refund back",
)
async def payout(
    request_id: int, body: PayoutIn, operator: Operator, session: DbSession, media: Media
) -> AfterSalesOut:
    """For an accepted request of an order paid by bank transfer: the transfer's reference;
    the refund is recorded and the ledger goes down."""
    request = await service.record_payout(
        session, operator=operator, request_id=request_id, bank_reference=body.bank_reference
    )
    return await service.view(session, media, request)
