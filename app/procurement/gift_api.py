"""JSON routes of trade-union gift orders: the recipients list uploaded with the gift's SKUs,
its report, submission, approval (the order is placed) and the recipients' parcels as XLSX."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile

from app.account.deps import CurrentUser
from app.checkout.schemas import OrderOut
from app.core.sheets import XLSX_MEDIA_TYPE
from app.order.service import PaymentTimeouts
from app.procurement.schemas import GiftOrderOut, GiftOrderPage, RejectRequest, SubmitRequest
from app.procurement.service import MAX_UPLOAD_BYTES, gifts
from app.web.db import DbSession
from app.web.errors import API_ERROR_RESPONSES
from app.web.responses import attachment
from app.web.uploads import read_bounded

router = APIRouter(prefix="/api/v1", tags=["organisations"], responses=API_ERROR_RESPONSES)

BASE = "/organizations/{organization_id}/gift-orders"
RecipientsList = Annotated[
    UploadFile,
    File(
        description="CSV (UTF-8 with or without BOM, or GBK) or XLSX with the columns name "
        "(姓名), phone (手机号), county_code (区县代码) and detail (详细地址); ≤ 1,000 rows"
    ),
]


@router.post(BASE, response_model=GiftOrderOut, status_code=201, summary="Upload a gift order")
async def upload_gift_order(
    organization_id: int,
    recipients: RecipientsList,
    user: CurrentUser,
    session: DbSession,
    # Checked by the service (422 invalid_gift_items), also when left out.
    sku_id: Annotated[list[str], Form(description="1 to 5 SKU ids; repeat the field")] = [],  # noqa: B006
    quantity_each: Annotated[
        list[str], Form(description="Units per recipient: one for all SKUs, or one per SKU")
    ] = [],  # noqa: B006
) -> GiftOrderOut:
    """A new gift draft: the SKUs every recipient gets, and the recipients list with a report
    per row (name, phone, a known county code, address, each supplier delivering there;
    the same name and phone twice). Tier prices follow the whole order's quantity; shipping
    is per recipient and supplier. Nothing is reserved. Buyers and admins of a verified
    organisation; an unreadable file is refused with 4xx and nothing is stored."""
    data = await read_bounded(recipients, MAX_UPLOAD_BYTES)
    return await gifts.upload(
        session,
        user=user,
        organization_id=organization_id,
        sku_ids=sku_id,
        quantities=quantity_each,
        data=data,
        filename=recipients.filename,
    )


@router.get(BASE, response_model=GiftOrderPage, status_code=200, summary="Gift orders")
async def list_gift_orders(
    organization_id: int,
    user: CurrentUser,
    session: DbSession,
    status: Annotated[
        str | None, Query(description="draft, submitted, approved or rejected; or several, comma")
    ] = None,
    page: Annotated[int, Query()] = 1,
    per_page: Annotated[int, Query()] = 20,
) -> GiftOrderPage:
    """The organisation's gift orders, newest first; members and operators."""
    return await gifts.list_gift_orders(
        session,
        user=user,
        organization_id=organization_id,
        status=status,
        page=page,
        per_page=per_page,
    )


@router.get(
    BASE + "/template.{kind}",
    response_class=Response,
    status_code=200,
    summary="The recipients list to fill in",
    responses={200: {"content": {XLSX_MEDIA_TYPE: {}, "text/csv": {}}}},
)
async def recipients_template(
    organization_id: int, kind: str, user: CurrentUser, session: DbSession
) -> Response:
    """`xlsx` or `csv`: the header 姓名, 手机号, 区县代码, 详细地址."""
    return attachment(
        await gifts.recipients_template(
            session, user=user, organization_id=organization_id, kind=kind
        )
    )


@router.get(
    BASE + "/{gift_order_id}/recipients.xlsx",
    response_class=Response,
    status_code=200,
    summary="The recipients' parcels as XLSX",
    responses={200: {"content": {XLSX_MEDIA_TYPE: {}}}},
)
async def recipients_xlsx(
    organization_id: int, gift_order_id: int, user: CurrentUser, session: DbSession
) -> Response:
    """Each recipient, with each parcel's supplier, status, carrier and tracking number once
    ordered (or the row's problem before). Members and operators."""
    return attachment(
        await gifts.recipients_xlsx(
            session, user=user, organization_id=organization_id, gift_order_id=gift_order_id
        )
    )


# Digits only in the path, here and on DELETE below: …/template.csv is the template's route
# alone (DELETE on it is a 405), and …/abc names nothing (404).
@router.get(
    BASE + "/{gift_order_id:int}",
    response_model=GiftOrderOut,
    status_code=200,
    summary="A gift order",
)
async def get_gift_order(
    organization_id: int, gift_order_id: int, user: CurrentUser, session: DbSession
) -> GiftOrderOut:
    """A gift order with its SKUs, recipients and, once ordered, each recipient's parcels."""
    return await gifts.get_gift_order(
        session, user=user, organization_id=organization_id, gift_order_id=gift_order_id
    )


@router.put(
    BASE + "/{gift_order_id}/recipients",
    response_model=GiftOrderOut,
    status_code=200,
    summary="Upload a draft's recipients again",
)
async def replace_recipients(
    organization_id: int,
    gift_order_id: int,
    recipients: RecipientsList,
    user: CurrentUser,
    session: DbSession,
) -> GiftOrderOut:
    """The corrected list replaces the draft's, checked afresh with its SKUs (drafts only)."""
    data = await read_bounded(recipients, MAX_UPLOAD_BYTES)
    return await gifts.replace_recipients(
        session,
        user=user,
        organization_id=organization_id,
        gift_order_id=gift_order_id,
        data=data,
        filename=recipients.filename,
    )


@router.post(
    BASE + "/{gift_order_id}/recheck",
    response_model=GiftOrderOut,
    status_code=200,
    summary="Check a gift draft again",
)
async def recheck(
    organization_id: int, gift_order_id: int, user: CurrentUser, session: DbSession
) -> GiftOrderOut:
    """Stock, prices and the suppliers' delivery areas checked again now."""
    return await gifts.recheck(
        session, user=user, organization_id=organization_id, gift_order_id=gift_order_id
    )


@router.delete(
    BASE + "/{gift_order_id:int}",
    response_model=None,
    status_code=204,
    summary="Delete a gift draft",
)
async def delete_draft(
    organization_id: int, gift_order_id: int, user: CurrentUser, session: DbSession
) -> Response:
    """Drafts only (409 once submitted)."""
    await gifts.delete_gift_draft(
        session, user=user, organization_id=organization_id, gift_order_id=gift_order_id
    )
    return Response(status_code=204)


@router.post(
    BASE + "/{gift_order_id}/submit",
    response_model=GiftOrderOut,
    status_code=200,
    summary="Submit a gift order for approval",
)
async def submit(
    organization_id: int,
    gift_order_id: int,
    body: SubmitRequest,
    user: CurrentUser,
    session: DbSession,
) -> GiftOrderOut:
    """A valid draft submitted with its payment method, PO number and `shipping_address`: the
    organisation's own contact address on the order (each parcel goes to its recipient).
    Checked again first: a draft with problems answers 409 `bulk_order_invalid`."""
    return await gifts.submit(
        session,
        user=user,
        organization_id=organization_id,
        gift_order_id=gift_order_id,
        request=body,
    )


@router.post(
    BASE + "/{gift_order_id}/approve",
    response_model=OrderOut,
    status_code=201,
    summary="Approve a gift order: the order is placed",
)
async def approve(
    organization_id: int,
    gift_order_id: int,
    request: Request,
    user: CurrentUser,
    session: DbSession,
) -> OrderOut:
    """An approver or admin other than the submitter approves: one order and one payment, a
    parcel (fulfilment) per recipient and supplier, returned as POST /orders returns it."""
    return await gifts.approve(
        session,
        user=user,
        organization_id=organization_id,
        gift_order_id=gift_order_id,
        timeouts=PaymentTimeouts.from_settings(request.app.state.settings),
    )


@router.post(
    BASE + "/{gift_order_id}/reject",
    response_model=GiftOrderOut,
    status_code=200,
    summary="Reject a gift order",
)
async def reject(
    organization_id: int,
    gift_order_id: int,
    body: RejectRequest,
    user: CurrentUser,
    session: DbSession,
) -> GiftOrderOut:
    """With a comment (1–500 characters); approvers and admins other than the submitter."""
    return await gifts.reject(
        session,
        user=user,
        organization_id=organization_id,
        gift_order_id=gift_order_id,
        request=body,
    )
